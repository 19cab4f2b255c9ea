"""The vega bundle's cache: reused when whole, rebuilt when damaged, never required."""

from pathlib import Path

import pytest
import vl_convert

from riskctl.cachedir import CACHE_ENV
from riskctl.report import render


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    render.vega_bundle.cache_clear()
    yield tmp_path / "cache"
    render.vega_bundle.cache_clear()


def test_bundle_is_cached_whole_and_reused(cache: Path) -> None:
    fresh = vl_convert.javascript_bundle()
    assert render.vega_bundle() == fresh
    path = render.bundle_cache_path()
    assert path is not None and path.parent == cache and path.is_file()
    render.vega_bundle.cache_clear()
    assert render.vega_bundle() == fresh  # read back from the file


def test_damaged_cache_is_rebuilt(cache: Path) -> None:
    fresh = render.vega_bundle()
    path = render.bundle_cache_path()
    assert path is not None
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")  # cut short
    render.vega_bundle.cache_clear()
    assert render.vega_bundle() == fresh
    assert path.read_text(encoding="utf-8") == text  # rewritten whole
    head, _, body = text.partition("\n")
    path.write_text(head + "\n" + body.replace("vega", "evil", 1), encoding="utf-8")  # changed
    render.vega_bundle.cache_clear()
    assert render.vega_bundle() == fresh


def test_unwritable_cache_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "sub"))  # a file where a dir should be
    render.vega_bundle.cache_clear()
    try:
        assert render.vega_bundle() == vl_convert.javascript_bundle()
    finally:
        render.vega_bundle.cache_clear()


def _forge(path: Path) -> str:
    """A self-consistent cache file (header digest matching its body) holding a script."""
    import hashlib

    evil = "alert(document.cookie)//" + "x" * 100
    digest = hashlib.sha256(evil.encode()).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{render.BUNDLE_HEADER}{digest}\n{evil}", encoding="utf-8")
    return evil


def test_a_forged_bundle_in_the_cache_is_never_inlined(cache: Path) -> None:
    path = render.bundle_cache_path()
    assert path is not None
    evil = _forge(path)
    bundle = render.vega_bundle()
    assert evil not in bundle and bundle == vl_convert.javascript_bundle()
    assert evil not in path.read_text(encoding="utf-8")  # replaced by the real one


def test_a_version_without_a_shipped_digest_never_uses_the_cache(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "vl_convert_version", lambda: "0.0.0-unknown")
    path = render.bundle_cache_path()
    assert path is not None
    evil = _forge(path)
    assert evil not in render.vega_bundle()
    assert path.read_text(encoding="utf-8").endswith(evil)  # neither read nor rewritten


def test_the_installed_vl_convert_has_a_shipped_digest() -> None:
    """Upgrading vl-convert needs its bundle's digest in BUNDLE_SHA256 (or reports build the
    bundle afresh every time): add `version: sha256(vl_convert.javascript_bundle())`."""
    import hashlib

    version = render.vl_convert_version()
    digest = hashlib.sha256(vl_convert.javascript_bundle().encode()).hexdigest()
    assert render.BUNDLE_SHA256.get(version) == digest, (version, digest)
