"""Recordings with transcripts from a user's folder: which file says what, by whom.

Layouts of ``data.source`` (checked in this order):

- a dataset saved with Hugging Face ``datasets`` (``save_to_disk`` folder or ``.parquet``
  files) with an audio column and a transcript column (names as below), read offline;
- LJSpeech: ``metadata.csv`` with lines ``id|text|normalized_text`` (no header, ``|``
  between fields; the normalized text is used when present) and ``wavs/<id>.wav``;
- Hugging Face's audiofolder: ``metadata.csv`` (or ``metadata.jsonl``) with a ``file_name``
  column (path relative to the folder), the transcript in ``transcription`` (or ``text``,
  ``sentence``), optionally ``speaker`` and ``split`` (train / test).

Only the listing is here; reading the audio and aligning it is :mod:`regen.data.speech_source`.
A line that cannot be used (wrong number of fields, no file name, empty transcript, a file
that does not exist) is skipped and counted, never fatal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from regen.data.folder_source import (
    SPLIT_NAMES,
    RowFile,
    feature_column,
    hf_splits,
    is_hf_dataset,
    metadata_file,
    read_metadata,
)
from regen.data.store import SkipLog
from regen.errors import DataError

TEXT_COLUMNS = ("transcription", "text", "sentence", "normalized_text")
SPEAKER_COLUMNS = ("speaker", "speaker_id", "client_id")
LJSPEECH_AUDIO = "wavs"


@dataclass
class SpeechItem:
    """One recording before reading: ``name`` its path relative to the source, ``where`` the
    metadata line it came from, ``speaker`` (None: the source's one speaker) and ``split``
    (``train``/``test`` when the source says so)."""

    name: str
    where: str
    path: Path | Callable[[], Path | bytes]  # a file, or a saved dataset's row (read lazily)
    text: str
    speaker: str | None = None
    split: str | None = None


def is_ljspeech(root: Path) -> bool:
    """A folder in LJSpeech's layout: ``metadata.csv`` of ``|``-separated lines, no header."""
    path = root / "metadata.csv"
    if not path.is_file():
        return False
    with open(path, encoding="utf-8-sig", errors="replace") as file:
        first = file.readline()
    return "|" in first and "file_name" not in first


def list_speech(root: Path, skipped: SkipLog) -> Iterator[SpeechItem]:
    """The recordings of the source at ``root``; bad lines go to ``skipped``."""
    if is_hf_dataset(root):
        yield from _hf_items(root, skipped)
        return
    if not root.is_dir():
        raise DataError(f"data.source {root} is not a folder; give a folder of recordings")
    if is_ljspeech(root):
        yield from _ljspeech(root, skipped)
        return
    path = metadata_file(root)
    if path is None:
        raise DataError(
            f"data.source {root} has no metadata.csv; give LJSpeech's layout (metadata.csv "
            "id|text|normalized_text, wavs/) or metadata.csv with file_name,transcription"
        )
    for row in read_metadata(path, skipped):
        name = str(row.fields.get("file_name") or "").strip()
        if not name:
            skipped.skip(row.where, "metadata line has no file_name")
            continue
        where = f"{name} ({row.where})"
        text = next((row.fields[c] for c in TEXT_COLUMNS if c in row.fields), None)
        speaker = next((row.fields[c] for c in SPEAKER_COLUMNS if c in row.fields), None)
        split = SPLIT_NAMES.get(str(row.fields.get("split") or "").strip().lower())
        item = _item(root / name, name, where, text, skipped)
        if item is not None:
            item.speaker = _speaker(speaker)
            item.split = split
            yield item


def _ljspeech(root: Path, skipped: SkipLog) -> Iterator[SpeechItem]:
    # Read by hand, not with csv: LJSpeech's texts hold unbalanced double quotes.
    try:
        lines = (root / "metadata.csv").read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {root / 'metadata.csv'} ({exc.__class__.__name__})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split("|")
        where = f"metadata.csv line {number}"
        if len(fields) not in (2, 3):
            skipped.skip(
                where, f"metadata line has {len(fields)} fields, not 3 (id|text|normalized)"
            )
            continue
        name = f"{LJSPEECH_AUDIO}/{fields[0].strip()}.wav"
        text = fields[2] if len(fields) == 3 and fields[2].strip() else fields[1]
        item = _item(root / name, name, f"{name} ({where})", text, skipped)
        if item is not None:
            yield item


def _item(path: Path, name: str, where: str, text, skipped: SkipLog) -> SpeechItem | None:
    text = " ".join(str(text or "").split())
    if not text:
        skipped.skip(where, "empty transcript")
        return None
    if not path.is_file():
        skipped.skip(where, "file named in metadata does not exist")
        return None
    return SpeechItem(name, where, path, text)


def _hf_items(root: Path, skipped: SkipLog) -> Iterator[SpeechItem]:
    import datasets

    for split, dataset in hf_splits(root).items():
        column = feature_column(dataset, "Audio", ("audio",), root)
        # rows are listed without their audio; each recording is read when it is prepared
        audio = dataset.cast_column(column, datasets.Audio(decode=False))
        prefix = f"{split}/" if split else ""
        for index, fields in enumerate(dataset.remove_columns(column)):
            where = f"{prefix}row {index}"
            text = next((fields[c] for c in TEXT_COLUMNS if c in fields), None)
            text = " ".join(str(text or "").split())  # a null transcript is an empty one
            if not text:
                skipped.skip(where, "empty transcript")
                continue
            speaker = next((fields[c] for c in SPEAKER_COLUMNS if c in fields), None)
            name = str(fields.get("file_name") or where)
            yield SpeechItem(
                name,
                where,
                RowFile(audio, column, index),
                text,
                _speaker(speaker),
                SPLIT_NAMES.get(str(split).lower()),
            )


def _speaker(value) -> str | None:
    """A speaker name, or None (the source's one speaker) for a missing or empty one."""
    return str(value).strip() or None if value is not None else None
