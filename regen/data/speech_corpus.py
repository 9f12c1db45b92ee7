"""One split of a speech corpus: what the tts and asr tasks read, whatever built it (the
espeak-ng / flite / festival corpus of :mod:`regen.data.speech`, or a user's recordings
prepared by :mod:`regen.data.speech_source`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class SpeechCorpus:
    """One split. Lists are parallel: item i is ``texts[i]`` said by ``speakers[i]``.

    ``durations[i]`` holds frames per phoneme (hop 256) and sums to ``1 + len(wavs[i]) // 256``.
    """

    texts: list[str]
    phonemes: list[list[str]]
    durations: list[list[int]]
    speakers: list[str]
    wavs: Sequence[np.ndarray]  # a list, or a source's memory-mapped recordings
    sample_rate: int
    source: str
    unpaired_texts: list[str]
    # a prepared data.source split: the store folder its features are read from
    store: Path | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def seconds(self) -> float:
        return sum(len(w) for w in self.wavs) / self.sample_rate
