"""Melodies from music21's bundled corpus: Bach chorale sopranos with lyrics, folk tunes without.

One item is a segment of whole phrases (at most ``max_notes`` notes) of one piece, one row
per sung note on a 16th-note grid (``MELODY_COLUMNS``):

    pitch       MIDI number
    duration    in 16ths (1..MAX_DURATION); a rest is added to the note before it
    position    onset within the bar, in 16ths
    bar, beat   bar and beat length in 16ths (the time signature)
    key         0..23 from music21's key analysis of the whole piece (12 + tonic = minor)
    chord       diatonic triad degree 0..6 from the chorale's four voices; 7 = unknown
    phrase_end  1 on the last note of a phrase (fermata, rest after, or long final note)

Paired items (chorales) carry one syllable per row (``SYLLABLE_FIELDS``): the lowest-numbered
lyric line of each note (the first verse, continued past repeat signs); a syllable held over several notes (melisma) or tied notes become one note that starts
at the first pitch and lasts the whole span, so the melody has exactly one note per syllable.
Folk tunes have no lyrics; each note is its own row. Padding rows are all zero (duration 0).

Pieces are parsed once and cached (:mod:`regen.data.cache`); the split is by piece.
"""

from __future__ import annotations

import logging
import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from regen.data.cache import build_progress, files_fingerprint, load_or_build
from regen.data.lyrics import SYLLABLE_FIELDS, score_syllables
from regen.errors import DataError
from regen.modules.music_tables import (
    KEY,
    MAX_BAR,
    MAX_DURATION,
    MELODY_COLUMNS,
    PHRASE,
    PITCH,
)
from regen.modules.music_theory import NO_CHORD, best_chords, key_id

FOLK_COLLECTIONS = ("essenFolksong", "oneills1850", "airdsAirs", "ryansMammoth")
BUILDER_VERSION = 2

log = logging.getLogger(__name__)


@dataclass
class MelodyDataConfig:
    """Which part of the corpus to use and how to cut it."""

    max_chorales: int | None = None  # None: every chorale with lyrics
    # Sung tunes by default: nearer the chorales than oneills1850 / airdsAirs / ryansMammoth's
    # fiddle tunes (all four are available; FOLK_COLLECTIONS).
    folk_collections: list[str] = field(default_factory=lambda: ["essenFolksong"])
    # Files per collection, None: all. Each file is parsed once (~20 s for an essenFolksong
    # file of ~300 tunes) and cached on its own.
    max_folk_files: int | None = None
    max_notes: int = 32  # notes per segment
    transpose: list[int] = field(default_factory=lambda: [-3, -2, -1, 0, 1, 2, 3])
    paired_fraction: float = 1.0  # share of the training chorales used as pairs
    chorale_repeat: int = 4  # times the training chorale sopranos appear in the unpaired set
    test_fraction: float = 0.15  # share of chorale pieces held out
    # your own scores instead of music21's corpus (regen/data/music_folder.py): a folder of
    # MIDI / MusicXML files; pieces with lyrics are the pairs (and the held-out set), the
    # others unpaired melodies. max_notes, transpose, paired_fraction, chorale_repeat and
    # test_fraction apply to it; max_chorales and the folk settings do not
    source: str | None = None
    strict: bool = False  # source: stop at the first bad file instead of skipping it


@dataclass
class MelodySet:
    """Segments as padded tensors plus what the report needs to show them."""

    melodies: torch.Tensor  # int64 [N, T, 8], MELODY_COLUMNS
    syllables: torch.Tensor  # int64 [N, T, 3], SYLLABLE_FIELDS (zeros for folk tunes)
    lengths: torch.Tensor  # int64 [N]
    paired: torch.Tensor  # bool [N]
    pieces: list[str]
    texts: list[list[str]]  # syllable texts per segment (empty for folk tunes)
    source: str = ""

    def __len__(self) -> int:
        return len(self.pieces)

    def subset(self, index: list[int] | torch.Tensor) -> MelodySet:
        index = torch.as_tensor(index, dtype=torch.long)
        picked = index.tolist()
        return MelodySet(
            self.melodies[index],
            self.syllables[index],
            self.lengths[index],
            self.paired[index],
            [self.pieces[i] for i in picked],
            [self.texts[i] for i in picked],
            self.source,
        )


# --------------------------------------------------------------------------- parsing


def _meter(stream: Any) -> tuple[int, int] | None:
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


def _key(stream: Any) -> int:
    analysed = stream.analyze("key")
    return key_id(analysed.tonic.pitchClass, analysed.mode == "minor")


def _first_lyric(note: Any) -> Any:
    """The lowest-numbered lyric line on ``note``: the corpus numbers the text after a
    repeated opening as line 2 (the repeat's second verse), so "line 1" alone would stop
    at the repeat sign."""
    sung = [lyric for lyric in note.lyrics if lyric.text]
    return min(sung, key=lambda lyric: lyric.number or 0) if sung else None


