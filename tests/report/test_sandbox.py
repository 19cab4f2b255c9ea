"""User templates render in a sandbox: they cannot run code, build huge values or hang."""

from pathlib import Path

import pytest
from markupsafe import Markup

from riskctl.errors import DataError, UsageError
from riskctl.report import sandbox, sandbox_limits
from riskctl.report.build import report_for_run
from riskctl.simulation.simulate import run_simulation

ESCAPES = [
    # the classic escape: walk from a string to object, find a class whose module imports os
    "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'catch_warnings'"
    " %}{{ c()._module.__builtins__['__import__']('os').system('touch {marker}') }}"
    "{% endif %}{% endfor %}",
    "{{ ctx.__class__.__init__.__globals__['os'].system('touch {marker}') }}",
    "{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}",
    "{{ lipsum.__globals__['os'].system('touch {marker}') }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system("
    "'touch {marker}') }}",
    "{% set x = ctx.charts.append(1) %}",
    "{{ 'x' * 100000000 }}",
    "{{ 7 ** 100000000 }}",
]


@pytest.fixture(scope="module")
def run(scored_path: Path, example_strategies: Path):
    return run_simulation(example_strategies / "candidate.yaml", scored_path)


@pytest.mark.parametrize("body", ESCAPES)
def test_templates_cannot_run_code(tmp_path: Path, run, body: str) -> None:
    marker = tmp_path / "pwned"
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_data.html.j2").write_text(body.replace("{marker}", str(marker)))
    out = tmp_path / "r.html"
    with pytest.raises(UsageError, match="report template"):
        report_for_run(run, [], None, out, command="x", templates=templates)
    assert not marker.exists()
    assert not out.exists()


def test_a_template_that_never_ends_is_stopped(tmp_path: Path, run, monkeypatch) -> None:
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 1)
    monkeypatch.setattr("riskctl.report.render.RENDER_SECONDS", 1)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_data.html.j2").write_text(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    )
    with pytest.raises(UsageError, match="did not finish rendering in 1 s"):
        report_for_run(run, [], None, tmp_path / "r.html", command="x", templates=templates)


def test_the_payloads_are_real(tmp_path: Path) -> None:
    """Without the sandbox the same template does run a command: the test above can fail."""
    import jinja2

    marker = tmp_path / "pwned"
    body = ESCAPES[2].replace("{marker}", str(marker))
    jinja2.Environment().from_string(body).render()
    assert marker.exists()


BIG = 400_000_000
BOMBS = {
    "center": f"{{{{ 'x' | center({BIG}) }}}}",
    "center_method": f"{{{{ 'x'.center({BIG}) }}}}",
    "ljust": f"{{{{ 'x'.ljust({BIG}) }}}}",
    "rjust_via_power": "{{ 'x'.rjust(10 ** 9) }}",
    "zfill": f"{{{{ '1'.zfill({BIG}) }}}}",
    "expandtabs": "{{ ('\\t' * 1000000).expandtabs(1000) }}",
    "format_filter": f"{{{{ '%{BIG}s' | format('x') }}}}",
    "format_filter_named": f"{{{{ '%(a){BIG}s' | format(a='x') }}}}",
    "format_filter_star": f"{{{{ '%*s' | format({BIG}, 'x') }}}}",
    "percent": f"{{{{ '%.{BIG}f' % 1.0 }}}}",
    "str_format": f"{{{{ '{{:>{BIG}}}'.format('x') }}}}",
    "str_format_nested": f"{{{{ '{{0:>{{1}}}}'.format('x', {BIG}) }}}}",
    "str_format_map": f"{{{{ '{{a:>{BIG}}}'.format_map({{'a': 'x'}}) }}}}",
    "markup_format": f"{{{{ ('{{:{BIG}}}' | safe).format('x') }}}}",
    "indent": f"{{{{ 'a\\nb' | indent({BIG}) }}}}",
    "indent_text": "{{ ('a\\n' * 4000000) | indent('b' * 9000000) }}",
    "wordwrap_text": "{{ ('a ' * 4000000) | wordwrap(5, wrapstring='b' * 9000000) }}",
    "batch": f"{{{{ [1] | batch({BIG}, 'x') | list }}}}",
    "slice": f"{{{{ [1] | slice({BIG}) | list }}}}",
    "tojson": f"{{{{ {{'a': [1]}} | tojson(indent={BIG}) }}}}",
    "join_filter": "{% set s = 'x' * 5000000 %}{{ [s, s, s, s, s] | join }}",
    "join_method": "{% set s = 'x' * 5000000 %}{{ ''.join([s, s, s, s, s]) }}",
    "join_map": f"{{{{ ['x'] | map('center', {BIG}) | join }}}}",
    "replace_filter": "{{ ('x' * 1000000) | replace('x', 'y' * 100) }}",
    "replace_method": "{{ ('x' * 1000000).replace('x', 'y' * 100) }}",
    "replace_empty": "{{ ('x' * 1000000).replace('', 'y' * 100) }}",
    "concat_chain": "{% set s = 'x' * 4000000 %}{% set t = s ~ s ~ s %}{{ t }}",
    "plus_chain": "{% set s = 'x' * 6000000 %}{{ s + s }}",
    "list_plus": "{% set s = range(100000) | list * 60 %}{{ (s + s) | length }}",
    "repeat_after_join": "{% set s = 'x' * 5000000 %}{% set t = [s, s] | join %}{{ t * 2 }}",
    "namespace_growth": "{% set ns = namespace(s='x' * 1000000) %}{% for i in range(20) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
    "filter_block": f"{{% filter center({BIG}) %}}x{{% endfilter %}}",
    "output_loop": "{% for i in range(100000) %}{{ bundle }}{% endfor %}",
}


