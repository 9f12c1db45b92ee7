"""The asr recipe with the lexicon + n-gram renderer on a tiny config: train, save, load
from the run folder (safetensors only) and transcribe; its renderer reproduces from a load."""

from __future__ import annotations

import json
import re

import pytest

from regen.cli import main
from regen.config import load_recipe
from regen.data.speech import load_speech_corpus
from regen.runs import load_run
from regen.tasks.asr import recognize as asr
from regen.tasks.asr.evaluate import render_true
from regen.tasks.asr.train import train_asr
from tests.asr_tiny import TINY_ASR, one_thread  # noqa: F401  (autouse fixture)

LEXICON = [*TINY_ASR, "renderer.kind=lexicon_lm", "text.lexicon_words=40"]


def test_lexicon_renderer_trains_saves_loads_and_transcribes(tmp_path) -> None:
    out = tmp_path / "run"
    config = load_recipe("asr/phonemes", [*LEXICON, "renderer.fallback=nearest"])
    pipeline, results = train_asr(config, out, progress=False)
    assert [r.name for r in results] == ["generator", "renderer"] and results[1].steps == 0
    files = {p.name for p in (out / "renderer").iterdir()}
    assert files == {"model.safetensors", "config.yaml"}  # no pickle, no trainer state
    meta = json.loads((out / "pipeline.json").read_text())
    assert meta["text_sources"]["fortunes"] > 0 and meta["text_sources"]["lexicon_words"] == 40
    test = load_speech_corpus(config.data, "test")
    loaded, _ = load_run(out, task="asr")
    texts = test.texts[:3]
    before = render_true(pipeline.representation, pipeline.renderer, texts)
    assert render_true(loaded.representation, loaded.renderer, texts) == before
    assert re.match(r"^[a-z' ]*$", asr.transcribe(test.wavs[0], run_dir=out))


def test_neural_fallback_trains_through_the_cli(tmp_path) -> None:
    out = tmp_path / "neural"
    assert main(["train", "asr/phonemes", *LEXICON, "--out", str(out)]) == 0
    assert (out / "renderer" / "trainer.safetensors").is_file()  # the word model's state
    loaded, config = load_run(out, task="asr")
    assert config.renderer.kind == "lexicon_lm" and loaded.renderer.words is not None


def test_the_asset_quality_is_the_compare_cer_from_true_phonemes(tmp_path, monkeypatch) -> None:
    """The renderer asset's CER from the true phonemes is measured on the transcripts the
    compare scores (normalized), so the two figures agree."""
    from regen.compare.harness import run_compare

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    overrides = [*TINY_ASR, "pretrained_renderer=true", "renderer.fallback=nearest"]
    run_compare("asr/phonemes", overrides, out_dir=tmp_path / "compare", progress=False)
    results = json.loads((tmp_path / "compare" / "results.json").read_text())
    regen = next(p for p in results["pipelines"] if p["label"] == "regen")
    asset = results["views"]["equal_paired"]["shared_stages"][0]
    assert asset["quality_from_true"]["cer"] == pytest.approx(
        regen["metrics"]["cer_true_phonemes"], abs=1e-9
    )
