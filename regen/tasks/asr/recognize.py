"""Speech recognition with a trained regen pipeline: ``transcribe(wav, run_dir=...)``.

    from regen.tasks.asr.recognize import transcribe
    text = transcribe("speech.wav", run_dir="runs/asr_phonemes")     # or a float32 array

Audio of any length is cut into chunks of at most ``chunk_seconds`` (at the quietest
moment near each boundary, so words are rarely split) and decoded a few chunks at a time,
so memory stays bounded for hour-long files. Input at another sample rate is resampled;
stereo is averaged; silence gives an empty transcript without running the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from regen.contracts import Symbolic, XBatch
from regen.data.audio import SAMPLE_RATE, read_audio
from regen.errors import DataError
from regen.modules.dsp import MelSpectrogram
from regen.modules.sequences import pad_rows, unpad_rows
from regen.representations.characters import decode_ids
from regen.tasks.asr.data import log_mels
from regen.tasks.asr.train import load_asr_run

SILENCE_RMS = 1e-4  # about -80 dBFS: quieter chunks are silence, not speech
MIN_SAMPLE_RATE = 4000


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
        pipeline, config = load_asr_run(run_dir)
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
        chunks = [c for c in split_chunks(wav, self.chunk_seconds) if not is_silent(c)]
        texts = []
        for start in range(0, len(chunks), self.batch_size):
            texts += [t.text for t in self.recognize(chunks[start : start + self.batch_size])]
        return " ".join(t for t in texts if t)


def prepare_audio(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """float32 mono [T] at 22,050 Hz from an array at ``sample_rate``; DataError if unusable."""
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim == 2:
        wav = wav.mean(axis=1)  # [T, channels], as soundfile returns it
    if wav.ndim != 1 or wav.size == 0:
        raise DataError(f"expected a non-empty waveform of shape [T], got {list(wav.shape)}")
    if sample_rate < MIN_SAMPLE_RATE:
        raise DataError(
            f"sample rate {sample_rate} Hz is too low for speech; give at least "
            f"{MIN_SAMPLE_RATE} Hz (22050 Hz is native)"
        )
    if not np.isfinite(wav).all():
        raise DataError("the waveform holds NaN or infinite samples; clean the audio first")
    if sample_rate != SAMPLE_RATE:
        import librosa

        wav = librosa.resample(wav, orig_sr=sample_rate, target_sr=SAMPLE_RATE)
    return np.clip(wav, -1.0, 1.0).astype(np.float32)


def is_silent(wav: np.ndarray) -> bool:
    return wav.size < SAMPLE_RATE // 20 or float(np.sqrt(np.mean(wav**2))) < SILENCE_RMS


def split_chunks(
    wav: np.ndarray, chunk_seconds: float, sample_rate: int = SAMPLE_RATE
) -> list[np.ndarray]:
    """Cut ``wav`` into pieces of at most ``chunk_seconds``, at the quietest 20 ms window of
    the last fifth of each piece (views, no copies)."""
    limit = max(1, int(chunk_seconds * sample_rate))
    window = sample_rate // 50
    chunks, start = [], 0
    while len(wav) - start > limit:
        search_from = start + limit - limit // 5
        region = wav[search_from : start + limit]
        frames = len(region) // window
        if frames >= 2:
            energy = (region[: frames * window].reshape(frames, window) ** 2).mean(axis=1)
            cut = search_from + int(energy.argmin()) * window + window // 2
        else:
            cut = start + limit
        chunks.append(wav[start:cut])
        start = cut
    chunks.append(wav[start:])
    return chunks


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
    recognizer = _recognizer(str(Path(run_dir).resolve()))
    if isinstance(wav, str | Path):
        return recognizer.transcribe(read_audio(wav), SAMPLE_RATE)
    return recognizer.transcribe(wav, sample_rate)