# growth the width and count checks do not see: bytes, a translate table, a bounded factor
# applied again and again (upper of ß, escape, urlencode), integers
GROWTH = {
    "bytes_repeat": "{{ ('a'.encode() * 200000000) | length }}",
    "bytes_ljust": "{{ 'a'.encode().ljust(100000000) | length }}",
    "bytes_hex": "{% set s = 'x' * 9000000 %}{{ s.encode().hex() | length }}",
    "bytes_by_map": "{{ (['a'] | map(attribute='encode') | first)() }}",
    "bytes_by_getitem": "{{ 'a'['encode']() }}",
    "markup_encode": "{{ ('a' | safe).encode('utf-16') }}",
    "int_to_bytes": "{{ (1).to_bytes(100000000, 'big') | length }}",
    "translate_dict": "{% set s = 'x' * 9000000 %}{{ s.translate({120: 'yyyyyyyyyy'}) | length }}",
    "translate_list": "{{ ('\\x00' * 9000000).translate(['y' * 10]) | length }}",
    "translate_huge_value": "{{ ('x' * 1000).translate({120: 'y' * 9000000}) | length }}",
    "expandtabs_default": "{{ ('\\t' * 9000000).expandtabs() | length }}",
    "expandtabs_keyword": "{{ ('\\t' * 2000000).expandtabs(tabsize=8) | length }}",
    "upper_chain": "{{ ('\u00df' * 9000000).upper().upper() | length }}",
    "escape_filter": "{{ ('\"' * 9000000) | e | length }}",
    "urlencode_filter": "{{ ('\u20ac' * 3000000) | urlencode | length }}",
    "int_square_loop": "{% set ns = namespace(x=10 ** 1000) %}{% for i in range(20) %}"
    "{% set ns.x = ns.x * ns.x %}{% endfor %}{{ ns.x.bit_length() }}",
    "int_power_of_power": "{{ (((10 ** 100) ** 100) ** 100).bit_length() }}",
    "int_power_big_base": "{{ ((10 ** 1000) ** 1000).bit_length() }}",
    "int_from_hex_text": "{{ (('f' * 9000000) | int(base=16)).bit_length() }}",
    "format_field_repeated": "{% set s = 'x' * 4000000 %}{{ '{0}{0}{0}'.format(s) | length }}",
    "format_ascii_conversion": "{{ '{!a}'.format('\U0001f600' * 2000000) | length }}",
    "percent_named_repeated": "{% set s = 'x' * 4000000 %}{{ '%(a)s%(a)s%(a)s' % {'a': s} }}",
    "percent_tuple": "{% set s = 'x' * 4000000 %}{{ '%s%s%s' % (s, s, s) }}",
    "percent_ascii": "{{ '%a' % ('\U0001f600' * 2000000,) }}",
    "format_filter_named": "{% set s = 'x' * 4000000 %}{{ '%(a)s%(a)s%(a)s' | format(a=s) }}",
    "int_product_of_sums": "{% set x = (10 ** 1000) ** 30 %}{{ (x * x).bit_length() }}",
}


# renders each template in a fresh process (forked from one that has loaded the renderer and
# rendered nothing; killed by its alarm if it hangs); prints, per template, the refusal and
# the memory the process grew by
_GROWTH_CHILD = """
import json, os, resource, signal, sys
from pathlib import Path
from riskctl.errors import UsageError
from riskctl.report.render import render_sandboxed


def render(templates):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        render_sandboxed("t.html.j2", templates)
        refused = None
    except UsageError as error:
        refused = str(error)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return {"refused": refused, "grown_mb": grown_mb}


for folder in sys.argv[1:]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        signal.alarm(300)  # a hang guard, not a timing: a refused bomb ends long before this
        os.write(write, json.dumps(render(Path(folder))).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read()
    _, status = os.waitpid(pid, 0)
    outcome = json.loads(said) if said else {"ended": status}
    print(json.dumps({"folder": folder, **outcome}), flush=True)
"""


