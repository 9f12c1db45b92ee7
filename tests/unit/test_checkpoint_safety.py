"""What a checkpoint promises when training goes wrong (issue 15, cases 1, 3 and 4).

A saved checkpoint is always resumable (finite weights and optimizer state); divergence names
the newest checkpoint that exists; a failed write (disk full, read-only) is one line, removes
its partial folder and leaves the previous checkpoint intact; temporaries are per process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import SafetensorError

from regen.config import TrainConfig
from regen.errors import CheckpointError, TrainingDivergedError
from regen.training import checkpoint as ckpt
from regen.training.logger import read_log
from regen.training.loop import log_path, train_stage, warmup_cosine
from tests.unit.toy_models import ToyRegressor, toy_data

BASE = dict(batch_size=16, lr=1e-2, warmup_steps=1, log_every=1, ema_decay=0.0)


def _nan_gradient_at(step: int, monkeypatch) -> None:
    """At ``step`` the loss stays finite but its gradient is NaN, so the optimizer step makes
    the weights NaN and only the next step's loss shows it (the issue's lr=1000 run)."""
    original, calls = ToyRegressor.training_loss, {"n": 0}

    def poisoned(self, batch):
        calls["n"] += 1
        loss, logs = original(self, batch)
        if calls["n"] == step:  # d sqrt(u)/du at u = 0 is inf, times 0: NaN, value 0
            loss = loss + (self.net[0].weight.sum() * 0.0).sqrt()
        return loss, logs

    monkeypatch.setattr(ToyRegressor, "training_loss", poisoned)


def _all_finite(folder: Path) -> bool:
    tensors = {
        **ckpt.read_tensors(folder / ckpt.MODEL_FILE),
        **ckpt.read_tensors(folder / ckpt.TRAINER_FILE),
    }
    return all(torch.isfinite(v).all() for v in tensors.values() if v.is_floating_point())


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp" in p.name or ".old" in p.name)


@pytest.mark.parametrize("ema_decay", [0.0, 0.9])
def test_weights_made_nan_by_a_step_are_not_saved(tmp_path, monkeypatch, ema_decay):
    """checkpoint_every=2, NaN weights after step 4: the step-4 save is refused, the error
    names the step-2 checkpoint, which is finite, and resuming from it works."""
    folder = tmp_path / "toy"
    cfg = TrainConfig(steps=8, checkpoint_every=2, **{**BASE, "ema_decay": ema_decay})
    _nan_gradient_at(4, monkeypatch)
    with pytest.raises(TrainingDivergedError) as info:
        train_stage("toy", ToyRegressor(), toy_data(), cfg, folder, progress=False)
    message = str(info.value)
    assert "\n" not in message and "by step 4" in message
    assert f"last good checkpoint (step 2) is kept in {folder}" in message
    assert ckpt.load_trainer_state(folder).step == 2 and _all_finite(folder)
    monkeypatch.undo()
    model = ToyRegressor()
    train_stage("toy", model, toy_data(), cfg, folder, resume=True, progress=False)
    assert ckpt.load_trainer_state(folder).step == 8 and _all_finite(folder)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_nan_weights_at_the_first_save_leave_no_checkpoint_and_say_so(tmp_path, monkeypatch):
    folder = tmp_path / "toy"
    _nan_gradient_at(3, monkeypatch)
    cfg = TrainConfig(steps=6, checkpoint_every=3, **BASE)
    with pytest.raises(TrainingDivergedError, match="no checkpoint of this stage was written"):
        train_stage("toy", ToyRegressor(), toy_data(), cfg, folder, progress=False)
    assert not ckpt.has_checkpoint(folder)


def test_divergence_before_any_checkpoint_does_not_name_a_missing_folder(tmp_path, monkeypatch):
    folder = tmp_path / "toy"
    _nan_gradient_at(2, monkeypatch)  # the loss is NaN at step 3; checkpoints every 100
    cfg = TrainConfig(steps=6, checkpoint_every=100, **BASE)
    with pytest.raises(TrainingDivergedError, match="loss became nan at step 3") as info:
        train_stage("toy", ToyRegressor(), toy_data(), cfg, folder, progress=False)
    assert not ckpt.has_checkpoint(folder)
    message = str(info.value)
    assert "no checkpoint" in message and "is kept" not in message
    assert "--resume" not in message  # nothing to resume from: train again


def test_resume_takes_the_lower_lr_of_the_config(tmp_path, monkeypatch):
    """The advice 'lower the lr and resume' only helps if the resumed run uses the new lr."""
    folder = tmp_path / "toy"
    real = ckpt.write_stage

    def write_then_interrupt(out, **kwargs):  # Ctrl-C right after the step-2 checkpoint
        real(out, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(ckpt, "write_stage", write_then_interrupt)
    cfg = TrainConfig(steps=4, checkpoint_every=2, **BASE)
    with pytest.raises(KeyboardInterrupt):
        train_stage("toy", ToyRegressor(), toy_data(), cfg, folder, progress=False)
    monkeypatch.undo()
    lower = TrainConfig(**{**cfg.__dict__, "lr": 1e-4})
    train_stage("toy", ToyRegressor(), toy_data(), lower, folder, resume=True, progress=False)
    lrs = {r["step"]: r["lr"] for r in read_log(log_path(folder))}
    assert lrs[2] == pytest.approx(1e-2 * warmup_cosine(2, 1, 4), rel=1e-6)
    assert lrs[3] == pytest.approx(1e-4 * warmup_cosine(3, 1, 4), rel=1e-6)


def _disk_full_on(call: int, monkeypatch) -> None:
    """``save_file`` writes half a file and fails like a full disk on its ``call``-th use."""
    real, calls = ckpt.save_file, {"n": 0}

    def save_file(tensors, path, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            Path(path).write_bytes(b"\0" * 1000)
            raise SafetensorError(
                "Error while serializing: I/O error: No space left on device (os error 28)"
            )
        return real(tensors, path, *args, **kwargs)

    monkeypatch.setattr(ckpt, "save_file", save_file)


def test_disk_full_while_checkpointing_is_one_line_and_keeps_the_previous(tmp_path, monkeypatch):
    folder = tmp_path / "toy"
    cfg = TrainConfig(steps=4, batch_size=16, lr=1e-2, warmup_steps=1, checkpoint_every=2)
    _disk_full_on(3, monkeypatch)  # saves 1-2: the step-2 checkpoint; save 3: step 4's weights
    with pytest.raises(CheckpointError) as info:
        train_stage("toy", ToyRegressor(), toy_data(), cfg, folder, progress=False)
    message = str(info.value)
    assert "\n" not in message and "No space left on device" in message
    assert "intact" in message and "step 2" in message and str(folder) in message
    assert _leftovers(tmp_path) == []  # the partial temporary folder is gone
    monkeypatch.undo()
    assert ckpt.load_trainer_state(folder).step == 2
    train_stage("toy", ToyRegressor(), toy_data(), cfg, folder, resume=True, progress=False)
    assert ckpt.load_trainer_state(folder).step == 4


FILE_SIZE_LIMIT = """
import resource, signal, sys, torch
sys.path.insert(0, {root!r})
from regen.errors import CheckpointError
from regen.training import checkpoint as ckpt
folder = ckpt.Path({folder!r})
ckpt.write_stage(folder, model_state={{"w": torch.ones(10)}}, config_yaml="",
                 trainer_tensors={{"x": torch.ones(1)}}, trainer_meta={{"step": 7}})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    ckpt.write_stage(folder, model_state={{"w": torch.ones(100_000)}}, config_yaml="")
