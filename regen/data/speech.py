"""A multi-speaker English speech corpus with phoneme durations, from espeak-ng, flite, festival.

Sentences (:mod:`regen.data.sentences`) are normalised (:mod:`regen.data.text_frontend`) and
spoken at 22,050 Hz by a few voices, one voice per sentence in turn. A voice is an espeak-ng
voice (``en-us``) or ``engine:name`` (``flite:slt``, ``festival:ked_diphone``; see
:mod:`regen.data.speech_engines`). Phonemes are always espeak-ng's; their durations come from
libespeak-ng's own phoneme events (:mod:`regen.data.espeak`) or, for flite and festival, are
transferred from espeak-ng's synthesis of the same text by DTW
(:mod:`regen.data.duration_transfer`). Durations are in frames of hop 256 and sum to the mel
length ``1 + samples // 256``.

Splits are by sentence: the first ``test_fraction`` of the spoken sentences are the test set
(each spoken by one training voice, in turn), the rest train; ``test_speaker`` is the test
sentences again, spoken by the held-out voice no training utterance uses. Sentences beyond
``num_sentences`` are never spoken and are returned as ``unpaired_texts``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from regen.data.audio import SAMPLE_RATE
from regen.data.cache import build_progress, load_or_build
from regen.data.sentences import load_sentences, sentences_source
from regen.data.speech_corpus import SpeechCorpus
from regen.data.speech_engines import (
    ESPEAK,
    REFERENCE_VOICE,
    check_voice,
    engine_of,
    engine_packages,
    speak,
)
from regen.data.text_frontend import normalize_text
from regen.errors import DataError

VOICES = ("en-us", "en-gb", "en-us+f2", "en-gb-scotland+m3")
HELDOUT_VOICE = "en-029+f4"
HOP = 256
SPLITS = ("train", "test", "test_speaker")
_VERSION = 1
# Texts per flite/festival call: festival pays its start-up once per batch.
_BATCH = 32


@dataclass
class SpeechDataConfig:
    """Which utterances to build. ``num_sentences`` counts spoken sentences (train + test)."""

    name: str = "espeak"
    num_sentences: int = 5400
    voices: list[str] = field(default_factory=lambda: list(VOICES))
    heldout_voice: str = HELDOUT_VOICE
    test_fraction: float = 0.05
    max_seconds: float = 8.0  # longer utterances are left out
    # your own recordings instead of the built-in corpus (regen/data/speech_source.py):
    # a folder in LJSpeech's layout or with metadata.csv file_name,transcription[,speaker];
    # test_fraction and max_seconds apply to it, num_sentences and the voices do not
    source: str | None = None
    strict: bool = False  # source: stop at the first bad recording instead of skipping it


def _plan(cfg: SpeechDataConfig) -> tuple[dict[str, list[tuple[str, str]]], list[str]]:
    sentences = load_sentences()
    if cfg.num_sentences < 2 or cfg.num_sentences > len(sentences):
        raise DataError(
            f"data.num_sentences={cfg.num_sentences}; choose 2..{len(sentences)} "
            "(the sentences the fortunes packages provide)"
        )
    spoken = sentences[: cfg.num_sentences]
    n_test = min(len(spoken) - 1, max(1, round(cfg.test_fraction * len(spoken))))
    voices = cfg.voices
    plan = {
        "test": [(s, voices[i % len(voices)]) for i, s in enumerate(spoken[:n_test])],
        "train": [(s, voices[i % len(voices)]) for i, s in enumerate(spoken[n_test:])],
        "test_speaker": [(s, cfg.heldout_voice) for s in spoken[:n_test]],
    }
    return plan, sentences[cfg.num_sentences :]


def spoken_sentences(cfg: SpeechDataConfig) -> list[str]:
    """Every sentence the corpus of ``cfg`` speaks (train and test), raw, without audio.

    For a ``data.source`` only the held-out transcripts: the training ones are the text its
    ASR renderer reads (see :func:`regen.data.speech_source.load_source_corpus`).
    """
    if cfg.source is not None:
        return load_speech_corpus(cfg, "test").texts
    plan, _ = _plan(cfg)
    return [text for text, _ in plan["test"] + plan["train"]]


def _check(cfg: SpeechDataConfig) -> None:
    if cfg.name != "espeak":
        raise DataError(f"data.name={cfg.name!r}; the only speech corpus is 'espeak'")
    if not cfg.voices:
        raise DataError("data.voices is empty; list at least one voice (e.g. en-us, flite:slt)")
    if cfg.heldout_voice in cfg.voices:
        raise DataError(f"data.heldout_voice {cfg.heldout_voice} is also a training voice")
    for voice in [*cfg.voices, cfg.heldout_voice]:
        check_voice(voice)


def _build(cfg: SpeechDataConfig) -> tuple[dict[str, torch.Tensor], dict]:
    plan, unpaired = _plan(cfg)
    jobs = [(split, normalize_text(text), voice) for split in SPLITS for text, voice in plan[split]]
    # espeak-ng's output depends on what it spoke before (voice switches leave state behind),
    # so its utterances are spoken one at a time in plan order, as corpora of v1 were; flite
    # and festival in batches per voice.
    batches = [(voice, [i]) for i, (_, _, voice) in enumerate(jobs) if engine_of(voice) == ESPEAK]
    by_voice: dict[str, list[int]] = {}
    for i, (_, _, voice) in enumerate(jobs):
        if engine_of(voice) != ESPEAK:
            by_voice.setdefault(voice, []).append(i)
    batches += [
        (v, ids[k : k + _BATCH]) for v, ids in by_voice.items() for k in range(0, len(ids), _BATCH)
    ]
    engines = ", ".join(dict.fromkeys(engine_of(v) for v, _ in batches))
    spoken: dict[int, tuple[np.ndarray, list[str], list[int]]] = {}
    for voice, ids in build_progress(batches, f"speaking with {engines}", len(batches)):
        for i, utterance in zip(ids, speak([jobs[i][1] for i in ids], voice, HOP)):
            wav = np.round(utterance.wav * 32767).astype(np.int16)  # int16 keeps memory at half
            spoken[i] = (wav, utterance.phonemes, utterance.durations)
    wavs, durations, meta = [], [], {s: [] for s in SPLITS}
    for i, (split, text, voice) in enumerate(jobs):
        wav, phonemes, frames = spoken[i]
        if not phonemes or len(wav) > cfg.max_seconds * SAMPLE_RATE:
            continue
        wavs.append(wav)
        durations.append(frames)
        meta[split].append([len(wavs) - 1, text, voice, phonemes])
    tensors = {
        "wav": torch.from_numpy(np.concatenate(wavs)),
        "wav_offsets": torch.tensor(np.cumsum([0] + [len(w) for w in wavs])),
        "durations": torch.tensor([d for ds in durations for d in ds], dtype=torch.int32),
        "duration_offsets": torch.tensor(np.cumsum([0] + [len(d) for d in durations])),
    }
    return tensors, {"splits": meta, "unpaired_texts": unpaired, "source": _source(cfg)}


def _source(cfg: SpeechDataConfig) -> str:
    """Sentences and every engine's Debian packages with versions, as the corpus records them."""
    packages = engine_packages([*cfg.voices, cfg.heldout_voice])
    espeak = packages.pop(ESPEAK, None) or engine_packages([REFERENCE_VOICE])[ESPEAK]
    speech = f"{espeak} (phoneme events for durations)"
    for engine, found in packages.items():
        speech += f"; {engine}: {found} (durations by DTW to espeak-ng's synthesis)"
    return f"sentences: {sentences_source()}; speech: {speech}"


