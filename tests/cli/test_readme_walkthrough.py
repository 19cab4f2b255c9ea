"""The README's command walkthrough runs line by line, as written, in an empty folder.

It runs with every other example of the documents (tests/test_doc_examples.py: in a folder
after `riskctl demo`, sizes shrunk to 20,000 rows, each line's exit code the one its comment
promises, each `--out` written); here, that it stays plain commands and is one of those
examples."""

from __future__ import annotations

from pathlib import Path

from tests.test_doc_examples import RUNNABLE, commands

README = Path(__file__).parents[2] / "README.md"


def walkthrough() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Walkthrough") :]
    block = section[section.index("```sh\n") + 6 : section.index("```", section.index("```sh") + 5)]
    lines = block.replace("\\\n", " ").splitlines()
    return [" ".join(line.split()) for line in lines if line.strip()]


def test_the_walkthrough_is_plain_commands() -> None:
    for line in walkthrough():
        assert line.startswith("riskctl "), line
        command = line.split("#")[0]
        assert "[" not in command and "{" not in command, f"not runnable as written: {line}"


def test_the_walkthrough_runs_line_by_line_with_the_documents_examples() -> None:
    """From raw events to monitoring: it begins with the demo (whose folder the later lines
    read), ends with the flagged rows and the report, and is run as written."""
    lines = [" ".join(line.partition("#")[0].split()) for line in walkthrough()]
    assert lines[0].startswith("riskctl demo ") and lines[-1].startswith("riskctl monitor ")
    assert any("--out flagged.parquet" in line for line in lines)
    assert any("--out report.html" in line for line in lines)
    run = [
        [c for c, _ in commands(b.body)]
        for b in RUNNABLE
        if b.file == "README.md" and b.lang != "python"
    ]
    assert lines in run
