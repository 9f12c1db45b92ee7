"""``regen study paired asr/phonemes`` on the tiny config: both pipelines at both fractions,
one renderer trained once and shared by every regen point, the report in Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from regen.cli import main
from regen.report.browser import find_chromium, render_in_chromium
from regen.studies import runner
from regen.tasks.asr import study as asr_study
from regen.tasks.asr import train as asr_train
from regen.training import renderer_assets as assets
from tests.asr_tiny import TINY_ASR, one_thread  # noqa: F401  (autouse fixture)

FRACTIONS = (0.5, 1.0)
ASR_METRICS = {"cer", "wer", "cer_speaker", "wer_speaker", "realtime_speedup", "train_seconds"}


@pytest.fixture(scope="module")
def studied(tmp_path_factory) -> tuple[Path, Path, list[object]]:
    """The study run once through the CLI; the renderer cache in its own folder, and every
    renderer training recorded."""
    root = tmp_path_factory.mktemp("asr-study")
    trained = []

    def counted(name, *args, **kwargs):
        trained.append(name)
        return train_stage(name, *args, **kwargs)

    train_stage = asr_train.train_stage
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # module fixtures start before the autouse one_thread
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))  # the renderer asset cache
        patch.setattr(asr_train, "train_stage", counted)  # every ASR stage trains through it
        fractions = f"eval.fractions=[{', '.join(map(str, FRACTIONS))}]"
        argv = ["study", "paired", "asr/phonemes", *TINY_ASR, fractions, "--seeds", "1"]
        try:
            assert main([*argv, "--out", str(root / "study")]) == 0
        finally:
            torch.set_num_threads(threads)
    return root / "study", root / "cache" / "regen" / assets.ASSETS / "asr", trained


def test_both_pipelines_are_scored_at_both_fractions(studied) -> None:
    out, _, _ = studied
    results = json.loads((out / "results.json").read_text())
    points = {
        (p["params"]["paired_fraction"], p["params"]["pipeline"]): p for p in results["points"]
    }
    assert set(points) == {(f, p) for f in FRACTIONS for p in ("regen", "direct")}
    paired = {}
    for (fraction, pipeline), point in points.items():
        assert point["task"] == "asr" and ASR_METRICS <= set(point["metrics"])
        regen_only = {"per", "per_speaker", "cer_true_phonemes"}
        assert (regen_only <= set(point["metrics"])) == (pipeline == "regen")
        saved = json.loads((out / "runs" / f"{point['key']}-seed0" / "pipeline.json").read_text())
        paired[(fraction, pipeline)] = saved["paired_utterances"]
    assert paired[(0.5, "regen")] == paired[(0.5, "direct")] < paired[(1.0, "regen")]
    # the recipe's budget rule is seconds: planned here as equal samples, renderer included
    samples = {key: point["metrics"]["samples_seen"] for key, point in points.items()}
    assert all(samples[(f, "direct")] >= samples[(f, "regen")] > 0 for f in FRACTIONS)
    summary = results["summary"]
    assert summary["headline"] == {"metric": "cer", "better": "lower"}
    assert set(summary["direct_over_regen_cer"]) == {"0.5", "1"}


def test_the_renderer_was_trained_once_and_every_regen_point_uses_it(studied) -> None:
    out, cache, trained = studied
    assert trained.count("renderer") == 1 and trained.count("generator") == 2 * len(FRACTIONS)
    (folder,) = cache.iterdir()
    shared = json.loads((folder / assets.ASSET_FILE).read_text())["result"]
    weights = (folder / "renderer" / "model.safetensors").read_bytes()
    for fraction in FRACTIONS:
        run = out / "runs" / f"fraction{fraction:g}-regen-seed0"
        assert (run / "renderer" / "model.safetensors").read_bytes() == weights
        stages = {s["name"]: s for s in json.loads((run / "pipeline.json").read_text())["stages"]}
        assert stages["renderer"]["seconds"] == shared["seconds"]  # counted in its budget
    for fraction in FRACTIONS:
        assert not (out / "runs" / f"fraction{fraction:g}-direct-seed0" / "renderer").exists()


def test_a_second_run_recomputes_nothing(studied, monkeypatch) -> None:
    out, _, _ = studied

    def must_not_run(*args, **kwargs):
        raise AssertionError("a finished point was computed again")

    monkeypatch.setattr(runner, "run_one", must_not_run)
    monkeypatch.setattr(asr_study, "shared_renderer", must_not_run)  # nor the renderer
    fractions = f"eval.fractions=[{', '.join(map(str, FRACTIONS))}]"
    argv = ["study", "paired", "asr/phonemes", *TINY_ASR, fractions, "--seeds", "1"]
    assert main([*argv, "--out", str(out)]) == 0


def test_study_report_renders_in_chromium(studied, tmp_path) -> None:
    if find_chromium() is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    out, _, _ = studied
    dom = render_in_chromium(out / "report.html", screenshot=tmp_path / "shot.png")
    total = re.search(r'data-images-total="(\d+)"', dom)
    assert total and int(total.group(1)) >= 2  # the CER curves (two held-out splits)
    assert f'data-images-loaded="{total.group(1)}"' in dom
    assert "cer against paired fraction" in dom and "cer_speaker against paired fraction" in dom
    table = re.search(r'<table class="study">(.*?)</table>', dom, re.S)
    assert table and "± " in table.group(1) and "(n=1)" in table.group(1)