def load_speech_corpus(cfg: SpeechDataConfig, split: str) -> SpeechCorpus:
    """One split (``train``, ``test`` or ``test_speaker``) of the corpus, built once and cached."""
    if split not in SPLITS:
        raise DataError(f"unknown speech split '{split}'; choose one of: {', '.join(SPLITS)}")
    if cfg.source is not None:
        from regen.data.speech_source import load_source_corpus

        return load_source_corpus(cfg, split)
    _check(cfg)
    # the source settings are not part of the built-in corpus: leaving them out keeps the
    # cache entries built before they existed
    fields = {k: v for k, v in asdict(cfg).items() if k not in ("source", "strict")}
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]
    tensors, meta = load_or_build(f"speech-espeak-v{_VERSION}-{digest}", lambda: _build(cfg))
    wav_offsets = tensors["wav_offsets"].tolist()
    dur_offsets = tensors["duration_offsets"].tolist()
    all_durations = tensors["durations"].tolist()
    wav = tensors["wav"].numpy()
    items = meta["splits"][split]
    return SpeechCorpus(
        texts=[text for _, text, _, _ in items],
        phonemes=[list(phonemes) for *_, phonemes in items],
        durations=[all_durations[dur_offsets[i] : dur_offsets[i + 1]] for i, *_ in items],
        speakers=[voice for _, _, voice, _ in items],
        wavs=[
            wav[wav_offsets[i] : wav_offsets[i + 1]].astype(np.float32) / 32767 for i, *_ in items
        ],
        sample_rate=SAMPLE_RATE,
        source=meta["source"],
        unpaired_texts=list(meta["unpaired_texts"]),
    )


def corpus_voices(cfg: SpeechDataConfig) -> list[str]:
    """The voices that get a speaker embedding: ``data.voices``, or for a ``data.source``
    its speakers (``own:<name>``, read from its prepared store)."""
    if cfg.source is None:
        return list(cfg.voices)
    from regen.data.speech_source import source_manifest

    return list(source_manifest(cfg)[1]["speakers"])
