"""``regen train`` for the toy task: one stage, the generator, with regen's one loop."""

from __future__ import annotations

from pathlib import Path

import torch

from regen.pipeline import Pipeline
from regen.runs import save_run, write_config
from regen.training.loop import StageResult, train_stage

from .build import build
from .config import ToyRecipeConfig
from .data import ToySet, make_split


def train(
    config: ToyRecipeConfig,
    run_dir: Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    data: ToySet | None = None,
) -> tuple[Pipeline, list[StageResult]]:
    """Train the generator on (x, encode(y)); the run folder then loads with regen.runs.load_run.

    Under torchrun every rank runs this; write_config, the loop's checkpoints and save_run
    write from rank 0 only.
    """
    run_dir = Path(run_dir or config.run_dir)
    data = data if data is not None else make_split(config.data, "train", config.seed)
    config_yaml = write_config(run_dir, config)
    torch.manual_seed(config.seed)
    pipeline = build(config)
    result = train_stage(
        "generator",
        pipeline.generator,
        {"x": data.x, "y_prime": pipeline.encode(data.y)},
        config.train.generator,
        run_dir / "generator",
        resume=resume,
        config_yaml=config_yaml,
        progress=progress,
    )
    save_run(run_dir, config, pipeline, ["generator"], [result])
    return pipeline.eval(), [result]
