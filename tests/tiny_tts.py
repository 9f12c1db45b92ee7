"""Tiny-config overrides that make any TTS recipe train and evaluate in seconds."""

from __future__ import annotations

TINY_TTS = [
    "data.num_sentences=24",
    "data.test_fraction=0.25",
    "data.max_seconds=5.0",
    "generator.dim=32",
    "generator.encoder_layers=1",
    "generator.decoder_layers=1",
    "renderer.dim=32",
    "renderer.layers=1",
    "renderer.intermediate=64",
    "renderer.segment_frames=16",
    "train.generator.steps=6",
    "train.generator.batch_size=4",
    "train.generator.log_every=2",
    "train.generator.checkpoint_every=3",
    "train.renderer.steps=6",
    "train.renderer.batch_size=4",
    "train.renderer.log_every=2",
    "train.renderer.checkpoint_every=3",
    "eval.num_utterances=2",
    "eval.report_utterances=2",
]
