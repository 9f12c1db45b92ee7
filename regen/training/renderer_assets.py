"""Renderers as reusable assets: trained once on all the unpaired data a task sees, then reused.

Regeneration's Y' -> Y stage learns from unpaired Y alone, so one trained renderer serves
every comparison and study whose X -> Y' side changes. ``regen pretrain RECIPE`` (or the
first run of a recipe with ``pretrained_renderer: true``) trains it into the user cache:

    <cache_dir>/renderers/<task>/<key>/
        renderer/             the stage folder (weights; trainer checkpoint for --resume)
        logs/renderer.jsonl   loss and, when ``train.renderer.eval_every`` is set, the
                              renderer's quality from the TRUE Y' on held-out data
        asset.json            written last: what the key hashes, the stage's cost, quality
                              from the true Y' and the non-learned floor on the same data
        report.html           learning curve against the floor (regen.report.renderer_asset)

``key`` hashes everything the renderer's training reads (a task's :class:`RendererJob` lists
it: the config sections, the stage's train settings, the seed and the data's fingerprint), so
a changed config or data trains a new asset and an unchanged one is only read. A lock keeps
two processes from training the same asset twice; a killed training resumes from the stage
folder's last checkpoint the next time any process asks for the asset.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from regen.config import to_dict
from regen.data.cache import cache_dir
from regen.errors import RegenError
from regen.training import distributed
from regen.training.checkpoint import load_weights
from regen.training.logger import read_log
from regen.training.loop import StageResult, log_path

ASSETS = "renderers"
ASSET_FILE = "asset.json"  # written last: its presence marks a finished asset
STAGE = "renderer"


@dataclass
class RendererJob:
    """What a task tells this module about training its renderer on unpaired data.

    Attributes:
        task: the task name (a folder level of the cache).
        reads: everything training reads, JSON-serialisable; its hash is the cache key.
        build: a fresh, untrained renderer module (the weights are loaded into it).
        train: ``train(module, stage_folder, progress) -> StageResult``; must resume from
            the checkpoint in ``stage_folder`` when there is one.
        quality: ``quality(module) -> {metric: value}`` from the TRUE Y' on held-out data.
        floor: ``floor() -> {metric: value}``: a non-learned renderer on the same data
            (Griffin-Lim for a vocoder), the line a learned renderer has to beat.
        data: one line on what the renderer learns from ("4,876 utterances, 2.9 h").
        notes: what each quality metric means and which way is better.
    """

    task: str
    reads: dict[str, Any]
    build: Callable[[], nn.Module]
    train: Callable[[nn.Module, Path, bool], StageResult]
    quality: Callable[[nn.Module], dict[str, float]] | None = None
    floor: Callable[[], dict[str, float]] | None = None
    data: str = ""
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class RendererAsset:
    """A trained renderer from the cache (eval mode) and what it cost."""

    module: nn.Module
    result: StageResult  # ``shared`` is true: infrastructure, not this run's paired compute
    folder: Path
    record: dict[str, Any]

    @property
    def stage_folder(self) -> Path:
        return self.folder / STAGE


def renderer_reads(config: Any, **task_reads: Any) -> dict[str, Any]:
    """What every renderer's training reads (its settings, its stage's train settings, the
    seed), plus what the task adds (data settings, the data's source record, ...)."""
    return {
        **task_reads,
        "renderer": to_dict(config.renderer),
        "train": to_dict(config.train.renderer),
        "seed": config.seed,
    }


def asset_key(job: RendererJob) -> str:
    """A short hash of what the renderer's training reads."""
    text = json.dumps({"task": job.task, **job.reads}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def asset_folder(job: RendererJob) -> Path:
    return cache_dir() / ASSETS / job.task / asset_key(job)


def obtain(job: RendererJob, *, progress: bool = True) -> RendererAsset:
    """The renderer of ``job``: read from the cache, or trained now (resuming a killed run)."""
    folder = asset_folder(job)
    done = folder / ASSET_FILE
    if not done.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits, then reads the asset
            if not done.is_file():
                _train(job, folder, progress)
    return load_asset(job, folder)


def load_asset(job: RendererJob, folder: Path) -> RendererAsset:
    """The finished asset in ``folder`` with its weights loaded into ``job.build()``."""
    record = read_record(folder)
    stored = record["result"]
    result = StageResult(**stored | {"curve": [tuple(p) for p in stored["curve"]]})
    result.asset = str(folder)  # where it lives on this machine (the cache may have moved)
    module = job.build()
    load_weights(module, folder / STAGE)
    return RendererAsset(module.eval(), result, folder, record)


def read_record(folder: Path) -> dict[str, Any]:
    """``asset.json`` of a finished asset (one-line error when missing or damaged)."""
    path = Path(folder) / ASSET_FILE
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise RegenError(f"{folder} holds no finished renderer; run regen pretrain") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RegenError(f"{path} is corrupted; delete {folder} and run regen pretrain") from None
    return record


def learning_curve(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """``{metric: [(step, value), ...]}`` of the periodic evaluations in the stage log."""
    curves: dict[str, list[tuple[int, float]]] = {}
    for row in read_log(log_path(Path(folder) / STAGE)):
        for key, value in row.items():
            if key.startswith("eval/"):
                curves.setdefault(key[5:], []).append((int(row["step"]), float(value)))
    return curves


def _train(job: RendererJob, folder: Path, progress: bool) -> None:
    module = job.build()
    result = job.train(module, folder / STAGE, progress)
    result.shared = True
    module.eval()
    quality = job.quality(module) if job.quality else {}
    floor = job.floor() if job.floor else {}
    record = {
        "task": job.task,
        "key": asset_key(job),
        "reads": job.reads,
        "data": job.data,
        "result": asdict(result),
        "quality_from_true": quality,
        "floor": floor,
        "notes": job.notes,
    }
    tmp = folder / (ASSET_FILE + ".tmp")
    tmp.write_text(json.dumps(record, indent=1, default=float))
    os.replace(tmp, folder / ASSET_FILE)


def install(asset: RendererAsset, module: nn.Module, run_dir: Path) -> StageResult:
    """Put the asset's weights into a run's renderer ``module`` and a copy of its stage
    folder into ``run_dir/renderer`` (rank 0 only), so the run folder loads on its own;
    returns the asset's StageResult for the run's budget records."""
    module.load_state_dict(asset.module.state_dict())
    target = Path(run_dir) / STAGE
    if distributed.current().is_main and asset.stage_folder.resolve() != target.resolve():
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(asset.stage_folder, target)
    return asset.result
