"""The study runner (points x seeds, resume, workers, report) and the seed statistics."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from regen.errors import ConfigError
from regen.studies import runner
from regen.studies.aggregate import mean_std, point_stats
from regen.studies.mismatch import gap_closed
from regen.studies.runner import Point, PointContext, Study, Summary, backend_for, run_study

RECIPE = "image/digits_latent_diffusion"
CALLS_ENV = "REGEN_TEST_STUDY_CALLS"
FAIL_ENV = "REGEN_TEST_STUDY_FAIL"


def _points(config) -> list[Point]:
    return [Point(f"p{i}", {"x": i}) for i in range(3)]


def _run_point(ctx: PointContext) -> dict[str, float]:
    """Records every call in a file (workers are other processes) and fails on request."""
    with open(os.environ[CALLS_ENV], "a") as calls:
        calls.write(f"{ctx.point.key}-seed{ctx.seed}\n")
    if os.environ.get(FAIL_ENV) == ctx.point.key:
        raise RuntimeError("interrupted")
    return {"score": ctx.point.params["x"] * 10.0 + ctx.seed}


def _summarize(records) -> Summary:
    rows = point_stats(records, ["score"])
    return Summary({"points": len(rows)}, [{"title": "scores", "html": "<p>ok</p>"}], "fake")


FAKE = Study("fake", "A fake question.", _points, _run_point, _summarize)


@pytest.fixture
def fake_study(monkeypatch, tmp_path):
    monkeypatch.setitem(runner.STUDIES, "fake", "tests.unit.test_studies:FAKE")
    calls = tmp_path / "calls.txt"
    calls.touch()
    monkeypatch.setenv(CALLS_ENV, str(calls))
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    monkeypatch.setattr(runner, "backend_for", lambda task: _NoBackend)
    return calls


class _NoBackend:
    @staticmethod
    def prepare(config) -> None:
        pass


def _calls(path: Path) -> list[str]:
    return path.read_text().split()


def test_runs_every_point_and_seed_once_and_resume_skips_finished_points(fake_study, tmp_path):
    out = tmp_path / "study"
    report = run_study("fake", RECIPE, out_dir=out, seeds=2, progress=False)
    assert sorted(_calls(fake_study)) == sorted(f"p{i}-seed{s}" for i in range(3) for s in (0, 1))
    results = json.loads((out / "results.json").read_text())
    assert len(results["points"]) == 6 and results["summary"] == {"points": 3}
    assert "scores" in report.read_text()

    (out / "points" / "p1-seed1.json").unlink()  # as if interrupted before this point ended
    fake_study.write_text("")
    run_study("fake", RECIPE, out_dir=out, seeds=2, progress=False)
    assert _calls(fake_study) == ["p1-seed1"]


def test_an_interrupted_study_keeps_finished_points(fake_study, tmp_path, monkeypatch):
    out = tmp_path / "study"
    monkeypatch.setenv(FAIL_ENV, "p2")
    with pytest.raises(RuntimeError):
        run_study("fake", RECIPE, out_dir=out, seeds=1, progress=False)
    assert sorted(p.name for p in (out / "points").iterdir()) == ["p0-seed0.json", "p1-seed0.json"]
    monkeypatch.delenv(FAIL_ENV)
    fake_study.write_text("")
    run_study("fake", RECIPE, out_dir=out, seeds=1, progress=False)
    assert _calls(fake_study) == ["p2-seed0"]


def test_points_run_in_parallel_worker_processes(fake_study, tmp_path, monkeypatch):
    out = tmp_path / "study"
    run_study("fake", RECIPE, out_dir=out, seeds=1, workers=2, progress=False)
    assert sorted(_calls(fake_study)) == ["p0-seed0", "p1-seed0", "p2-seed0"]
    record = json.loads((out / "points" / "p2-seed0.json").read_text())
    assert record["metrics"] == {"score": 20.0} and record["params"] == {"x": 2}


def test_a_folder_of_another_study_or_overrides_is_refused(fake_study, tmp_path):
    out = tmp_path / "study"
    run_study("fake", RECIPE, out_dir=out, seeds=1, progress=False)
    with pytest.raises(ConfigError, match="--out"):
        run_study("fake", RECIPE, ["seed=3"], out_dir=out, seeds=1, progress=False)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"workers": 0}, "--workers"), ({"seeds": 0}, "--seeds")],
)
def test_bad_runner_options_name_the_fix(tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        run_study("paired", RECIPE, out_dir=tmp_path, progress=False, **kwargs)


def test_unknown_study_lists_the_known_ones():
    with pytest.raises(ConfigError, match="paired, tradeoff, discrete, mismatch"):
        runner.get_study("nosuch")


def test_mean_std_ignores_missing_and_non_finite_values():
    mean, std = mean_std([1.0, 3.0, None, math.nan])
    assert mean == 2.0 and std == pytest.approx(math.sqrt(2.0))
    assert mean_std([5.0]) == (5.0, 0.0)
    assert all(math.isnan(v) for v in mean_std([]))


def _record(method: str, seed: int, fid: float, oracle: float) -> dict:
    return {
        "key": method,
        "params": {"method": method},
        "seed": seed,
        "task": "image",
        "metrics": {"fid": fid, "oracle_fid": oracle},
    }


def test_gap_closed_is_measured_per_seed_against_that_seeds_cascaded_run():
    records = [
        _record("cascaded", 0, 10.0, 2.0),
        _record("cascaded", 1, 6.0, 2.0),
        _record("finetune_predicted", 0, 6.0, 3.0),  # closes 4 of 8
        _record("finetune_predicted", 1, 5.0, 3.0),  # closes 1 of 4
        _record("noise_augmented", 0, 12.0, 2.0),  # widens the gap
    ]
    closed = gap_closed(records, backend_for("image").MEASURES)
    assert closed["finetune_predicted"]["seeds"] == {0: 0.5, 1: 0.25}
    assert closed["finetune_predicted"]["mean"] == pytest.approx(0.375)
    assert closed["noise_augmented"]["mean"] == pytest.approx(-0.25)
    assert math.isnan(closed["joint"]["mean"])


def test_gap_closed_follows_the_tasks_headline_and_its_direction():
    """A task whose headline is higher-is-better (here a made-up adherence) closes the gap
    by raising it; the study reads the metric names from the backend's MEASURES, not fid."""
    from regen.studies.measures import Measures, Metric

    measures = Measures(
        headline=Metric("adherence", "adherence", "higher"),
        oracle="oracle_adherence",
        reconstruction=Metric("psnr", "PSNR", "higher"),
    )

    def record(method: str, value: float) -> dict:
        metrics = {"adherence": value, "oracle_adherence": 0.9}
        return {"key": method, "params": {"method": method}, "seed": 0, "metrics": metrics}

    records = [record("cascaded", 0.5), record("finetune_predicted", 0.6), record("joint", 0.4)]
    closed = gap_closed(records, measures)
    assert closed["finetune_predicted"]["mean"] == pytest.approx(0.25)  # 0.1 of a 0.4 gap
    assert closed["joint"]["mean"] == pytest.approx(-0.25)


