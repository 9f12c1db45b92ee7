"""The moving-glyph clip generator: deterministic by seed, cached, split by font and by
held-out glyph x direction, captions that say what happens."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from regen.data import moving_glyphs
from regen.data.moving_glyphs import DIRECTIONS, held_out_direction, load_clips, trajectory
from regen.errors import DataError
from regen.tasks.video.data import check_caption


def test_the_same_seed_gives_the_same_clips_and_another_seed_other_clips(monkeypatch):
    first = load_clips("train", 24, seed=3)
    calls = []
    monkeypatch.setattr(moving_glyphs, "_build", lambda *a: calls.append(a))
    cached = load_clips("train", 24, seed=3)  # from the cache: the builder is not called
    assert calls == [] and torch.equal(first.clips, cached.clips)
    monkeypatch.undo()
    other = load_clips("train", 24, seed=4)
    assert not torch.equal(first.clips, other.clips)
    assert first.clips.shape == (24, 16, 32, 32)
    assert float(first.clips.min()) == -1.0 and float(first.clips.max()) > 0.5


def test_splits_hold_out_fonts_and_glyph_direction_combinations():
    train = load_clips("train", 300, seed=0)
    test = load_clips("test", 120, seed=0)
    assert not set(train.fonts) & set(test.fonts)
    held = torch.tensor([held_out_direction(g) for g in train.glyph.tolist()])
    assert not (train.direction == held).any() and not train.unseen.any()
    test_held = torch.tensor([held_out_direction(g) for g in test.glyph.tolist()])
    assert torch.equal(test.unseen, test.direction == test_held) and test.unseen.any()


def test_captions_state_the_factors_and_read_back():
    clips = load_clips("test", 40, seed=0, max_objects=2)
    assert set(clips.objects.tolist()) == {1, 2}
    for caption, glyph, direction, objects in zip(
        clips.captions, clips.glyph, clips.direction, clips.objects
    ):
        parts = check_caption(caption)
        assert len(parts) == int(objects)
        assert parts[0]["direction"] == DIRECTIONS[int(direction)]
        assert parts[0]["glyph"] == moving_glyphs.CHARACTERS[int(glyph)]


def test_a_glyph_bounces_off_the_walls_and_stays_inside():
    path, bounced = trajectory(np.array([19.0, 10.0]), 0, 1, 16, room=20.0, frame_size=32)
    assert bounced and path[:, 0].max() <= 20.0 and path[:, 0].min() >= 0.0
    # 19 + 1.75 passes the wall at 20: reflected to 19.25 and moving left from then on
    assert path[1, 0] == pytest.approx(19.25) and path[2, 0] < path[1, 0]
    _, calm = trajectory(np.array([0.0, 10.0]), 0, 0, 8, room=20.0, frame_size=32)
    assert not calm


@pytest.mark.parametrize(
    ("caption", "message"),
    [
        ("", "empty"),
        ("the letter Ж moves right", "unknown glyph"),
        ("the digit A moves up", "unknown glyph"),
        ("the letter A sits still", "cannot read"),
        ("the letter A moves sideways", "no direction"),
    ],
)
def test_bad_captions_are_one_line_errors(caption, message):
    with pytest.raises(DataError, match=message):
        check_caption(caption)


def test_64_pixel_frames_scale_the_motion_with_the_frame():
    clips = load_clips("train", 6, frame_size=64, glyph_size=24, seed=0)
    assert clips.clips.shape == (6, 16, 64, 64)
    path, _ = trajectory(np.array([0.0, 0.0]), 0, 1, 3, room=40.0, frame_size=64)
    assert path[1, 0] == pytest.approx(3.5)  # 1.75 px per frame at 32 px, doubled
