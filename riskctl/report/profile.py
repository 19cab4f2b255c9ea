"""The HTML page of `riskctl data profile`: one self-contained file, no scripts."""

from __future__ import annotations

from pathlib import Path

from riskctl.data.io import write_text
from riskctl.data.profile import Profile
from riskctl.report.render import environment

PROFILE_TEMPLATE = "profile.html.j2"


def write_profile_html(profile: Profile, out: Path) -> Path:
    html = environment().get_template(PROFILE_TEMPLATE).render(p=profile)
    return write_text(html, out)
