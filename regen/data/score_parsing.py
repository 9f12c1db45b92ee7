"""Reading scores with music21: one melody's rows, its harmony, phrase segments, whole files.

The row layout (``MELODY_COLUMNS``) and the syllables are described in :mod:`regen.data.music`,
which builds the corpus from these; :mod:`regen.data.music_folder` reads a user's files with
the same functions, so both give identical rows for the same score.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from regen.data.cache import build_progress, files_fingerprint, load_or_build
from regen.data.lyrics import score_syllables
from regen.errors import DataError
from regen.modules.music_tables import MAX_BAR, MAX_DURATION, MELODY_COLUMNS, PHRASE
from regen.modules.music_theory import NO_CHORD, best_chords, key_id

# bump when the parsed rows change: the per-file and per-corpus caches are keyed by it
BUILDER_VERSION = 2

log = logging.getLogger(__name__)


def meter(stream: Any) -> tuple[int, int] | None:
    from music21 import meter

    found = stream.recurse().getElementsByClass(meter.TimeSignature)
    ts = found.first() if found else None
    if ts is None:
        return None
    bar = round(ts.barDuration.quarterLength * 4)
    beat = round(ts.beatDuration.quarterLength * 4)
    if not (4 <= bar <= MAX_BAR) or beat < 1:
        return None
    return bar, beat


def piece_key(stream: Any) -> int:
    analysed = stream.analyze("key")
    return key_id(analysed.tonic.pitchClass, analysed.mode == "minor")


def _first_lyric(note: Any) -> Any:
    """The lowest-numbered lyric line on ``note``: the corpus numbers the text after a
    repeated opening as line 2 (the repeat's second verse), so "line 1" alone would stop
    at the repeat sign."""
    sung = [lyric for lyric in note.lyrics if lyric.text]
    return min(sung, key=lambda lyric: lyric.number or 0) if sung else None


def melody_rows(part: Any, *, with_lyrics: bool) -> tuple[list[dict], list[tuple[str, str]]]:
    """Sung notes of ``part`` (melisma, ties and rests merged) and their syllables."""
    rows: list[dict] = []
    syllables: list[tuple[str, str]] = []
    for element in part.flatten().notesAndRests:
        length = float(element.quarterLength)
        if length <= 0:
            continue  # grace notes
        if element.isRest or element.isChord:
            if rows and element.isRest:
                rows[-1]["end"] = float(element.offset) + length
                rows[-1]["phrase"] = True  # a rest closes the phrase
            elif element.isChord:
                raise DataError("not monophonic")
            continue
        tied = element.tie is not None and element.tie.type in ("stop", "continue")
        lyric = _first_lyric(element) if with_lyrics else None
        fermata = any(type(e).__name__ == "Fermata" for e in element.expressions)
        if rows and (tied or (with_lyrics and lyric is None)):
            rows[-1]["end"] = float(element.offset) + length
            rows[-1]["phrase"] |= fermata
            continue
        if with_lyrics and lyric is None:
            continue  # notes before the first syllable
        rows.append(
            {
                "pitch": element.pitch.midi,
                "start": float(element.offset),
                "end": float(element.offset) + length,
                # only the first note's beat is read (the rest follow from durations), and
                # music21's beat lookup is half the parse time of a tune
                "beat": 0.0 if rows else float(element.beat),
                "phrase": fermata,
            }
        )
        if with_lyrics:
            syllables.append((lyric.text, lyric.syllabic or "single"))
    return rows, syllables


def harmony(score: Any, rows: list[dict], key: int, beat_q: float) -> list[int]:
    """Chord degree per row from every voice sounding during its first beat."""
    sounding = []
    for part in score.parts:
        for n in part.flatten().notes:
            for p in n.pitches:
                sounding.append((float(n.offset), float(n.offset + n.quarterLength), p.midi))
    weights, bass = np.zeros((len(rows), 12)), np.full(len(rows), -1)
    for i, row in enumerate(rows):
        lo, hi = row["start"], min(row["end"], row["start"] + beat_q)
        lowest = None
        for start, end, midi in sounding:
            overlap = min(end, hi) - max(start, lo)
            if overlap > 0:
                weights[i, midi % 12] += overlap
                lowest = midi if lowest is None else min(lowest, midi)
        bass[i] = -1 if lowest is None else lowest % 12
    keys = torch.full((len(rows),), key)
    chords = best_chords(torch.from_numpy(weights).float(), keys, torch.from_numpy(bass))
    return chords.tolist()


def melody_matrix(rows: list[dict], bar: int, beat: int, key: int, chords: list[int]) -> np.ndarray:
    out = np.zeros((len(rows), len(MELODY_COLUMNS)), dtype=np.int64)
    first = rows[0]
    position = round((first["beat"] - 1) * beat) % bar
    for i, row in enumerate(rows):
        duration = int(min(MAX_DURATION, max(1, round((row["end"] - row["start"]) * 4))))
        long_final = duration * 2 >= bar and (position + duration) % bar == 0
        out[i] = (row["pitch"], duration, position, bar, beat, key, chords[i], 0)
        out[i, PHRASE] = int(row["phrase"] or long_final or i == len(rows) - 1)
        position = (position + duration) % bar
    return out


def phrase_segments(matrix: np.ndarray, max_notes: int) -> list[tuple[int, int]]:
    """(start, end) row ranges of whole phrases, at most ``max_notes`` rows each."""
    ends = [i + 1 for i in np.flatnonzero(matrix[:, PHRASE])]
    if not ends or ends[-1] != len(matrix):
        ends.append(len(matrix))
    phrases, start = [], 0
    for end in ends:
        while end - start > max_notes:  # an over-long phrase is cut
            phrases.append((start, start + max_notes))
            start += max_notes
        if end > start:
            phrases.append((start, end))
        start = end
    segments: list[tuple[int, int]] = []
    for lo, hi in phrases:
        if segments and hi - segments[-1][0] <= max_notes:
            segments[-1] = (segments[-1][0], hi)
        else:
            segments.append((lo, hi))
    return [s for s in segments if s[1] - s[0] >= 4]


def parse_chorale(path: Path) -> dict | None:
    """Soprano rows, syllables and harmony of one chorale; None when it has no usable lyrics."""
    from music21 import corpus

    score = corpus.parse(path)
    if not hasattr(score, "parts") or len(score.parts) < 4:
        return None
    soprano = score.parts[0]
    meter_ = meter(soprano)
    if meter_ is None:
        return None
    try:
        rows, syllables = melody_rows(soprano, with_lyrics=True)
    except DataError:
        return None  # a soprano with chords (divisi) is not one melody
    if len(rows) < 8:
        return None
    key = piece_key(score)
    chords = harmony(score, rows, key, meter_[1] / 4)
    sylls = score_syllables([t for t, _ in syllables], [k for _, k in syllables])
    return {
        "matrix": melody_matrix(rows, *meter_, key, chords),
        "syllables": np.array([s.features() for s in sylls], dtype=np.int64),
        "texts": [s.text for s in sylls],
    }


def parse_folk(score: Any) -> dict | None:
    """Rows of one monophonic folk tune; None when it is not a usable melody."""
    meter_ = meter(score)
    if meter_ is None or (hasattr(score, "parts") and len(score.parts) > 1):
        return None
    try:
        rows, _ = melody_rows(score, with_lyrics=False)
    except DataError:
        return None
    if len(rows) < 8:
        return None
    key = piece_key(score)
    return {"matrix": melody_matrix(rows, *meter_, key, [NO_CHORD] * len(rows))}


# --------------------------------------------------------------------------- building


def parse_chorales(paths: list[Path]) -> list[tuple[str, dict]]:
    items = []
    for path in build_progress(paths, "parsing chorales"):
        parsed = parse_chorale(path)
        if parsed is not None:
            items.append(("bach/" + path.stem, parsed))
    return items


def parse_folk_file(path: Path) -> tuple[list[tuple[str, dict]], dict[str, int]]:
    """Every usable tune of one folk-song file, and counts of what was skipped.

    A file music21 cannot read (malformed ABC, a truncated download) is skipped and counted
    (``files_failed``), never fatal: one bad file must not sink a corpus of thousands of tunes.
    """
    from music21 import converter

    try:
        opus = converter.parse(path)
    except Exception as exc:  # music21 raises many unrelated types for broken files
        log.warning("skipping %s: music21 cannot parse it (%s)", path.name, exc)
        return [], {"files_failed": 1, "tunes": 0, "tunes_skipped": 0}
    scores = list(opus.scores) if hasattr(opus, "scores") and len(opus.scores) else [opus]
    items = []
    for i, score in enumerate(scores):
        try:
            parsed = parse_folk(score)
        except Exception as exc:  # one odd tune (no notes, broken key analysis) is skipped
            log.warning("skipping tune %d of %s (%s)", i, path.name, exc)
            parsed = None
        if parsed is not None:
            items.append((f"{path.parent.name}/{path.stem}#{i}", parsed))
    return items, {
        "files_failed": 0,
        "tunes": len(items),
        "tunes_skipped": len(scores) - len(items),
    }


def _cached_folk_file(path: Path) -> tuple[list[tuple[str, dict]], dict[str, int]]:
    """:func:`parse_folk_file` through a cache entry of its own per file: adding a collection
    or a file parses only what is new (a whole essenFolksong file takes ~20 s)."""

    def build() -> tuple[dict, dict]:
        items, counts = parse_folk_file(path)
        rows = [parsed["matrix"] for _, parsed in items]
        matrix = np.concatenate(rows) if rows else np.zeros((0, len(MELODY_COLUMNS)), np.int64)
        tensors = {
            "matrix": torch.from_numpy(matrix),
            "rows": torch.tensor([len(r) for r in rows], dtype=torch.long),
        }
        return tensors, {"pieces": [name for name, _ in items], "counts": counts}

    key = f"melody-folkfile-v{BUILDER_VERSION}-{path.stem}-{files_fingerprint([path])}"
    tensors, meta = load_or_build(key, build)
    bounds = np.cumsum([0, *tensors["rows"].tolist()])
    matrix = tensors["matrix"].numpy()
    items = [
        (name, {"matrix": matrix[lo:hi]})
        for name, lo, hi in zip(meta["pieces"], bounds[:-1], bounds[1:])
    ]
    return items, meta["counts"]


def parse_folk_files(paths: list[Path]) -> tuple[list[tuple[str, dict]], dict[str, int]]:
    """Usable tunes of every file in ``paths`` (each file parsed once, then cached), and the
    counts ``files``, ``files_failed`` (unreadable files, skipped), ``tunes`` (kept) and
    ``tunes_skipped`` (polyphonic, too short, no meter)."""
    items, counts = [], {"files": len(paths), "files_failed": 0, "tunes": 0, "tunes_skipped": 0}
    for path in build_progress(paths, "parsing folk tunes"):
        found, found_counts = _cached_folk_file(path)
        items += found
        for name, count in found_counts.items():
            counts[name] += count
    return items, counts


def read_melody_file(path: Path) -> dict[str, int]:
    """Key and meter of a monophonic melody in a MIDI or MusicXML file.

    Returns:
        ``{"key": key id, "bar": 16ths, "beat": 16ths, "notes": count}``.

    Raises:
        DataError: the file is missing, unreadable or corrupted, or holds no single melody
            (no notes, or chords / several voices sounding at once).
    """
    from music21 import converter

    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such melody file: {path}")
    try:
        score = converter.parse(str(path))
    except Exception as exc:  # music21 raises many unrelated types for broken files
        reason = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
        raise DataError(
            f"cannot read {path.name} as MIDI or MusicXML ({reason}); give a .mid or "
            ".musicxml file of one melody"
        ) from None
    parts = [p for p in getattr(score, "parts", [score]) if p.flatten().notes]
    if not parts:
        raise DataError(f"{path.name} holds no notes; give a file with one melody")
    if len(parts) > 1 or any(n.isChord for n in parts[0].flatten().notes):
        raise DataError(
            f"{path.name} is not a melody (several voices or chords); give one monophonic line"
        )
    bar, beat = meter(parts[0]) or (16, 4)
    return {
        "key": piece_key(parts[0]),
        "bar": bar,
        "beat": beat,
        "notes": len(parts[0].flatten().notes),
    }
