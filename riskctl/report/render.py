"""Rendering the report: Jinja2 templates, autoescaped, written atomically."""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import vl_convert
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from markupsafe import Markup

from riskctl.cachedir import cache_root
from riskctl.data.io import write_text
from riskctl.errors import UsageError, first_line
from riskctl.escape import visible
from riskctl.report.context import ReportContext
from riskctl.report.sandbox import (
    RENDER_SECONDS,
    FolderLoader,
    TemplateSandbox,
    sized_output,
    time_limit,
)
from riskctl.resources import templates_dir

REPORT_TEMPLATE = "report.html.j2"


def environment(user_templates: Path | None = None) -> jinja2.Environment:
    """Templates in `user_templates` override the shipped ones by name.

    Every template, shipped or the user's, renders in Jinja2's immutable sandbox: templates
    may come from a pull request, so they can read the context but cannot reach Python
    internals (`__class__`, `__globals__`, ...), call unsafe methods, change any object,
    build values past the sandbox's size limits, or read a file outside their folder."""
    loaders: list[jinja2.BaseLoader] = []
    if user_templates is not None:
        if not user_templates.is_dir():
            raise UsageError(f"{user_templates}: --templates must be a directory")
        loaders.append(FolderLoader(user_templates))
    loaders.append(FolderLoader(templates_dir()))
    env = TemplateSandbox(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.finalize = _shown_by(env.finalize)
    return env


class Script(Markup):
    """The vendored chart library, inlined as it is shipped (its bytes are pinned by
    sha256): the one markup a page prints without looking at its characters."""


def _shown_by(finalize: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """Every `{{ value }}` of a page, after the sandbox's own check (`finalize`), shown with
    every character a reader cannot see as its code (`riskctl.escape.visible`): autoescape
    escapes `<&>"'` but leaves escape sequences, bidi overrides and zero-width characters,
    which `cat` or `less -R` of the page, and the page's own text order, would obey. Markup
    (a value a template marked `|safe` or escaped with `|e`, `|xmlattr`...) keeps its line
    breaks and tabs; only the inlined chart library (`Script`) is printed as it is."""

    def shown(value: Any) -> Any:
        if finalize is not None:
            value = finalize(value)
        if isinstance(value, int | float) or type(value) is Script:
            return value
        if hasattr(value, "__html__"):
            return Markup(visible(value.__html__(), keep="\n\r\t"))
        return visible(value)

    return shown


# vl-convert version -> sha256 of the script its javascript_bundle() returns. A bundle read
# from the cache directory is inlined into reports only when it has this digest: anyone who
# can write to the cache could otherwise put script into every report. A version missing
# here still works, without the cache (the bundle is built afresh in each process).
BUNDLE_SHA256 = {
    "1.9.0": "3425bd951a44d478d0505c6b5d1e8d57656b6e9a4da7bfe88a718ce61d76e572",
}
MAX_BUNDLE_BYTES = 20_000_000


def vl_convert_version() -> str:
    return str(getattr(vl_convert, "__version__", "unknown"))


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """vega, vega-lite and vega-embed in one script, inlined so the report needs no network.
    vl-convert bundles them afresh in every process (over a second of CPU): the bundle is
    kept in the user's cache directory, one file per vl-convert version, and read back only
    when its sha256 is the one riskctl ships for that version (`BUNDLE_SHA256`)."""
    pinned = BUNDLE_SHA256.get(vl_convert_version())
    path = bundle_cache_path() if pinned else None
    cached = _read_bundle(path, pinned) if path is not None and pinned else None
    if cached is not None:
        return cached
    bundle: str = vl_convert.javascript_bundle()  # type: ignore[call-arg]  # the stub is wrong
    digest = hashlib.sha256(bundle.encode("utf-8")).hexdigest()
    if path is not None and digest == pinned:
        with contextlib.suppress(OSError):  # no cache where the directory is not writable
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text(f"{BUNDLE_HEADER}{digest}\n{bundle}", path)
    return bundle


BUNDLE_HEADER = "// riskctl vega bundle sha256="


def bundle_cache_path() -> Path | None:
    """The bundle's file in riskctl's cache directory (None: no home directory)."""
    root = cache_root()
    if root is None:
        return None
    return root / f"vega-bundle-{vl_convert_version()}.js"


def _read_bundle(path: Path, pinned: str) -> str | None:
    """The cached bundle if its sha256 is `pinned` (the digest riskctl ships), else None:
    a damaged file, or one someone else wrote, is never used."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_BUNDLE_BYTES:
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    head, _, bundle = text.partition("\n")
    if not head.startswith(BUNDLE_HEADER) or not bundle:
        return None
    digest = hashlib.sha256(bundle.encode("utf-8")).hexdigest()
    return bundle if digest == pinned else None


MAX_FALLBACK_BYTES = 300_000


def svg_fallback(spec: dict[str, Any], chart_id: str) -> Markup | None:
    """A chart drawn as SVG by vl-convert (which escapes every text it draws; a character a
    reader cannot see, as in a label drawn from a column name, shown as its code), or None
    when it is larger than MAX_FALLBACK_BYTES."""
    svg = visible(_stable_ids(vl_convert.vegalite_to_svg(spec), chart_id), keep="\n\r\t")
    return Markup(svg) if len(svg) <= MAX_FALLBACK_BYTES else None


def static_fallbacks(charts: Iterable[Any]) -> dict[str, Markup]:
    """Each chart (with its `spec` and `id`) drawn to SVG here, for readers without scripts
    (and for print). A chart too detailed for that (thousands of marks) gets none; its
    numbers are in the tables."""
    out = {}
    for chart in charts:
        svg = svg_fallback(chart.spec, chart.id)
        if svg is not None:
            out[chart.id] = svg
    return out


def _stable_ids(svg: str, prefix: str) -> str:
    """vl-convert numbers clip paths and gradients with process-wide counters: renumber them
    per chart, so the same report comes out byte for byte and two charts never share an id."""
    names: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        return names.setdefault(match.group(0), f"{prefix}-{match.group(1)}{len(names)}")

    return re.sub(r"\b(clip|gradient_)\d+\b", rename, svg)


def render_page(name: str, user_templates: Path | None, ctx: Any, charts: Iterable[Any]) -> str:
    """A page of charts (`ctx.vega_bundle` inlined, each chart's static fallback beside it)
    rendered in the sandbox."""
    # the bundle is riskctl's own trusted script, never user text
    return render_sandboxed(
        name,
        user_templates,
        ctx=ctx,
        vega_bundle=Script(ctx.vega_bundle),
        fallbacks=static_fallbacks(charts),
    )


def render_html(context: ReportContext, user_templates: Path | None = None) -> str:
    charts = [*context.charts, *context.segment_charts.values()]
    return render_page(REPORT_TEMPLATE, user_templates, context, charts)


def render_sandboxed(name: str, user_templates: Path | None, **context: Any) -> str:
    """Render template `name` in the sandbox (user templates first, with a time limit and
    an output size limit); every template fault is one UsageError."""
    env = environment(user_templates)
    limit = time_limit(RENDER_SECONDS) if user_templates else contextlib.nullcontext()
    try:
        with limit:
            template = env.get_template(name)
            if user_templates is None:
                return template.render(**context)
            return sized_output(template.generate(**context))
    except RecursionError:
        if user_templates is None:
            raise
        raise UsageError(
            "report template error: the templates recurse without end "
            "(an include, extends or macro that reaches itself)",
            hint="check the templates passed with --templates",
        ) from None
    except MemoryError:
        if user_templates is None:
            raise
        raise UsageError(
            "report template error: rendering ran out of memory",
            hint="check the templates passed with --templates",
        ) from None
    except SecurityError as exc:
        raise UsageError(
            f"report template refused: {first_line(exc)}",
            hint="templates render in a sandbox: use only the context's values",
        ) from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        if user_templates is None and not isinstance(exc, jinja2.TemplateError):
            raise  # a fault in riskctl's own templates is a bug
        where = f"{exc.filename}:{exc.lineno}: " if isinstance(exc, TemplateSyntaxError) else ""
        raise UsageError(
            f"report template error: {where}{type(exc).__name__}: {first_line(exc)}",
            hint="check the templates passed with --templates",
        ) from None


def write_report(context: ReportContext, out: Path, user_templates: Path | None = None) -> Path:
    return write_text(render_html(context, user_templates), out)
