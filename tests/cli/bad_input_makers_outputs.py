"""Input makers for the outputs cases (`cases/outputs.yaml`): folders a partitioned --out
must not replace, detectors trained with a features spec, templates that escape their
folder or blow up, and a git repository for `diff git:`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import polars as pl
from bad_input_makers import Inputs, maker

from riskctl.data.output import OUTPUT_MARKER

SPEC = """time: event_time
features:
  - name: amount_doubled
    expr: "amount * 2"
"""


def _marked(folder: Path, kind: str, extra: dict[str, str] | None = None) -> Path:
    folder.mkdir()
    (folder / OUTPUT_MARKER).write_text(json.dumps({"written_by": "riskctl", "kind": kind}))
    (folder / "part-00000.parquet").write_bytes(b"PAR1 not really\n")
    for name, text in (extra or {}).items():
        (folder / name).write_text(text)
    return folder


# -- partitioned --out ---------------------------------------------------------------------


@maker("parts_dir")
def _parts_dir(i: Inputs) -> Path:
    """The scored table as two parts in a folder (a dataset)."""
    folder = i.dir / "parts"
    folder.mkdir()
    df = i.scored_df()
    df.head(1500).write_parquet(folder / "part-0.parquet")
    df.tail(1500).write_parquet(folder / "part-1.parquet")
    return folder


@maker("scored_in_sub")
def _scored_in_sub(i: Inputs) -> Path:
    """The scored table one folder down, so `{in_dir}` is its folder's parent."""
    folder = i.dir / "sub"
    folder.mkdir(exist_ok=True)
    path = folder / "scored.parquet"
    i.scored_df().write_parquet(path)
    return path


@maker("in_dir")
def _in_dir(i: Inputs) -> Path:
    return i.dir


@maker("features_output")
def _features_output(i: Inputs) -> Path:
    return _marked(i.dir / "derived", "features")


@maker("score_output_with_notes")
def _score_output_with_notes(i: Inputs) -> Path:
    return _marked(i.dir / "scored_out", "score", {"notes.txt": "my notes\n"})


@maker("forged_marker_detector")
def _forged_marker_detector(i: Inputs) -> Path:
    """A detector whose folder carries a (forged) score-output marker."""
    path = i.dir / "forged"
    shutil.copytree(i.detector, path)
    (path / OUTPUT_MARKER).write_text(json.dumps({"written_by": "riskctl", "kind": "score"}))
    return path


@maker("link_to_detector")
def _link_to_detector(i: Inputs) -> Path:
    target = i.dir / "detector"
    if not target.exists():  # the case's {detector} may have made it
        shutil.copytree(i.detector, target)
    link = i.dir / "detector_link"
    link.symlink_to(target, target_is_directory=True)
    return link


@maker("decisions_user_dir")
def _decisions_user_dir(i: Inputs) -> Path:
    """A --out folder whose decisions/ is the user's own."""
    folder = i.dir / "sim_out"
    (folder / "decisions").mkdir(parents=True)
    (folder / "decisions" / "mine.txt").write_text("mine\n")
    return folder


@maker("spec")
def _spec(i: Inputs) -> Path:
    (i.dir / "spec_dir").mkdir(exist_ok=True)
    return i.text("spec_dir/features.yaml", SPEC)


@maker("spec_dir")
def _spec_dir(i: Inputs) -> Path:
    return _spec(i).parent


@maker("raw_events")
def _raw_events(i: Inputs) -> Path:
    return i.table("events.parquet", pl.read_parquet(i.history).head(3000).drop("attack"))


@maker("strategy_dir")
def _strategy_dir(i: Inputs) -> Path:
    folder = i.dir / "strategies"
    folder.mkdir(exist_ok=True)
    shutil.copy(i.strategies / "candidate.yaml", folder / "candidate.yaml")
    return folder


@maker("strategy_in_dir")
def _strategy_in_dir(i: Inputs) -> Path:
    return _strategy_dir(i) / "candidate.yaml"


# -- train --out against its inputs ----------------------------------------------------------


@maker("detector_with_spec")
def _detector_with_spec(i: Inputs) -> Path:
    """A detector folder holding its own features spec (as `train --features` keeps it)."""
    path = Path(shutil.copytree(i.detector, i.dir / "det"))
    (path / "features").mkdir()
    (path / "features" / "features.yaml").write_text(SPEC, encoding="utf-8")
    return path


@maker("stored_spec")
def _stored_spec(i: Inputs) -> Path:
    return _detector_with_spec(i) / "features" / "features.yaml"


