"""Each regen melody stage scored on its own: the renderer from the true template, the
generator per template field."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from regen.config import load_recipe
from regen.data.music import MelodySet
from regen.modules.music_tables import MELODY_COLUMNS
from regen.tasks.melody.stages import generator_field_accuracy, renderer_from_true
from regen.tasks.melody.train import build_melody_pipeline
from tests.melody_tiny import TINY_MELODY, one_torch_thread  # noqa: F401


def _songs(count: int = 4, notes: int = 10) -> MelodySet:
    """Scales up and down in C major, 4/4, with one syllable per note."""
    g = torch.Generator().manual_seed(0)
    melodies = torch.zeros(count, 16, len(MELODY_COLUMNS), dtype=torch.long)
    for b in range(count):
        pitch, position = 60 + 2 * b, 0
        for i in range(notes):
            duration = int(torch.randint(1, 3, (1,), generator=g)) * 2
            melodies[b, i] = torch.tensor([pitch, duration, position, 16, 4, 0, 7, 0])
            pitch += int(torch.randint(-2, 3, (1,), generator=g))
            position = (position + duration) % 16
        melodies[b, notes - 1, -1] = 1
    syllables = torch.zeros(count, 16, 3, dtype=torch.long)
    syllables[:, :notes, 1] = 0  # stress 0, single-syllable words
    lengths = torch.full((count,), notes)
    texts = [["la"] * notes for _ in range(count)]
    return MelodySet(
        melodies,
        syllables,
        lengths,
        torch.ones(count, dtype=torch.bool),
        [f"song{b}" for b in range(count)],
        texts,
    )


def _pipeline(extras: list[str]):
    cfg = load_recipe("melody/chorales_template", TINY_MELODY)
    cfg = dataclasses.replace(
        cfg, representation=dataclasses.replace(cfg.representation, extras=extras)
    )
    return build_melody_pipeline(cfg).eval()


def test_renderer_from_true_keeps_the_rhythm_and_follows_the_shape():
    songs = _songs()
    shaped = renderer_from_true(_pipeline(["contour", "register"]), songs)
    bare_pipeline = _pipeline([])
    bare = renderer_from_true(bare_pipeline, songs)
    assert shaped["dd"] == pytest.approx(100.0) and bare["dd"] == pytest.approx(100.0)
    # untrained renderers: only the constraints differ, and contour + register pin the line
    assert shaped["md"] < bare["md"] and shaped["pd"] > bare["pd"]
    assert renderer_from_true(bare_pipeline, {"scored": songs}, seed=0) == bare  # same seed


def test_generator_field_accuracy_reports_the_fields_the_template_carries():
    songs = _songs()
    shaped = generator_field_accuracy(_pipeline(["contour", "register"]), songs)
    assert {"chord", "cadence", "duration", "position", "contour", "register"} <= set(shaped)
    assert all(0.0 <= v <= 1.0 for v in shaped.values())
    bare = generator_field_accuracy(_pipeline([]), songs)
    assert "contour" not in bare and "register" not in bare


def test_stage_scores_refuse_the_direct_pipeline():
    cfg = load_recipe("melody/chorales_direct", TINY_MELODY)
    direct = build_melody_pipeline(cfg)
    with pytest.raises(ValueError, match="no template"):
        renderer_from_true(direct, _songs())
    with pytest.raises(ValueError, match="no template"):
        generator_field_accuracy(direct, _songs())
