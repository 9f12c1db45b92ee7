"""The hooks ``regen compare`` calls for the toy task (listed in regen/compare/harness.py).

The harness trains both recipes on one budget and writes results.json; these hooks say
which stages count, load the data once, evaluate, and draw the report from results.json.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from regen.compare.records import read_results
from regen.pipeline import Pipeline
from regen.report.html import machine_info
from regen.report.html import write_report as write_html
from regen.training.loop import StageResult
from regen.training.probe import best_step_seconds

from .build import build
from .config import ToyRecipeConfig
from .data import ToySet, make_split
from .train import train as train_toy

SHOWN = 4  # samples per class in the report
METRIC_NOTES = {
    "mse": "squared error of each sample to the held-out item it was asked for, lower is better",
    "accuracy": "samples nearest to the held-out mean of the asked class, higher is better",
    "mse_reconstruction": "render(encode(y)) vs y on held-out items (what Y' loses), "
    "lower is better",
    "sampling_items_per_s": "patterns generated per second on this machine, higher is better",
    "train_seconds": "wall-clock seconds of training summed over stages",
    "samples_seen": "training budget: optimizer steps x batch summed over stages",
}


@dataclass
class ToyData:
    train: ToySet
    test: ToySet


def learned_stages(config: ToyRecipeConfig) -> list[str]:
    return ["generator"]  # downsampling and upsampling have nothing to learn


def load_data(config: ToyRecipeConfig) -> ToyData:
    return ToyData(*(make_split(config.data, split, config.seed) for split in ("train", "test")))


def train(
    config: ToyRecipeConfig, run_dir: Path, *, data: ToyData, resume: bool, progress: bool
) -> tuple[Pipeline, list[StageResult]]:
    return train_toy(config, run_dir, resume=resume, progress=progress, data=data.train)


def probe_step_seconds(direct_config: ToyRecipeConfig, data: ToyData) -> float:
    """One optimizer step of the baseline's generator, timed (for ``compare.budget: seconds``)."""
    size = direct_config.train.generator.batch_size
    batch = {"x": data.train.x[:size], "y_prime": data.train.y[:size]}
    return best_step_seconds(build(direct_config).generator, lambda: batch)


def describe(label: str, pipeline: Pipeline, cfg: ToyRecipeConfig) -> str:
    if pipeline.is_direct:
        return "class -> pattern"
    return f"class -> {pipeline.spec.name} -> upsampling"


def evaluate(
    runs: dict[str, tuple[Pipeline, ToyRecipeConfig]],
    data: ToyData,
    config: ToyRecipeConfig,
    out_dir: Path,
    progress: bool,
    *,
    resume: bool = False,  # for an evaluate that trains systems of its own; unused here
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Both pipelines sample every held-out class id; samples go into results.json."""
    test, classes = data.test, config.data.classes
    means = torch.stack([test.y[test.x == k].mean(0) for k in range(classes)]).flatten(1)
    metrics, grids = {}, {"real": test.y}
    for label, (pipeline, _) in runs.items():
        start = time.perf_counter()
        fake = pipeline.sample(test.x, seed=config.seed)
        seconds = time.perf_counter() - start
        nearest = torch.cdist(fake.flatten(1), means).argmin(1)
        metrics[label] = {
            "mse": float((fake - test.y).pow(2).mean()),
            "accuracy": float((nearest == test.x).float().mean()),
            "sampling_items_per_s": len(test) / max(seconds, 1e-9),
        }
        if not pipeline.is_direct:
            rebuilt = pipeline.render(pipeline.encode(test.y))
            metrics[label]["mse_reconstruction"] = float((rebuilt - test.y).pow(2).mean())
        grids[label] = fake
    # items are sorted by class, so a view gives [classes, per class, 1, H, W]
    shown = {k: v.view(classes, -1, *v.shape[1:])[:, :SHOWN].tolist() for k, v in grids.items()}
    extra = {"class_names": [f"class {k}" for k in range(classes)], "grids": shown}
    return metrics, extra


def write_report(out_dir: Path) -> Path:
    """(Re)write report.html from results.json alone (``regen report`` calls this too)."""
    results = read_results(out_dir)

    def grid(label: str) -> dict[str, Any]:
        images = np.asarray(results["grids"][label], np.float32)
        return {"class_names": results["class_names"], "images": images}

    regen_m, direct_m = (p["metrics"] for p in results["pipelines"])
    report = {
        "title": f"regen compare: {results['recipe']} vs {results['baseline']}",
        "summary": f"Held-out MSE {regen_m['mse']:.4f} (regen) vs {direct_m['mse']:.4f} (direct).",
        "budget": results["budget"],
        "machine": machine_info(),
        "pipelines": [{**p, "grid": grid(p["label"])} for p in results["pipelines"]],
        "real_grid": grid("real"),
        "metric_notes": results["metric_notes"],
    }
    return write_html(report, Path(out_dir) / "report.html")
