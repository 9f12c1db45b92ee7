"""What the studies need from the video task (the names regen/tasks/image/study.py lists).

``regen study tradeoff video/latent_tokens`` sweeps the size of the 3-D VQ-VAE's token grid:

* ``--axis factor`` (default): ``representation.space_factor``, pixels per token along height
  and width, over 2, 4, 8, 16;
* ``--axis time_factor``: ``representation.time_factor``, frames per token, over 1, 2, 4, 8.

A value is kept when it is a power of two dividing the clip's side (frames), and when time is
not downsampled more than space (each level of the VQ-VAE halves both; regen/representations/
video_vq.py): with the recipe's time_factor 4 the factor axis runs 4, 8, 16 and with its
space_factor 4 the time axis runs 1, 2, 4. Every stage keeps the recipe's steps and batch
sizes; the generator (autoregressive or masked) sees ``tokens`` = T/t x (H/s) x (W/s) of them.

Each point is scored by the task's compare code (:func:`regen.tasks.video.compare.evaluate`,
the factor classifier and the glyph classifier it trains and caches) on the held-out probe
clips, against the held-out reference clips:

* ``local_fvd`` (headline, lower is better), ``caption_adherence`` and the per-factor
  accuracies of caption -> tokens -> clip;
* the oracle, decoding the true tokens: ``local_fvd_reconstruction``, ``psnr_reconstruction``,
  ``ssim_reconstruction``, codebook usage;
* ``generator_heldout_loss``: the generator's cross-entropy in nats per token on held-out
  (caption, encode(clip)).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import torch

from regen.errors import ConfigError
from regen.pipeline import Pipeline
from regen.studies import tradeoff
from regen.studies.measures import Measures, Metric
from regen.studies.runner import Point
from regen.tasks.video.compare import evaluate as evaluate_runs
from regen.tasks.video.compare import load_data
from regen.tasks.video.config import VideoRecipeConfig
from regen.tasks.video.train import encode_clips, train_pipeline
from regen.training.heldout import heldout_loss

STUDIES = ("tradeoff",)  # discrete needs a continuous video Y' recipe; mismatch, a tunable one
MEASURES = Measures(
    headline=Metric("local_fvd", "local FVD", "lower"),
    oracle="local_fvd_reconstruction",
    reconstruction=Metric("psnr_reconstruction", "PSNR (dB) per frame", "higher"),
    fidelity=Metric("caption_adherence", "caption adherence", "higher"),
    speed="sampling_clips_per_s",
)
AXES = {"tradeoff": ("factor", "time_factor")}
SPACE_FACTORS = (2, 4, 8, 16)
TOKENS = "vq3d"


def tradeoff_points(config: VideoRecipeConfig, axis: str) -> list[Point]:
    """The space or time factors that fit the recipe's clip and its other factor."""
    rep, data = config.representation, config.data
    if rep.kind != TOKENS:
        raise ConfigError(
            f"the video tradeoff sweeps the 3-D VQ-VAE (representation.kind {TOKENS}), not "
            f"{rep.kind}; use video/latent_tokens"
        )
    if axis == "factor":
        values = [s for s in SPACE_FACTORS if data.frame_size % s == 0 and s >= rep.time_factor]
        key, grid = "space_factor", lambda s: (data.frames // rep.time_factor, data.frame_size // s)
    elif axis == "time_factor":
        values = [
            t for t in tradeoff.TIME_FACTORS if data.frames % t == 0 and t <= rep.space_factor
        ]
        key, grid = "time_factor", lambda t: (data.frames // t, data.frame_size // rep.space_factor)
    else:
        raise ConfigError(
            f"--axis {axis} does not fit the video task; it sweeps: factor, time_factor"
        )
    if len(values) < 2:
        raise ConfigError(
            f"--axis {axis} has {len(values)} value(s) that fit {data.frames} frames of "
            f"{data.frame_size}x{data.frame_size} with space_factor {rep.space_factor} and "
            f"time_factor {rep.time_factor}; change the other factor"
        )
    result = []
    for point, value in zip(tradeoff.value_points(axis, tuple(values), key), values):
        frames, side = grid(value)
        tokens = {"tokens": frames * side * side}
        result.append(Point(point.key, point.params | tokens, point.overrides))
    return result


def uniform_loss(config: VideoRecipeConfig) -> float | None:
    """ln K: cross-entropy of a uniform guess over K codes."""
    return math.log(config.representation.codebook_size)


def prepare(config: VideoRecipeConfig) -> None:
    """The clips and the two cached classifiers, before workers share the cache."""
    load_data(config)


def train(config: VideoRecipeConfig, run_dir: Path) -> tuple[Pipeline, float]:
    """Train (or finish) ``config`` in ``run_dir``; returns it and its seconds."""
    pipeline, results = train_pipeline(config, run_dir, resume=True, progress=False)
    return pipeline, sum(r.seconds for r in results)


def evaluate(pipeline: Pipeline, config: VideoRecipeConfig) -> dict[str, float]:
    """The compare metrics of the pipeline and its generator's held-out loss."""
    data = load_data(config)
    with tempfile.TemporaryDirectory() as scratch:  # compare also writes report clips
        metrics, _ = evaluate_runs(
            {"regen": (pipeline, config)}, data, config, Path(scratch), False
        )
    scores = metrics["regen"]
    probe = data.probe
    with torch.no_grad():
        tensors = {
            "x": pipeline.conditioner.encode(probe.captions),
            "y_prime": encode_clips(pipeline, probe.clips),
        }
    loss = heldout_loss(tensors, seed=config.seed)(pipeline.generator)["heldout_loss"]
    return scores | {"generator_heldout_loss": loss}
