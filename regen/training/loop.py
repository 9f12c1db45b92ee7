"""The one training loop. Every stage of every pipeline (and the domain classifier) uses it.

A model brings ``training_loss(batch) -> (loss, logs)``; this loop brings everything else:
batches, AdamW with warmup + cosine, gradient clipping, EMA, bf16 autocast, DDP under
torchrun, progress bar, JSON-lines log, periodic evaluation, atomic checkpoints and exact
resume. Read :func:`train_stage` top to bottom: data, forward, loss, backward, step, EMA,
log, checkpoint. A stage with a discriminator (:class:`regen.contracts.Adversarial`, the GAN
vocoder) also gets the GAN hook (:mod:`regen.training.gan`): a second AdamW and a
discriminator update before each generator update; for other stages the hook does nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from regen.config import TrainConfig
from regen.contracts import Batch, LossOutput, Trainable
from regen.errors import ConfigError
from regen.training import checkpoint as ckpt
from regen.training import distributed, finite
from regen.training.batches import step_batches
from regen.training.ema import EMA
from regen.training.gan import GanHook
from regen.training.logger import StepLogger, progress_bar, read_log
from regen.training.schedule import warmup_cosine


class Rows(Protocol):
    """What the loop needs of a ``data`` value: a length, and rows by an int64 index tensor.

    A tensor is one; so is a view over a memory-mapped store
    (:class:`regen.data.image_set.MappedImages`), which reads only the rows asked for.
    """

    def __len__(self) -> int: ...

    def __getitem__(self, index: torch.Tensor) -> torch.Tensor: ...


def log_path(out_dir: Path) -> Path:
    """Logs live beside the stage folder: the folder itself is swapped at each checkpoint."""
    return out_dir.parent / "logs" / f"{out_dir.name}.jsonl"


@dataclass
class StageResult:
    """What one call of :func:`train_stage` did."""

    name: str
    steps: int
    samples_seen: int
    seconds: float
    curve: list[tuple[int, float]] = field(default_factory=list)
    last_logs: dict[str, float] = field(default_factory=dict)
    # A pretrained asset (regen.training.renderer_assets) shared by many runs: its cost is
    # listed, and counted only in the equal-total budget view, not in equal-paired.
    shared: bool = False
    asset: str | None = None  # the asset folder a shared stage came from

    @property
    def final_loss(self) -> float | None:
        return self.curve[-1][1] if self.curve else None


class _LossForward(nn.Module):
    """DDP synchronises gradients only through ``forward``; route the loss through it."""

    def __init__(self, model: Trainable) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Batch) -> LossOutput:
        return self.model.training_loss(batch)


def train_stage(
    name: str,
    model: Trainable,
    data: dict[str, Rows],
    cfg: TrainConfig,
    out_dir: Path | None,
    *,
    resume: bool = False,
    config_yaml: str = "",
    eval_fn: Callable[[nn.Module], dict[str, float]] | None = None,
    progress: bool = True,
) -> StageResult:
    """Train ``model`` (an ``nn.Module``) for ``cfg.steps`` optimizer steps on random batches
    of ``data``.

    ``data`` maps batch keys to tensors (or other :class:`Rows`) of equal length N. ``out_dir`` is the stage folder
    (``None``: no checkpoints or logs). With ``resume``, training continues from the
    checkpoint in ``out_dir``. On return the model holds its inference weights (EMA when on).
    """
    dist = distributed.current()
    n = _check_data(name, data)
    if cfg.batch_size % dist.world_size:
        raise ConfigError(
            f"train.{name}.batch_size={cfg.batch_size} is not divisible by the "
            f"{dist.world_size} processes; pick a multiple of {dist.world_size}"
        )
    torch.manual_seed(cfg.seed + dist.rank)
    model.to(dist.device).train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: warmup_cosine(s, cfg.warmup_steps, cfg.steps)
    )
    ema = EMA(model, cfg.ema_decay) if cfg.ema_decay > 0 else None  # of the generator only
    gan = GanHook.maybe(model, cfg, dist)  # a no-op unless the stage has a discriminator
    start, seconds = 0, 0.0
    if resume and out_dir is not None and ckpt.has_checkpoint(out_dir):
        start, seconds = _restore(out_dir, model, optimizer, scheduler, ema, gan, dist)
        finite.take_config_lr(optimizer, scheduler, cfg.lr)
    gan.wrap()
    forward = _LossForward(model)
    if dist.enabled:
        forward = DistributedDataParallel(forward, find_unused_parameters=True)
    main = dist.is_main and out_dir is not None
    logger = StepLogger(log_path(out_dir) if main else None, resume_step=start)
    curve = _curve_from_log(out_dir, start) if main else []
    bar = progress_bar(name, cfg.steps, start, progress and dist.is_main)
    autocast = cfg.precision == "bf16"
    logs, tick = {}, time.perf_counter()

    for step, batch in enumerate(step_batches(data, n, cfg, dist, start), start):
        d_loss, d_logs = gan.step(batch, step, autocast)  # GAN: the discriminator's update first
        _check_finite(d_loss, name, step, out_dir, bar)
        with torch.autocast(dist.device.type, dtype=torch.bfloat16, enabled=autocast):
            loss, logs = forward(batch)
        logs = {**logs, **d_logs}
        loss_value = distributed.mean_across_ranks(float(loss.detach()))
        _check_finite(loss_value, name, step, out_dir, bar)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            grad_norm = float(torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip))
            logs = {**logs, "grad_norm": grad_norm}
        optimizer.step()
        scheduler.step()
        if ema is not None:
            ema.update(model)
        done = step + 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss_value:.4f}", refresh=False)
        if done % cfg.log_every == 0 or done == cfg.steps:
            record = {"loss": loss_value, "lr": scheduler.get_last_lr()[0], **_floats(logs)}
            if eval_fn is not None and cfg.eval_every and done % cfg.eval_every == 0:
                record.update({f"eval/{k}": v for k, v in eval_fn(model).items()})
            logger.log(done, record)
            curve.append((done, loss_value))
        if done % cfg.checkpoint_every == 0 or done == cfg.steps:  # every rank: all stop
            finite.check_savable(name, done, out_dir, bar, model, optimizer, ema, gan.parts())
        if main and (done % cfg.checkpoint_every == 0 or done == cfg.steps):
            elapsed = seconds + time.perf_counter() - tick
            _save(out_dir, model, optimizer, scheduler, ema, gan, done, elapsed, config_yaml, dist)
    bar.close()
    logger.close()
    seconds += time.perf_counter() - tick
    if ema is not None:
        ema.copy_to(model)
    model.eval()
    distributed.barrier()
    return StageResult(name, cfg.steps, cfg.steps * cfg.batch_size, seconds, curve, _floats(logs))


def _check_finite(value: float, name: str, step: int, out_dir, bar) -> None:
    if not math.isfinite(value):
        bar.close()
        raise finite.diverged(name, value, step + 1, out_dir)


def _check_data(name: str, data: dict[str, Rows]) -> int:
    sizes = {k: len(v) for k, v in data.items()}
    if not sizes or len(set(sizes.values())) != 1 or 0 in sizes.values():
        raise ConfigError(f"stage '{name}' got no data or tensors of unequal length: {sizes}")
    return next(iter(sizes.values()))


def _floats(logs: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in logs.items() if isinstance(v, int | float | torch.Tensor)}


def _curve_from_log(out_dir: Path | None, start: int) -> list[tuple[int, float]]:
    if out_dir is None or not start:
        return []
    return [(r["step"], r["loss"]) for r in read_log(log_path(out_dir)) if r["step"] <= start]


def _save(out_dir, model, optimizer, scheduler, ema, gan, step, seconds, config_yaml, dist) -> None:
    tensors, optim_meta = ckpt.optimizer_to_flat(optimizer)
    tensors.update({f"live.{k}": v for k, v in model.state_dict().items()})
    tensors["rng.cpu"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    gan_tensors, gan_meta = gan.state()  # resume-only: the inference file holds no discriminator
    tensors.update(gan_tensors)
    meta = {
        "step": step,
        "seconds": seconds,
        "world_size": dist.world_size,  # processes that shared each batch (torchrun)
        "optimizer": optim_meta,
        "scheduler": scheduler.state_dict(),
        "ema_updates": ema.updates if ema is not None else 0,
        **gan_meta,
    }
    inference = ema.state_dict() if ema is not None else model.state_dict()
    ckpt.write_stage(
        out_dir,
        model_state=inference,
        config_yaml=config_yaml,
        trainer_tensors=tensors,
        trainer_meta=meta,
    )


def _restore(out_dir, model, optimizer, scheduler, ema, gan, dist) -> tuple[int, float]:
    state = ckpt.load_trainer_state(out_dir)
    finite.check_restored(state.tensors, model, str(out_dir / ckpt.TRAINER_FILE))
    live = {k[5:]: v for k, v in state.tensors.items() if k.startswith("live.")}
    ckpt.load_state_checked(model, live, str(out_dir / ckpt.TRAINER_FILE))
    ckpt.optimizer_from_flat(optimizer, state.tensors, state.meta["optimizer"])
    scheduler.load_state_dict(state.meta["scheduler"])
    gan.restore(state.tensors, state.meta, str(out_dir / ckpt.TRAINER_FILE))
    if ema is not None:
        ema_state = ckpt.read_tensors(out_dir / ckpt.MODEL_FILE)
        ema.load_state_dict(ema_state, state.meta["ema_updates"])
    if dist.rank == 0:
        torch.set_rng_state(state.tensors["rng.cpu"])
    if "rng.cuda" in state.tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(state.tensors["rng.cuda"])
    return state.step, float(state.meta.get("seconds", 0.0))