@maker("det_dir")
def _det_dir(i: Inputs) -> Path:
    return i.dir / "det"


@maker("model_yaml_in_det")
def _model_yaml_in_det(i: Inputs) -> Path:
    """A detector folder whose manifest.json is the training config (YAML is JSON)."""
    path = Path(shutil.copytree(i.detector, i.dir / "det"))
    (path / "manifest.json").write_text('{"rounds": 5}\n', encoding="utf-8")
    return path / "manifest.json"


# -- templates ----------------------------------------------------------------------------


def _templates(i: Inputs, files: dict[str, str], name: str = "tpl") -> Path:
    folder = i.dir / name
    folder.mkdir()
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return folder


@maker("link_out_templates")
def _link_out_templates(i: Inputs) -> Path:
    """A partial that is a link to a file outside the folder (a secret)."""
    secret = i.text("secret.txt", "TOKEN=hunter2\n")
    folder = _templates(i, {})
    (folder / "_footer.html.j2").symlink_to(secret)
    return folder


@maker("link_dir_templates")
def _link_dir_templates(i: Inputs) -> Path:
    """A subfolder that is a link out of the templates folder, included by name."""
    outside = i.dir / "outside"
    outside.mkdir()
    (outside / "leak.html").write_text("TOKEN=hunter2\n")
    folder = _templates(i, {"report.html.j2": '{% include "x/leak.html" %}'})
    (folder / "x").symlink_to(outside, target_is_directory=True)
    return folder


@maker("proc_environ_templates")
def _proc_environ_templates(i: Inputs) -> Path:
    folder = _templates(i, {"report.html.j2": '{% include "_env.html" %}'})
    os.symlink("/proc/self/environ", folder / "_env.html")
    return folder


@maker("recursive_templates")
def _recursive_templates(i: Inputs) -> Path:
    return _templates(i, {"report.html.j2": '{% include "report.html.j2" %}'})


@maker("macro_recursive_templates")
def _macro_recursive_templates(i: Inputs) -> Path:
    text = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"
    return _templates(i, {"report.html.j2": text})


@maker("loop_bomb_templates")
def _loop_bomb_templates(i: Inputs) -> Path:
    text = "{% for i in range(100000) %}{{ vega_bundle }}{% endfor %}"
    return _templates(i, {"report.html.j2": text})


@maker("nested_loop_bomb_templates")
def _nested_loop_bomb_templates(i: Inputs) -> Path:
    text = (
        "{% for a in range(99999) %}{% for b in range(99999) %}"
        "{{ 'x' * 9999 }}{% endfor %}{% endfor %}"
    )
    return _templates(i, {"report.html.j2": text})


@maker("center_bomb_templates")
def _center_bomb_templates(i: Inputs) -> Path:
    return _templates(i, {"report.html.j2": "{{ 'x' | center(400000000) }}"})


@maker("format_bomb_templates")
def _format_bomb_templates(i: Inputs) -> Path:
    return _templates(i, {"report.html.j2": "{{ '%400000000s' | format('x') }}"})


@maker("method_format_bomb_templates")
def _method_format_bomb_templates(i: Inputs) -> Path:
    return _templates(i, {"report.html.j2": "{{ '{:>400000000}'.format('x') }}"})


@maker("ljust_bomb_templates")
def _ljust_bomb_templates(i: Inputs) -> Path:
    return _templates(i, {"report.html.j2": "{{ 'x'.ljust(400000000) }}"})


@maker("repeat_chain_templates")
def _repeat_chain_templates(i: Inputs) -> Path:
    """Each `*` stays under the per-value cap; the value still doubles every step."""
    text = "{% set s = 'x' * 5000000 %}{% set t = [s, s, s, s] | join %}{{ t * 2 }}"
    return _templates(i, {"report.html.j2": text})


@maker("join_bomb_templates")
def _join_bomb_templates(i: Inputs) -> Path:
    text = "{{ range(50000000) | join(',') }}"
    return _templates(i, {"report.html.j2": text})


# -- diff git: ------------------------------------------------------------------------------


@maker("git_repo")
def _git_repo(i: Inputs) -> Path:
    """A repository whose one commit holds a broken strategy at strategies/s.yaml."""
    repo = i.dir / "repo"
    (repo / "strategies").mkdir(parents=True)
    (repo / "strategies" / "s.yaml").write_text("name: s\nactions: [block, allow]\nbogus: 1\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "s"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return repo
