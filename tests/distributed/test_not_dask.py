"""An address where something that is not Dask listens fails within the connect timeout,
with one line and exit 2: a web server, a socket that accepts and never speaks, one that
closes at once, one that greets in another protocol, and one that sends a Dask-like greeting
and then goes silent. Every server listens on 127.0.0.1 only.

The subprocess time limit is a hang detector (far above the 3 s connect timeout the runs
ask for), never a timing check.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from riskctl.distributed.address import Address, greeting_problem, parse_address, probe

HANG = 90  # seconds


@contextlib.contextmanager
def tcp_server(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A server on 127.0.0.1 that runs `handle` on each connection; yields its port."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            held.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()


def silent(conn: socket.socket) -> None:
    """Accepts and never says anything (the connection stays open)."""


def closes(conn: socket.socket) -> None:
    conn.close()


def ssh_banner(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")


def dask_like_then_silent(conn: socket.socket) -> None:
    """A greeting's header that looks right, then nothing more."""
    with contextlib.suppress(OSError):
        conn.sendall(struct.pack("<QQQ", 58, 1, 42))


@contextlib.contextmanager
def web_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


SERVERS: dict[str, Callable[[], contextlib.AbstractContextManager[int]]] = {
    "web_server": web_server,
    "silent_socket": lambda: tcp_server(silent),
    "closes_at_once": lambda: tcp_server(closes),
    "ssh_banner": lambda: tcp_server(ssh_banner),
    "dask_like_then_silent": lambda: tcp_server(dask_like_then_silent),
}
WORDS = {
    "web_server": "no Dask greeting within 3 s",
    "silent_socket": "no Dask greeting within 3 s",
    "closes_at_once": "closed the connection without a Dask greeting",
    "ssh_banner": "not a Dask scheduler",
    "dask_like_then_silent": "cannot reach the Dask scheduler",
}


# a Dask-like header passes the probe: the client's deadline stops that one (below)
@pytest.mark.parametrize("kind", [k for k in SERVERS if k != "dask_like_then_silent"])
def test_probe_tells_what_answered(kind: str) -> None:
    with SERVERS[kind]() as port:
        reason = probe(Address("tcp", "127.0.0.1", port), 1.0)
    assert reason is not None and WORDS[kind].replace("3 s", "1 s") in reason


def test_a_dask_scheduler_greeting_passes(address: str) -> None:
    """The oracle: the greeting a real scheduler sends on connect passes the probe."""
    parsed = parse_address(address)
    assert parsed.host is not None and parsed.port is not None
    assert probe(parsed, 5.0) is None
    with socket.create_connection((parsed.host, parsed.port), timeout=5) as sock:
        assert greeting_problem(sock, 5.0) is None


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(SERVERS))
def test_not_dask_fails_within_the_connect_timeout(
    kind: str, small_scored: Path, example_strategies: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISKCTL_")}
    env["PYTHONPATH"] = str(Path(__file__).parents[2])
    args = ["simulate", str(example_strategies / "candidate.yaml"), "--data", str(small_scored)]
    with SERVERS[kind]() as port:
        done = subprocess.run(
            [sys.executable, "-m", "riskctl", *args, "--scheduler", f"tcp://127.0.0.1:{port}",
             "--timeout", "3"],
            env=env, capture_output=True, text=True, timeout=HANG,
        )  # fmt: skip
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:")
    assert WORDS[kind] in lines[0], lines[0]
