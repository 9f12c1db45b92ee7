"""Every TTS recipe on a tiny config: train, save, load, synthesize; compare writes a report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from regen.compare.harness import run_compare as run_tts_compare
from regen.config import load_recipe
from regen.data.speech_engines import unavailable
from regen.report.browser import find_chromium, render_in_chromium
from regen.runs import load_run
from regen.tasks.tts.pipeline import SynthesisTimes, synthesize
from regen.tasks.tts.train import train_tts
from tests.tiny_tts import TINY_TTS

RECIPES = sorted(p.stem for p in (Path(__file__).parents[2] / "recipes" / "tts").glob("*.yaml"))


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tts-compare")
    run_tts_compare("tts/fastspeech_vocos", PRETRAINED, out_dir=out, progress=False)
    return out


# the vocoder from the asset cache, trained longer than the generator: the two views differ
PRETRAINED = [
    *TINY_TTS,
    "pretrained_renderer=true",
    "train.renderer.steps=12",
    "compare.budget=samples",
]


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_trains_saves_loads_and_speaks(name: str, tmp_path: Path) -> None:
    config = load_recipe(f"tts/{name}", TINY_TTS)
    missing = unavailable([*config.data.voices, config.data.heldout_voice])
    if missing:  # the multi-engine recipes need flite and festival
        pytest.skip(missing)
    pipeline, results = train_tts(config, tmp_path, progress=False)
    learned = {"generator", "renderer"} if config.renderer.kind == "vocoder" else {"generator"}
    if config.is_learned:
        learned.add("representation")
    assert {r.name for r in results} == learned
    assert all(r.steps == 6 and r.curve for r in results)
    loaded, loaded_config = load_run(tmp_path, task="tts")
    assert loaded_config == config
    times = SynthesisTimes()
    wav = synthesize(loaded, "Good morning. It is 7 o'clock!", config.data.voices[1], times)
    assert wav.dtype == np.float32 and wav.ndim == 1 and len(wav) > 0
    assert times.sentences == ["Good morning.", "It is seven o'clock!"]
    assert times.audio > 0 and times.compute > 0
    # the loaded pipeline is the trained one: same output for the same input
    again = synthesize(pipeline, "Good morning. It is 7 o'clock!", config.data.voices[1])
    assert np.allclose(wav, again, atol=1e-5)


def test_resume_does_not_retrain_a_finished_stage(tmp_path: Path) -> None:
    config = load_recipe("tts/fastspeech_griffin_lim", TINY_TTS)
    train_tts(config, tmp_path, progress=False)
    weights = (tmp_path / "generator" / "model.safetensors").read_bytes()
    _, results = train_tts(config, tmp_path, resume=True, progress=False)
    assert (tmp_path / "generator" / "model.safetensors").read_bytes() == weights
    assert results[0].curve  # the curve is read back from the log


def test_compare_trains_both_on_one_budget_and_reports(compare_dir: Path) -> None:
    results = json.loads((compare_dir / "results.json").read_text())
    metrics = results["metrics"]
    assert set(metrics) >= {"ground truth", "griffin-lim resynthesis", "vocoder resynthesis"}
    assert metrics["ground truth"]["mcd_db"] == 0.0
    for name in ("regen", "direct"):
        assert metrics[name]["mcd_db"] > 0 and metrics[name]["realtime_speedup"] > 0
        assert np.isfinite(metrics[name]["duration_mae_ms"])
    budget = json.loads((compare_dir / "budget.json").read_text())
    steps = {p["label"]: p["stages"][0]["steps"] for p in results["pipelines"]}
    assert steps["direct"] == budget["equal_paired"]["direct_generator_steps"] == 6
    assert steps["direct_total"] == budget["equal_total"]["direct_generator_steps"] == 6 + 12
    views = results["views"]
    assert views["equal_paired"]["direct"] == "direct"
    assert views["equal_total"]["direct"] == "direct_total"
    vocoder = views["equal_paired"]["shared_stages"][0]
    assert vocoder["stage"] == "renderer" and vocoder["steps"] == 12
    assert set(vocoder["quality_from_true"]) == set(vocoder["floor"]) >= {"mcd_db"}
    regen_stages = results["pipelines"][0]["stages"]
    assert [s["shared"] for s in regen_stages] == [False, True]  # generator, pretrained vocoder
    assert set(results["mismatch_gap_db"]) == {"vocoder", "griffin-lim"}
    assert "recognizer" in results["intelligibility"]  # a WER, or why it is missing


@pytest.mark.skipif(find_chromium() is None, reason="chromium not installed")
def test_tts_report_plays_in_chromium(compare_dir: Path, tmp_path: Path) -> None:
    dom = render_in_chromium(compare_dir / "report.html", screenshot=tmp_path / "shot.png")
    players = re.findall(r'<audio [^>]*src="data:audio/wav;base64,', dom)
    columns = ["ground truth", "griffin-lim", "vocoder resynthesis", "regen", "direct"]
    assert len(players) == 2 * (len(columns) + 1)  # two sentences; + regen with griffin-lim
    total = int(re.search(r'data-images-total="(\d+)"', dom).group(1))
    # curves of regen, direct and direct_total + mel images of two sentences
    assert total == 3 + 2 and f'data-images-loaded="{total}"' in dom
    views = re.search(r'<section id="views">.*?</section>', dom, re.S).group(0)
    assert "equal paired" in views and "equal total" in views and "Shared infrastructure" in views
    assert re.search(r"<td>mcd_db</td>(.*?<td>(regen|direct)</td>){2}", views, re.S)
    assert re.search(r'<table class="metrics">.*mcd_db.*realtime_speedup', dom, re.S)
    assert "Mismatch" in dom


def test_resume_keeps_a_calibrated_learned_representation(tmp_path: Path) -> None:
    config = load_recipe("tts/vae_latent", TINY_TTS)
    pipeline, _ = train_tts(config, tmp_path, progress=False)
    weights = (tmp_path / "representation" / "model.safetensors").read_bytes()
    resumed, results = train_tts(config, tmp_path, resume=True, progress=False)
    assert (tmp_path / "representation" / "model.safetensors").read_bytes() == weights
    assert results[0].name == "representation" and results[0].curve
    assert float(pipeline.representation.scale.min()) != 1.0  # calibrated, not the identity
    assert pipeline.representation.scale.equal(resumed.representation.scale)
