"""Partitioned tables: a directory of Parquet files (any folder layout, e.g. hive-style
`day=2026-01-01/`; the columns riskctl reads must be in the files), a glob, or one file; and
partitioned outputs written all or nothing.

A dataset's rows are its partitions' rows, partitions in path order (the order polars and
pyarrow read a directory in), so "row order" means the same on one machine and a cluster.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path, PurePath

from riskctl.data.io import TABLE_SUFFIXES, sha256_file
from riskctl.data.output import check_replaceable_dir, write_output_marker
from riskctl.errors import DataError, UsageError

GLOB_CHARS = "*?["


def partitions(data: Path | str) -> list[Path]:
    """The files of a dataset in path order: a directory's tables (searched recursively,
    hidden and `_`-prefixed files such as `_SUCCESS` skipped), a glob's matches, or one file."""
    text = str(data)
    if any(ch in text for ch in GLOB_CHARS):
        found = [Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file()]
    elif Path(text).is_dir():
        found = [
            p
            for p in Path(text).rglob("*")
            if p.is_file()
            and p.suffix.lower() in TABLE_SUFFIXES
            and not any(part.startswith((".", "_")) for part in p.relative_to(text).parts)
        ]
    elif Path(text).exists():
        found = [Path(text)]
    else:
        raise DataError(f"{text}: no such file or directory", hint="check the path")
    found = sorted(found, key=lambda p: str(p))
    if not found:
        raise DataError(
            f"{text}: holds no Parquet, CSV or NDJSON files",
            hint="point at a directory of part files, or a glob such as 'orders/*.parquet'",
        )
    return found


def dataset_sha256(parts: list[Path], digests: list[str], data: Path | str) -> str:
    """One file: its sha256 (so pins agree with the one-machine path). Several: the sha256
    of their relative paths and digests, one line each."""
    if len(parts) == 1 and not Path(str(data)).is_dir():
        return digests[0]
    root = Path(str(data)) if Path(str(data)).is_dir() else Path(os.path.commonpath(parts))
    h = hashlib.sha256()
    for part, digest in zip(parts, digests, strict=True):
        rel = part.relative_to(root) if root in part.parents else part.name
        h.update(f"{rel}\t{digest}\n".encode())
    return h.hexdigest()


def refuse_inside(
    out: Path, datasets: Sequence[Path | str | None], folders: Sequence[str] = ("",)
) -> None:
    """Refuse a partitioned output (`out`, or its `folders` of parts) that an input dataset
    would take in: at or below its directory, or where its glob matches the output's parts
    (its parts would be read as input the next time the dataset is)."""
    for folder in folders:
        target = (Path(out) / folder).resolve()
        for data in datasets:
            if data is not None and _takes_in(str(data), target):
                if target == Path(str(data)).resolve():
                    raise UsageError(f"{out}: would overwrite the input {data}")
                raise UsageError(
                    f"--out {out} is inside the input dataset {data}: its parts would be read "
                    "as input the next time",
                    hint="write the output outside the input's folder",
                )


def check_partitioned_out(
    out: Path | str,
    kind: str,
    datasets: Sequence[Path | str | None],
    inputs: Sequence[Path | str | None] = (),
    folders: Sequence[str] = ("",),
) -> None:
    """Every check a partitioned output passes before any work (and before a cluster is
    reached): no input dataset takes it in, and each of its `folders` may be replaced whole
    (absent, or riskctl's own output of `kind`; never an input nor a folder holding one:
    the datasets, the detector, the spec, strategies and any file this command read)."""
    refuse_inside(Path(out), datasets, folders)
    held = [_literal_root(str(d)) for d in datasets if d is not None]
    held += [Path(str(i)) for i in inputs if i is not None]
    for folder in folders:
        check_replaceable_dir(Path(out) / folder, kind, inputs=held)


def _literal_root(data: str) -> Path:
    """A dataset's path up to its first glob character (the folder its parts are under)."""
    parts = Path(os.path.abspath(data)).parts
    magic = [i for i, c in enumerate(parts) if any(ch in c for ch in GLOB_CHARS)]
    return Path(*parts[: magic[0]]) if magic else Path(*parts)


def _takes_in(data: str, target: Path) -> bool:
    """Would `partitions(data)` find parts written into `target`? (Hidden and `_` folders
    are never read, e.g. scratch space.)"""
    pattern = os.path.abspath(data)
    magic = [i for i, c in enumerate(Path(pattern).parts) if any(ch in c for ch in GLOB_CHARS)]
    literal = Path(*Path(pattern).parts[: magic[0]]) if magic else Path(pattern)
    root = literal.resolve()
    if not (target == root or root in target.parents):
        return False
    if any(c.startswith((".", "_")) for c in target.relative_to(root).parts):
        return False
    if not magic:
        return root.is_dir()
    if "**" in data:  # any depth below the folder before it
        return True
    return PurePath(target / "part-00000.parquet").match(
        pattern.replace(str(literal), str(root), 1)
    )


def part_sha256(part: Path) -> str:
    return sha256_file(part)


class PartitionedOutput:
    """A directory of `part-NNNNN.parquet` files and a marker naming its `kind`, written
    into a hidden folder beside the target and renamed into place only when every part is
    there. It replaces only a previous riskctl output of the same kind (checked again just
    before the rename); an input, or a folder holding one, is never replaced."""

    def __init__(
        self,
        out: Path,
        inputs: list[Path],
        kind: str,
        datasets: Sequence[Path | str | None] = (),
    ) -> None:
        self.out = Path(out)
        self.kind = kind
        self.inputs = list(inputs)
        check_partitioned_out(self.out, kind, datasets, self.inputs)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(
            tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".tmp", dir=self.out.parent)
        )
        os.chmod(self.tmp, 0o777 & ~_umask())
        write_output_marker(self.tmp, kind)

    def part(self, i: int) -> Path:
        return self.tmp / f"part-{i:05d}.parquet"

    def commit(self) -> Path:
        check_replaceable_dir(self.out, self.kind, inputs=self.inputs)
        old = None
        if self.out.exists():
            old = self.out.with_name(f".{self.out.name}.{os.getpid()}.old")
            os.replace(self.out, old)
        os.replace(self.tmp, self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.out

    def discard(self) -> None:
        remove_tree(self.tmp)

    def __enter__(self) -> PartitionedOutput:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tmp.exists():
            self.discard()


def remove_tree(path: Path, tries: int = 20) -> None:
    """Remove a folder that tasks of a stopped job may still be writing into: they never
    create folders, so once a removal finds it gone, it stays gone."""
    for _ in range(tries):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
        time.sleep(0.25)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
