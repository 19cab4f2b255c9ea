"""A strategy read from git is named as the user wrote it (`git:REF:path`) in every error,
never by the temporary copy it was loaded from."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from riskctl.errors import ConfigError, RiskctlError
from riskctl.gate.diff import read_strategy

BROKEN = {
    "unknown_key": "name: s\nactions: [block, allow]\nbogus: 1\n",
    "yaml_syntax": "name: s\nactions: [block, allow\n",
    "duplicate_key": "name: s\nname: t\nactions: [block, allow]\n",
    "unknown_action": "name: s\nactions: [block, allow]\nthresholds:\n  revieww: {score: 0.5}\n",
    "not_a_mapping": "- just\n- a list\n",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "repo"
    (repo / "strategies").mkdir(parents=True)
    for name, text in BROKEN.items():
        (repo / "strategies" / f"{name}.yaml").write_text(text)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
    }
    env["GIT_COMMITTER_EMAIL"] = "t@e"
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "s"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the copies would be named
    return repo


@pytest.mark.parametrize("name", BROKEN)
def test_errors_name_the_git_path_not_the_temporary_copy(repo: Path, name: str) -> None:
    spec = f"git:HEAD:strategies/{name}.yaml"
    with pytest.raises(RiskctlError) as caught:
        read_strategy(spec, workdir=repo)
    text = str(caught.value)
    assert spec in text and "\n" not in text
    assert "riskctl-git-" not in text and str(repo.parent / "scratch") not in text
    if isinstance(caught.value, ConfigError) and caught.value.location is not None:
        assert str(caught.value.location.file) == spec
    assert list((repo.parent / "scratch").iterdir()) == []
