"""The "add a task in one folder" walk-through of docs/design.md, run for real.

The toy task in docs/examples/toy_task/ (the files the walk-through shows) is copied into a
temporary folder, registered from there, and driven through ``regen compare``, ``regen
report``, ``regen train`` and ``load_run`` exactly as a newcomer's own task would be.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from regen import tasks
from regen.cli import main
from regen.report.browser import find_chromium, render_in_chromium
from regen.runs import load_run
from regen.tasks import register

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "toy_task"
DESIGN = ROOT / "docs" / "design.md"
PACKAGE = "toy_task"
FAST = ["train.generator.steps=100", "train.generator.checkpoint_every=50"]


def copy_example(folder: Path) -> Path:
    return Path(
        shutil.copytree(EXAMPLE, folder / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    )


@pytest.fixture
def toy(tmp_path, monkeypatch) -> Path:
    """The example package written to tmp_path, importable and registered as task ``toy``;
    the registration, sys.path entry and imported modules are undone after the test."""
    package = copy_example(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(tasks, "_EXTRA", dict(tasks._EXTRA))
    monkeypatch.delenv(tasks.ENV_VAR, raising=False)
    register("toy", PACKAGE)
    yield package
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def test_compare_runs_end_to_end_and_resumes_with_its_budget(toy, tmp_path, monkeypatch):
    out = tmp_path / "compare"
    recipe = str(toy / "regen.yaml")
    assert main(["compare", recipe, *FAST, "compare.budget=seconds", "--out", str(out)]) == 0

    results = json.loads((out / "results.json").read_text())
    assert results["task"] == "toy" and results["baseline"] == "toy_direct"
    regen, direct = results["pipelines"]
    assert (regen["label"], direct["label"]) == ("regen", "direct")
    for record in (regen, direct):
        for metric in ("mse", "accuracy", "sampling_items_per_s", "train_seconds"):
            assert math.isfinite(record["metrics"][metric]), (record["label"], metric)
            assert metric in results["metric_notes"]
    assert "mse_reconstruction" in regen["metrics"]
    assert "mse_reconstruction" not in direct["metrics"]
    assert regen["stages"][0]["steps"] == 100
    views = json.loads((out / "budget.json").read_text())
    budget = views["equal_paired"]  # no pretrained renderer: both views, one baseline
    assert views["equal_total"]["direct_generator_steps"] == budget["direct_generator_steps"]
    assert results["views"]["equal_total"]["direct"] == "direct"
    assert results["budget_rule"] == budget["rule"] == "seconds"
    assert results["budget"].startswith("Equal budget = equal training wall-clock")
    assert budget["probe_step_seconds"] > 0
    assert direct["stages"][0]["steps"] == budget["direct_generator_steps"]

    report = out / "report.html"
    assert "regen compare: toy_downsample vs toy_direct" in report.read_text()
    if find_chromium() is not None:
        dom = render_in_chromium(report)
        total = re.search(r'data-images-total="(\d+)"', dom).group(1)
        assert int(total) > 0 and f'data-images-loaded="{total}"' in dom
        table = re.search(r'<table class="metrics">(.*?)</table>', dom, re.S).group(1)
        assert "<tr><td>mse</td>" in table
    report.unlink()
    assert main(["report", str(out)]) == 0 and report.is_file()

    # --resume keeps the baseline's steps from budget.json: a new probe would fail here
    def no_probe(*args):
        raise AssertionError("the resumed compare measured the baseline's step time again")

    monkeypatch.setattr(sys.modules[f"{PACKAGE}.compare"], "probe_step_seconds", no_probe)
    args = ["compare", recipe, *FAST, "compare.budget=seconds", "--out", str(out), "--resume"]
    assert main(args) == 0
    resumed = json.loads((out / "results.json").read_text())
    assert resumed["budget_detail"] == budget
    assert resumed["pipelines"][1]["stages"][0]["steps"] == budget["direct_generator_steps"]


def test_train_then_load_run_rebuilds_the_trained_toy_pipeline(toy, tmp_path):
    run = tmp_path / "run"
    assert main(["train", str(toy / "regen.yaml"), *FAST, "--out", str(run)]) == 0
    pipeline, config = load_run(run, task="toy")
    assert config.task == "toy" and config.name == "toy_downsample"
    assert pipeline.spec.shape == (1, 4, 4) and not pipeline.is_direct

    # trained weights, not a fresh model: samples are nearest to their own class's patterns
    data = sys.modules[f"{PACKAGE}.data"].make_split(config.data, "test")
    means = torch.stack([data.y[data.x == k].mean(0) for k in range(4)]).flatten(1)
    samples = pipeline.sample(torch.arange(4), seed=0)
    assert samples.shape == (4, 1, 8, 8)
    assert torch.cdist(samples.flatten(1), means).argmin(1).tolist() == [0, 1, 2, 3]


def test_regen_from_a_shell_finds_the_task_through_the_environment(tmp_path):
    """A fresh process (a shell, torchrun worker) knows nothing of register(): REGEN_TASKS."""
    package = copy_example(tmp_path)
    run = tmp_path / "run"
    command = [sys.executable, "-m", "regen.cli", "train", str(package / "direct.yaml"), *FAST]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    env.pop(tasks.ENV_VAR, None)

    def regen(extra_env: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*command, "--out", str(run)],
            env={**env, **extra_env},
            capture_output=True,
            text=True,
            timeout=300,
        )

    unknown = regen({})
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert "unknown task 'toy'" in unknown.stderr and "REGEN_TASKS=toy=" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1

    done = regen({tasks.ENV_VAR: f"toy={PACKAGE}"})
    assert done.returncode == 0, done.stderr
    meta = json.loads((run / "pipeline.json").read_text())
    assert meta["task"] == "toy" and meta["trained_stages"] == ["generator"]


def walk_through() -> str:
    text = DESIGN.read_text()
    start = text.index("## Add a task in one folder")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_walk_through_shows_the_example_files_verbatim():
    """Every code block of the walk-through is cut from the files this test runs, so the
    doc cannot drift from working code; every file of the example is named in it."""
    section = walk_through()
    sources = {p.name: p.read_text() for p in sorted(EXAMPLE.iterdir()) if p.is_file()}
    blocks = re.findall(r"```(?:python|yaml)\n(.*?)```", section, re.S)
    assert len(blocks) >= len(sources)
    for block in blocks:
        assert any(block in text for text in sources.values()), f"not in the example:\n{block}"
    for name in sources:
        assert f"`{name}`" in section, f"the walk-through does not name {name}"