def _rows(part: Any, *, with_lyrics: bool) -> tuple[list[dict], list[tuple[str, str]]]:
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


def _harmony(score: Any, rows: list[dict], key: int, beat_q: float) -> list[int]:
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


def _matrix(rows: list[dict], bar: int, beat: int, key: int, chords: list[int]) -> np.ndarray:
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


def _segments(matrix: np.ndarray, max_notes: int) -> list[tuple[int, int]]:
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
    meter_ = _meter(soprano)
    if meter_ is None:
        return None
    try:
        rows, syllables = _rows(soprano, with_lyrics=True)
    except DataError:
        return None  # a soprano with chords (divisi) is not one melody
    if len(rows) < 8:
        return None
    key = _key(score)
    chords = _harmony(score, rows, key, meter_[1] / 4)
    sylls = score_syllables([t for t, _ in syllables], [k for _, k in syllables])
    return {
        "matrix": _matrix(rows, *meter_, key, chords),
        "syllables": np.array([s.features() for s in sylls], dtype=np.int64),
        "texts": [s.text for s in sylls],
    }


def parse_folk(score: Any) -> dict | None:
    """Rows of one monophonic folk tune; None when it is not a usable melody."""
    meter_ = _meter(score)
    if meter_ is None or (hasattr(score, "parts") and len(score.parts) > 1):
        return None
    try:
        rows, _ = _rows(score, with_lyrics=False)
    except DataError:
        return None
    if len(rows) < 8:
        return None
    key = _key(score)
    return {"matrix": _matrix(rows, *meter_, key, [NO_CHORD] * len(rows))}


# --------------------------------------------------------------------------- building


def _corpus_files(cfg: MelodyDataConfig) -> tuple[list[Path], list[Path]]:
    try:
        from music21 import corpus
    except ImportError as exc:  # pragma: no cover - pinned dependency
        raise DataError("melody data needs PyPI music21: pip install music21") from exc
    chorales = sorted(p for p in corpus.getComposer("bach") if p.suffix in (".mxl", ".xml"))
    if cfg.max_chorales is not None:
        chorales = chorales[: cfg.max_chorales]
    folk = []
    for name in cfg.folk_collections:
        if name not in FOLK_COLLECTIONS:
            raise DataError(f"unknown folk collection {name!r}; choose from {FOLK_COLLECTIONS}")
        folk += sorted(corpus.getComposer(name))[: cfg.max_folk_files]
    if not chorales:
        raise DataError("music21's corpus has no Bach chorales; reinstall PyPI music21")
    return chorales, folk


def _parse_chorales(paths: list[Path]) -> list[tuple[str, dict]]:
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


def _segment_tensors(items: list[tuple[str, dict]], max_notes: int) -> tuple[dict, dict]:
    """Padded tensors of every segment of the parsed pieces, and their names and texts."""
    import music21

    melodies, syllables, lengths, paired, pieces, texts = [], [], [], [], [], []
    for piece, parsed in items:
        for lo, hi in _segments(parsed["matrix"], max_notes):
            m = np.zeros((max_notes, len(MELODY_COLUMNS)), np.int64)
            s = np.zeros((max_notes, len(SYLLABLE_FIELDS)), np.int64)
            m[: hi - lo] = parsed["matrix"][lo:hi]
            has_lyrics = "syllables" in parsed
            if has_lyrics:
                s[: hi - lo] = parsed["syllables"][lo:hi]
            melodies.append(m)
            syllables.append(s)
            lengths.append(hi - lo)
            paired.append(has_lyrics)
            pieces.append(piece)
            texts.append(parsed["texts"][lo:hi] if has_lyrics else [])
    width = (0, max_notes)
    tensors = {
        "melodies": torch.from_numpy(np.stack(melodies) if melodies else np.zeros((*width, 8))),
        "syllables": torch.from_numpy(np.stack(syllables) if syllables else np.zeros((*width, 3))),
        "lengths": torch.tensor(lengths, dtype=torch.long),
        "paired": torch.tensor(paired, dtype=torch.bool),
    }
    meta = {"pieces": pieces, "texts": texts, "source": f"music21 {music21.__version__} corpus"}
    return {k: v.long() if k != "paired" else v for k, v in tensors.items()}, meta


def _load_chorales(paths: list[Path], max_notes: int) -> tuple[dict, dict]:
    """Segments of the chorales, cached as one entry."""
    key = f"melody-chorales-v{BUILDER_VERSION}-{max_notes}-{files_fingerprint(paths)}"
    return load_or_build(key, lambda: _segment_tensors(_parse_chorales(paths), max_notes))


