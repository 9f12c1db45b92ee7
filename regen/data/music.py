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

Pieces are parsed (:mod:`regen.data.score_parsing`) once and cached (:mod:`regen.data.cache`);
the split is by piece.
"""

from __future__ import annotations

import logging
import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from regen.data.cache import files_fingerprint, load_or_build
from regen.data.lyrics import SYLLABLE_FIELDS
from regen.data.score_parsing import (
    BUILDER_VERSION,
    parse_chorales,
    parse_folk_files,
    phrase_segments,
)
from regen.errors import DataError
from regen.modules.music_tables import (
    KEY,
    MELODY_COLUMNS,
    PITCH,
)

FOLK_COLLECTIONS = ("essenFolksong", "oneills1850", "airdsAirs", "ryansMammoth")

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


def segment_tensors(items: list[tuple[str, dict]], max_notes: int) -> tuple[dict, dict]:
    """Padded tensors of every segment of the parsed pieces, and their names and texts."""
    import music21

    melodies, syllables, lengths, paired, pieces, texts = [], [], [], [], [], []
    for piece, parsed in items:
        for lo, hi in phrase_segments(parsed["matrix"], max_notes):
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
    return load_or_build(key, lambda: segment_tensors(parse_chorales(paths), max_notes))


def _load_folk(paths: list[Path], max_notes: int) -> tuple[dict, dict]:
    """Segments of the folk tunes (each file parsed once and cached on its own; cutting
    the parsed tunes into segments takes about a second, so it is not cached)."""
    items, counts = parse_folk_files(paths)
    tensors, meta = segment_tensors(items, max_notes)
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
