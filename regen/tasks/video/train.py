"""Train a video pipeline with the one loop: the 3-D VQ-VAE or the per-frame VAE on clips
alone (the VAE's latent then calibrated to unit variance), then the caption -> Y' generator
on (caption, encode(clip)) pairs; the baseline trains only its
pixel-diffusion generator. Finished stages are not retrained on ``resume``."""

from __future__ import annotations

from pathlib import Path

import torch

from regen.contracts import Calibrated
from regen.data.moving_glyphs import ClipSet
from regen.pipeline import Pipeline
from regen.runs import save_run, write_config
from regen.tasks.video.build import build_pipeline
from regen.tasks.video.config import VideoRecipeConfig
from regen.tasks.video.data import load_split
from regen.training import checkpoint as ckpt
from regen.training.loop import StageResult
from regen.training.run_stages import RunStages


def encode_clips(pipeline: Pipeline, clips: torch.Tensor, batch: int = 64) -> torch.Tensor:
    return torch.cat([pipeline.encode(clips[i : i + batch]) for i in range(0, len(clips), batch)])


def train_pipeline(
    config: VideoRecipeConfig,
    run_dir: Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    data: ClipSet | None = None,
) -> tuple[Pipeline, list[StageResult]]:
    """Train every learned stage of ``config``; returns the pipeline (eval mode) and results."""
    run_dir = Path(run_dir or config.run_dir)
    data = data if data is not None else load_split(config.data, "train", config.seed)
    stages = RunStages(config.train, run_dir, write_config(run_dir, config), resume, progress)
    torch.manual_seed(config.seed)  # initial weights follow the recipe seed
    pipeline = build_pipeline(config, data.clip_shape)

    if pipeline.representation.trainable:
        stages.fit("representation", pipeline.representation, {"y": data.clips})
        pipeline.representation.eval()
    rep = pipeline.representation
    if rep.trainable and isinstance(rep, Calibrated):
        # unit-variance latents for the diffusion generator (the latent diffusion scale
        # factor); the checkpoint's weights are rewritten with the calibrated buffers
        rep.calibrate(data.clips)
        ckpt.replace_model_file(run_dir / "representation", rep.state_dict())
    x = pipeline.conditioner.encode(data.captions)
    stages.fit(
        "generator", pipeline.generator, {"x": x, "y_prime": encode_clips(pipeline, data.clips)}
    )
    save_run(
        run_dir,
        config,
        pipeline,
        stages.names,
        stages.results,
        clip_shape=list(data.clip_shape),
        data_source=data.source,
    )
    return pipeline.eval(), stages.results
