"""Tiny-config overrides that make the asr recipes train and compare in seconds."""

from __future__ import annotations

import pytest
import torch

TINY_ASR = [
    "data.num_sentences=24",
    "data.test_fraction=0.17",
    "data.max_seconds=4.0",
    "text.max_sentences=60",
    "text.cmudict_words=20",
    "text.lexicon_words=40",
    "generator.dim=32",
    "generator.depth=1",
    "generator.heads=2",
    "generator.kernel=7",
    "renderer.dim=32",
    "renderer.depth=1",
    "renderer.heads=2",
    "renderer.max_len=256",
    "train.generator.steps=6",
    "train.generator.batch_size=4",
    "train.generator.checkpoint_every=3",
    "train.generator.warmup_steps=2",
    "train.renderer.steps=6",
    "train.renderer.batch_size=8",
    "train.renderer.warmup_steps=2",
    "eval.max_utterances=3",
    "eval.examples=2",
    "eval.fractions=[0.5, 1.0]",
]


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run faster on one thread, and much faster on a busy machine, where two
    threads wait on each other at every small operation; the setting is restored after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
