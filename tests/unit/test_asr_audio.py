"""Audio handling of the recognizer: chunking long files, silence, sample rates, bad samples."""

from __future__ import annotations

import numpy as np
import pytest

from regen.data.audio import SAMPLE_RATE
from regen.errors import DataError
from regen.tasks.asr.audio_chunks import is_silent, prepare_audio, split_chunks
from tests.asr_tiny import one_thread  # noqa: F401  (autouse fixture)


def test_chunks_cover_the_file_and_respect_the_limit() -> None:
    rng = np.random.default_rng(0)
    wav = rng.normal(0, 0.1, SAMPLE_RATE * 47).astype(np.float32)
    chunks = split_chunks(wav, chunk_seconds=10)
    assert all(len(c) <= 10 * SAMPLE_RATE for c in chunks)
    assert np.array_equal(np.concatenate(chunks), wav)
    assert 5 <= len(chunks) <= 6  # cuts fall in the last fifth: pieces of 8-10 s


def test_chunks_are_cut_in_a_pause() -> None:
    rng = np.random.default_rng(1)
    wav = rng.normal(0, 0.3, SAMPLE_RATE * 12).astype(np.float32)
    pause = slice(int(9.2 * SAMPLE_RATE), int(9.4 * SAMPLE_RATE))
    wav[pause] = 0.0
    first = split_chunks(wav, chunk_seconds=10)[0]
    assert pause.start <= len(first) <= pause.stop


def test_silence_and_short_clicks_are_silent() -> None:
    assert is_silent(np.zeros(SAMPLE_RATE, np.float32))
    assert is_silent(np.full(100, 0.5, np.float32))  # shorter than 50 ms
    assert not is_silent(np.full(SAMPLE_RATE, 0.01, np.float32))


def test_prepare_audio_resamples_downmixes_and_rejects_bad_input() -> None:
    tone = np.sin(np.arange(16000) / 16000 * 2 * np.pi * 220).astype(np.float32)
    out = prepare_audio(np.stack([tone, tone], axis=1), 16000)
    assert out.ndim == 1 and abs(len(out) - SAMPLE_RATE) <= 1
    assert np.abs(prepare_audio(tone * 3, 16000)).max() <= 1.0  # clipped into range
    with pytest.raises(DataError, match="too low"):
        prepare_audio(tone, 1000)
    with pytest.raises(DataError, match="NaN"):
        prepare_audio(np.array([0.0, np.nan], np.float32), SAMPLE_RATE)
    with pytest.raises(DataError, match="non-empty"):
        prepare_audio(np.zeros(0, np.float32), SAMPLE_RATE)