except CheckpointError as exc:
    print(exc)
"""


def test_a_real_failed_write_is_one_line_and_removes_its_partial_folder(tmp_path):
    """The operating system refuses the write (file size limit: EFBIG, as ENOSPC would)."""
    folder = tmp_path / "stage"
    script = FILE_SIZE_LIMIT.format(root=str(Path(__file__).parents[2]), folder=str(folder))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    message = done.stdout.strip()
    assert "File too large" in message and "(step 7)" in message and "intact" in message
    assert "\n" not in message and _leftovers(tmp_path) == []
    assert ckpt.read_tensors(folder / ckpt.MODEL_FILE)["w"].shape == (10,)


def test_read_only_run_folder_is_one_line(tmp_path, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(CheckpointError) as info:
        ckpt.write_stage(tmp_path / "stage", model_state={"w": torch.ones(2)}, config_yaml="")
    message = str(info.value)
    assert "\n" not in message and "Permission denied" in message
    assert "no earlier checkpoint" in message


def test_replace_model_file_failure_is_one_line(tmp_path, monkeypatch):
    folder = tmp_path / "stage"
    ckpt.write_stage(folder, model_state={"w": torch.ones(2)}, config_yaml="")
    _disk_full_on(1, monkeypatch)
    with pytest.raises(CheckpointError, match="No space left on device.*intact"):
        ckpt.replace_model_file(folder, {"w": torch.zeros(2)})
    monkeypatch.undo()
    assert torch.equal(ckpt.read_tensors(folder / ckpt.MODEL_FILE)["w"], torch.ones(2))
    assert sorted(p.name for p in folder.iterdir()) == [ckpt.CONFIG_FILE, ckpt.MODEL_FILE]


def test_temporaries_are_per_process(tmp_path):
    """Another live process's temporary folder is never removed; a dead one's is."""
    folder = tmp_path / "stage"
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        theirs = folder.with_name(f"stage.tmp-{alive.pid}")
        stale = folder.with_name(f"stage.tmp-{dead.pid}")
        for other in (theirs, stale):
            other.mkdir(parents=True)
            (other / ckpt.MODEL_FILE).write_bytes(b"half")
        ckpt.write_stage(folder, model_state={"w": torch.ones(2)}, config_yaml="")
        assert theirs.is_dir() and not stale.exists()
        assert ckpt.has_checkpoint(folder)
    finally:
        alive.kill()
        alive.wait()


def test_a_legacy_checkpoint_with_nan_weights_is_refused_on_resume(tmp_path):
    folder = tmp_path / "toy"
    cfg = TrainConfig(steps=2, batch_size=16, lr=1e-2, warmup_steps=1, checkpoint_every=2)
    train_stage("toy", ToyRegressor(), toy_data(), cfg, folder, progress=False)
    state = ckpt.read_tensors(folder / ckpt.TRAINER_FILE)
    key = next(k for k in state if k.startswith("live."))
    state[key] = torch.full_like(state[key], float("nan"))
    ckpt.save_file(state, str(folder / ckpt.TRAINER_FILE))
    more = TrainConfig(**{**cfg.__dict__, "steps": 4})
    with pytest.raises(CheckpointError, match="non-finite") as info:
        train_stage("toy", ToyRegressor(), toy_data(), more, folder, resume=True, progress=False)
    assert "\n" not in str(info.value)


def test_pid_helper_sees_this_process():
    from regen.training.staging import pid_alive

    assert pid_alive(os.getpid()) and not pid_alive(2**22 + 12345)
