"""The speech tasks (tts, asr) on a user's recordings: ``data.source`` prepared into a store.

``regen data prepare RECIPE data.source=FOLDER`` (or the first ``regen train`` / ``regen
compare`` that needs it) lists the recordings (:mod:`regen.data.speech_folder`), reads each
once (downmixed to mono, resampled to 22,050 Hz; the manifest counts both), normalises its
transcript, gets espeak-ng's phonemes of it (``en-us``) and carries their durations onto the
recording by DTW to espeak-ng's synthesis of the same text, the alignment regen already uses
for flite and festival (:mod:`regen.data.duration_transfer`). The store
(:mod:`regen.data.store`) then holds per split the int16 waveforms and the frames per
phoneme as ragged memory-mapped arrays, and ``items.json`` (names, transcripts, speakers,
phonemes), plus the training features of :mod:`regen.data.speech_features` (log-mel frames,
per-phoneme pitch and energy). :func:`load_source_corpus` reads a split back as a
:class:`SpeechCorpus` whose waveforms stay in the map until a row is used, and whose
``store`` lets the tasks train from the stored features batch by batch.

Speakers become voices ``own:<speaker>`` (``own:<folder name>`` when the source names none),
pronounced as espeak-ng ``en-us``. Held-out split: the source's ``split`` column, else
``data.test_fraction`` of the recordings chosen by a salted hash of their file names. A
source has no held-out voice, so its ``test_speaker`` split is empty.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from regen.data.audio import read_audio_noting
from regen.data.prepare import nothing_usable, prepared_store, source_root
from regen.data.speech_corpus import SpeechCorpus
from regen.data.speech_engines import OWN_PREFIX, REFERENCE_VOICE, align_recording
from regen.data.speech_features import (
    MEL,
    STAT_KEYS,
    Moments,
    store_mel,
    utterance_features,
)
from regen.data.speech_folder import list_speech
from regen.data.splits import held_out_groups
from regen.data.store import RaggedArray, ShardWriter, SkipLog, raise_if_strict
from regen.data.text_frontend import normalize_text, unspeakable_characters
from regen.errors import ConfigError, DataError
from regen.modules.dsp import SAMPLE_RATE

STORE_KIND = "speech-v1"  # bump when what a speech store holds changes
HOP = 256
ROWS_PER_SHARD = 256  # recordings per shard: bounds the memory a prepare buffers
ALIGNMENT = (
    f"espeak-ng {REFERENCE_VOICE} phonemes of the normalised transcript, durations "
    f"(frames of hop {HOP}) by DTW of MFCCs to espeak-ng's synthesis of it"
)


def features(cfg: Any) -> dict[str, Any]:
    """The ``data.*`` settings that change a speech store (part of its cache key)."""
    return {"test_fraction": cfg.test_fraction, "max_seconds": cfg.max_seconds}


def prepare_speech(
    cfg: Any, progress: bool = True, out: Path | None = None
) -> tuple[Path, dict[str, Any]]:
    """The store of ``cfg.source`` (a :class:`regen.data.speech.SpeechDataConfig`) and its
    manifest, prepared now unless it exists (in the cache, or in ``out``)."""
    root = source_root(cfg)

    def build(tmp: Path) -> tuple[dict[str, ShardWriter], dict[str, Any]]:
        return _build(cfg, root, tmp, progress)

    what = "a folder of recordings with transcripts (LJSpeech layout or metadata.csv)"
    return prepared_store(root, STORE_KIND, features(cfg), build, out, what)


def _build(
    cfg: Any, root: Path, tmp: Path, progress: bool
) -> tuple[dict[str, ShardWriter], dict[str, Any]]:
    skipped = SkipLog(cfg.strict)
    items = list(list_speech(root, skipped))
    test_names = held_out_groups([i.name for i in items if i.split is None], cfg.test_fraction)
    ragged = ("wav", "durations", "mel", "pitch", "energy")
    writers = {s: ShardWriter(tmp / s, ROWS_PER_SHARD, ragged) for s in ("train", "test")}
    moments = {s: {k: Moments() for k in STAT_KEYS} for s in writers}
    mel = store_mel()
    listed: dict[str, dict[str, list]] = {
        s: {"names": [], "texts": [], "speakers": [], "phonemes": []} for s in writers
    }
    converted: dict[str, int] = {}
    bar = tqdm(items, f"preparing {root.name}", unit="recording", disable=not progress, delay=1.0)
    with bar:
        for item in bar:
            try:
                wav, notes = read_audio_noting(item.path() if callable(item.path) else item.path)
            except (DataError, ValueError, OSError):  # a row without audio: ValueError
                skipped.skip(item.where, "not a readable audio file")
                continue
            if len(wav) > cfg.max_seconds * SAMPLE_RATE:
                skipped.skip(item.where, f"longer than data.max_seconds={cfg.max_seconds}")
                continue
            unspeakable = unspeakable_characters(item.text)
            if unspeakable:
                where = f"{item.where} [{' '.join(unspeakable)}]"
                skipped.skip(where, "transcript has characters the front end cannot speak")
                continue
            try:
                text = normalize_text(item.text)
            except DataError:
                skipped.skip(item.where, "transcript has nothing to speak")
                continue
            utterance = align_recording(text, wav, REFERENCE_VOICE, HOP)
            if not utterance.phonemes:
                skipped.skip(item.where, "espeak-ng finds nothing to say in the transcript")
                continue
            for note in notes:
                converted[note] = converted.get(note, 0) + 1
            split = item.split or ("test" if item.name in test_names else "train")
            wav16 = np.round(wav * 32767).astype(np.int16)  # half the bytes of float32
            # features of the stored samples, as training would compute them from the store
            rows, frames = utterance_features(wav16 / np.float32(32767), utterance.durations, mel)
            for key, values in frames.items():
                moments[split][key].add(values)
            durations = np.int32(utterance.durations)
            writers[split].add({"wav": wav16, "durations": durations, **rows})
            lists = listed[split]
            lists["names"].append(item.name)
            lists["texts"].append(text)
            lists["speakers"].append(OWN_PREFIX + (item.speaker or root.name))
            lists["phonemes"].append(utterance.phonemes)
    if not any(w.rows for w in writers.values()):
        raise nothing_usable(root, skipped.counts, "recordings")
    for split, lists in listed.items():
        (tmp / split).mkdir(exist_ok=True)
        (tmp / split / "items.json").write_text(json.dumps(lists, ensure_ascii=False))
    speakers = sorted({s for lists in listed.values() for s in lists["speakers"]})
    manifest = {
        "audio": {"sample_rate": SAMPLE_RATE, "hop": HOP, "alignment": ALIGNMENT, "mel": MEL},
        # per split: [mean, std] of voiced log-F0 and of log frame energy (speech_features.py)
        "stats": {s: {k: m.record() for k, m in split.items()} for s, split in moments.items()},
        "converted": converted,  # e.g. {"resampled from 16000 Hz": 12}
        "speakers": speakers,
        "skipped": skipped.record(),
        "skipped_total": skipped.total,
    }
    return writers, manifest


class MappedWaveforms(Sequence):
    """int16 recordings in a store, read one at a time as float32 [T] in [-1, 1]."""

    def __init__(self, rows: RaggedArray) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):  # int -> one waveform; slice -> list of them
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self.rows[index].astype(np.float32) / 32767


def source_manifest(cfg: Any) -> tuple[Path, dict[str, Any]]:
    """The store of ``cfg.source`` (prepared on first use); with ``data.strict=true`` a store
    that skipped items is the one-line error of its first."""
    folder, manifest = prepare_speech(cfg)
    raise_if_strict(manifest, cfg.strict)
    return folder, manifest


def load_source_corpus(cfg: Any, split: str) -> SpeechCorpus:
    """One split of the user's recordings as a :class:`regen.data.speech.SpeechCorpus`.

    ``unpaired_texts`` are the training transcripts (what the ASR renderer may read; the
    held-out transcripts never), ``test_speaker`` is empty (a source has no held-out voice).
    """
    folder, manifest = source_manifest(cfg)
    description = (
        f"{manifest['source']} (store {folder}; {manifest['counts']['train']} train, "
        f"{manifest['counts']['test']} test recordings, {manifest['skipped_total']} skipped)"
    )
    unpaired = _items(folder, "train")["texts"] if manifest["counts"]["train"] else []
    if split == "test_speaker":
        return SpeechCorpus([], [], [], [], [], SAMPLE_RATE, description, unpaired)
    if not manifest["counts"][split]:
        fix = "raise data.test_fraction" if split == "test" else "add recordings"
        raise DataError(f"data.source {manifest['source']} has no {split} recordings; {fix}")
    lists = _items(folder, split)
    durations = RaggedArray.open(folder / split, "durations")
    return SpeechCorpus(
        texts=lists["texts"],
        phonemes=lists["phonemes"],
        durations=[durations[i].tolist() for i in range(len(durations))],
        speakers=lists["speakers"],
        wavs=MappedWaveforms(RaggedArray.open(folder / split, "wav")),
        sample_rate=SAMPLE_RATE,
        source=description,
        unpaired_texts=unpaired,
        store=folder / split,
    )


def _items(folder: Path, split: str) -> dict[str, list]:
    return json.loads((folder / split / "items.json").read_text())


def prepare(config: Any, out: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """``regen data prepare [--out DIR]`` for a tts or asr recipe's ``data.source``."""
    if config.data.source is None:
        raise ConfigError(
            "regen data prepare needs data.source (a folder of your recordings), e.g. "
            "data.source=/path/to/LJSpeech-1.1; the built-in corpus needs no preparing"
        )
    folder, manifest = prepare_speech(config.data, out=out)
    raise_if_strict(manifest, config.data.strict)
    return folder, manifest