@pytest.fixture(scope="module")
def growth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Each GROWTH template's outcome, rendered in a process of its own."""
    import json
    import os
    import subprocess
    import sys

    folders = {}
    for name, body in GROWTH.items():
        folders[name] = tmp_path_factory.mktemp(name) / "templates"
        folders[name].mkdir()
        (folders[name] / "t.html.j2").write_text(body)
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _GROWTH_CHILD, *map(str, folders.values())],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcomes = {}
    for line in done.stdout.splitlines():
        outcome = json.loads(line)
        outcomes[outcome.pop("folder")] = outcome
    return {name: outcomes.get(str(folder), {}) for name, folder in folders.items()}


@pytest.mark.parametrize("name", GROWTH)
def test_bytes_big_integers_and_repeated_growth_are_refused(name: str, growth) -> None:
    outcome = growth[name]
    assert "refused" in outcome, f"the rendering process ended without a word: {outcome}"
    assert outcome["refused"] is not None, "the template rendered"
    assert "report template refused" in outcome["refused"]
    assert "\n" not in outcome["refused"]
    assert outcome["grown_mb"] < 300


def test_integer_limits_are_weighed_before_computing() -> None:
    ok = 2 ** (sandbox_limits.MAX_BITS // 2 - 1)
    sandbox_limits.check_int_binop("*", ok, ok)
    with pytest.raises(sandbox_limits.TemplateTooLarge, match="bits"):
        sandbox_limits.check_int_binop("*", ok * 4, ok)
    with pytest.raises(sandbox_limits.TemplateTooLarge, match="bits"):
        sandbox_limits.check_int_binop("**", 3, sandbox_limits.MAX_BITS)  # 2 bits a factor
    sandbox_limits.check_int_binop("**", 3, sandbox_limits.MAX_BITS // 2)
    sandbox_limits.check_int_binop("**", ok, -1)  # a fraction, not a big integer


def _render(tmp_path: Path, body: str, **context: object) -> str:
    from riskctl.report.render import render_sandboxed

    templates = tmp_path / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "t.html.j2").write_text(body)
    return render_sandboxed("t.html.j2", templates, **context)


@pytest.mark.parametrize("body", BOMBS.values(), ids=BOMBS.keys())
def test_bombs_are_refused_before_they_allocate(tmp_path: Path, body: str) -> None:
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(UsageError, match="report template") as caught:
        _render(tmp_path, body, bundle="v" * 1_000_000)
    assert "\n" not in str(caught.value)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 1_000  # the 400M-character values were never built


GOOD = {
    "{{ 'ab' | center(6) }}": "  ab  ",
    "{{ 'a'.ljust(3, '.') }}|{{ '7'.zfill(3) }}": "a..|007",
    "{{ '%5s|%-3d|%.2f' | format('x', 4, 1.5) }}": "    x|4  |1.50",
    "{{ '%(a)s=%(b)03d' % {'a': 'k', 'b': 7} }}": "k=007",
    "{{ '{:>4}|{:,}'.format('x', 1234567) }}": "   x|1,234,567",
    "{{ '{a}-{b}'.format_map({'a': 1, 'b': 2}) }}": "1-2",
    "{{ [1, 2, 3] | join(', ') }}|{{ '-'.join(['a', 'b']) }}": "1, 2, 3|a-b",
    "{{ 'aXbX' | replace('X', '--') }}|{{ 'ab'.replace('b', 'c') }}": "a--b--|ac",
    "{{ 'a' ~ 1 ~ 'b' }}|{{ 'a' + 'b' }}|{{ [1] + [2] }}|{{ 'ab' * 2 }}": "a1b|ab|[1, 2]|abab",
    "{{ 'a\\nb' | indent(2) }}": "a\n  b",
    "{{ [1, 2, 3] | batch(2) | list }}": "[[1, 2], [3]]",
    "{{ {'a': 1} | tojson(indent=1) }}": "",
    "{{ 'a\\tb'.expandtabs(4) }}|{{ 'a\\tb'.expandtabs() }}": "a   b|a       b",
    "{{ 'abc'.translate({97: 'xy', 98: None}) }}|{{ 'stra\u00dfe'.upper() }}": "xyc|STRASSE",
    "{{ 2 ** 10 }}|{{ (10 ** 20) * (10 ** 20) }}|{{ '12' | int }}|{{ 'ff' | int(base=16) }}": (
        "1024|10000000000000000000000000000000000000000|12|255"
    ),
    "{{ '%(a)s-%(a)r' % {'a': 'q'} }}|{{ '%s/%r/%a' % ('x', 'y', '\u00e9') }}": "",
    "{{ '{0}{0}|{1!r}|{1!a}'.format('ab', '\u00e9') }}": "",
    "{{ '<a>' | e }}|{{ 'a b' | urlencode }}|{{ 3 * 'ab' }}|{{ 1.5 * 2 }}": (
        "&lt;a&gt;|a%20b|ababab|3.0"
    ),
}


@pytest.mark.parametrize("body", GOOD, ids=[str(i) for i in range(len(GOOD))])
def test_ordinary_templates_render_as_before(tmp_path: Path, body: str) -> None:
    import jinja2

    expected = jinja2.sandbox.ImmutableSandboxedEnvironment(autoescape=True).from_string(body)
    assert _render(tmp_path, body) == expected.render() == (GOOD[body] or expected.render())


def test_markup_format_still_escapes(tmp_path: Path) -> None:
    out = _render(
        tmp_path,
        "{{ m.format('<i>') }}|{{ n.format_map({'a': '<i>'}) }}",
        m=Markup("<b>{}</b>"),
        n=Markup("<b>{a}</b>"),
    )
    assert out == "<b>&lt;i&gt;</b>|<b>&lt;i&gt;</b>"


def test_the_output_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "MAX_OUTPUT", 1_000)
    monkeypatch.setattr(sandbox.sized_output, "__defaults__", (1_000,))
    assert len(_render(tmp_path, "{% for i in range(99) %}0123456789{% endfor %}")) == 990
    with pytest.raises(UsageError, match="would pass 1,000 characters"):
        _render(tmp_path, "{% for i in range(101) %}0123456789{% endfor %}")


