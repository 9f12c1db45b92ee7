"""Music theory helpers, the template representation and the constrained pitch mask."""

from __future__ import annotations

import pytest
import torch

from regen.errors import ConfigError
from regen.modules.music_tables import (
    DUR,
    MELODY_COLUMNS,
    PITCH,
    T_CADENCE,
    T_CHORD,
    T_CONTOUR,
    T_REGISTER,
    T_STRENGTH,
    TEMPLATE_SPEC,
    register_band,
    register_pitches,
)
from regen.modules.music_theory import (
    NO_CHORD,
    best_chords,
    key_id,
    parse_key,
    parse_meter,
    scale,
    triad,
)
from regen.renderers.template_to_melody import template_pitch_mask
from regen.representations.music_template import MusicTemplate
from tests.melody_tiny import one_torch_thread  # noqa: F401

C_MAJOR, A_MINOR = key_id(0, False), key_id(9, True)
BASE = MusicTemplate(extras=())  # key, chords, cadences, rhythm: no melodic shape


def melody(rows: list[tuple[int, int]], key: int = C_MAJOR, chord: int = NO_CHORD) -> torch.Tensor:
    """(pitch, duration) rows in 4/4 from the downbeat; the last note ends the phrase."""
    out = torch.zeros(1, len(rows) + 2, len(MELODY_COLUMNS), dtype=torch.long)
    position = 0
    for i, (pitch, duration) in enumerate(rows):
        out[0, i] = torch.tensor([pitch, duration, position, 16, 4, key, chord, 0])
        position = (position + duration) % 16
    out[0, len(rows) - 1, -1] = 1
    return out


def test_triads_and_scales():
    assert triad(C_MAJOR, 0) == [0, 4, 7]
    assert triad(C_MAJOR, 4) == [7, 11, 2]
    assert triad(A_MINOR, 4) == [4, 8, 11]  # harmonic minor: E major
    assert 8 in scale(A_MINOR) and 8 not in scale(C_MAJOR)


def test_best_chords_picks_the_triad_of_the_notes():
    weights = torch.zeros(3, 12)
    weights[0, [0, 4, 7]] = 1  # C E G
    weights[1, [7, 11, 2]] = 1  # G B D
    keys = torch.full((3,), C_MAJOR)
    assert best_chords(weights, keys).tolist() == [0, 4, NO_CHORD]


@pytest.mark.parametrize(
    "name,expected",
    [("minor", A_MINOR), ("major", C_MAJOR), ("D major", 2), ("F# minor", 18), ("Bb", 10)],
)
def test_parse_key(name, expected):
    assert parse_key(name) == expected


@pytest.mark.parametrize("name", ["H major", "dorian", "C## major", ""])
def test_unknown_key_names_are_refused(name):
    with pytest.raises(ConfigError, match="unknown key name"):
        parse_key(name)


def test_parse_meter():
    assert parse_meter("4/4") == (16, 4)
    assert parse_meter("6/8") == (12, 6)
    assert parse_meter("3/4") == (12, 4)
    with pytest.raises(ConfigError, match="unknown meter"):
        parse_meter("four")


def test_encode_marks_cadences_strength_and_estimated_chords():
    y = melody([(60, 4), (64, 4), (67, 4), (72, 4), (62, 8), (67, 8)])
    template = MusicTemplate().encode(y)
    TEMPLATE_SPEC.check(template, "test")
    assert template[0, 0, T_CHORD] == 0  # bar 1 spells C E G C: I
    assert template[0, 4, T_CHORD] == 4  # bar 2 spells D G: V
    assert template[0, :4, T_STRENGTH].tolist() == [0, 1, 1, 1]
    assert template[0, 5, T_CADENCE] == 1  # phrase ends on G: half cadence
    assert (template[0, 6:] == 0).all()  # padding stays zero
    ends_on_tonic = MusicTemplate().encode(melody([(60, 8), (72, 8)]))
    assert ends_on_tonic[0, 1, T_CADENCE] == 2


def test_harmony_from_the_data_wins_over_the_estimate():
    y = melody([(60, 4), (64, 4)], chord=3)
    assert MusicTemplate().encode(y)[0, :2, T_CHORD].tolist() == [3, 3]


