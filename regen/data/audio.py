"""Reading and writing speech audio: float32 mono at 22,050 Hz everywhere inside regen.

Stereo input is averaged to mono and other sample rates are resampled (librosa), each with a
logged note; a file that is not audio, or holds no samples, raises a one-line DataError.
"""

from __future__ import annotations

import base64
import io
import logging
from pathlib import Path

import numpy as np
import soundfile

from regen.errors import DataError
from regen.modules.dsp import SAMPLE_RATE

log = logging.getLogger(__name__)


def read_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Samples of an audio file as float32 mono in [-1, 1] at ``sample_rate`` Hz, shape [T]."""
    return read_audio_noting(path, sample_rate)[0]


def read_audio_noting(
    path: str | Path | bytes, sample_rate: int = SAMPLE_RATE
) -> tuple[np.ndarray, list[str]]:
    """:func:`read_audio` of a file (or of its encoded bytes), and what was converted
    (``"resampled from 16000 Hz"``, ``"downmixed from 2 channels"``), so a prepared store
    can say so in its manifest."""
    if isinstance(path, bytes):
        sound, path = _open_bytes(path), Path("audio bytes")
    else:
        path = Path(path)
        sound = open_audio(path)
    with sound:
        try:
            wav, rate = sound.read(dtype="float32", always_2d=True), sound.samplerate
        except (soundfile.LibsndfileError, RuntimeError) as exc:  # a truncated data chunk
            raise DataError(f"{path.name} is a damaged audio file ({exc})") from None
    if wav.size == 0:
        raise DataError(f"{path.name} holds no audio samples; give a non-empty recording")
    notes = []
    if wav.shape[1] > 1:
        log.info("%s has %d channels; averaging them to mono", path.name, wav.shape[1])
        notes.append(f"downmixed from {wav.shape[1]} channels")
    wav = wav.mean(axis=1)
    if rate != sample_rate:
        import librosa

        log.info("%s is at %d Hz; resampling to %d Hz", path.name, rate, sample_rate)
        notes.append(f"resampled from {rate} Hz")
        wav = librosa.resample(wav, orig_sr=rate, target_sr=sample_rate)
    return np.clip(wav, -1.0, 1.0).astype(np.float32), notes


def open_audio(path: str | Path) -> soundfile.SoundFile:
    """``path`` opened for reading (a context manager), or a one-line DataError."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a folder, not an audio file; give a WAV or FLAC file")
    if not path.is_file():
        raise DataError(f"no such audio file: {path}")
    try:
        return soundfile.SoundFile(str(path))
    except (soundfile.LibsndfileError, RuntimeError, TypeError, OSError) as exc:
        raise DataError(
            f"{path.name} is not an audio file soundfile can read ({str(exc).splitlines()[0]}); "
            "give a WAV or FLAC file"
        ) from None


def _open_bytes(data: bytes) -> soundfile.SoundFile:
    try:
        return soundfile.SoundFile(io.BytesIO(data))
    except (soundfile.LibsndfileError, RuntimeError, TypeError, OSError) as exc:
        raise DataError(f"the audio bytes are not a file soundfile can read ({exc})") from None


def write_audio(path: str | Path, wav: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """Write ``wav`` ([T] floats in [-1, 1], clipped) as 16-bit PCM WAV; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), _as_mono(wav), sample_rate, subtype="PCM_16")
    return path


def wav_bytes(wav: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """``wav`` as the bytes of a 16-bit PCM WAV file."""
    buffer = io.BytesIO()
    soundfile.write(buffer, _as_mono(wav), sample_rate, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def wav_to_data_uri(wav: np.ndarray, sample_rate: int = SAMPLE_RATE) -> str:
    """A ``data:audio/wav;base64,...`` URI for an HTML ``<audio>`` element."""
    return "data:audio/wav;base64," + base64.b64encode(wav_bytes(wav, sample_rate)).decode()


def _as_mono(wav) -> np.ndarray:
    wav = np.asarray(wav.detach().cpu() if hasattr(wav, "detach") else wav, np.float32)
    if wav.ndim != 1:
        raise DataError(f"expected one mono waveform of shape [T], got shape {list(wav.shape)}")
    return np.clip(wav, -1.0, 1.0)
