"""What the studies need from the sound task (the names regen/tasks/image/study.py lists).

* ``regen study tradeoff sound/codec_tokens --axis levels`` (the default axis) sweeps the
  codec's ``representation.num_quantizers`` over 1, 2, 4 (Q tokens per frame, each level
  refining the previous levels' residual); ``--axis codebook`` sweeps
  ``representation.codebook_size`` over 16, 64, 256, 1024. Every stage keeps the recipe's
  steps and batch sizes.
* ``regen study discrete sound/codec_tokens`` sets the codec tokens + codes LM against a
  continuous Y' at the same budget: a mel-VAE latent + caption-conditioned diffusion
  (:mod:`regen.tasks.sound.study_continuous` says why that one).

Each point trains with the task's own trainer (:func:`regen.tasks.sound.train.train_sound`;
the continuous format with :func:`regen.tasks.sound.study_continuous.train_continuous`) and is
scored on the first ``eval.num_clips`` held-out clips with the pieces of
:mod:`regen.tasks.sound.evaluate` (the attribute classifier trained on the real training
clips with the recipe's ``eval`` settings and seed, so every point is read by the same one):

* ``local_fad`` (headline, lower is better) and ``adherence`` of caption -> Y' -> waveform;
* the oracle, rendering the true Y' = encode(clip) (for the codec: codec resynthesis):
  ``oracle_local_fad``, ``oracle_adherence``, and its reconstruction of the clip
  ``mel_l1_reconstruction`` (nats), ``mrstft_reconstruction``, ``si_snr_db_reconstruction``;
* ``generator_heldout_loss``: the generator's own loss on held-out (caption, encode(clip))
  (codes LM: cross-entropy in nats per code; diffusion: noise MSE, not comparable);
* ``realtime_speedup`` (batch 1, this machine);
* codec only: ``codebook_usage`` and ``codebook_perplexity``, the mean over levels of the
  share of codes used and their perplexity on the held-out clips (a collapsed level shows
  as a low generator loss that is no achievement).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from regen.contracts import Codebook
from regen.errors import ConfigError
from regen.eval.audio_classifier import (
    clip_outputs,
)
from regen.eval.audio_metrics import adherence, frechet_distance, reconstruction
from regen.pipeline import Pipeline
from regen.studies import tradeoff
from regen.studies.measures import Measures, Metric
from regen.studies.runner import Point
from regen.tasks.sound.build import mel_of
from regen.tasks.sound.config import SoundRecipeConfig
from regen.tasks.sound.evaluate import attribute_classifier, generate
from regen.tasks.sound.study_continuous import train_continuous
from regen.tasks.sound.train import encode_clips, load_sound_data, train_sound
from regen.training.heldout import heldout_loss

STUDIES = (
    "tradeoff",
    "discrete",
)  # paired needs a paired-fraction key; mismatch, a tunable decoder
MEASURES = Measures(
    headline=Metric("local_fad", "local FAD", "lower"),
    oracle="oracle_local_fad",
    reconstruction=Metric("mel_l1_reconstruction", "mel L1 from true Y' (nats)", "lower"),
    fidelity=Metric("adherence", "caption adherence", "higher"),
    speed="realtime_speedup",
)
AXES = {"tradeoff": ("levels", "codebook")}


def tradeoff_points(config: SoundRecipeConfig, axis: str) -> list[Point]:
    """``levels``: num_quantizers 1, 2, 4; ``codebook``: codebook_size 16 ... 1024."""
    if axis not in AXES["tradeoff"]:
        raise ConfigError(
            f"--axis {axis} does not fit the sound codec; it sweeps: {', '.join(AXES['tradeoff'])}"
        )
    values = tradeoff.LEVELS if axis == "levels" else tradeoff.CODEBOOK_SIZES
    return tradeoff.value_points(axis, values)


def uniform_loss(config: SoundRecipeConfig) -> float | None:
    """ln K: the codes LM's cross-entropy of a uniform guess over K codes."""
    return math.log(config.representation.codebook_size)


def discrete_formats(config: SoundRecipeConfig) -> dict[str, tuple[str, ...]]:
    """No overrides: the format is not a recipe setting here, :func:`train_format` builds it."""
    return {"continuous": (), "discrete": ()}


def prepare(config: SoundRecipeConfig) -> None:
    """Render (or load) the corpus once, before workers share the cache."""
    load_sound_data(config)


def train(config: SoundRecipeConfig, run_dir: Path) -> tuple[Pipeline, float]:
    """Train (or finish) the recipe's codec pipeline in ``run_dir``; returns it and its seconds."""
    pipeline, results = train_sound(config, run_dir, resume=True, progress=False)
    return pipeline, sum(r.seconds for r in results)


def train_format(config: SoundRecipeConfig, run_dir: Path, y_prime: str) -> tuple[Pipeline, float]:
    """``discrete``: the recipe's codec tokens + codes LM; ``continuous``: mel-VAE + diffusion."""
    if y_prime == "continuous":
        return train_continuous(config, run_dir)
    return train(config, run_dir)


def evaluate(pipeline: Pipeline, config: SoundRecipeConfig) -> dict[str, float]:
    """End-to-end, oracle and generator figures on held-out clips (the module docstring)."""
    data = load_sound_data(config)
    test = data.test.subset(list(range(min(config.eval.num_clips, len(data.test)))))
    mel = mel_of(config)
    classifier = attribute_classifier(config, data)
    reference, _ = clip_outputs(classifier, mel, test.audio)

    def scores(audio: torch.Tensor) -> dict[str, float]:
        features, predicted = clip_outputs(classifier, mel, audio)
        return adherence(predicted, test.attributes) | {
            "local_fad": frechet_distance(features, reference)
        }

    fake, seconds = generate(pipeline, test.captions, seed=config.seed, progress=False)
    metrics = scores(fake)
    metrics["realtime_speedup"] = fake.numel() / mel.sample_rate / max(seconds, 1e-9)
    with torch.no_grad():
        true = encode_clips(pipeline, test.audio, batch_size=16)
        oracle = torch.cat([pipeline.render(y) for y in true.split(16)]).clamp(-1, 1)
    oracle_scores = scores(oracle)
    metrics["oracle_local_fad"] = oracle_scores["local_fad"]
    metrics["oracle_adherence"] = oracle_scores["adherence"]
    for name, value in reconstruction(mel, test.audio, oracle).items():
        metrics[f"{name}_reconstruction"] = value
    tensors = {"x": pipeline.conditioner.encode(test.captions), "y_prime": true}
    loss = heldout_loss(tensors, seed=config.seed)(pipeline.generator)["heldout_loss"]
    metrics["generator_heldout_loss"] = loss
    if isinstance(pipeline.representation, Codebook):  # the codec; not the mel-VAE
        stats = pipeline.representation.codebook_stats(test.audio)
        metrics["codebook_usage"], metrics["codebook_perplexity"] = (
            stats["usage"],
            stats["perplexity"],
        )
    return metrics