def test_tradeoff_axes_set_the_swept_key_and_refuse_recipes_they_cannot_vary():
    from regen.config import load_recipe
    from regen.studies import tradeoff

    vq = load_recipe("image/digits_vq_ar")
    codebook = tradeoff.points(vq, "codebook")
    assert [p.overrides for p in codebook] == [
        (f"representation.codebook_size={k}",) for k in tradeoff.CODEBOOK_SIZES
    ]
    rvq = load_recipe("image/digits_vq_ar", ["representation.kind=rvq"])
    levels = tradeoff.points(rvq, "levels")
    assert [p.params["num_quantizers"] for p in levels] == list(tradeoff.LEVELS)
    # an autoregressive generator's depth is its transformer's: the factor axis leaves it
    assert all(len(p.overrides) == 1 for p in tradeoff.points(vq, "factor"))
    vae = load_recipe(RECIPE)
    with pytest.raises(ConfigError, match="digits_vq_ar"):
        tradeoff.points(vae, "codebook")
    with pytest.raises(ConfigError, match="representation.kind=rvq"):
        tradeoff.points(vq, "levels")


def test_a_folder_of_another_axis_is_refused_and_an_axisless_one_is_the_default(tmp_path):
    identity = {"study": "tradeoff", "recipe": "r.yaml", "overrides": []}
    (tmp_path / "study.json").write_text(json.dumps(identity))  # written before the axes
    runner._claim(tmp_path, identity | {"axis": "factor"}, "factor")
    with pytest.raises(ConfigError, match=r"axis factor.*--out"):
        runner._claim(tmp_path, identity | {"axis": "codebook"}, "factor")
    with pytest.raises(ConfigError, match="unknown axis 'size'"):
        runner._check_axis(runner.get_study("tradeoff"), "size")
    assert runner._check_axis(runner.get_study("tradeoff"), None) == "factor"
    assert runner._check_axis(runner.get_study("paired"), None) is None
