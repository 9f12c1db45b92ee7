"""Speech recognition with a trained regen pipeline: ``transcribe(wav, run_dir=...)``.

    from regen.tasks.asr.recognize import transcribe
    text = transcribe("speech.wav", run_dir="runs/asr_phonemes")     # or a float32 array

Audio of any length is cut into chunks of at most ``chunk_seconds`` (at the quietest
moment near each boundary, so words are rarely split) and decoded a few chunks at a time,
and a file is read block by block (regen/tasks/asr/audio_chunks.py), so memory stays bounded for
hour-long files. Input at another sample rate is resampled;
stereo is averaged; silence gives an empty transcript without running the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from regen.contracts import Symbolic, XBatch
from regen.data.audio import SAMPLE_RATE, open_audio
from regen.modules.dsp import MelSpectrogram
from regen.modules.sequences import pad_rows, unpad_rows
from regen.representations.characters import decode_ids
from regen.runs import load_run
from regen.tasks.asr.audio_chunks import audio_chunks, is_silent, prepare_audio, split_chunks
from regen.tasks.asr.data import log_mels


@dataclass
class Transcript:
    """One utterance's text, and the phoneme symbols it was rendered from (regen only)."""

    text: str
    phonemes: list[str] = field(default_factory=list)


class Recognizer:
    """A trained ASR pipeline with its feature extractor.

    Args:
        pipeline: representation + CTC generator + renderer (regen) or identity (direct).
        n_mels: mel bands the generator was trained on.
        chunk_seconds: longest audio decoded at once.
        batch_size: chunks decoded together.
    """

    def __init__(
        self, pipeline, n_mels: int = 80, chunk_seconds: float = 10.0, batch_size: int = 8
    ) -> None:
        self.pipeline = pipeline.eval()
        self.mel = MelSpectrogram(n_mels=n_mels)
        self.chunk_seconds = chunk_seconds
        self.batch_size = batch_size

    @classmethod
    def load(cls, run_dir: str | Path, **kwargs) -> Recognizer:
        pipeline, config = load_run(run_dir, task="asr")
        return cls(pipeline, config.generator.n_mels, **kwargs)

    @property
    def is_direct(self) -> bool:
        return self.pipeline.is_direct

    @torch.no_grad()
    def recognize(self, wavs: list[np.ndarray], ctc_beam: int | None = None) -> list[Transcript]:
        """Transcripts of short waveforms (float32 [T] at 22,050 Hz), decoded as one batch."""
        x, x_len = log_mels(list(wavs), self.mel)
        y_prime = self.pipeline.generate(XBatch(x.float(), lengths=x_len), beam_size=ctc_beam)
        if self.is_direct:
            return [Transcript(t) for t in decode_ids(self.pipeline.render(y_prime))]
        rows = unpad_rows(y_prime)
        spoken = [i for i, row in enumerate(rows) if row]
        texts = [""] * len(rows)
        if spoken:  # an utterance without phonemes has no text; do not let the renderer guess
            rendered = self.pipeline.render(pad_rows([rows[i] for i in spoken])[0])
            for i, text in zip(spoken, decode_ids(rendered)):
                texts[i] = text
        phonemes: Symbolic = self.pipeline.representation  # regen's Y' ids name phonemes
        symbols = phonemes.symbols(rows, marks=True)
        return [Transcript(t, s) for t, s in zip(texts, symbols)]

    def transcribe(self, wav: np.ndarray, sample_rate: int = SAMPLE_RATE) -> str:
        """Text of a waveform of any length (float [T] or [T, channels])."""
        wav = prepare_audio(wav, sample_rate)
        return self.transcribe_chunks(split_chunks(wav, self.chunk_seconds))

    def transcribe_chunks(self, chunks: Iterable[np.ndarray]) -> str:
        """Text of consecutive chunks (float32 [T] at 22,050 Hz, e.g. read from a file as they
        are needed), decoded ``batch_size`` non-silent chunks at a time."""
        texts, batch = [], []
        for chunk in chunks:
            batch += [] if is_silent(chunk) else [chunk]
            if len(batch) == self.batch_size:
                texts += [t.text for t in self.recognize(batch)]
                batch = []
        if batch:
            texts += [t.text for t in self.recognize(batch)]
        return " ".join(t for t in texts if t)


@lru_cache(maxsize=4)
def _recognizer(run_dir: str) -> Recognizer:
    return Recognizer.load(run_dir)


def transcribe(
    wav: str | Path | np.ndarray,
    run_dir: str | Path = "runs/asr_phonemes",
    sample_rate: int = SAMPLE_RATE,
) -> str:
    """Text spoken in ``wav`` (a file path, or float samples at ``sample_rate`` Hz).

    The recognizer in ``run_dir`` is loaded once and kept for later calls.

    Raises:
        CheckpointError: no recognizer was trained in ``run_dir``.
        DataError: the file is not audio, is empty, or the samples are unusable.
    """
    if isinstance(wav, str | Path):  # streamed: memory does not grow with the file's length
        sound = open_audio(wav)  # a bad file fails before the model is loaded
        recognizer = _recognizer(str(Path(run_dir).resolve()))
        return recognizer.transcribe_chunks(audio_chunks(sound, recognizer.chunk_seconds))
    recognizer = _recognizer(str(Path(run_dir).resolve()))
    return recognizer.transcribe(wav, sample_rate)
