"""The input's sha256, begun early and adopted once; a changed file is hashed again."""

import hashlib
import os
from pathlib import Path

import pytest

from riskctl.cli.entry import early_digest
from riskctl.data import digest


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


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RISKCTL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(digest.OFF_ENV, raising=False)
    return tmp_path / "cache" / "digests"


def _settled(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`path` as if its times were long past (a just-written file is not remembered)."""
    monkeypatch.setattr(digest, "SETTLED_SECONDS", 0.0)
    return path


def test_a_settled_file_is_remembered_not_read_again(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _settled(tmp_path / "data.bin", monkeypatch)
    path.write_bytes(os.urandom(3 << 20))
    assert digest.Digest(path).result() == _sha(path)
    assert len(list(cache.iterdir())) == 1
    again = digest.Digest(path)
    assert again._thread is None  # recalled: no thread, no read
    assert again.result() == _sha(path)


def test_a_rewritten_file_is_hashed_again_even_with_its_old_times(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _settled(tmp_path / "data.bin", monkeypatch)
    path.write_bytes(b"a" * 4096)
    assert digest.Digest(path).result() == _sha(path)
    before = path.stat()
    path.write_bytes(b"b" * 4096)  # same size...
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # ...and the old mtime
    changed = digest.Digest(path)
    assert changed._thread is not None  # the ctime moved: not the remembered file
    assert changed.result() == _sha(path) != hashlib.sha256(b"a" * 4096).hexdigest()


def test_a_file_just_written_is_not_remembered(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"rows")
    assert digest.Digest(path).result() == _sha(path)
    assert not cache.exists() or not list(cache.iterdir())


def test_a_damaged_or_foreign_entry_is_not_believed(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _settled(tmp_path / "data.bin", monkeypatch)
    path.write_bytes(b"rows")
    digest.Digest(path).result()
    (entry,) = cache.iterdir()
    for text in ["", "garbage", entry.read_text().replace(_sha(path), "0" * 64)[:-3] + "\n"]:
        entry.write_text(text)
        assert digest.Digest(path).result() == _sha(path)
    held = entry.read_text().splitlines()[0]
    entry.write_text(f"{held}\n{'f' * 64}\n")  # a forged digest under the right identity
    assert digest.Digest(path).result() == "f" * 64  # the cache is trusted like the file
    entry.write_text(f"('elsewhere', 1, 2, 3, 4, 5)\n{'f' * 64}\n")
    assert digest.Digest(path).result() == _sha(path)


def test_remembering_can_be_turned_off(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(digest.OFF_ENV, "0")
    path = _settled(tmp_path / "data.bin", monkeypatch)
    path.write_bytes(b"rows")
    assert digest.Digest(path).result() == _sha(path)
    assert not cache.exists()


def test_only_the_newest_entries_are_kept(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digest, "KEEP", 3)
    for i in range(5):
        path = _settled(tmp_path / f"data{i}.bin", monkeypatch)
        path.write_bytes(bytes([i]))
        digest.Digest(path).result()
    assert len(list(cache.iterdir())) == 3


def test_pruning_removes_only_the_entries_riskctl_wrote(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's files in the digests folder (any name, a 64-hex name, an entry-like text
    under the wrong name, a link) are neither counted nor removed."""
    monkeypatch.setattr(digest, "KEEP", 2)
    cache.mkdir(parents=True)
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me\n")
    theirs = {
        "notes.txt": "mine\n",
        "a" * 64: "not an entry\n",
        "b" * 64: f"('x', 1, 2, 3, 4, 5)\n{'c' * 64}\n",  # named by another line's digest
    }
    for name, text in theirs.items():
        (cache / name).write_text(text)
    (cache / ("d" * 64)).symlink_to(outside)
    for i in range(6):
        path = _settled(tmp_path / f"data{i}.bin", monkeypatch)
        path.write_bytes(bytes([i]))
        digest.Digest(path).result()
    for name, text in theirs.items():
        assert (cache / name).read_text() == text
    assert (cache / ("d" * 64)).is_symlink() and outside.read_text() == "keep me\n"
    ours = [p for p in cache.iterdir() if digest._read_entry(p) is not None]
    assert len(ours) == 2  # the newest two of six; the user's four files beside them


def test_an_unwritable_cache_never_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("RISKCTL_CACHE_DIR", str(blocker))
    path = _settled(tmp_path / "data.bin", monkeypatch)
    path.write_bytes(b"rows")
    assert digest.Digest(path).result() == _sha(path)
    assert digest.Digest(path).result() == _sha(path)