@pytest.mark.parametrize(
    "body", ['{% include "t.html.j2" %}', "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}"]
)
def test_recursion_is_one_error(tmp_path: Path, body: str) -> None:
    with pytest.raises(UsageError, match="recurse without end"):
        _render(tmp_path, body)


def test_links_out_of_the_folder_are_refused_and_links_inside_work(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN=hunter2")
    templates = tmp_path / "templates"
    (templates / "sub").mkdir(parents=True)
    (templates / "sub" / "part.html").write_text("inside")
    (templates / "inner.html").symlink_to(templates / "sub" / "part.html")
    (templates / "outer.html").symlink_to(secret)
    (templates / "outdir").symlink_to(tmp_path, target_is_directory=True)
    assert _render(tmp_path, '{% include "inner.html" %}') == "inside"
    for name in ("outer.html", "outdir/secret.txt"):
        with pytest.raises(UsageError, match="links out of the --templates folder") as caught:
            _render(tmp_path, f'{{% include "{name}" %}}')
        assert "hunter2" not in str(caught.value)
    import os

    os.mkfifo(templates / "fifo.html")
    with pytest.raises(DataError, match="named pipe .FIFO., not a regular file"):
        _render(tmp_path, '{% include "fifo.html" %}')


NESTED = {
    "print": "{% set a = range(100000) | list %}{% set b = [a] * 50 %}{{ b }}",
    "print_literal": "{% set a = (range(100000) | list) * 40 %}{{ [a, a, a, a, a] }}",
    "string_filter": "{% set a = (range(100000) | list) * 40 %}{{ [a, a, a] | string }}",
    "sum_filter": "{% set a = (range(100000) | list) * 40 %}{{ [a, a, a] | sum(start=[]) }}",
    "join_of_lists": "{% set a = (range(100000) | list) * 40 %}{{ [a, a, a] | join }}",
    "concat_list": "{% set a = (range(100000) | list) * 40 %}{{ [a, a, a] ~ '' }}",
    "format_list": "{% set a = (range(100000) | list) * 40 %}{{ '{}'.format([a, a, a]) }}",
    "percent_list": "{% set a = (range(100000) | list) * 40 %}{{ '%s' % ([a, a, a],) }}",
    "dict_values": "{% set a = (range(100000) | list) * 40 %}{{ {'x': a, 'y': a, 'z': a} }}",
}


@pytest.mark.parametrize("body", NESTED.values(), ids=NESTED.keys())
def test_nested_values_are_weighed_before_they_print(tmp_path: Path, body: str) -> None:
    """A list of large lists prints as all of them: it is refused before str() builds it."""
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(UsageError, match="report template refused"):
        _render(tmp_path, body)
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 1_000


def test_weight_counts_each_appearance_and_stops_early() -> None:
    inner = list(range(1_000))
    assert sandbox_limits.weight("abc") == 3 and sandbox_limits.weight(5) == 1
    assert sandbox_limits.weight([inner, inner]) == 2 + 2 + 2 * (2 + 1_000 + 1_000)  # commas, items
    assert sandbox_limits.weight({"k": "vv"}) == 2 + 2 + 3 + 4
    assert 5_000 < sandbox_limits.weight([inner] * 1_000_000, budget=5_000) <= 5_000 + 1_000_002
