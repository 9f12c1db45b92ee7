"""Only finite checkpoints: what the loop checks before it saves, and what it says on
divergence.

The loss is checked at every step, but it is computed *before* the optimizer step, so weights
that an optimizer step made non-finite show up in the loss one step later, after a checkpoint
may have been written. :func:`check_savable` closes that gap: before every save it checks the
parameters, their EMA copy and the optimizer state (the discriminator's too), so that every
checkpoint on disk can be resumed. Buffers may hold ``-inf`` by design (attention masks), so
there only NaN is refused.

On divergence :func:`diverged` names the newest checkpoint that exists (the last one saved,
since each was checked before it was written), or says that none was written yet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from regen.errors import CheckpointError, TrainingDivergedError
from regen.training import checkpoint as ckpt

Checked = tuple[str, torch.Tensor, bool]  # (what, tensor, inf allowed)


def bad(tensor: torch.Tensor, allow_inf: bool = False) -> bool:
    """True when a floating ``tensor`` holds NaN (or +-inf unless ``allow_inf``)."""
    if not tensor.is_floating_point():
        return False
    return bool((torch.isnan(tensor) if allow_inf else ~torch.isfinite(tensor)).any())


def check_savable(
    name: str,
    step: int,
    out_dir: Path | None,
    bar: Any,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    ema: Any,
    others: list[tuple[nn.Module, torch.optim.Optimizer]] = (),
) -> None:
    """Raise TrainingDivergedError when anything a checkpoint of ``model`` would hold after
    ``step`` optimizer steps is not finite; ``bar`` (the progress bar) is closed first.
    ``ema`` is the loop's EMA or None, ``others`` further (module, optimizer) pairs the
    checkpoint holds (a GAN's discriminator)."""
    checks = [*_module(model, "weight"), *_optimizer(optimizer, model, "optimizer state")]
    if ema is not None:
        params = dict(model.named_parameters())
        checks += [(f"EMA weight {k}", v, k not in params) for k, v in ema.state_dict().items()]
    for module, other in others:
        checks += _module(module, "discriminator weight")
        checks += _optimizer(other, module, "discriminator optimizer state")
    for what, tensor, allow_inf in checks:
        if bad(tensor, allow_inf):
            bar.close()
            raise TrainingDivergedError(
                f"stage '{name}': {what} became non-finite by step {step}, before the loss "
                f"showed it, so that step was not saved; {_advice(name, out_dir)}"
            )


def diverged(name: str, value: float, step: int, out_dir: Path | None) -> TrainingDivergedError:
    """The error for a non-finite loss at (1-based) ``step`` of stage ``name``."""
    return TrainingDivergedError(
        f"stage '{name}': loss became {value} at step {step}; {_advice(name, out_dir)}"
    )


def check_restored(tensors: dict[str, torch.Tensor], model: nn.Module, where: str) -> None:
    """Refuse to resume from trainer state with non-finite weights or optimizer moments (as
    regen wrote before it checked): training from it would stop at once with a NaN loss."""
    params = {f"live.{n}" for n, _ in model.named_parameters()}
    for key, tensor in tensors.items():
        if bad(tensor, allow_inf=not (key in params or key.startswith("optim."))):
            raise CheckpointError(
                f"{where} holds non-finite values ('{key}') and cannot be resumed; delete "
                f"{Path(where).parent} and train this stage again without --resume"
            )


def _module(model: nn.Module, what: str) -> Iterator[Checked]:
    for key, param in model.named_parameters():
        yield f"{what} {key}", param.detach(), False
    for key, buffer in model.named_buffers():
        yield f"{what} {key}", buffer, True


def _optimizer(optimizer: torch.optim.Optimizer, model: nn.Module, what: str) -> list[Checked]:
    names = {id(p): n for n, p in model.named_parameters()}
    return [
        (f"{what} '{key}' of {names.get(id(param), 'a parameter')}", value, False)
        for param, state in optimizer.state.items()
        for key, value in state.items()
        if torch.is_tensor(value)
    ]


def _advice(name: str, out_dir: Path | None) -> str:
    fix = f"lower train.{name}.lr or set a smaller train.{name}.grad_clip"
    step = _saved_step(out_dir)
    if step is None:
        where = f" in {out_dir}" if out_dir is not None else ""
        return f"no checkpoint of this stage was written yet{where}; {fix} and train again"
    return (
        f"the last good checkpoint (step {step}) is kept in {out_dir}; {fix} and resume "
        "with --resume"
    )


def _saved_step(out_dir: Path | None) -> int | None:
    if out_dir is None or not ckpt.has_checkpoint(out_dir):
        return None
    try:
        return int(json.loads((Path(out_dir) / ckpt.TRAINER_META).read_text())["step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def take_config_lr(optimizer: torch.optim.Optimizer, scheduler, lr: float) -> None:
    """After a restore, continue at the config's ``lr`` rather than the saved one, so that
    the advice above (lower the lr, resume) takes effect; a no-op when they agree, which keeps
    an ordinary resume bit-for-bit."""
    if all(base == lr for base in scheduler.base_lrs):
        return
    scheduler.base_lrs = [lr] * len(optimizer.param_groups)
    for group, factor in zip(optimizer.param_groups, scheduler.lr_lambdas):
        group["initial_lr"] = lr
        group["lr"] = lr * factor(scheduler.last_epoch)
    scheduler._last_lr = [group["lr"] for group in optimizer.param_groups]
