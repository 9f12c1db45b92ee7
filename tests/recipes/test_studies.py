"""Every study, end to end on a tiny digits config: points run, results and report are written,
and a second run of the same command recomputes nothing."""

from __future__ import annotations

import json
import math

import pytest

from regen.studies import runner
from regen.studies.runner import run_study
from tests.tiny import TINY

FAST = TINY + [
    "train.representation.steps=6",
    "train.generator.steps=6",
    "train.renderer.steps=4",
    "generator.sampling_steps=2",
    "representation.codebook_size=16",
]
EXPECTED_POINTS = {"paired": 4, "tradeoff": 4, "discrete": 2, "mismatch": 4}
SUMMARY_KEYS = {
    "paired": "paired_10pct_regen_vs_direct",
    "tradeoff": "best_factor",
    "discrete": "continuous_over_discrete_fid",
    "mismatch": "joint_vs_cascaded_ratio",
}


@pytest.mark.parametrize("name", list(EXPECTED_POINTS))
def test_study_runs_writes_a_report_and_resumes_without_recomputing(name, tmp_path, monkeypatch):
    monkeypatch.setattr("regen.studies.paired.FRACTIONS", (0.1, 1.0))  # 4 points, not 10
    out = tmp_path / name
    report = run_study(
        name, "image/digits_latent_diffusion", FAST, out_dir=out, seeds=1, progress=False
    )
    results = json.loads((out / "results.json").read_text())
    assert len(results["points"]) == EXPECTED_POINTS[name]
    assert all(math.isfinite(p["metrics"]["fid"]) for p in results["points"])
    value = results["summary"][SUMMARY_KEYS[name]]
    assert value is not None
    html = report.read_text()
    assert html.count("data:image/png;base64") >= 1 and "Every point and seed" in html

    def must_not_run(*args, **kwargs):
        raise AssertionError("a finished point was computed again")

    monkeypatch.setattr(runner, "run_one", must_not_run)
    run_study(name, "image/digits_latent_diffusion", FAST, out_dir=out, seeds=1, progress=False)
