"""The melody task on a user's own scores: a folder of MIDI / MusicXML files, prepared once.

Every ``.mid``, ``.midi``, ``.musicxml``, ``.xml`` and ``.mxl`` file under ``data.source``
(subfolders too) is one piece. Its melody is the first part with notes; the other parts, if
any, only inform the chord of each melody note (as the chorales' lower voices do). A piece
whose melody carries lyrics (MusicXML) becomes lyrics -> melody pairs, one note per
syllable; a piece without lyrics becomes unpaired melodies for the template renderer. Both
are cut into segments of whole phrases exactly like the built-in corpus
(:mod:`regen.data.music`), so the same split (held-out pieces with lyrics: ``data.test_fraction``),
transposition and training follow.

The store (:mod:`regen.data.store`) holds the segments' ``melodies``, ``syllables``,
``lengths`` and ``paired`` flags, and ``items.json`` (piece names, syllable texts). A file
music21 cannot read, a melody with chords, a piece of fewer than 8 notes (or, with
lyrics, 8 syllables) is skipped and counted in its manifest. Nothing is written into the
source.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from regen.data.lyrics import score_syllables
from regen.data.music import MelodySet, segment_tensors
from regen.data.prepare import nothing_usable, prepared_store, source_root
from regen.data.score_parsing import harmony, melody_matrix, melody_rows, meter, piece_key
from regen.data.store import ShardedArray, ShardWriter, SkipLog, raise_if_strict
from regen.errors import ConfigError, DataError
from regen.modules.music_theory import NO_CHORD

SUFFIXES = (".mid", ".midi", ".musicxml", ".xml", ".mxl")
STORE_KIND = "music-v1"  # bump when what a music store holds changes
MIN_NOTES = 8  # as the built-in corpus: a shorter piece makes no phrase-long segment
DEFAULT_METER = (16, 4)  # 4/4 in 16ths when a file states no time signature (MIDI often)
KEYS = ("melodies", "syllables", "lengths", "paired")

log = logging.getLogger(__name__)


def parse_piece(path: Path) -> tuple[dict | None, str | None]:
    """``(parsed, None)`` for a usable piece (``matrix`` rows, plus ``syllables`` and
    ``texts`` when its melody has lyrics), or ``(None, reason)`` for why it is skipped."""
    from music21 import converter

    try:
        score = converter.parse(str(path))
    except Exception as exc:  # music21 raises many unrelated types for broken files
        return None, f"not a readable MIDI or MusicXML file ({exc.__class__.__name__})"
    parts = [p for p in getattr(score, "parts", [score]) if p.flatten().notes]
    if not parts:
        return None, "holds no notes"
    melody = parts[0]
    with_lyrics = any(n.lyrics for n in melody.flatten().notes)
    try:
        rows, syllables = melody_rows(melody, with_lyrics=with_lyrics)
    except DataError:
        return None, "melody has chords (the first part must be one line of notes)"
    if len(rows) < MIN_NOTES:
        return None, f"fewer than {MIN_NOTES} {'syllables' if with_lyrics else 'notes'}"
    bar, beat = meter(melody) or DEFAULT_METER
    key = piece_key(melody)
    chords = harmony(score, rows, key, beat / 4) if len(parts) > 1 else [NO_CHORD] * len(rows)
    parsed: dict[str, Any] = {"matrix": melody_matrix(rows, bar, beat, key, chords)}
    if with_lyrics:
        sylls = score_syllables([t for t, _ in syllables], [k for _, k in syllables])
        parsed["syllables"] = np.array([s.features() for s in sylls], dtype=np.int64)
        parsed["texts"] = [s.text for s in sylls]
    return parsed, None


def prepare_music(
    cfg: Any, progress: bool = True, out: Path | None = None
) -> tuple[Path, dict[str, Any]]:
    """The store of ``cfg.source`` (a :class:`regen.data.music.MelodyDataConfig`) and its
    manifest, prepared now unless it exists (in the cache, or in ``out``)."""
    root = source_root(cfg)

    def build(tmp: Path) -> tuple[dict[str, ShardWriter], dict[str, Any]]:
        return _build(cfg, root, tmp, progress)

    what = "a folder of MIDI or MusicXML files"
    return prepared_store(root, STORE_KIND, {"max_notes": cfg.max_notes}, build, out, what)


def _build(
    cfg: Any, root: Path, tmp: Path, progress: bool
) -> tuple[dict[str, ShardWriter], dict[str, Any]]:
    if not root.is_dir():
        raise DataError(f"data.source {root} is not a folder; give a folder of MIDI/MusicXML files")
    skipped = SkipLog(cfg.strict)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    pieces = []
    bar = tqdm(files, f"preparing {root.name}", unit="file", disable=not progress, delay=1.0)
    with bar:
        for path in bar:
            name = str(path.relative_to(root))
            parsed, reason = parse_piece(path)
            if parsed is None:
                skipped.skip(name, reason)
            else:
                pieces.append((name, parsed))
    tensors, meta = segment_tensors(pieces, cfg.max_notes)
    if not pieces or not len(meta["pieces"]):
        raise nothing_usable(root, skipped.counts, "melodies (.mid, .musicxml, .mxl files)")
    writer = ShardWriter(tmp / "all")
    for i in range(len(meta["pieces"])):
        writer.add({k: tensors[k][i].numpy() for k in KEYS})
    (tmp / "all").mkdir(exist_ok=True)
    items = {"pieces": meta["pieces"], "texts": meta["texts"]}
    (tmp / "all" / "items.json").write_text(json.dumps(items, ensure_ascii=False))
    with_lyrics = sorted({n for n, parsed in pieces if "syllables" in parsed})
    manifest = {
        "pieces": {
            "with_lyrics": len(with_lyrics),
            "without_lyrics": len(pieces) - len(with_lyrics),
        },
        "files": len(files),
        "skipped": skipped.record(),
        "skipped_total": skipped.total,
    }
    return {"all": writer}, manifest


def load_source_melodies(cfg: Any) -> MelodySet:
    """Every segment of the user's scores as one :class:`MelodySet` (split by the caller)."""
    folder, manifest = prepare_music(cfg)
    raise_if_strict(manifest, cfg.strict)
    if manifest["pieces"]["with_lyrics"] < 2:
        raise DataError(
            f"data.source {manifest['source']} has {manifest['pieces']['with_lyrics']} pieces "
            "with lyrics; the melody task needs at least 2 (lyrics -> melody pairs, one held "
            "out): give MusicXML files whose melody carries lyrics"
        )
    # segments are a few hundred bytes each: the set is read into memory (transposition
    # copies it anyway); the store still saves the parsing, by far the slow part
    arrays = {k: torch.from_numpy(ShardedArray.open(folder / "all", k)[:]) for k in KEYS}
    items = json.loads((folder / "all" / "items.json").read_text())
    pieces = manifest["pieces"]
    return MelodySet(
        arrays["melodies"].long(),
        arrays["syllables"].long(),
        arrays["lengths"].long(),
        arrays["paired"].bool(),
        items["pieces"],
        items["texts"],
        f"{manifest['source']} (store {folder}; {pieces['with_lyrics']} pieces with lyrics, "
        f"{pieces['without_lyrics']} without, {manifest['skipped_total']} files skipped)",
    )


def prepare(config: Any, out: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """``regen data prepare [--out DIR]`` for a melody recipe's ``data.source``."""
    if config.data.source is None:
        raise ConfigError(
            "regen data prepare needs data.source (a folder of MIDI/MusicXML files), e.g. "
            "data.source=/path/to/scores; the built-in corpus needs no preparing"
        )
    folder, manifest = prepare_music(config.data, out=out)
    raise_if_strict(manifest, config.data.strict)
    # cmd_prepare prints counts per split; a music store has one, split at training time
    return folder, manifest
