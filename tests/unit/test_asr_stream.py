"""`regen asr` reads a file block by block (issue 15, case 7): memory is flat in its length,
and the chunks (so the transcript) are those of the in-memory path."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import soundfile

import regen.tasks.asr.recognize as recognize_module
from regen.config import load_recipe
from regen.data.audio import SAMPLE_RATE, open_audio, read_audio
from regen.errors import DataError
from regen.tasks.asr.audio_chunks import audio_chunks, split_chunks
from regen.tasks.asr.recognize import Recognizer, transcribe
from tests.asr_tiny import TINY_ASR, one_thread  # noqa: F401  (autouse fixture)


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    """An untrained tiny recognizer: memory and chunking do not depend on the weights."""
    from regen.tasks.asr.train import build_asr_pipeline

    config = load_recipe("asr/phonemes", TINY_ASR)
    return Recognizer(build_asr_pipeline(config), config.generator.n_mels, chunk_seconds=2.0)


@pytest.fixture
def loaded(recognizer, monkeypatch) -> Recognizer:
    monkeypatch.setattr(recognize_module, "_recognizer", lambda run_dir: recognizer)
    return recognizer


def _speechy(seconds: float, rate: int = SAMPLE_RATE, seed: int = 0) -> np.ndarray:
    """Noise bursts with pauses: the cut points depend on where the quiet moments are."""
    rng = np.random.default_rng(seed)
    wav = rng.normal(0, 0.2, int(seconds * rate)).astype(np.float32)
    envelope = (np.sin(np.arange(len(wav)) / rate * 2 * np.pi * 0.7) > -0.3).astype(np.float32)
    return wav * envelope


def _peak_bytes(path, **kwargs) -> int:
    tracemalloc.start()
    try:
        transcribe(path, run_dir="unused", **kwargs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_flat_in_the_length_of_the_file(tmp_path, loaded):
    # Silence: the recognizer skips it, so only reading and chunking are measured.
    short, long = tmp_path / "short.wav", tmp_path / "long.wav"
    soundfile.write(str(short), np.zeros(SAMPLE_RATE * 20, np.float32), SAMPLE_RATE)
    soundfile.write(str(long), np.zeros(SAMPLE_RATE * 200, np.float32), SAMPLE_RATE)
    _peak_bytes(short)  # warm-up: imports and caches
    small, large = _peak_bytes(short), _peak_bytes(long)
    # the whole long file as float32 is 17.6 MB; reading it whole peaks above that
    assert large < 1.5 * small + 1_000_000, (small, large)
    assert large < 4_000_000


def test_streamed_chunks_are_the_in_memory_chunks(tmp_path):
    path = tmp_path / "speech.wav"
    wav = _speechy(13.3)
    soundfile.write(str(path), wav, SAMPLE_RATE, subtype="FLOAT")
    streamed = list(audio_chunks(open_audio(path), 2.0))
    whole = split_chunks(read_audio(path), 2.0)
    assert len(streamed) == len(whole) > 5
    for a, b in zip(streamed, whole):
        assert np.array_equal(a, b)


def test_streamed_transcript_equals_the_in_memory_one(tmp_path, loaded):
    path = tmp_path / "speech.wav"
    soundfile.write(str(path), _speechy(7.0, seed=3), SAMPLE_RATE, subtype="FLOAT")
    expected = loaded.transcribe(read_audio(path))
    assert transcribe(path, run_dir="unused") == expected


def test_other_rates_and_stereo_are_resampled_per_chunk(tmp_path):
    path = tmp_path / "stereo16k.wav"
    mono = _speechy(9.0, rate=16000, seed=5)
    soundfile.write(str(path), np.stack([mono, mono], axis=1), 16000, subtype="FLOAT")
    chunks = list(audio_chunks(open_audio(path), 2.0))
    assert all(c.dtype == np.float32 and c.ndim == 1 for c in chunks)
    assert abs(sum(len(c) for c in chunks) - 9.0 * SAMPLE_RATE) < 20 * len(chunks)
    assert all(len(c) <= 2.0 * SAMPLE_RATE + 2 for c in chunks)


def test_bad_files_fail_before_the_model_is_loaded(tmp_path, monkeypatch):
    def never(run_dir):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(recognize_module, "_recognizer", never)
    (tmp_path / "folder.wav").mkdir()
    (tmp_path / "text.wav").write_text("not audio")
    (tmp_path / "empty.wav").write_bytes(b"")
    soundfile.write(str(tmp_path / "silent.wav"), np.zeros(0, np.float32), SAMPLE_RATE)
    for name, message in [
        ("folder.wav", "is a folder"),
        ("missing.wav", "no such audio file"),
        ("text.wav", "not an audio file"),
        ("empty.wav", "not an audio file"),
    ]:
        with pytest.raises(DataError, match=message):
            transcribe(tmp_path / name, run_dir="unused")
    with pytest.raises(DataError, match="holds no audio samples"):
        list(audio_chunks(open_audio(tmp_path / "silent.wav"), 2.0))
