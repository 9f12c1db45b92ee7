"""Tiny-config overrides that make the sound recipes render, train and evaluate in seconds."""

from __future__ import annotations

import torch

TINY_SOUND = [
    "data.clips=24",
    "data.clip_seconds=1.0",
    "data.folk_files=0",
    "data.max_chorales=6",
    "data.test_fraction=0.3",
    "representation.latent_channels=8",
    "representation.hidden=32",
    "representation.layers=1",
    "representation.codebook_size=16",
    "representation.num_quantizers=2",
    "generator.hidden=32",
    "generator.depth=1",
    "generator.heads=2",
    "generator.waveform_crop_frames=16",
    "renderer.dim=32",
    "renderer.layers=1",
    "renderer.intermediate=64",
    "renderer.segment_frames=16",
    "train.representation.steps=6",
    "train.representation.batch_size=4",
    "train.representation.log_every=2",
    "train.representation.checkpoint_every=3",
    "train.generator.steps=6",
    "train.generator.batch_size=4",
    "train.generator.log_every=2",
    "train.generator.checkpoint_every=3",
    "train.renderer.steps=6",
    "train.renderer.batch_size=4",
    "train.renderer.log_every=2",
    "train.renderer.checkpoint_every=3",
    "eval.num_clips=3",
    "eval.report_clips=2",
    "eval.classifier_steps=10",
    "eval.classifier_batch=8",
    "eval.crop_frames=32",
    "eval.dev_clips=2",  # the guidance / temperature grid runs on 2 dev clips
    "compare.calibrated_steps=6",  # the recipe's figure is calibrated for the full scale
]


def fit_codes(lm, x, codes, steps: int) -> None:  # noqa: ANN001  (a CaptionCodeLM and tensors)
    """Train ``lm`` on one batch of (captions ``x``, ``codes``) for ``steps`` Adam steps: the
    shared core of the tests that check an LM learns a caption-dependent code."""
    optimizer = torch.optim.Adam(lm.parameters(), lr=3e-3)
    for _ in range(steps):
        loss, _ = lm.training_loss({"x": x, "y_prime": codes})
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
