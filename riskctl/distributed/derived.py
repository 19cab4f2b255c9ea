"""Raw events through a detector that derives features, on a cluster: the detector's stored
spec runs as `features --scheduler` into a scratch folder beside the output (every worker
reaches it), and the derived parts, one per input part in the same order, are what the
command reads. Parts that already hold every derived column are read as they are, as on one
machine."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from riskctl.data.io import scan_table
from riskctl.distributed.cluster import ClusterOptions
from riskctl.distributed.parts import partitions, remove_tree
from riskctl.errors import UsageError
from riskctl.features.spec import load_spec
from riskctl.features.stored import stored_spec
from riskctl.model.detector import load_detector


@contextlib.contextmanager
def derived_input(
    detector_dir: Path,
    data: Path,
    context: Path | None,
    beside: Path,
    options: ClusterOptions,
) -> Iterator[Path]:
    """The dataset the command reads: `data`, or its derived parts (removed afterwards)."""
    detector = load_detector(detector_dir)
    spec = stored_spec(detector.path, detector.manifest)
    with derived_by(spec, data, context, beside, options) as read:
        yield read


@contextlib.contextmanager
def derived_by(
    spec: Path | None,
    data: Path,
    context: Path | None,
    beside: Path,
    options: ClusterOptions,
) -> Iterator[Path]:
    """`data` with the columns of `spec` (None: as it is), derived on the cluster into a
    scratch folder beside `beside` unless its first part already holds them all."""
    names = load_spec(spec).model.names if spec is not None else []
    first = partitions(data)[0]
    if spec is None or all(n in scan_table(first).collect_schema().names() for n in names):
        if context is not None:
            raise UsageError(
                "--context only serves derived features, which this data does not need",
                hint="drop --context",
            )
        yield data
        return
    from riskctl.distributed.features import features_dataset

    Path(beside).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".riskctl-derived.", dir=beside))
    try:
        features_dataset(spec, data, scratch / "derived", options, context)
        yield scratch / "derived"
    finally:
        remove_tree(scratch)
