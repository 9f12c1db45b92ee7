"""PD, DD, MD, template and alignment accuracy on hand-made melodies."""

from __future__ import annotations

import math

import numpy as np
import torch

from regen.eval.melody_metrics import (
    alignment_accuracy,
    distribution_similarity,
    dtw_distance,
    melody_distance,
    template_accuracy,
)
from regen.modules.music_tables import PITCH
from regen.representations.music_template import MusicTemplate
from tests.melody_tiny import one_torch_thread  # noqa: F401
from tests.unit.test_music_template import melody

SCALE = [(60, 4), (62, 4), (64, 4), (65, 4), (67, 8), (60, 8)]


def test_identical_melodies_score_perfectly():
    y = melody(SCALE)
    sims = distribution_similarity(y, y)
    assert sims == {"pd": 100.0, "dd": 100.0}
    assert melody_distance(y, y) == 0.0


def test_disjoint_pitches_and_durations_score_zero():
    a = melody([(60, 4), (62, 4)])
    b = melody([(70, 2), (71, 2)])
    assert distribution_similarity(a, b) == {"pd": 0.0, "dd": 0.0}


def test_md_ignores_transposition_but_not_contour():
    y = melody(SCALE)
    up = y.clone()
    up[..., PITCH] = torch.where(y[..., PITCH] > 0, y[..., PITCH] + 5, 0)
    assert melody_distance(up, y) == 0.0
    flipped = y.clone()
    flipped[0, :6, PITCH] = 124 - y[0, :6, PITCH]
    assert melody_distance(flipped, y) > 1.0


def test_dtw_aligns_stretched_sequences():
    a = np.array([0.0, 1.0, 2.0])
    assert dtw_distance(a, np.repeat(a, 2)) == 0.0
    assert dtw_distance(a, a[::-1]) == dtw_distance(a[::-1], a)
    assert math.isnan(dtw_distance(a, np.array([])))


def test_template_accuracy_of_a_melody_against_its_own_template():
    y = melody(SCALE)
    scores = template_accuracy(y, MusicTemplate().encode(y))
    assert scores["template_rhythm"] == 1.0 and scores["template_cadence"] == 1.0
    assert 0.0 <= scores["template_chord"] <= 1.0


def test_alignment_counts_notes_and_stressed_beats():
    y = melody([(60, 2), (62, 2), (64, 4), (65, 8)])
    # stressed syllables on the notes at 0 (downbeat) and 2 (between beats)
    syllables = torch.tensor([[[1, 1, 0], [1, 3, 0], [0, 1, 0], [0, 3, 0], [0, 0, 0], [0, 0, 0]]])
    scores = alignment_accuracy(y, syllables, torch.tensor([4]))
    assert scores["syllable_one_note"] == 1.0
    assert scores["stress_on_beat"] == 0.5
    fewer = alignment_accuracy(y, syllables, torch.tensor([5]))
    assert fewer["syllable_one_note"] == 0.0
