"""The layout of regen's melody and music-template tables, shared by every melody stage.

A melody is a table of notes, one row each, ``MELODY_COLUMNS``; its template (TeleMelody's Y')
is a table of the same rows, ``TEMPLATE_COLUMNS`` (see
:mod:`regen.representations.music_template`). The data builder, the representation, the
generator and the renderer all index these columns, so the layout lives here, below all of
them, instead of in any one stage.
"""

from __future__ import annotations

import torch
from torch import Tensor

from regen.contracts import YSpec
from regen.modules.music_theory import NUM_CHORDS, NUM_KEYS

MELODY_COLUMNS = ("pitch", "duration", "position", "bar", "beat", "key", "chord", "phrase_end")
PITCH, DUR, POS, BAR, BEAT, KEY, CHORD, PHRASE = range(len(MELODY_COLUMNS))
MAX_DURATION = 32
MAX_BAR = 48

TEMPLATE_COLUMNS = (
    "key",
    "chord",
    "cadence",
    "position",
    "strength",
    "duration",
    "bar",
    "beat",
    "contour",
    "register",
)
(T_KEY, T_CHORD, T_CADENCE, T_POS, T_STRENGTH, T_DUR, T_BAR, T_BEAT, T_CONTOUR, T_REGISTER) = range(
    len(TEMPLATE_COLUMNS)
)
# contour: 0 not given (first note, or the field switched off), then up / down / same
CONTOUR_NONE, CONTOUR_UP, CONTOUR_DOWN, CONTOUR_SAME = range(4)
# register: 0 not given, then bands 1..REGISTER_BANDS of REGISTER_WIDTH semitones counted
# from REGISTER_LOW semitones below the key's tonic in the octave above middle C (MIDI 60-71);
# the outer bands take everything beyond them
REGISTER_BANDS, REGISTER_WIDTH, REGISTER_LOW = 8, 4, 12
TEMPLATE_SIZES = (
    NUM_KEYS,
    NUM_CHORDS,
    3,
    MAX_BAR,
    3,
    MAX_DURATION + 1,
    MAX_BAR + 1,
    MAX_BAR + 1,
    4,
    REGISTER_BANDS + 1,
)
MELODY_SIZES = (128, MAX_DURATION + 1, MAX_BAR, MAX_BAR + 1, MAX_BAR + 1, NUM_KEYS, NUM_CHORDS, 2)

TEMPLATE_SPEC = YSpec(
    kind="discrete",
    shape=(None, len(TEMPLATE_COLUMNS)),
    dtype="int64",
    vocab_size=max(TEMPLATE_SIZES),
    name="music template (key, chord, cadence, position, strength, duration, meter, contour, "
    "register) per note",
)
MELODY_SPEC = YSpec(
    kind="discrete",
    shape=(None, len(MELODY_COLUMNS)),
    dtype="int64",
    vocab_size=max(MELODY_SIZES),
    name="melody tokens (pitch, duration, position, meter, key, chord, phrase) per note",
)


def lengths_of(table: Tensor, duration_column: int) -> Tensor:
    """Notes per row of a padded melody/template table: padding rows have duration 0."""
    return (table[..., duration_column] > 0).sum(-1)


def valid_mask(table: Tensor, duration_column: int) -> Tensor:
    return table[..., duration_column] > 0


def metrical_strength(position: Tensor, beat: Tensor) -> Tensor:
    """0 on the downbeat, 1 on another beat, 2 between beats."""
    on_beat = position % beat.clamp(min=1) == 0
    return torch.where(position == 0, 0, torch.where(on_beat, 1, 2))


def register_band(pitch: Tensor, key: Tensor) -> Tensor:
    """Register band 1..REGISTER_BANDS of MIDI ``pitch`` in ``key`` (same shapes)."""
    tonic = 60 + key % 12
    band = torch.div(pitch - tonic + REGISTER_LOW, REGISTER_WIDTH, rounding_mode="floor")
    return band.clamp(0, REGISTER_BANDS - 1) + 1


def register_pitches(band: Tensor, key: Tensor) -> tuple[Tensor, Tensor]:
    """The MIDI range (low, high; inclusive) that ``band`` covers in ``key``: the inverse of
    :func:`register_band` (the outer bands reach 0 and 127)."""
    tonic = 60 + key % 12
    low = tonic - REGISTER_LOW + (band - 1) * REGISTER_WIDTH
    high = low + REGISTER_WIDTH - 1
    low = torch.where(band <= 1, 0, low)
    return low, torch.where(band >= REGISTER_BANDS, 127, high)
