"""User templates render in a sandbox: they cannot run code, build huge values or hang."""

from pathlib import Path

import pytest

from riskctl.errors import UsageError
from riskctl.evaluate.simulate import run_simulation
from riskctl.report import sandbox
from riskctl.report.build import report_for_run

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
