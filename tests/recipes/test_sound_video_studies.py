"""The tradeoff and discrete studies on the sound and video tasks, end to end on tiny configs:
each point trains with its own setting, the summary reads the task's own metrics, and a
study, axis or recipe a task cannot serve is a one-line error before any folder is made."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from regen.cli import main
from regen.config import load_recipe
from regen.errors import ConfigError
from regen.studies import tradeoff
from regen.studies.runner import run_study
from regen.training.checkpoint import CONFIG_FILE
from tests.tiny_sound import TINY_SOUND
from tests.video_tiny import TINY_VIDEO

SOUND = "sound/codec_tokens"
VIDEO = "video/latent_tokens"


def _results(out) -> dict:
    return json.loads((out / "results.json").read_text())


def _saved(out, key: str) -> dict:
    return yaml.safe_load((out / "runs" / f"{key}-seed0" / CONFIG_FILE).read_text())


def test_sound_tradeoff_sweeps_the_codec_levels_by_default(tmp_path, monkeypatch):
    monkeypatch.setattr(tradeoff, "LEVELS", (1, 2))  # 2 points, not 3
    out = tmp_path / "levels"
    report = run_study("tradeoff", SOUND, TINY_SOUND, out_dir=out, seeds=1, progress=False)
    results = _results(out)
    assert [p["params"]["num_quantizers"] for p in results["points"]] == [1, 2]
    assert json.loads((out / "study.json").read_text())["axis"] == "levels"
    for point in results["points"]:
        assert (
            _saved(out, point["key"])["representation"]["num_quantizers"]
            == (point["params"]["num_quantizers"])
        )
        metrics = point["metrics"]
        for name in ("local_fad", "oracle_local_fad", "mel_l1_reconstruction", "adherence"):
            assert math.isfinite(metrics[name]), name
        assert 0 < metrics["codebook_usage"] <= 1 and metrics["codebook_perplexity"] >= 1
        assert metrics["generator_loss_over_uniform"] == pytest.approx(
            metrics["generator_heldout_loss"] / math.log(16)  # TINY_SOUND: 16 codes
        )
    summary = results["summary"]
    assert summary["axis"] == "levels" and summary["best_num_quantizers"] in (1, 2)
    best = min(results["points"], key=lambda p: p["metrics"]["local_fad"])  # lower is better
    assert summary["best_num_quantizers"] == best["params"]["num_quantizers"]
    html = report.read_text()
    assert html.count("data:image/png;base64") >= 4 and "local FAD" in html


def test_sound_discrete_sets_codec_tokens_against_a_continuous_mel_vae(tmp_path):
    out = tmp_path / "discrete"
    run_study("discrete", SOUND, TINY_SOUND, out_dir=out, seeds=1, progress=False)
    results = _results(out)
    points = {p["params"]["y_prime"]: p for p in results["points"]}
    assert set(points) == {"continuous", "discrete"}
    for point in points.values():
        assert math.isfinite(point["metrics"]["local_fad"])
        assert math.isfinite(point["metrics"]["oracle_local_fad"])
    # the same learned stages, steps and batch sizes: the same budget in training samples
    # (the recipe renders by Griffin-Lim, which trains nothing, so there is no renderer stage)
    stages = {
        name: {p.name for p in (out / "runs" / f"{name}-seed0").iterdir() if p.is_dir()}
        for name in ("continuous", "discrete")
    }
    assert stages["continuous"] == stages["discrete"]
    assert {"representation", "generator"} <= stages["discrete"], stages
    assert "codebook_usage" not in points["continuous"]["metrics"]  # no codes to count
    ratio = (
        points["continuous"]["metrics"]["local_fad"] / points["discrete"]["metrics"]["local_fad"]
    )
    assert results["summary"]["continuous_over_discrete_local_fad"] == pytest.approx(ratio)


@pytest.mark.parametrize(
    "axis, values, key",
    [("factor", (4, 8), "space_factor"), ("time_factor", (2, 4), "time_factor")],
)
def test_video_tradeoff_sweeps_space_and_time_downsampling(
    axis, values, key, tmp_path, monkeypatch
):
    monkeypatch.setattr("regen.tasks.video.study.SPACE_FACTORS", (4, 8))  # 2 points each
    monkeypatch.setattr(tradeoff, "TIME_FACTORS", (2, 4))
    out = tmp_path / axis
    report = run_study(
        "tradeoff", VIDEO, TINY_VIDEO, out_dir=out, seeds=1, progress=False, axis=axis
    )
    results = _results(out)
    assert [p["params"][axis] for p in results["points"]] == list(values)
    for point in results["points"]:
        assert _saved(out, point["key"])["representation"][key] == point["params"][axis]
        metrics = point["metrics"]
        for name in ("local_fvd", "local_fvd_reconstruction", "psnr_reconstruction"):
            assert math.isfinite(metrics[name]), name
        assert metrics["generator_loss_over_uniform"] > 0
    assert results["summary"]["axis"] == axis and results["summary"][f"best_{axis}"] in values
    assert "local FVD" in report.read_text()


def test_sound_points_set_the_codec_levels_and_codebook():
    config = load_recipe(SOUND)
    levels = tradeoff.points(config, "levels")
    assert [p.params["num_quantizers"] for p in levels] == [1, 2, 4]
    assert [p.overrides for p in levels] == [
        (f"representation.num_quantizers={q}",) for q in (1, 2, 4)
    ]
    codebook = tradeoff.points(config, "codebook")
    assert [p.overrides for p in codebook] == [
        (f"representation.codebook_size={k}",) for k in tradeoff.CODEBOOK_SIZES
    ]


def test_video_points_keep_only_factors_the_vq_vae_can_build():
    config = load_recipe(VIDEO)  # 16 frames of 32x32, time_factor 4, space_factor 4
    space = tradeoff.points(config, "factor")
    assert [p.params["factor"] for p in space] == [4, 8, 16]  # 2 would downsample time more
    assert [p.params["tokens"] for p in space] == [4 * 8 * 8, 4 * 4 * 4, 4 * 2 * 2]
    assert [p.overrides for p in space] == [
        (f"representation.space_factor={s}",) for s in (4, 8, 16)
    ]
    time = tradeoff.points(config, "time_factor")
    assert [p.params["time_factor"] for p in time] == [1, 2, 4]  # 8 exceeds space_factor 4
    assert [p.params["tokens"] for p in time] == [16 * 64, 8 * 64, 4 * 64]
    assert [p.overrides for p in time] == [(f"representation.time_factor={t}",) for t in (1, 2, 4)]
    cramped = load_recipe(VIDEO, ["representation.space_factor=1", "representation.time_factor=1"])
    with pytest.raises(ConfigError, match="1 value"):
        tradeoff.points(cramped, "time_factor")  # no time downsampling beyond no space one


@pytest.mark.parametrize(
    "argv, message",
    [
        (["tradeoff", SOUND, "--axis", "factor"], "--axis factor does not fit task 'sound'"),
        (["tradeoff", VIDEO, "--axis", "levels"], "--axis levels does not fit task 'video'"),
        (["discrete", VIDEO], "study discrete does not run on task 'video'"),
        (["mismatch", SOUND], "study mismatch does not run on task 'sound'"),
        (["paired", SOUND], "study paired does not run on task 'sound'"),
    ],
)
def test_a_study_or_axis_a_task_cannot_serve_is_a_one_line_error(argv, message, capsys, tmp_path):
    out = tmp_path / "study"
    assert main(["study", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
    assert not out.exists()  # refused before any folder is claimed


def test_the_video_backend_refuses_a_recipe_without_3d_tokens():
    from regen.tasks.video.study import tradeoff_points

    pixels = load_recipe("video/direct")
    with pytest.raises(ConfigError, match="vq3d"):
        tradeoff_points(pixels, "factor")