def test_rule_decoder_realises_its_template():
    y = melody([(60, 4), (65, 4), (67, 4), (71, 4), (62, 8), (72, 8)])
    rep = MusicTemplate()
    template = rep.encode(y)
    decoded = rep.decode(template)
    assert (decoded[..., DUR] == y[..., DUR]).all()
    for i in range(6):
        tones = triad(C_MAJOR, int(template[0, i, T_CHORD]))
        assert int(decoded[0, i, PITCH]) % 12 in tones
    assert int(decoded[0, 5, PITCH]) % 12 == 0  # authentic cadence on the tonic


def test_pitch_mask_follows_key_chord_and_cadence():
    template = BASE.encode(melody([(60, 4), (62, 2), (72, 10)]))[0]
    downbeat = template_pitch_mask(template[:1], None)[0]
    assert {int(p) % 12 for p in downbeat.nonzero()} == set(triad(C_MAJOR, 0))
    offbeat = template_pitch_mask(template[1:2], torch.tensor([60]))[0]
    allowed = offbeat.nonzero().flatten()
    assert {int(p) % 12 for p in allowed} <= set(scale(C_MAJOR))
    assert (allowed - 60).abs().max() <= 12
    cadence = template_pitch_mask(template[2:3], torch.tensor([62]))[0]
    assert {int(p) % 12 for p in cadence.nonzero()} == {0}


def test_pitch_mask_keeps_the_voice_range():
    template = BASE.encode(melody([(60, 4), (62, 2), (72, 10)]))[0]
    allowed = template_pitch_mask(template[1:2], None, low=64, high=76)[0].nonzero().flatten()
    assert int(allowed.min()) >= 64 and int(allowed.max()) <= 76


def test_contour_and_register_are_read_off_the_pitches():
    y = melody([(60, 4), (64, 4), (64, 4), (59, 4), (72, 16)])
    template = MusicTemplate().encode(y)
    TEMPLATE_SPEC.check(template, "test")
    assert template[0, :5, T_CONTOUR].tolist() == [0, 1, 3, 2, 1]  # first, up, same, down, up
    bands = template[0, :5, T_REGISTER].tolist()
    assert bands == register_band(y[0, :5, PITCH], y[0, :5, 5]).tolist()
    assert bands[0] < bands[1] and bands[3] < bands[0] < bands[4]
    assert (template[0, 5:] == 0).all()  # padding stays zero
    base = BASE.encode(y)
    assert (base[..., [T_CONTOUR, T_REGISTER]] == 0).all()
    assert torch.equal(base[..., :T_CONTOUR], template[..., :T_CONTOUR])


def test_template_is_deterministic_and_its_register_inverts():
    pitches = torch.arange(30, 100)
    for key in (C_MAJOR, A_MINOR, key_id(6, False)):
        keys = torch.full_like(pitches, key)
        bands = register_band(pitches, keys)
        low, high = register_pitches(bands, keys)
        assert ((low <= pitches) & (pitches <= high)).all()  # each pitch lies in its band
        assert bands.unique().tolist() == list(range(1, int(bands.max()) + 1))
    y = melody([(62, 2), (65, 2), (69, 4), (67, 8), (60, 16)], key=key_id(2, True))
    assert torch.equal(MusicTemplate().encode(y), MusicTemplate().encode(y.clone()))


def test_pitch_mask_follows_register_and_contour():
    y = melody([(67, 4), (65, 4), (65, 4), (69, 4)])
    template = MusicTemplate().encode(y)[0]
    for i in range(1, 4):
        previous = y[0, i - 1 : i, PITCH]
        allowed = template_pitch_mask(template[i : i + 1], previous)[0].nonzero().flatten()
        low, high = register_pitches(template[i, T_REGISTER], template[i, 5] * 0 + C_MAJOR)
        assert int(y[0, i, PITCH]) in allowed.tolist()  # the true pitch stays possible
        assert ((allowed >= low) & (allowed <= high)).all()
        move = int(template[i, T_CONTOUR])
        step = allowed - previous
        assert {1: (step > 0), 2: (step < 0), 3: (step == 0)}[move].all()


def test_unknown_template_extras_are_refused():
    with pytest.raises(ValueError, match="unknown template extras"):
        MusicTemplate(extras=("contour", "loudness"))
