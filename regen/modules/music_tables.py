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

TEMPLATE_COLUMNS = ("key", "chord", "cadence", "position", "strength", "duration", "bar", "beat")
T_KEY, T_CHORD, T_CADENCE, T_POS, T_STRENGTH, T_DUR, T_BAR, T_BEAT = range(len(TEMPLATE_COLUMNS))
TEMPLATE_SIZES = (NUM_KEYS, NUM_CHORDS, 3, MAX_BAR, 3, MAX_DURATION + 1, MAX_BAR + 1, MAX_BAR + 1)
MELODY_SIZES = (128, MAX_DURATION + 1, MAX_BAR, MAX_BAR + 1, MAX_BAR + 1, NUM_KEYS, NUM_CHORDS, 2)

TEMPLATE_SPEC = YSpec(
    kind="discrete",
    shape=(None, len(TEMPLATE_COLUMNS)),
    dtype="int64",
    vocab_size=max(TEMPLATE_SIZES),
    name="music template (key, chord, cadence, position, strength, duration, meter) per note",
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
