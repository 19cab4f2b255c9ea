"""The input's sha256, begun early and adopted once; a changed file is hashed again."""

import hashlib
import os
from pathlib import Path

import pytest

from riskctl.cli.entry import early_digest
from riskctl.evaluate import digest


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_started_digest_is_taken_once(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(3 * (8 << 20) + 123))  # several blocks and a remainder
    digest.start(path)
    first = digest.take(path)
    assert first.result() == _sha(path)
    again = digest.take(path)  # not the same object: a fresh hash of the same bytes
    assert again is not first and again.result() == _sha(path)


def test_a_file_changed_after_start_is_hashed_again(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"before")
    digest.start(path)
    path.write_bytes(b"after, longer")
    assert digest.take(path).result() == _sha(path)
    digest._started.clear()


def test_missing_file_raises_when_the_result_is_asked(tmp_path: Path) -> None:
    digest.start(tmp_path / "missing")  # nothing started
    with pytest.raises(OSError):
        digest.take(tmp_path / "missing").result()


@pytest.mark.parametrize(
    ("argv", "starts"),
    [
        (["riskctl", "simulate", "s.yaml", "--data", "{p}"], True),
        (["riskctl", "check", "s.yaml", "--data={p}"], True),
        (["riskctl", "simulate", "s.yaml", "-d", "{p}", "--help"], False),
        (["riskctl", "simulate", "s.yaml", "-d", "{p}", "--scheduler", "tcp://x:1"], False),
        (["riskctl", "sweep", "--data", "{p}"], False),
    ],
)
def test_command_line_starts_hashing_data_early(
    tmp_path: Path, argv: list[str], starts: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RISKCTL_SCHEDULER", raising=False)
    path = tmp_path / "data.parquet"
    path.write_bytes(b"rows")
    digest._started.clear()
    early_digest([a.replace("{p}", str(path)) for a in argv])
    assert bool(digest._started) == starts
    if starts:
        assert digest.take(path).result() == _sha(path)
    digest._started.clear()
