"""Melody metrics of the lyric-to-melody literature, plus template and alignment accuracy.

All take padded melody tables [N, T, 8] (:mod:`regen.data.music`); definitions (also in
docs/melody.md):

- PD, pitch-distribution similarity (%): per song, the overlap sum_p min(P_gen(p), P_true(p))
  of the normalised histograms of MIDI pitch (one count per note), averaged over songs.
- DD, duration-distribution similarity (%): the same over note durations in 16ths.
- MD, melody distance (semitones): each melody as a pitch contour on the 16th grid (a note
  repeated for each 16th it lasts) minus its own mean pitch; dynamic time warping with cost
  |a - b| between the two contours; the total cost divided by the longer contour's length.
- template accuracy of a melody against the template it should realise: tonality (music21's
  key analysis of the melody names the template key), chord (notes on a beat that are tones
  of the template chord), rhythm (position and duration equal), cadence (authentic: the
  phrase's last note is the tonic; half: it is not).
- syllable-note alignment: the share of syllables that got exactly one note, and of stressed
  syllables of polysyllabic words that fall on a beat.
"""

from __future__ import annotations

import numpy as np
import torch

from regen.modules.music_tables import (
    BEAT,
    DUR,
    MAX_DURATION,
    PITCH,
    POS,
    T_CADENCE,
    T_CHORD,
    T_DUR,
    T_KEY,
    T_POS,
    T_STRENGTH,
    lengths_of,
    metrical_strength,
)
from regen.modules.music_theory import key_id, triad_masks


def _notes(melody: torch.Tensor) -> torch.Tensor:
    return melody[: int(lengths_of(melody[None], DUR)[0])]


def _overlap(a: np.ndarray, b: np.ndarray, bins: int) -> float:
    pa = np.bincount(a, minlength=bins) / max(1, len(a))
    pb = np.bincount(b, minlength=bins) / max(1, len(b))
    return float(np.minimum(pa, pb).sum())


def distribution_similarity(generated: torch.Tensor, truth: torch.Tensor) -> dict[str, float]:
    """PD and DD in percent (higher is better), averaged over the N songs."""
    pd, dd = [], []
    for gen, true in zip(generated, truth):
        g, t = _notes(gen).numpy(), _notes(true).numpy()
        pd.append(_overlap(g[:, PITCH], t[:, PITCH], 128))
        dd.append(_overlap(g[:, DUR], t[:, DUR], MAX_DURATION + 1))
    return {"pd": 100 * float(np.mean(pd)), "dd": 100 * float(np.mean(dd))}


def contour(melody: torch.Tensor) -> np.ndarray:
    """Pitch on the 16th grid minus its mean (float [sum of durations])."""
    notes = _notes(melody).numpy()
    line = np.repeat(notes[:, PITCH], notes[:, DUR]).astype(float)
    return line - line.mean() if len(line) else line


def dtw_distance(a: np.ndarray, b: np.ndarray) -> float:
    """DTW with cost |a_i - b_j|, divided by max(len(a), len(b))."""
    n, m = len(a), len(b)
    if not n or not m:
        return float("nan")
    cost = np.abs(a[:, None] - b[None, :])
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, n + 1):
        row, prev = acc[i], acc[i - 1]
        diag_up = np.minimum(prev[:-1], prev[1:]) + cost[i - 1]  # best of (i-1, j-1), (i-1, j)
        for j in range(1, m + 1):  # the left neighbour depends on this row: one pass
            row[j] = min(diag_up[j - 1], row[j - 1] + cost[i - 1, j - 1])
    return float(acc[n, m] / max(n, m))


def melody_distance(generated: torch.Tensor, truth: torch.Tensor) -> float:
    """MD (semitones, lower is better) averaged over songs."""
    return float(np.mean([dtw_distance(contour(g), contour(t)) for g, t in zip(generated, truth)]))


def analysed_key(melody: torch.Tensor) -> int:
    """music21's key analysis (Krumhansl-Schmuckler) of one melody, as a key id."""
    from music21 import note, stream

    part = stream.Stream()
    for row in _notes(melody).tolist():
        part.append(note.Note(row[PITCH], quarterLength=row[DUR] / 4))
    found = part.analyze("key")
    return key_id(found.tonic.pitchClass, found.mode == "minor")


def template_accuracy(melodies: torch.Tensor, templates: torch.Tensor) -> dict[str, float]:
    """How far each melody realises its template (fractions in [0, 1], higher is better)."""
    tonality, chord, rhythm, cadence = [], [], [], []
    for melody, template in zip(melodies, templates):
        m, t = _notes(melody), template[: len(_notes(melody))]
        tonality.append(float(analysed_key(melody) == int(t[0, T_KEY])))
        pc = m[:, PITCH] % 12
        tones = triad_masks()[t[:, T_KEY], t[:, T_CHORD]]
        on_beat = (t[:, T_STRENGTH] <= 1) & tones.any(-1)
        hits = tones[torch.arange(len(m)), pc]
        chord += hits[on_beat].float().tolist()
        rhythm += ((m[:, POS] == t[:, T_POS]) & (m[:, DUR] == t[:, T_DUR])).float().tolist()
        tonic = pc == t[:, T_KEY] % 12
        cad = t[:, T_CADENCE]
        cadence += torch.where(cad == 2, tonic, ~tonic)[cad > 0].float().tolist()
    mean = lambda xs: float(np.mean(xs)) if xs else float("nan")  # noqa: E731
    return {
        "template_tonality": mean(tonality),
        "template_chord": mean(chord),
        "template_rhythm": mean(rhythm),
        "template_cadence": mean(cadence),
    }


def alignment_accuracy(
    melodies: torch.Tensor, syllables: torch.Tensor, lengths: torch.Tensor
) -> dict[str, float]:
    """Syllables with one note each, and stressed syllables of longer words on a beat.

    Args:
        melodies: [N, T, 8]; syllables: [N, T, 3] (stress, word position, punctuation);
        lengths: syllables per song [N].
    """
    one_note = (lengths_of(melodies, DUR) == lengths).float().mean().item()
    on_beat = []
    for melody, syll, n in zip(melodies, syllables, lengths.tolist()):
        m = melody[:n]
        strength = metrical_strength(m[:, POS], m[:, BEAT])
        stressed = (syll[:n, 0] == 1) & (syll[:n, 1] > 0)  # primary stress, polysyllabic word
        on_beat += (strength[stressed] <= 1).float().tolist()
    return {
        "syllable_one_note": one_note,
        "stress_on_beat": float(np.mean(on_beat)) if on_beat else float("nan"),
    }