def _load_folk(paths: list[Path], max_notes: int) -> tuple[dict, dict]:
    """Segments of the folk tunes (each file parsed once and cached on its own; cutting
    the parsed tunes into segments takes about a second, so it is not cached)."""
    items, counts = parse_folk_files(paths)
    tensors, meta = _segment_tensors(items, max_notes)
    if counts["files_failed"]:
        log.warning("%d of %d folk files could not be parsed", counts["files_failed"], len(paths))
    return tensors, meta | {"counts": counts}


def load_corpus(cfg: MelodyDataConfig) -> MelodySet:
    """Every segment of the selected corpus (parsed once, then read from the cache); the
    user's scores (``cfg.source``) are :func:`regen.data.music_folder.load_source_melodies`."""
    chorales, folk = _corpus_files(cfg)
    parts = [_load_chorales(chorales, cfg.max_notes)]
    if folk:
        parts.append(_load_folk(folk, cfg.max_notes))
    tensors = {k: torch.cat([t[k] for t, _ in parts]) for k in parts[0][0]}
    pieces = [p for _, meta in parts for p in meta["pieces"]]
    if not pieces:
        raise DataError("no usable melodies in the selected corpus files")
    chorale_count = len({p for p in pieces if p.startswith("bach/")})
    counts = parts[1][1]["counts"] if folk else {"tunes": 0, "files_failed": 0}
    failed = f", {counts['files_failed']} unreadable" if counts["files_failed"] else ""
    return MelodySet(
        tensors["melodies"],
        tensors["syllables"],
        tensors["lengths"],
        tensors["paired"].bool(),
        pieces,
        [t for _, meta in parts for t in meta["texts"]],
        f"{parts[0][1]['source']}: {chorale_count} chorales with lyrics (of "
        f"{len(chorales)} chorale files), {counts['tunes']} folk tunes from {len(folk)} files"
        f"{failed} ({', '.join(cfg.folk_collections) or 'none'})",
    )


def split(data: MelodySet, cfg: MelodyDataConfig) -> dict[str, MelodySet]:
    """By piece: ``paired`` (training chorales, ``paired_fraction`` of them), ``unpaired``
    (folk tunes + every training chorale soprano, ``chorale_repeat`` times: the target
    style may weigh more than the folk tunes), ``test`` (held-out chorales).

    Test pieces are the ``test_fraction`` of chorales first in CRC-32 order of their names:
    fixed for a given corpus, and never fewer than one.
    """
    chorales = sorted({p for p, paired in zip(data.pieces, data.paired.tolist()) if paired})
    chorales.sort(key=lambda name: zlib.crc32(name.encode()))
    held_out = set(chorales[: max(1, round(len(chorales) * cfg.test_fraction))])
    test, train_chorales, folk = [], [], []
    for i, piece in enumerate(data.pieces):
        if not data.paired[i]:
            folk.append(i)
        elif piece in held_out:
            test.append(i)
        else:
            train_chorales.append(i)
    names = sorted({data.pieces[i] for i in train_chorales})
    keep = set(names[: max(1, math.ceil(len(names) * cfg.paired_fraction))]) if names else set()
    paired = [i for i in train_chorales if data.pieces[i] in keep]
    if not test or not paired:
        raise DataError(
            "too few chorales for a train/test split; raise data.max_chorales or test_fraction"
        )
    return {
        "paired": data.subset(paired),
        "unpaired": data.subset(folk + train_chorales * cfg.chorale_repeat),
        "test": data.subset(test),
    }


def transpose(data: MelodySet, shifts: list[int], low: int = 36, high: int = 96) -> MelodySet:
    """Copies of every segment moved by each semitone shift (key moves too); copies that
    would leave MIDI ``low..high`` are dropped."""
    parts = []
    for shift in shifts:
        m = data.melodies.clone()
        valid = torch.arange(m.shape[1])[None] < data.lengths[:, None]
        m[..., PITCH] = torch.where(valid, m[..., PITCH] + shift, 0)
        key = m[..., KEY]
        m[..., KEY] = torch.where(valid, (key % 12 + shift) % 12 + 12 * (key // 12), 0)
        pitches = m[..., PITCH].masked_fill(~valid, low)
        ok = (pitches.min(1).values >= low) & (pitches.max(1).values <= high)
        keep = ok.nonzero().flatten()
        sub = data.subset(keep)
        sub.melodies = m[keep]
        parts.append(sub)
    return MelodySet(
        torch.cat([p.melodies for p in parts]),
        torch.cat([p.syllables for p in parts]),
        torch.cat([p.lengths for p in parts]),
        torch.cat([p.paired for p in parts]),
        [x for p in parts for x in p.pieces],
        [x for p in parts for x in p.texts],
        data.source,
    )


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
    bar, beat = _meter(parts[0]) or (16, 4)
    return {"key": _key(parts[0]), "bar": bar, "beat": beat, "notes": len(parts[0].flatten().notes)}
