"""What the studies need from the image task: train, evaluate, and predicted Y'.

A study backend is a module with these names (``Task.study``; the asr, sound and video
tasks have one each); another task plugs into the studies by providing the same ones (each
study's ``Study.needs`` lists those it reads besides prepare, train and evaluate):

    prepare(config)             one-off work before worker processes start (caches); called
                                once per seed, with that seed's recipe
    train(config, run_dir)      -> (pipeline, seconds); resumes a partly trained run_dir
    evaluate(pipeline, config)  -> metrics on the held-out split (see below)
    tune_renderer(pipeline, config, mode, run_dir) -> metrics of the tuning stage
    HEADLINE, PAIRED_METRICS, PAIRED_PLOTS, FRACTION_KEY   what ``regen study paired``
                                reads and plots (see regen/studies/paired.py)
    MEASURES                    a regen.studies.measures.Measures: the metric names the
                                tradeoff and discrete summaries plot and rank by
    AXES                        {"tradeoff": (axis, ...)}: the axes the backend sweeps,
                                its default first (regen/studies/tradeoff.py lists them)
    tradeoff_points(config, axis) -> [Point]; ConfigError when the recipe cannot vary it
    uniform_loss(config)        -> nats of a uniform guess of the generator's Y' (ln K for
                                tokens) or None (continuous Y')
    discrete_formats(config)    -> {"continuous": overrides, "discrete": overrides}
    train_format(config, run_dir, y_prime) -> (pipeline, seconds): one format of the
                                discrete study, its overrides applied to ``config``
    STUDIES                     optional: the studies the backend serves (absent: all)

The mismatch study reads the same MEASURES; it also needs ``tune_renderer`` (a tunable
decoder), which only this backend has so far.

Image metrics (held-out split, one generated image per held-out image, asked for that
image's class): ``fid``, ``kid``, ``precision``, ``recall``, ``accuracy`` of X -> Y' -> Y;
for regeneration pipelines also ``oracle_fid``, ``oracle_accuracy`` (rendering true
Y' = encode(Y) of the same held-out images), ``psnr_reconstruction`` and
``generator_heldout_loss`` (the generator's own training loss on held-out (X, encode(Y))).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import torch

from regen.data.image_set import in_memory
from regen.errors import ConfigError
from regen.eval.image_metrics import evaluate_images
from regen.generators.diffusion import DiffusionGenerator
from regen.modules.condition import with_null_rows
from regen.pipeline import Pipeline
from regen.renderers.tuning import RendererTuning
from regen.representations.metrics import reconstruction_psnr
from regen.studies import tradeoff
from regen.studies.measures import Measures, Metric
from regen.studies.runner import Point
from regen.tasks.image.compare import evaluation_data
from regen.tasks.image.config import RecipeConfig
from regen.tasks.image.train import encode_in_batches, paired_mask, train_pipeline
from regen.training.heldout import heldout_loss
from regen.training.loop import train_stage

HEADLINE = ("fid", "lower")
PAIRED_METRICS = ["fid", "accuracy", "kid", "precision", "recall", "train_seconds"]
PAIRED_PLOTS = {
    "fid": "domain-FID, lower is better",
    "accuracy": "class accuracy, higher is better",
}
FRACTION_KEY = "data.paired_fraction"
MEASURES = Measures(
    headline=Metric("fid", "domain-FID", "lower"),
    oracle="oracle_fid",
    reconstruction=Metric("psnr_reconstruction", "PSNR (dB)", "higher"),
    fidelity=Metric("accuracy", "class accuracy", "higher"),
    speed="sampling_images_per_s",
)
AXES = {"tradeoff": ("factor", "codebook", "levels")}
DISCRETE = ("vq", "rvq")
FITS = {  # axis -> (representation kinds it can vary, how to get one)
    "codebook": (DISCRETE, "use a VQ recipe such as image/digits_vq_ar"),
    "levels": (("rvq",), "e.g. image/digits_vq_ar representation.kind=rvq"),
}

SDEDIT_STRENGTH = 0.3  # fraction of the sampling trajectory re-run from the noised true Y'
NOISE_SCALE = 0.5  # noise augmentation std, as a fraction of the predictions' RMS error


def tradeoff_points(config: RecipeConfig, axis: str) -> list[Point]:
    """``factor``: 1, 2, 4, 8 dividing the image side (the diffusion UNet's depth lowered
    where a small latent cannot be halved that often); ``codebook`` / ``levels``: the sizes
    of :mod:`regen.studies.tradeoff` for a VQ / RVQ recipe."""
    if axis in FITS:
        kinds, fix = FITS[axis]
        kind = config.representation.kind
        if kind not in kinds:
            raise ConfigError(
                f"--axis {axis} needs representation.kind {' or '.join(kinds)}, not {kind}; {fix}"
            )
        # read at call time: tests shorten the sweeps
        values = tradeoff.CODEBOOK_SIZES if axis == "codebook" else tradeoff.LEVELS
        return tradeoff.value_points(axis, values)
    side = config.data.image_size
    result = []
    for factor in tradeoff.FACTORS:
        if side % factor:
            continue
        latent_side = side // factor
        overrides = [f"representation.factor={factor}"]
        if config.generator.kind == "diffusion":  # its UNet halves the latent depth-1 times
            depth = min(config.generator.depth, latent_side.bit_length())  # 2**(depth-1) | side
            overrides.append(f"generator.depth={depth}")
        result.append(
            Point(
                f"factor{factor}",
                {"factor": factor, "y_prime_side": latent_side},
                tuple(overrides),
            )
        )
    return result


def uniform_loss(config: RecipeConfig) -> float | None:
    """ln K for tokens from a codebook of K (nats of a uniform guess); None for latents."""
    rep = config.representation
    return math.log(rep.codebook_size) if rep.kind in DISCRETE else None


def discrete_formats(config: Any) -> dict[str, tuple[str, ...]]:
    """A VAE latent + diffusion vs VQ tokens + autoregressive transformer, same factor."""
    return {
        "continuous": ("representation.kind=vae", "generator.kind=diffusion"),
        "discrete": ("representation.kind=vq", "generator.kind=autoregressive"),
    }


def train_format(config: RecipeConfig, run_dir: Path, y_prime: str) -> tuple[Pipeline, float]:
    """Either format is the recipe with its ``discrete_formats`` overrides: plain training."""
    return train(config, run_dir)


def prepare(config: RecipeConfig) -> None:
    """Build the dataset and the domain classifier once, before workers share the cache."""
    evaluation_data(config)


def train(config: RecipeConfig, run_dir: Path) -> tuple[Pipeline, float]:
    """Train (or finish training) ``config`` in ``run_dir``; returns it and its seconds."""
    pipeline, results = train_pipeline(config, run_dir, resume=True, progress=False)
    return pipeline, sum(r.seconds for r in results)


def evaluate(pipeline: Pipeline, config: RecipeConfig) -> dict[str, float]:
    """End-to-end and oracle metrics on the held-out split (see the module docstring)."""
    _, test, classifier = evaluation_data(config)
    names = [test.class_names[i] for i in test.labels.tolist()]
    start = time.perf_counter()
    fake = pipeline.sample(names, seed=config.seed, batch_size=config.eval.batch_size)
    metrics = {"sampling_images_per_s": len(names) / (time.perf_counter() - start)}
    metrics.update(evaluate_images(test.images, fake, test.labels, classifier))
    if pipeline.is_direct:
        return metrics
    oracle = torch.cat([pipeline.render(pipeline.encode(c)) for c in test.images.split(256)])
    for name, value in evaluate_images(
        test.images, oracle.clamp(-1, 1), test.labels, classifier
    ).items():
        metrics[f"oracle_{name}"] = value
    metrics["psnr_reconstruction"] = reconstruction_psnr(pipeline.representation, test.images)
    tensors = {
        "x": pipeline.conditioner.for_items(test.labels, test.captions),
        "y_prime": encode_in_batches(pipeline, test.images),
    }
    loss = heldout_loss(tensors, seed=config.seed)(pipeline.generator)["heldout_loss"]
    metrics["generator_heldout_loss"] = loss
    return metrics


@torch.no_grad()
def predicted_y_prime(
    pipeline: Pipeline, x: torch.Tensor, y_prime: torch.Tensor, seed: int, batch: int = 256
) -> torch.Tensor:
    """The generator's Y' for conditions ``x`` [N, ...], aligned with the true ``y_prime``.

    A free sample from X is not paired with any particular Y, so it cannot teach a renderer
    to produce that Y. Instead the true Y' is noised to ``SDEDIT_STRENGTH`` of the sampler's
    trajectory and denoised by the generator (SDEdit, Meng et al. 2022): the result carries
    the generator's errors but still belongs to its Y. Continuous (diffusion) generators only.
    """
    generator = pipeline.generator
    if not isinstance(generator, DiffusionGenerator):
        raise ConfigError(
            "predicted Y' for renderer tuning needs a diffusion generator (continuous Y'); "
            "use a recipe such as image/digits_latent_diffusion"
        )
    rng = torch.Generator().manual_seed(seed)
    scale = generator.cfg.guidance_scale
    outputs = []
    for start in range(0, len(x), batch):
        x_chunk, y0 = x[start : start + batch], y_prime[start : start + batch]
        scheduler = generator.make_scheduler()
        scheduler.set_timesteps(generator.cfg.sampling_steps)
        timesteps = scheduler.timesteps[int(len(scheduler.timesteps) * (1 - SDEDIT_STRENGTH)) :]
        noise = torch.randn(y0.shape, generator=rng)
        y = scheduler.add_noise(y0, noise, timesteps[:1].repeat(len(y0)))
        rows = with_null_rows(x_chunk) if scale != 1.0 else (x_chunk,)
        cond = generator.conditioning(*rows)
        for t in timesteps:
            prediction = generator.predict(scheduler.scale_model_input(y, t), t, cond, scale)
            y = scheduler.step(prediction, t, y, generator=rng, return_dict=False)[0]
        outputs.append(y.float())
    return torch.cat(outputs)


def tune_renderer(
    pipeline: Pipeline, config: RecipeConfig, mode: str, run_dir: Path
) -> dict[str, float]:
    """Tune the decoder of a trained pipeline in place with ``train.renderer`` settings.

    ``mode``: ``predicted`` (fine-tune on the generator's predicted Y' of the paired
    training images, mixed with as many true (encode(Y), Y) pairs so that rendering true Y'
    is not forgotten) or ``noise`` (encode(Y) plus Gaussian noise whose std is
    ``NOISE_SCALE`` times the RMS error of those predictions, so the corruption is sized by
    the generator's real errors). Returns the stage's figures.

    The settings (strength 0.3 with mixing; noise at half the error) were picked from a
    handful of tries on digits seed 0 (docs/studies.md lists them), not tuned per seed.
    """
    data, _, _ = evaluation_data(config)
    true = encode_in_batches(pipeline, data.images)
    paired = paired_mask(len(data), config.data.paired_fraction, config.seed)  # X is known
    x = pipeline.conditioner.for_items(data.labels, data.captions)[paired]
    predicted = predicted_y_prime(pipeline, x, true[paired], config.seed)
    error_rms = float((predicted - true[paired]).pow(2).mean().sqrt())
    if mode == "predicted":
        inputs = torch.cat([predicted, true])
        y = torch.cat([data.images[paired], in_memory(data.images)])  # mixed: one tensor
        tensors = {"y_prime": inputs, "y": y}
    else:
        tensors = {"y_prime": true, "y": data.images}
    noise_std = NOISE_SCALE * error_rms if mode == "noise" else 0.0
    model = RendererTuning(pipeline.representation, noise_std)
    result = train_stage(
        f"renderer_{mode}",
        model,
        tensors,
        config.train.renderer,
        run_dir / f"renderer_{mode}",
        resume=True,
        progress=False,
    )
    pipeline.eval()
    return {"tuning_seconds": result.seconds, "predicted_error_rms": error_rms}
