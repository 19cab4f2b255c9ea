"""Rendering the report: Jinja2 templates, autoescaped, written atomically."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2
import vl_convert
from markupsafe import Markup

from riskctl.data.io import write_text
from riskctl.errors import UsageError
from riskctl.report.context import ReportContext
from riskctl.resources import templates_dir

REPORT_TEMPLATE = "report.html.j2"


def environment(user_templates: Path | None = None) -> jinja2.Environment:
    """Templates in `user_templates` override the shipped ones by name."""
    loaders: list[jinja2.BaseLoader] = []
    if user_templates is not None:
        if not user_templates.is_dir():
            raise UsageError(f"{user_templates}: --templates must be a directory")
        loaders.append(jinja2.FileSystemLoader(user_templates))
    loaders.append(jinja2.FileSystemLoader(templates_dir()))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """vega, vega-lite and vega-embed in one script, inlined so the report needs no network."""
    return vl_convert.javascript_bundle()  # type: ignore[call-arg]  # the stub is wrong


MAX_FALLBACK_BYTES = 300_000


def static_fallbacks(context: ReportContext) -> dict[str, Markup]:
    """Each chart drawn to SVG here, for readers without scripts (and for print). A chart too
    detailed for that (thousands of marks) gets none; its numbers are in the tables."""
    out = {}
    for chart in context.charts:
        svg = _stable_ids(vl_convert.vegalite_to_svg(chart.spec), chart.id)
        if len(svg) <= MAX_FALLBACK_BYTES:
            # vl-convert's own SVG: it escapes every text it draws
            out[chart.id] = Markup(svg)
    return out


def _stable_ids(svg: str, prefix: str) -> str:
    """vl-convert numbers clip paths and gradients with process-wide counters: renumber them
    per chart, so the same report comes out byte for byte and two charts never share an id."""
    names: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        return names.setdefault(match.group(0), f"{prefix}-{match.group(1)}{len(names)}")

    return re.sub(r"\b(clip|gradient_)\d+\b", rename, svg)


def render_html(context: ReportContext, user_templates: Path | None = None) -> str:
    env = environment(user_templates)
    try:
        template = env.get_template(REPORT_TEMPLATE)
        # the bundle is riskctl's own trusted script, never user text
        return template.render(
            ctx=context,
            vega_bundle=Markup(context.vega_bundle),
            fallbacks=static_fallbacks(context),
        )
    except jinja2.TemplateError as exc:
        raise UsageError(
            f"report template error: {exc}", hint="check the templates passed with --templates"
        ) from None


def write_report(context: ReportContext, out: Path, user_templates: Path | None = None) -> Path:
    return write_text(render_html(context, user_templates), out)
