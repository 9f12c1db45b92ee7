from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from regen.config import TrainConfig
from regen.errors import CheckpointError, TrainingDivergedError
from regen.training import checkpoint as ckpt
from regen.training.logger import read_log
from regen.training.loop import log_path, train_stage
from regen.training.schedule import warmup_cosine
from tests.unit.toy_models import NoisyRegressor, ToyRegressor, killed_after, toy_data

CFG = dict(steps=40, batch_size=16, lr=1e-2, warmup_steps=5, log_every=1, checkpoint_every=10)


def _weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_loss_decreases_and_checkpoint_has_expected_files(tmp_path):
    torch.manual_seed(0)
    model = ToyRegressor()
    result = train_stage(
        "toy",
        model,
        toy_data(),
        TrainConfig(**CFG),
        tmp_path / "toy",
        config_yaml="a: 1\n",
        progress=False,
    )
    assert result.curve[-1][1] < 0.5 * result.curve[0][1]
    files = sorted(p.name for p in (tmp_path / "toy").iterdir())
    assert files == ["config.yaml", "model.safetensors", "trainer.json", "trainer.safetensors"]
    assert (tmp_path / "toy" / "config.yaml").read_text() == "a: 1\n"
    assert len(read_log(log_path(tmp_path / "toy"))) == 40


def test_resume_after_interrupt_matches_uninterrupted(tmp_path, monkeypatch):
    """Kill at step 25 (checkpoint at 20), resume: losses equal the uninterrupted run."""
    torch.manual_seed(0)
    model = NoisyRegressor()
    init = _weights(model)
    train_stage("toy", model, toy_data(), TrainConfig(**CFG), tmp_path / "a", progress=False)
    reference = [r["loss"] for r in read_log(log_path(tmp_path / "a"))]

    interrupted = NoisyRegressor()
    interrupted.load_state_dict(init)
    torch.manual_seed(0)
    with killed_after(monkeypatch, NoisyRegressor, 25):
        train_stage(
            "toy", interrupted, toy_data(), TrainConfig(**CFG), tmp_path / "b", progress=False
        )
    assert ckpt.load_trainer_state(tmp_path / "b").step == 20
    resumed = NoisyRegressor()
    train_stage(
        "toy", resumed, toy_data(), TrainConfig(**CFG), tmp_path / "b", resume=True, progress=False
    )
    losses = [r["loss"] for r in read_log(log_path(tmp_path / "b"))]
    assert losses == reference
    for key, value in model.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key])


def test_nan_stops_with_message_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    model = ToyRegressor()
    original = ToyRegressor.training_loss
    calls = {"n": 0}

    def exploding(self, batch):
        calls["n"] += 1
        loss, logs = original(self, batch)
        return (loss * float("nan") if calls["n"] == 15 else loss), logs

    monkeypatch.setattr(ToyRegressor, "training_loss", exploding)
    # the fix names this stage's own keys, not a literal "{name}"
    with pytest.raises(TrainingDivergedError, match="step 15.*step 10.*train.toy.grad_clip"):
        train_stage("toy", model, toy_data(), TrainConfig(**CFG), tmp_path / "t", progress=False)
    assert ckpt.load_trainer_state(tmp_path / "t").step == 10


def test_truncated_or_mismatched_checkpoint_gives_one_line_error(tmp_path):
    model = ToyRegressor()
    train_stage(
        "toy",
        model,
        toy_data(),
        TrainConfig(**{**CFG, "steps": 10}),
        tmp_path / "t",
        progress=False,
    )
    with pytest.raises(CheckpointError, match="shape"):
        ckpt.load_weights(ToyRegressor(dim=4), tmp_path / "t")
    path = tmp_path / "t" / "model.safetensors"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="corrupted or truncated") as info:
        ckpt.load_weights(ToyRegressor(), tmp_path / "t")
    assert "\n" not in str(info.value)


def test_interrupted_swap_is_recovered(tmp_path):
    folder = tmp_path / "stage"
    ckpt.write_stage(folder, model_state={"w": torch.ones(2)}, config_yaml="")
    folder.rename(folder.with_name("stage.old"))  # killed between the two renames
    assert ckpt.has_checkpoint(folder)


def test_warmup_cosine_shape():
    assert warmup_cosine(0, 10, 100) == pytest.approx(0.1)
    assert warmup_cosine(9, 10, 100) == pytest.approx(1.0)
    assert warmup_cosine(100, 10, 100) == pytest.approx(0.1)


DDP_SCRIPT = """
import sys, torch
from regen.config import TrainConfig
from regen.training import distributed
from regen.training.loop import train_stage
from safetensors.torch import save_file
sys.path.insert(0, {root!r})
from tests.unit.toy_models import {model}, toy_data
info = distributed.init_distributed()
torch.manual_seed(0)
model = {model}()
cfg = TrainConfig(steps=30, batch_size=16, lr=1e-2, warmup_steps=5, ema_decay=0.0, log_every=10)
train_stage("toy", model, toy_data(), cfg, None, progress=False)
if info.is_main:
    state = dict(model.state_dict())
    if hasattr(model, "adversary"):
        state.update({{"d." + k: v for k, v in model.adversary.discriminator.state_dict().items()}})
    save_file({{k: v.contiguous() for k, v in state.items()}}, {out!r})
distributed.shutdown()
"""


def _run(nproc: int, tmp_path: Path, model: str = "ToyRegressor") -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    root = str(Path(__file__).resolve().parents[2])
    out = str(tmp_path / f"w{nproc}.safetensors")
    script = tmp_path / f"ddp{nproc}.py"
    script.write_text(DDP_SCRIPT.format(root=root, out=out, model=model))
    env = {**os.environ, "PYTHONPATH": root, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        f"--nproc_per_node={nproc}",
        "--rdzv-backend=c10d",
        "--rdzv-endpoint=localhost:0",
        str(script),
    ]
    subprocess.run(cmd, check=True, env=env, cwd=root, capture_output=True, timeout=240)
    return load_file(out)


# the discriminator case launches torchrun twice more (about 20 s here): slow run only
@pytest.mark.parametrize("model", ["ToyRegressor", pytest.param("ToyGAN", marks=pytest.mark.slow)])
def test_two_processes_match_one(tmp_path, model):
    """Also with a discriminator: its own DDP wrapper averages its gradients across ranks."""
    one = _run(1, tmp_path, model)
    two = _run(2, tmp_path, model)
    assert any(key.startswith("d.") for key in one) == (model == "ToyGAN")
    for key in one:
        torch.testing.assert_close(one[key], two[key], rtol=1e-4, atol=1e-5)
