"""The TTS trainer's own writes (config, calibrated latent, pipeline.json) happen on rank 0 only.

The loop's own writes are tested under a real torchrun in tests/e2e/test_torchrun_writes.py
(slow); here the loop is replaced by one that trains nothing and, like the real one, writes a
stage checkpoint on rank 0 only, so a fake rank 1 needs no process group and the test takes
seconds.
"""

from __future__ import annotations

import pytest
from safetensors.torch import load_file

from regen.config import load_recipe
from regen.data.speech import load_speech_corpus
from regen.tasks.tts import train as tts_train
from regen.training import checkpoint as ckpt
from regen.training import distributed, run_stages
from regen.training.loop import StageResult
from tests.tiny_tts import TINY_TTS


def loop_without_files(calls: list[str]):
    def train_stage(name, model, data, cfg, out_dir, **options) -> StageResult:
        calls.append(name)
        model.eval()
        if distributed.current().is_main:
            ckpt.write_stage(out_dir, model_state=model.state_dict(), config_yaml="")
        return StageResult(name, cfg.steps, cfg.steps * cfg.batch_size, 0.0)

    return train_stage


@pytest.mark.parametrize(
    "recipe, stages",
    [
        ("tts/vae_latent", ["representation", "generator", "renderer"]),
        ("tts/fastspeech_griffin_lim", ["generator"]),
    ],
)
def test_tts_trainer_writes_nothing_on_a_worker_rank(monkeypatch, tmp_path, recipe, stages):
    config = load_recipe(recipe, TINY_TTS)
    corpus = load_speech_corpus(config.data, "train")
    calls: list[str] = []
    monkeypatch.setattr(run_stages, "train_stage", loop_without_files(calls))
    monkeypatch.setattr(distributed, "current", lambda: distributed.DistInfo(1, 2))
    run = tmp_path / "run"
    tts_train.train_tts(config, run, progress=False, data=corpus)
    assert calls == stages  # the whole plan ran, calibration included for the VAE
    assert not run.exists()

    # the same plan on rank 0 writes the run folder, the calibrated latent scale included
    monkeypatch.setattr(distributed, "current", lambda: distributed.DistInfo())
    pipeline, _ = tts_train.train_tts(config, run, progress=False, data=corpus)
    assert {"config.yaml", "pipeline.json"} <= {p.name for p in run.iterdir()}
    if "representation" in stages:
        saved = load_file(str(run / "representation" / ckpt.MODEL_FILE))
        assert saved["scale"].equal(pipeline.representation.scale)
        assert not saved["scale"].eq(1).all()  # calibrated, not the initial scale
