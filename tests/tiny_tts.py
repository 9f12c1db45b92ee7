"""Tiny-config overrides that make any TTS recipe train and evaluate in seconds."""

from __future__ import annotations

TINY_TTS = [
    "data.num_sentences=24",
    "data.test_fraction=0.25",
    "data.max_seconds=5.0",
    "generator.dim=32",
    "generator.encoder_layers=1",
    "generator.decoder_layers=1",
    "representation.latent_channels=4",
    "representation.hidden=32",
    "representation.layers=1",
    "representation.codebook_size=16",
    "representation.num_quantizers=2",
    "renderer.dim=32",
    "renderer.layers=1",
    "renderer.intermediate=64",
    "renderer.segment_frames=16",
    "train.generator.steps=6",
    "train.generator.batch_size=4",
    "train.generator.log_every=2",
    "train.generator.checkpoint_every=3",
    "train.representation.steps=6",
    "train.representation.batch_size=4",
    "train.representation.log_every=2",
    "train.representation.checkpoint_every=3",
    "train.renderer.steps=6",
    "train.renderer.batch_size=4",
    "train.renderer.log_every=2",
    "train.renderer.checkpoint_every=3",
    "eval.num_utterances=2",
    "eval.report_utterances=2",
]


def phoneme_batch(x, durations, y_prime) -> dict:
    """A hand-made generator batch (two speakers, flat pitch and energy) around ``y_prime``."""
    import torch

    return {
        "x": x,
        "durations": durations,
        "pitch": torch.zeros(x.shape),
        "energy": torch.zeros(x.shape),
        "speakers": torch.arange(len(x)),
        "frames": durations.sum(1),
        "y_prime": y_prime,
    }
