"""The music template (TeleMelody's Y'): what a melody does, without its pitches.

Per note, ``TEMPLATE_COLUMNS``:

    key        0..23, the piece's key (music21 key analysis; 12 + tonic = minor)
    chord      diatonic triad degree 0..6 under the note: from the harmony when the data has
               it (chorales), otherwise estimated from the melody's notes in the same bar;
               7 = none (a bar with no notes cannot happen, kept for padding)
    cadence    0 none, 1 half (phrase ends off the tonic), 2 authentic (phrase ends on it)
    position   onset within the bar in 16ths
    strength   0 downbeat, 1 other beat, 2 off the beat
    duration   in 16ths: the rhythm pattern
    bar, beat  bar and beat length in 16ths
    contour    the step from the previous note: 1 up, 2 down, 3 same (0: first note)
    register   the note's height in bands of a major third around the key's tonic
               (``register_band``): with the key it fixes the octave, which the chord and
               scale leave open

``contour`` and ``register`` are the melodic shape that key, chords and rhythm do not pin
down: from the first eight fields alone, a renderer reaches about the direct baseline's
melody distance. Either can be left out (``extras``); it is then 0 (not given) everywhere.

Explicit: nothing to fit, ``encode`` is a pure function of the melody table
(:mod:`regen.data.music`). ``decode`` is a fixed rule (chord tones moving by the smallest
step, tonic at authentic cadences); the learned renderer in
:mod:`regen.renderers.template_to_melody` replaces it in the pipeline.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from regen.modules.music_tables import (
    BAR,
    BEAT,
    CHORD,
    DUR,
    KEY,
    MELODY_COLUMNS,
    PHRASE,
    PITCH,
    POS,
    T_BAR,
    T_BEAT,
    T_CADENCE,
    T_CHORD,
    T_DUR,
    T_KEY,
    T_POS,
    TEMPLATE_COLUMNS,
    TEMPLATE_SPEC,
    metrical_strength,
    register_band,
    valid_mask,
)
from regen.modules.music_theory import NO_CHORD, best_chords, triad_masks

EXTRAS = ("contour", "register")


def bar_chords(melody: Tensor) -> Tensor:
    """Chord degree per note estimated from the pitch classes (by duration) of its bar.

    Args:
        melody: int64 [B, T, 8] melody table.

    Returns:
        int64 [B, T].
    """
    valid = valid_mask(melody, DUR)
    duration = melody[..., DUR] * valid
    onset = melody[..., POS][:, :1] + torch.cumsum(duration, 1) - duration
    bar_index = onset // melody[..., BAR][:, :1].clamp(min=1)  # [B, T]
    bars = int(bar_index.max()) + 1 if bar_index.numel() else 1
    weights = torch.zeros(melody.shape[0], bars, 12)
    flat = bar_index * 12 + melody[..., PITCH] % 12
    weights.view(melody.shape[0], -1).scatter_add_(1, flat, duration.float())
    keys = melody[:, :1, KEY].expand(-1, bars)
    chords = best_chords(weights, keys)  # [B, bars]
    return torch.gather(chords, 1, bar_index)


def pitch_contour(pitch: Tensor, valid: Tensor) -> Tensor:
    """Per note: 1 up, 2 down, 3 same as the note before; 0 on the first note and padding.

    Args:
        pitch: int64 [B, T] MIDI numbers; valid: bool [B, T].
    """
    step = pitch[:, 1:] - pitch[:, :-1]
    moves = torch.where(step > 0, 1, torch.where(step < 0, 2, 3))
    moves = moves * (valid[:, 1:] & valid[:, :-1])
    return torch.cat([torch.zeros_like(pitch[:, :1]), moves], 1)


class MusicTemplate(nn.Module):
    """Melody table [B, T, 8] <-> template [B, T, 10]; nothing to train.

    ``extras``: which of ``contour`` and ``register`` the template carries (both by default);
    the columns stay in the table either way, 0 when left out, so every stage keeps one layout.
    """

    trainable = False

    def __init__(self, extras: tuple[str, ...] | list[str] = EXTRAS) -> None:
        super().__init__()
        unknown = set(extras) - set(EXTRAS)
        if unknown:
            raise ValueError(f"unknown template extras {sorted(unknown)}; choose from {EXTRAS}")
        self.extras = tuple(e for e in EXTRAS if e in extras)
        self.spec = TEMPLATE_SPEC

    def encode(self, y: Tensor) -> Tensor:
        """Template of each note of ``y`` (melody table, padding rows stay zero)."""
        valid = valid_mask(y, DUR)
        estimated = bar_chords(y)
        chord = torch.where(y[..., CHORD] < NO_CHORD, y[..., CHORD], estimated)
        tonic = y[..., KEY] % 12
        phrase_end = y[..., PHRASE] > 0
        cadence = torch.where(phrase_end, torch.where(y[..., PITCH] % 12 == tonic, 2, 1), 0)
        strength = metrical_strength(y[..., POS], y[..., BEAT])
        zero = torch.zeros_like(y[..., PITCH])
        contour = pitch_contour(y[..., PITCH], valid) if "contour" in self.extras else zero
        register = register_band(y[..., PITCH], y[..., KEY]) if "register" in self.extras else zero
        columns = (y[..., KEY], chord, cadence, y[..., POS], strength, y[..., DUR])
        out = torch.stack([*columns, y[..., BAR], y[..., BEAT], contour, register], -1)
        assert out.shape[-1] == len(TEMPLATE_COLUMNS)
        return out * valid[..., None]

    def decode(self, y_prime: Tensor) -> Tensor:
        """A rule-based melody: the chord tone nearest the previous note (from the tonic
        above middle C), the tonic itself at authentic cadences."""
        batch, length, _ = y_prime.shape
        valid = valid_mask(y_prime, T_DUR)
        keys, chords = y_prime[..., T_KEY], y_prime[..., T_CHORD]
        tones = triad_masks()[keys, chords]  # [B, T, 12]
        authentic = y_prime[..., T_CADENCE] == 2
        tonic_only = torch.zeros_like(tones).scatter_(-1, (keys % 12)[..., None], True)
        tones = torch.where(authentic[..., None], tonic_only, tones)
        tones = torch.where(tones.any(-1, keepdim=True), tones, tonic_only)
        previous = 60 + keys[:, 0] % 12
        candidates = torch.arange(48, 85)
        pitches = []
        for i in range(length):
            allowed = tones[:, i][:, candidates % 12]
            distance = (candidates[None] - previous[:, None]).abs().float()
            pick = candidates[distance.masked_fill(~allowed, 1e9).argmin(-1)]
            pitches.append(pick)
            previous = pick
        return melody_from_template(y_prime, torch.stack(pitches, 1) * valid)


def melody_from_template(template: Tensor, pitch: Tensor) -> Tensor:
    """The melody table with ``pitch`` [B, T] and the rhythm, meter, key and phrase ends
    that ``template`` gives."""
    out = torch.zeros(*template.shape[:2], len(MELODY_COLUMNS), dtype=torch.long)
    out[..., PITCH] = pitch
    out[..., DUR] = template[..., T_DUR]
    out[..., POS] = template[..., T_POS]
    out[..., BAR] = template[..., T_BAR]
    out[..., BEAT] = template[..., T_BEAT]
    out[..., KEY] = template[..., T_KEY]
    out[..., CHORD] = NO_CHORD  # a generated melody carries no harmony of its own
    out[..., PHRASE] = (template[..., T_CADENCE] > 0).long()
    return out * valid_mask(template, T_DUR)[..., None]
