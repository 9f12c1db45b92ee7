"""Every study, end to end on a tiny digits config: points run, results and report are written,
and a second run of the same command recomputes nothing."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from regen.studies import runner
from regen.studies.runner import run_study
from regen.training.checkpoint import CONFIG_FILE
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


@pytest.mark.parametrize(
    "axis, extra, param, values",
    [
        ("codebook", [], "codebook_size", (16, 64)),
        ("levels", ["representation.kind=rvq"], "num_quantizers", (1, 2)),
    ],
)
def test_tradeoff_axes_sweep_the_codebook_and_the_residual_levels(
    axis, extra, param, values, tmp_path, monkeypatch
):
    constant = "CODEBOOK_SIZES" if axis == "codebook" else "LEVELS"
    monkeypatch.setattr(f"regen.studies.tradeoff.{constant}", values)  # 2 points, not 3-4
    out = tmp_path / axis
    report = run_study(
        "tradeoff",
        "image/digits_vq_ar",
        FAST + extra,
        out_dir=out,
        seeds=1,
        progress=False,
        axis=axis,
    )
    results = json.loads((out / "results.json").read_text())
    assert [p["params"][param] for p in results["points"]] == list(values)
    assert json.loads((out / "study.json").read_text())["axis"] == axis
    for point in results["points"]:  # each point trained with its own value
        saved = yaml.safe_load((out / "runs" / f"{point['key']}-seed0" / CONFIG_FILE).read_text())
        assert saved["representation"][param] == point["params"][param]
    metrics = [p["metrics"] for p in results["points"]]
    assert all(math.isfinite(m["fid"]) and math.isfinite(m["oracle_fid"]) for m in metrics)
    assert all(0 < m["generator_loss_over_uniform"] for m in metrics)
    assert results["summary"]["axis"] == axis
    assert results["summary"][f"best_{param}"] in values
    assert report.read_text().count("data:image/png;base64") >= 4
