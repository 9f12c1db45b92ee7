"""An audio file as the recognizer's chunks, read block by block: memory flat in its length.

``regen asr`` on an hour of audio must not hold the hour in memory. The file is read with
soundfile's block reader, one chunk's worth of frames at a time, into a buffer that never
holds much more than two chunks; each chunk is cut with :func:`regen.asr.split_chunks` (at
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

from regen.asr import prepare_audio, split_chunks
from regen.errors import DataError


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
