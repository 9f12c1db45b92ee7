"""The little music theory the melody pipeline needs: keys, scales, diatonic triads, chords.

Keys are ids 0..23: tonic pitch class + 12 for minor (``key_id``). Chords are the seven
diatonic triads of the key, by scale degree 0..6 (I..VII), with 7 meaning "no chord known".
Minor keys use the harmonic minor for V and VII (raised leading tone), as Bach does.
"""

from __future__ import annotations

import functools

import torch

from regen.errors import ConfigError

MAJOR = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR = (0, 2, 3, 5, 7, 8, 10)
NO_CHORD = 7
NUM_KEYS = 24
NUM_CHORDS = 8
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# Preference when two triads explain the notes equally well: I, V, IV, vi, ii, vii, iii.
_PREFERENCE = torch.tensor([7, 3, 1, 5, 6, 4, 2], dtype=torch.float32) * 1e-3


def key_id(tonic_pc: int, minor: bool) -> int:
    return tonic_pc % 12 + (12 if minor else 0)


def key_name(key: int) -> str:
    return f"{NOTE_NAMES[key % 12]} {'minor' if key >= 12 else 'major'}"


def scale(key: int) -> list[int]:
    """Pitch classes allowed in ``key``: the diatonic scale, plus the raised 7th in minor."""
    tonic, minor = key % 12, key >= 12
    steps = [*NATURAL_MINOR, 11] if minor else list(MAJOR)
    return sorted({(tonic + s) % 12 for s in steps})


def triad(key: int, degree: int) -> list[int]:
    """Pitch classes (root first) of the diatonic triad on scale ``degree`` (0 = I)."""
    if degree >= NO_CHORD:
        return []
    tonic, minor = key % 12, key >= 12
    steps = list(NATURAL_MINOR if minor else MAJOR)
    if minor:
        steps[6] = 11  # harmonic minor: V major, vii diminished
    return [(tonic + steps[(degree + 2 * k) % 7]) % 12 for k in range(3)]


@functools.cache
def scale_masks() -> torch.Tensor:
    """bool [24, 12]: pitch classes of each key's scale."""
    masks = torch.zeros(NUM_KEYS, 12, dtype=torch.bool)
    for key in range(NUM_KEYS):
        masks[key, scale(key)] = True
    return masks


@functools.cache
def triad_masks() -> torch.Tensor:
    """bool [24, 8, 12]: pitch classes of each key's triads (row 7, no chord, is all False)."""
    masks = torch.zeros(NUM_KEYS, NUM_CHORDS, 12, dtype=torch.bool)
    for key in range(NUM_KEYS):
        for degree in range(NO_CHORD):
            masks[key, degree, triad(key, degree)] = True
    return masks


def best_chords(
    weights: torch.Tensor, keys: torch.Tensor, bass: torch.Tensor | None = None
) -> torch.Tensor:
    """The diatonic triad that best explains pitch-class ``weights`` [..., 12] (durations).

    Score = weight inside the triad - half the weight outside + 0.2 x the root's weight, plus
    a quarter of the total when ``bass`` (pitch class [...], -1 unknown) is the root.

    Args:
        weights: float [..., 12].
        keys: int64 [...] key ids.
        bass: optional int64 [...] bass pitch classes.

    Returns:
        int64 [...] degrees 0..6; NO_CHORD where all weights are zero.
    """
    masks = triad_masks()[keys][..., :NO_CHORD, :].float()  # [..., 7, 12]
    total = weights.sum(-1, keepdim=True)
    inside = (masks * weights[..., None, :]).sum(-1)
    roots = torch.tensor([triad(0, d)[0] for d in range(NO_CHORD)])  # root offsets in C major
    minor_roots = torch.tensor([triad(12 + 0, d)[0] for d in range(NO_CHORD)])
    offsets = torch.where((keys >= 12)[..., None], minor_roots, roots)
    root_pc = (offsets + (keys % 12)[..., None]) % 12  # [..., 7]
    root_weight = torch.gather(weights, -1, root_pc)
    score = inside - 0.5 * (total - inside) + 0.2 * root_weight + _PREFERENCE * total
    if bass is not None:
        score = score + 0.25 * total * (root_pc == bass[..., None]).float()
    chords = score.argmax(-1)
    return torch.where(total[..., 0] > 0, chords, torch.full_like(chords, NO_CHORD))


_KEY_PATTERN = r"^\s*(?:([A-Ga-g])\s*([#b♯♭]?)\s*)?(major|minor|maj|min|m)?\s*$"
_FLAT_TONICS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def parse_key(name: str) -> int:
    """Key id from a name: ``minor`` (A minor), ``major`` (C major), ``D``, ``F# minor``,
    ``Bb major``, ``c min``.

    Raises:
        ConfigError: anything else, with examples of valid names.
    """
    import re

    match = re.match(_KEY_PATTERN, name or "", re.IGNORECASE)
    if not match or not (match.group(1) or match.group(3)):
        raise ConfigError(
            f"unknown key name {name!r}; use e.g. minor, major, 'D major', 'F# minor', 'Bb major'"
        )
    letter, accidental, mode = match.groups()
    minor = (mode or "").lower() in ("minor", "min", "m")
    if letter is None:
        return key_id(9 if minor else 0, minor)
    tonic = _FLAT_TONICS[letter.upper()] + {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(accidental, 0)
    return key_id(tonic % 12, minor)


def parse_meter(text: str) -> tuple[int, int]:
    """(bar, beat) in 16ths from a time signature such as ``4/4``, ``3/4`` or ``6/8``."""
    import re

    match = re.match(r"^\s*(\d+)\s*/\s*(1|2|4|8|16)\s*$", text or "")
    numerator = int(match.group(1)) if match else 0
    if not match or not 1 <= numerator <= 12:
        raise ConfigError(f"unknown meter {text!r}; use a time signature such as 4/4, 3/4 or 6/8")
    sixteenths = 16 // int(match.group(2))
    bar = numerator * sixteenths
    compound = int(match.group(2)) >= 8 and numerator % 3 == 0 and numerator > 3
    if bar > 48:
        raise ConfigError(f"meter {text} has bars longer than 3 whole notes; use a shorter one")
    return bar, 3 * sixteenths if compound else sixteenths
