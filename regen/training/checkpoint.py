"""Stage checkpoints: safetensors and JSON only, written atomically.

A stage folder holds everything needed to sample and to resume exactly:

    <stage>/model.safetensors    weights for inference (the EMA copy when EMA is on)
    <stage>/config.yaml          the resolved recipe that produced them
    <stage>/trainer.safetensors  live weights, optimizer moments, RNG state
    <stage>/trainer.json         step, scheduler and optimizer hyper-parameters, EMA count

The folder is written under a temporary name and swapped in with renames, so a kill at any
moment leaves either the previous checkpoint or the new one, never half of each; a failed
write (disk full) is a one-line error that leaves the previous one (see ``staging``). Nothing
is ever unpickled.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from regen.errors import CheckpointError
from regen.training import staging

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.yaml"
TRAINER_FILE = "trainer.safetensors"
TRAINER_META = "trainer.json"


@dataclass
class TrainerState:
    """What resuming needs besides the model: returned by :func:`load_trainer_state`."""

    step: int
    tensors: dict[str, torch.Tensor]
    meta: dict[str, Any]


def _contiguous(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # safetensors refuses tensors that share storage (tied weights); copies are cheap here.
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}


def write_stage(
    folder: Path,
    *,
    model_state: dict[str, torch.Tensor],
    config_yaml: str,
    trainer_tensors: dict[str, torch.Tensor] | None = None,
    trainer_meta: dict[str, Any] | None = None,
) -> Path:
    """Atomically replace ``folder`` by a checkpoint with the given contents."""
    folder = Path(folder)
    tmp, old = staging.temporary(folder, "tmp"), staging.temporary(folder, "old")
    with staging.failed_writes(folder, tmp):
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging.remove_leftovers(folder)
        tmp.mkdir()
        save_file(_contiguous(model_state), tmp / MODEL_FILE)
        (tmp / CONFIG_FILE).write_text(config_yaml)
        if trainer_tensors is not None:
            save_file(_contiguous(trainer_tensors), tmp / TRAINER_FILE)
            (tmp / TRAINER_META).write_text(json.dumps(trainer_meta or {}, indent=1))
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return folder


def recover(folder: Path) -> Path:
    """Return the usable checkpoint folder, finishing a swap that a kill interrupted."""
    folder = Path(folder)
    olds = staging.leftovers(folder, "old")
    if not folder.exists() and olds:
        olds[-1].rename(folder)
    return folder


def has_checkpoint(folder: Path) -> bool:
    return (recover(folder) / MODEL_FILE).is_file()


def read_tensors(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(f"checkpoint file {path} is missing; train this stage first")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"checkpoint file {path} is corrupted or truncated ({str(exc).splitlines()[0][:80]}); "
            "delete the folder and train again, or resume from an earlier copy"
        ) from exc


def load_weights(model: nn.Module, folder: Path, file: str = MODEL_FILE) -> None:
    """Load ``folder/file`` into ``model``, with a one-line error on any mismatch."""
    path = recover(Path(folder)) / file
    state = read_tensors(path)
    load_state_checked(model, state, str(path))


def load_state_checked(model: nn.Module, state: dict[str, torch.Tensor], where: str) -> None:
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        raise CheckpointError(
            f"{where} does not match the model built from the config "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]}); "
            "use the config.yaml saved beside the checkpoint"
        )
    for key, value in state.items():
        # extra state (tables sized by data, regen.modules.table_state) has no fixed shape
        if own[key].shape != value.shape and not key.endswith("_extra_state"):
            raise CheckpointError(
                f"{where}: '{key}' has shape {list(value.shape)} but the config builds "
                f"{list(own[key].shape)}; use the config.yaml saved beside the checkpoint"
            )
    model.load_state_dict(state)


def load_trainer_state(folder: Path) -> TrainerState:
    folder = recover(Path(folder))
    tensors = read_tensors(folder / TRAINER_FILE)
    meta_path = folder / TRAINER_META
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"{meta_path} is missing or corrupted; cannot resume, train again without --resume"
        ) from exc
    return TrainerState(step=int(meta["step"]), tensors=tensors, meta=meta)


# ---------------------------------------------------------------- optimizer <-> flat tensors


def optimizer_to_flat(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    """Split an optimizer state dict into tensors (for safetensors) and JSON-able values."""
    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for index, values in state["state"].items():
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{index}.{name}"] = value
            else:
                scalars[f"{index}.{name}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def optimizer_from_flat(
    optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict
) -> None:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    for key, value in meta["scalars"].items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def replace_model_file(folder: Path, state: dict[str, torch.Tensor]) -> None:
    """Atomically rewrite only the inference weights (e.g. after latent calibration)."""
    folder = recover(Path(folder))
    tmp = staging.temporary(folder / MODEL_FILE, "tmp")
    with staging.failed_writes(folder, tmp):
        save_file(_contiguous(state), tmp)
        tmp.replace(folder / MODEL_FILE)
