"""The sandbox report templates render in: templates may come from a pull request.

Jinja2's immutable sandbox keeps a template from reaching Python internals (`__class__`,
`__mro__`, `__globals__`, ...), calling unsafe methods or changing any object. On top of it:

* no value a template builds may pass `MAX_SIZE` characters or items: `*`, `+`, `~`, `%`,
  `join`, `replace`, `format` and `str.format` are checked before they run, and widths or
  counts handed to `center`, `ljust`, `rjust`, `zfill`, `expandtabs`, `indent`, `batch`,
  `slice`, `tojson`, `wordwrap` and `truncate` may not pass it either; a list or mapping is
  weighed by what it would print (`weight`) before it is printed, formatted, joined or
  given to any filter, so `[big, big, big]` cannot print three copies of `big`;
* what a method or filter returns is weighed too, so a step that grows its input by a
  bounded factor (`upper` of `ß`, `escape`, `urlencode`, `string` of a list) cannot feed a
  next one: at most one such step's worth is ever built, never a chain of them;
  `translate` is weighed before it runs (its table's longest value times the text), and
  `expandtabs` by its tab size (8 when not given);
* bytes are refused outright: `str.encode`, `int.to_bytes` and every attribute of a bytes
  object are unsafe, as is a bytes value handed to a call or an operator;
* an integer may not pass `MAX_BITS` bits: `*` (the sum of the bit lengths) and `**` (the
  exponent times the base's bit length) are weighed before they run, and any integer a
  method, filter or operator returns is weighed after;
* a report rendered from a user's templates may not pass `MAX_OUTPUT` characters (it is
  rendered piece by piece and stopped there), nor take longer than `RENDER_SECONDS`;
* templates that include or call themselves without end stop with one error;
* the user's templates are read only from regular files inside their folder: a link to a
  file or folder outside it (`/proc/self/environ`, a secret) is refused, as is a pipe.

So a template can neither run code, read other files, nor exhaust memory, disk or time.
The size limits and the checks that weigh against them are in `riskctl.report.sandbox_limits`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import jinja2
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, TemplateNotFound
from jinja2.loaders import split_template_path
from jinja2.nodes import Concat
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from markupsafe import EscapeFormatter, Markup

from riskctl.errors import UsageError
from riskctl.files import check_input_file
from riskctl.report.sandbox_limits import (
    BYTES,
    MAX_EXPONENT,
    MAX_SIZE,
    TemplateTooLarge,
    check_int_binop,
    check_join,
    check_percent,
    check_replace,
    check_result,
    check_spec,
    check_translate,
    check_weight,
    check_width,
    refuse_bytes,
    too_large,
    weight,
)

MAX_OUTPUT = 64_000_000  # characters a report from the user's templates may have
MAX_TEMPLATE_BYTES = 5_000_000  # one template file
RENDER_SECONDS = 60

# filters and str methods whose integer arguments are sizes of what they build
_SIZED_FILTERS = ("center", "indent", "batch", "slice", "tojson", "wordwrap", "truncate")
_SIZED_METHODS = frozenset(["center", "ljust", "rjust", "zfill"])
# methods that make bytes out of a text or a number (a bytes object has no safe attribute)
_BYTES_METHODS = frozenset(["encode", "to_bytes", "from_bytes", "fromhex"])
# the value types whose methods a template may call: their results are weighed
_VALUE_TYPES = (str, int, float, complex, list, tuple, dict, set, frozenset, range)


def _finalize(value: Any) -> Any:
    """Every `{{ value }}`: a list or mapping that would print past MAX_SIZE is refused."""
    check_weight(value, "printing a value")
    return value


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` (a built-in filter) with its result's size checked before it runs."""

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        # pass_eval_context / pass_environment filters get that object first
        offset = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
        value, rest = args[offset], args[offset + 1 :]
        refuse_bytes((value, *rest, *kwargs.values()))
        check_weight(value, name)  # a filter may print or copy what it is given
        if name == "join":
            items = list(value)
            check_join(items, rest[0] if rest else kwargs.get("d", ""))
            args = (*args[:offset], items, *rest)
        elif name == "replace":
            old = rest[0] if rest else kwargs.get("old", "")
            new = rest[1] if len(rest) > 1 else kwargs.get("new", "")
            count = rest[2] if len(rest) > 2 else kwargs.get("count")
            check_replace(str(value), old, new, count)
        elif name == "format":
            check_percent(value, tuple(rest) if rest else dict(kwargs))
        elif name in ("indent", "wordwrap"):  # a text or a count added to every line
            lines = str(value).count("\n") + 1 if name == "indent" else len(str(value)) + 1
            for arg in (*rest, *kwargs.values()):
                check_width(arg, name)
                if isinstance(arg, str) and lines * len(arg) > MAX_SIZE:
                    raise too_large(name)
        elif name in _SIZED_FILTERS:
            for arg in (*rest, *kwargs.values()):
                check_width(arg, name)
        return check_result(func(*args, **kwargs), f"the filter {name}")

    return guarded


class _SizedFormatter(SandboxedFormatter):
    """str.format in the sandbox, refusing widths past MAX_SIZE (nested `{w}` resolved)."""

    _total = 0  # characters this format call has made so far

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self._total = 0
        return super().vformat(format_string, args, kwargs)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        # `!r` and `!a` write a text up to 10 times longer (`\U0001f600`)
        return check_result(super().convert_field(value, conversion), "str.format")

    def format_field(self, value: Any, format_spec: str) -> Any:
        check_spec(format_spec, "str.format")
        check_weight(value, "str.format")
        field = super().format_field(value, format_spec)
        self._total += len(field)  # `{0}{0}{0}` makes three copies of the value
        if self._total > MAX_SIZE:
            raise too_large("str.format")
        return field


