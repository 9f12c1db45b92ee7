"""An audio file as the recognizer's chunks, read block by block: memory flat in its length.

``regen asr`` on an hour of audio must not hold the hour in memory. The file is read with
soundfile's block reader, one chunk's worth of frames at a time, into a buffer that never
holds much more than two chunks; each chunk is cut with :func:`split_chunks` (at
the quietest 20 ms near its end) as soon as the buffer holds more than a chunk, then
downmixed and resampled on its own.

The cut points are those of ``split_chunks`` over the whole file, because each cut depends
only on the ``chunk_seconds`` of audio after the previous one: a 22,050 Hz file gives exactly
the chunks (and transcript) of the in-memory path. At other rates the cuts are made at the
file's rate and each chunk is resampled separately (at a quiet moment, so without audible
seams).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile

from regen.data.audio import SAMPLE_RATE
from regen.errors import DataError

SILENCE_RMS = 1e-4  # about -80 dBFS: quieter chunks are silence, not speech
MIN_SAMPLE_RATE = 4000


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


def audio_chunks(sound: soundfile.SoundFile, chunk_seconds: float) -> Iterator[np.ndarray]:
    """Chunks of at most ``chunk_seconds`` of an opened file (see
    :func:`regen.data.audio.open_audio`), float32 mono at 22,050 Hz; the file is closed at
    the end."""
    name = Path(sound.name).name
    rate = sound.samplerate
    limit = max(1, int(chunk_seconds * rate))
    buffer = np.zeros(0, np.float32)
    frames = 0
    with sound:
        for block in sound.blocks(blocksize=limit, dtype="float32", always_2d=True):
            frames += len(block)
            buffer = np.concatenate([buffer, block.mean(axis=1)])
            while len(buffer) > limit:
                first = split_chunks(buffer[: 2 * limit], chunk_seconds, rate)[0]
                yield prepare_audio(first, rate)
                buffer = buffer[len(first) :].copy()  # a copy: do not pin the old buffer
    if frames == 0:
        raise DataError(f"{name} holds no audio samples; give a non-empty recording")
    yield prepare_audio(buffer, rate)
