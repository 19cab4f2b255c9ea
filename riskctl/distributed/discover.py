"""`discover` on a cluster: each window's blocks are found on a worker by the one-machine
engine's `window_blocks` (which reads only that window's rows of the events), and the
windows' blocks come back in order to be ranked as on one machine; the result is the same.
The workers read --data themselves, so its path must be the same on every worker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from riskctl.discover.found import Found
from riskctl.discover.run import DiscoverOptions, DiscoverResult, discover_source
from riskctl.distributed.cluster import Cluster, ClusterOptions, Progress


def discover_on_cluster(
    path: Path | str,
    opts: DiscoverOptions,
    options: ClusterOptions,
    progress: Progress | None = None,
) -> DiscoverResult:
    """`discover(path, opts)` with its windows spread over the cluster's workers."""
    with Cluster(options) as cluster:

        def mapper(
            fn: Callable[..., list[Found]], calls: list[tuple[Any, ...]]
        ) -> list[list[Found]]:
            return cluster.map(fn, calls, name="discover", progress=progress)

        return discover_source(Path(path).absolute(), opts, str(path), mapper)