class _SizedGenerator(CodeGenerator):
    """Compiles `a ~ b ~ c` so the sandbox checks the joined size before joining."""

    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        func = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        if frame.eval_ctx.volatile:
            func = "(markup_join if context.eval_ctx.volatile else str_join)"
        self.write(f"{func}(environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(")))")


class TemplateSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**", "+", "%"])
    code_generator_class = _SizedGenerator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("finalize", _finalize)
        super().__init__(*args, **kwargs)
        for name in list(self.filters):
            self.filters[name] = _guard_filter(name, self.filters[name])
        self.globals.pop("lipsum", None)  # lorem ipsum of any length: no report needs it

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """No attribute of a bytes object, nor a method that makes bytes."""
        if isinstance(obj, BYTES) or isinstance(value, BYTES) or attr in _BYTES_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        refuse_bytes((left, right))
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is too large for a template")
        check_int_binop(operator, left, right)
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and (len(seq) * times > MAX_SIZE or weight(seq) * times > MAX_SIZE):
                    raise too_large("'*'")
        sequence = isinstance(left, str | list | tuple)
        if operator == "+" and sequence and weight(left) + weight(right) > MAX_SIZE:
            raise too_large("'+'")
        if operator == "%":
            check_percent(left, right)
        return check_result(super().call_binop(context, operator, left, right), f"'{operator}'")

    def checked_concat(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        if sum(weight(v) for v in values) > MAX_SIZE:
            raise too_large("'~'")
        return values

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        refuse_bytes((owner, *args, *kwargs.values()))
        if isinstance(owner, str):
            if name in _SIZED_METHODS:
                for arg in (*args, *kwargs.values()):
                    check_width(arg, name)
            elif name == "expandtabs":
                size = args[0] if args else kwargs.get("tabsize", 8)
                check_width(size, name)
                if isinstance(size, int) and len(owner) + owner.count("\t") * size > MAX_SIZE:
                    raise too_large(name)
            elif name == "translate" and args:
                check_translate(owner, args[0])
            elif name == "join" and args:
                items = list(args[0])
                check_join(items, owner)
                args = (items, *args[1:])
            elif name == "replace" and len(args) >= 2:
                check_replace(owner, args[0], args[1], args[2] if len(args) > 2 else None)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(owner, _VALUE_TYPES):  # a value's method: str.upper, int.__pow__...
            check_result(result, f"the method {name}")
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`str.format` / `format_map` as the sandbox runs them, widths checked."""
        if super().wrap_str_format(value) is None:
            return None
        f_self: str = value.__self__
        formatter: SandboxedFormatter = (
            _SizedEscapeFormatter(self, escape=f_self.escape)
            if isinstance(f_self, Markup)
            else _SizedFormatter(self)
        )
        is_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if not is_map:
                return type(f_self)(formatter.vformat(f_self, args, kwargs))
            if kwargs or len(args) != 1:
                raise TypeError("format_map() takes exactly one positional argument")
            return type(f_self)(formatter.vformat(f_self, (), args[0]))

        return functools.update_wrapper(wrapper, value)


class _SizedEscapeFormatter(_SizedFormatter, EscapeFormatter):
    pass


def sized_output(chunks: Iterable[str], limit: int = MAX_OUTPUT) -> str:
    """The rendered pieces joined, stopped with TemplateTooLarge once past `limit`."""
    out, total = [], 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise TemplateTooLarge(f"the report would pass {limit:,} characters")
        out.append(chunk)
    return "".join(out)


class FolderLoader(jinja2.BaseLoader):
    """Templates read only from regular files inside one folder: a name that resolves
    (through links) outside it, or to anything but a regular file, is refused."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.root = Path(os.path.realpath(folder))

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*split_template_path(template))
        if not os.path.lexists(path):
            raise TemplateNotFound(template)
        real = Path(os.path.realpath(path))
        if self.root not in real.parents:
            raise UsageError(
                f"{path}: the template links out of the --templates folder (to {real})",
                hint="copy the file into the folder instead of linking to it",
            )
        check_input_file(real)  # a pipe or a device: refused before it is opened
        st = real.stat()
        if st.st_size > MAX_TEMPLATE_BYTES:
            raise UsageError(
                f"{path}: {st.st_size:,} bytes is too large for a template "
                f"(at most {MAX_TEMPLATE_BYTES:,})"
            )
        try:
            with open(real, "rb") as fh:
                source = fh.read(MAX_TEMPLATE_BYTES + 1).decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{path}: the template is not UTF-8 text") from None
        except OSError as exc:
            raise UsageError(f"{path}: cannot read the template: {exc.strerror}") from None
        mtime = st.st_mtime_ns
        return source, str(path), lambda: _mtime(real) == mtime

    def list_templates(self) -> list[str]:
        return []


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


class RenderTimeout(SecurityError):
    """Rendering took longer than RENDER_SECONDS."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise RenderTimeout in the block after `seconds` (main thread only; elsewhere none)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum: int, _frame: Any) -> None:
        raise RenderTimeout(f"the templates did not finish rendering in {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
