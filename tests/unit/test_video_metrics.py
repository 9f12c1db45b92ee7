"""Local FVD and its controls: the Fréchet distance itself, and the order of the control rows
(real vs real < blurred < frame-shuffled) with a factor classifier trained on real clips."""

from __future__ import annotations

import pytest
import torch

from regen.data.glyphs import CHARACTERS
from regen.data.moving_glyphs import DIRECTIONS, SPEEDS, load_clips
from regen.eval.video_classifier import embed, get_factor_classifier
from regen.eval.video_metrics import adherence, blur, control_rows, frechet_distance, shuffle_frames


def test_frechet_distance_is_zero_for_one_set_and_the_squared_shift_for_a_moved_one():
    features = torch.randn(500, 6, generator=torch.Generator().manual_seed(0))
    assert abs(frechet_distance(features, features)) < 1e-6
    shifted = features + torch.tensor([3.0, 0, 0, 0, 0, 0])
    assert frechet_distance(features, shifted) == pytest.approx(9.0, abs=1e-6)


def test_shuffle_keeps_each_clips_frames_and_blur_keeps_the_shape():
    clips = load_clips("test", 8, seed=0).clips
    shuffled = shuffle_frames(clips, seed=1)
    assert torch.equal(shuffled.sort(1).values, clips.sort(1).values)
    assert not torch.equal(shuffled, clips)
    for sigma in (None, 0.5):  # a blur keeps the mean and smooths: less total variation
        blurred = blur(clips, sigma)
        assert blurred.shape == clips.shape
        assert blurred.mean() == pytest.approx(float(clips.mean()), abs=0.02)
        assert blurred.diff(dim=-1).abs().sum() < clips.diff(dim=-1).abs().sum()


@pytest.mark.slow  # trains the 3-D factor classifier: about 1.5 min on one quiet core
def test_controls_order_real_below_blurred_below_shuffled_and_real_clips_adhere():
    train = load_clips("train", 600, seed=0)
    test = load_clips("test", 256, seed=0)
    labels = {"glyph": train.glyph, "direction": train.direction, "speed": train.speed}
    classes = {"glyph": len(CHARACTERS), "direction": len(DIRECTIONS), "speed": len(SPEEDS)}
    model = get_factor_classifier(train.clips, labels, classes, steps=300)
    rows = control_rows(model, embed(model, test.clips[:128]), test.clips[128:])
    # the mild blur (sigma 0.5 px); the 3x3 box blur may land on either side of shuffling
    assert rows["real_vs_real"] < rows["blurred_mild"] < rows["frame_shuffled"], rows
    assert rows["blurred_mild"] < rows["blurred"], rows
    asked = {
        "glyph": test.glyph[128:],
        "direction": test.direction[128:],
        "speed": test.speed[128:],
    }
    real = adherence(model, test.clips[128:], asked)
    shuffled = adherence(model, shuffle_frames(test.clips[128:]), asked)
    assert real["direction_accuracy"] > shuffled["direction_accuracy"] + 0.2, (real, shuffled)
