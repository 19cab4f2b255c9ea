"""Input makers for the SQL escape catalogue (`cases/sql.yaml`).

A case's `sql` is put where riskctl reads SQL: a rule's `when` (`{sql_rule}`), a segment's
`when` (`{sql_segment}`), or a features spec's `expr` (`{sql_spec}`). Inside `sql`,
`{canary}` is a file holding a secret, `{fifo}` a FIFO nobody writes to, and `{http}` the
address of a trap server on 127.0.0.1: any request to it writes `pwned` into the case's
input folder, which fails the case (its inputs changed). Nothing may be read, opened or sent.
"""

from __future__ import annotations

import atexit
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from bad_input_makers import MAKERS, Inputs, maker

CANARY = "CANARY-7f3a9c root:x:0:0:secret-token"

# The trap server runs in its own process: polars holds the GIL while it waits on a socket,
# so a server thread in this process would never answer an unguarded read (a hang, not a
# failure). Every request appends to the log and writes `pwned` into the folder the path
# names (hex-encoded), which fails that case.
_TRAP = """
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

class Trap(BaseHTTPRequestHandler):
    def hit(self):
        with open(sys.argv[1], "a") as log:
            log.write(f"{self.command} {self.path}\\n")
        try:
            folder = Path(bytes.fromhex(self.path.strip("/").split("/")[0]).decode())
            (folder / "pwned").write_text(f"contacted: {self.command} {self.path}\\n")
        except (ValueError, OSError):
            pass
        body = b"a,b\\n1,2\\n"  # a CSV, served without Range support
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_OPTIONS = hit

    def log_message(self, *args):
        pass

def orphaned():  # the tests' process holds stdin open: its end (even killed) ends this one
    sys.stdin.read()
    os._exit(0)

threading.Thread(target=orphaned, daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Trap)
print(server.server_address[1], flush=True)
server.serve_forever()
"""
_SERVER: list[tuple[subprocess.Popen[str], int, Path]] = []


def _trap() -> tuple[int, Path]:
    """The trap server's port and log (the server starts on first use, stops at exit)."""
    if not _SERVER:
        log = Path(tempfile.mkstemp(prefix="riskctl-trap-", suffix=".log")[1])
        proc = subprocess.Popen(
            [sys.executable, "-c", _TRAP, str(log)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        atexit.register(log.unlink, missing_ok=True)
        atexit.register(proc.terminate)
        _SERVER.append((proc, port, log))
    return _SERVER[0][1], _SERVER[0][2]


def trap_url(folder: Path) -> str:
    """An address on the trap server: a request to it writes `folder / "pwned"`."""
    port, _ = _trap()
    return f"http://127.0.0.1:{port}/{str(folder).encode().hex()}"


def trap_hits() -> list[str]:
    """Every request the trap server answered so far."""
    _, log = _trap()
    return log.read_text().splitlines()


@maker("canary")
def _canary(i: Inputs) -> Path:
    return i.text("canary.csv", f"{CANARY}\n1\n")


@maker("fifo")
def _fifo(i: Inputs) -> Path:
    path = i.dir / "pipe.csv"
    if not path.exists():
        os.mkfifo(path)
    return path


@maker("http")
def _http(i: Inputs) -> str:  # type: ignore[return-value]
    return trap_url(i.dir)


def _sql(i: Inputs) -> str:
    """The case's `sql` with its placeholders filled in: `repeat` entries, then makers."""
    repeat = {name: text * times for name, (text, times) in i.case.get("repeat", {}).items()}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return repeat[name] if name in repeat else str(MAKERS[name](i))

    return re.sub(r"\{(\w+)\}", fill, i.case["sql"])


def _strategy(i: Inputs, name: str, rule: str, segment: str) -> Path:
    """A strategy whose segment's `when` is on line 7 and its rule's `when` on line 10."""
    text = (
        "name: s\n"
        "actions: [block, review, allow]\n"
        "thresholds:\n"
        "  review: {score: 0.5}\n"
        "label: is_bad\n"
        f"segments:\n  - {{name: escape_segment, when: {segment}, thresholds: {{}}}}\n"
        "rules:\n"
        f"  - name: escape\n    when: {rule}\n    action: review\n"
    )
    return i.text(name, text)


def _quoted(sql: str) -> str:
    return yaml.safe_dump(sql, default_style='"', allow_unicode=True, width=10**6).strip()


@maker("sql_rule")
def _sql_rule(i: Inputs) -> Path:
    return _strategy(i, "rule.yaml", _quoted(_sql(i)), '"amount > 1"')


@maker("sql_segment")
def _sql_segment(i: Inputs) -> Path:
    return _strategy(i, "segment.yaml", '"amount > 1"', _quoted(_sql(i)))


@maker("sql_spec")
def _sql_spec(i: Inputs) -> Path:
    """A features spec whose feature's `expr` is on line 5."""
    text = (
        "time: event_time\n"
        "entities: {account: user_id}\n"
        "features:\n"
        f"  - name: escape\n    expr: {_quoted(_sql(i))}\n"
    )
    return i.text("features.yaml", text)
