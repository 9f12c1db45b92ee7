"""The factor probe's ``--placement``: centred or grid-aligned training glyphs, with the same
factors as the data's random starts, and the data's own clips (and cache) left alone."""

from __future__ import annotations

import torch

from benchmarks.video_factor_probe import placed
from regen.data import moving_glyphs
from regen.data.moving_glyphs import load_clips


def ink_left_top(clips: torch.Tensor) -> torch.Tensor:
    """[N, 2] left and top ink columns/rows of each clip's first frame."""
    ink = clips[:, 0] > 0
    return torch.stack(
        [torch.stack([c.nonzero()[:, 1].min(), c.nonzero()[:, 0].min()]) for c in ink]
    )


def test_centre_and_grid_move_only_the_start():
    before = load_clips("train", 40, frames=2, seed=5)
    trajectory, load_or_build = moving_glyphs.trajectory, moving_glyphs.load_or_build
    with placed("centre", 4):
        centre = load_clips("train", 40, frames=2, seed=5)
    with placed("grid", 4):
        grid = load_clips("train", 40, frames=2, seed=5)
    after = load_clips("train", 40, frames=2, seed=5)
    assert torch.equal(before.clips, after.clips)  # the cache still holds the data's clips
    assert moving_glyphs.trajectory is trajectory
    assert moving_glyphs.load_or_build is load_or_build
    for clips in (centre, grid):
        assert torch.equal(clips.glyph, before.glyph) and clips.fonts == before.fonts
        assert torch.equal(clips.direction, before.direction)
    # a glyph's ink starts inside its 12-px box, so centred boxes start at one place: the
    # ink spread across clips is at most the 12-px box's, the random starts' is wider
    spread = ink_left_top(centre.clips).max(0).values - ink_left_top(centre.clips).min(0).values
    assert (spread < 12).all()
    random_spread = (
        ink_left_top(before.clips).max(0).values - ink_left_top(before.clips).min(0).values
    )
    assert (random_spread >= 12).any()
    assert not torch.equal(grid.clips, before.clips)


def test_random_is_the_data():
    with placed("random", 4):
        inside = load_clips("train", 12, frames=2, seed=6)
    assert torch.equal(inside.clips, load_clips("train", 12, frames=2, seed=6).clips)
