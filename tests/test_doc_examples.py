"""Every example in README.md and docs/ runs as written, in an empty folder after
`riskctl demo`: each fenced shell block (```sh, ```bash, ```console, ```shell) and each
```python block, in a fresh copy of that folder.

A block that must not run (it installs riskctl, serves a site, needs a cluster) says so in
the Markdown, on the line before its fence: `<!-- norun: why -->`. A command's exit code
is the one its comment promises: `# exit 1: ...` exactly 1, `# exit 1 when ...` 0 or 1,
no promise 0, and what a command that exits 0 names with `--out` exists afterwards. Only
the sizes shrink (`--rows`, `--rounds`) so the suite stays fast.

The README's walkthrough and the tutorial run here like every other block (their own tests
check only that they stay plain commands from an empty folder)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SHELL = {"sh", "bash", "console", "shell"}
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.S | re.M
)
NORUN = re.compile(r"^<!--\s*norun:\s*(?P<why>.*?)\s*-->$")
PROMISE = re.compile(r"\bexit (?P<code>\d)(?P<maybe>\s+(?:when|if)\b)?")
ROWS = 20_000  # rows the demo and the generator make here (the documents say 200000)
ROUNDS = 40  # boosting rounds for the documents' `train` lines


@dataclass(frozen=True)
class Block:
    file: str
    line: int
    lang: str
    body: str
    norun: str | None  # why it must not run; None: it runs

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks() -> list[Block]:
    found = []
    for path in markdown_files():
        text = path.read_text(encoding="utf-8")
        for fence in FENCE.finditer(text):
            lang = fence.group("lang")
            if lang not in SHELL and lang != "python":
                continue
            before = [ln.strip() for ln in text[: fence.start()].splitlines() if ln.strip()]
            norun = NORUN.match(before[-1]) if before else None
            found.append(
                Block(
                    str(path.relative_to(ROOT)),
                    text[: fence.start()].count("\n") + 1,
                    lang,
                    fence.group("body"),
                    norun.group("why") if norun else None,
                )
            )
    return found


def commands(body: str) -> list[tuple[str, str]]:
    """(command, comment) per shell line; continuation lines joined."""
    out = []
    for line in body.replace("\\\n", " ").splitlines():
        line = line.strip().removeprefix("$ ")
        if not line or line.startswith("#"):
            continue
        command, _, comment = line.partition(" #")
        out.append((" ".join(command.split()), comment))
    return out


def outputs(command: str) -> list[str]:
    """The paths a command names with `--out`."""
    args = shlex.split(command)
    return [value for flag, value in zip(args, args[1:], strict=False) if flag == "--out"]


def expected_exit(comment: str) -> set[int]:
    promise = PROMISE.search(comment)
    if promise is None:
        return {0}
    code = int(promise.group("code"))
    return {0, code} if promise.group("maybe") else {code}


def smaller(command: str) -> str:
    """The command with the sizes of this test: fewer rows, fewer rounds."""
    command = re.sub(r"--rows \d+", f"--rows {ROWS}", command)
    if command.startswith(("riskctl demo", "riskctl data generate")) and "--rows" not in command:
        command += f" --rows {ROWS}"
    if command.startswith("riskctl demo"):
        command += " --quiet"
    if command.startswith("riskctl train") and "--rounds" not in command:
        command += f" --rounds {ROUNDS}"
    return command


BLOCKS = blocks()
RUNNABLE = [b for b in BLOCKS if b.norun is None]


def test_every_example_runs_or_says_why_not() -> None:
    shell = [b for b in BLOCKS if b.lang in SHELL]
    assert len(shell) > 20 and any(b.lang == "python" and b.file == "README.md" for b in BLOCKS)
    for block in BLOCKS:
        assert block.norun is None or len(block.norun) > 10, f"{block.id}: say why it must not run"
    # what does not run, and why: installs, a served site, a cluster
    skipped = {b.id: b.norun for b in BLOCKS if b.norun}
    assert all(
        re.search(r"install|serves|cluster|checkout", why or "") for why in skipped.values()
    ), skipped
    for block in RUNNABLE:
        for command, comment in commands(block.body) if block.lang in SHELL else []:
            assert command.startswith("riskctl "), f"{block.id}: {command}"
            assert "exit" not in comment or PROMISE.search(comment), f"{block.id}: {comment}"


def test_promises_read_as_written() -> None:
    assert expected_exit(" exit 1: names the guardrails it breaks") == {1}
    assert expected_exit(" exit 1 when a guardrail fails") == {0, 1}
    assert expected_exit(" the same as before") == {0}
    assert (
        smaller("riskctl demo --out d --rows 200000")
        == f"riskctl demo --out d --rows {ROWS} --quiet"
    )
    assert outputs("riskctl score d x.parquet --out 'a b.parquet' --keep-all") == ["a b.parquet"]


@pytest.fixture(scope="module")
def after_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("after-demo")
    done = subprocess.run(
        [sys.executable, "-m", "riskctl", "demo", "--rows", str(ROWS), "--quiet"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return folder


def _env() -> dict[str, str]:
    bin_dir = Path(sys.executable).parent
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.slow
@pytest.mark.parametrize("block", RUNNABLE, ids=[b.id for b in RUNNABLE])
def test_the_example_runs_as_written(block: Block, after_demo: Path, tmp_path: Path) -> None:
    here = tmp_path / "work"
    shutil.copytree(after_demo, here)
    if block.lang == "python":
        done = subprocess.run(
            [sys.executable, "-c", block.body], cwd=here, env=_env(), capture_output=True, text=True
        )
        assert done.returncode == 0, f"{block.id}\n{done.stderr[-3000:]}"
        return
    for command, comment in commands(block.body):
        done = subprocess.run(
            ["bash", "-c", smaller(command)], cwd=here, env=_env(), capture_output=True, text=True
        )
        wanted = expected_exit(comment)
        assert done.returncode in wanted, (
            f"{block.id}: `{command}` exited {done.returncode}, the text promises "
            f"{sorted(wanted)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
        if done.returncode == 0:
            missing = [out for out in outputs(command) if not (here / out).exists()]
            assert not missing, f"{block.id}: `{command}` wrote no {missing}"
