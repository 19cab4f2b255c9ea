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
