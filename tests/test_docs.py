"""The documentation site: generated pages are current, every schema field is described, the
site builds with `mkdocs build --strict`, and the tutorial's commands run as written."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_reference", ROOT / "scripts/gen_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_committed_reference_pages_are_the_generated_ones(tmp_path: Path) -> None:
    gen = generator()
    assert gen.main(["--out", str(tmp_path)]) == 0
    fresh = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.md")}
    committed = DOCS / "reference"
    stale = [
        rel
        for rel in sorted(fresh)
        if not (committed / rel).exists()
        or (committed / rel).read_text(encoding="utf-8")
        != (tmp_path / rel).read_text(encoding="utf-8")
    ]
    leftover = sorted(
        p.relative_to(committed).as_posix()
        for p in committed.rglob("*.md")
        if p.relative_to(committed).as_posix() not in fresh
    )
    fix = "run `python scripts/gen_reference.py` and commit docs/reference/"
    assert stale == [], f"stale reference pages {stale}: {fix}"
    assert leftover == [], f"reference pages nothing generates {leftover}: {fix}"


def test_the_check_mode_names_a_stale_page(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    gen = generator()
    gen.main(["--out", str(tmp_path)])
    assert gen.main(["--out", str(tmp_path), "--check"]) == 0
    page = tmp_path / "commands" / "simulate.md"
    page.write_text(page.read_text(encoding="utf-8").replace("--baseline", "--base"), "utf-8")
    assert gen.main(["--out", str(tmp_path), "--check"]) == 1
    assert "commands/simulate.md" in capsys.readouterr().out


def test_every_command_and_file_format_has_a_reference_page() -> None:
    gen = generator()
    pages = gen.generate()
    from riskctl.cli.app import COMMANDS

    for name in COMMANDS:
        assert f"commands/{name}.md" in pages, name
        assert f"`riskctl {name}`" in pages[f"commands/{name}.md"]
    for fmt in gen.FORMATS:
        assert fmt.page in pages
    # every option of every command appears on its page
    simulate = pages["commands/simulate.md"]
    for option in ("--baseline", "--data", "--by", "--out", "--json", "--scheduler"):
        assert f"{option} " in simulate or f"{option}`" in simulate, option


def test_every_field_of_every_file_format_is_described() -> None:
    gen = generator()
    missing = []
    for fmt in gen.FORMATS:
        for dotted in fmt.models:
            model = gen._load(dotted)
            missing += [
                f"{model.__name__}.{key}"
                for key, field in model.model_fields.items()
                if not (field.description or "").strip()
            ]
    assert missing == [], f"give these fields a Field(description=...): {missing}"


def test_the_metric_table_lists_every_registered_metric() -> None:
    from riskctl.metrics.registry import METRICS

    page = (DOCS / "reference" / "metrics.md").read_text(encoding="utf-8")
    for m in METRICS:
        assert f"| `{m.key}` | {m.label} |" in page, m.key


def test_every_page_is_in_the_navigation() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def walk(node: object) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, list):
            return [p for item in node for p in walk(item)]
        if isinstance(node, dict):
            return [p for value in node.values() for p in walk(value)]
        return []

    nav = set(walk(config["nav"]))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert sorted(pages - nav) == []
    assert sorted(nav - pages) == []


def test_the_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move detail into docs/"


@pytest.mark.slow
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    """A broken link or anchor, a missing page or a page left out of the nav fails."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"]
        + ["-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "reference" / "commands" / "simulate.html").exists()


def fenced_commands(page: Path) -> list[tuple[str, str]]:
    """Every command of the page's ```sh blocks (continuation lines joined), with its
    comment."""
    text = page.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    lines = [line for block in blocks for line in block.replace("\\\n", " ").splitlines()]
    pairs = [line.partition("#")[::2] for line in lines if line.strip()]
    return [(" ".join(command.split()), comment) for command, comment in pairs]


def test_the_tutorial_commands_run() -> None:
    """The tutorial starts from an empty folder with `riskctl demo`, and each of its blocks
    runs as written after it (tests/test_doc_examples.py, which checks each exit code and
    that each `--out` is written: the tuned strategy and the reasons here)."""
    from tests.test_doc_examples import RUNNABLE, commands

    wanted = fenced_commands(DOCS / "tutorial.md")
    assert wanted[0][0] == "riskctl demo"
    assert all(command.startswith("riskctl ") for command, _ in wanted)
    run = [
        c
        for b in RUNNABLE
        if b.file == "docs/tutorial.md" and b.lang != "python"
        for c, _ in commands(b.body)
    ]
    assert [command for command, _ in wanted] == run
    assert {"candidate.tuned.yaml", "reasons.parquet"} <= {
        arg for command in run for arg in command.split()
    }
