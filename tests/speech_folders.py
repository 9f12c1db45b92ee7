"""Small real speech folders for the data.source tests: fortunes sentences spoken by espeak-ng.

Some files are written at 16 kHz in stereo on purpose, so every prepare resamples and
downmixes a few of them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile

from regen.data import espeak
from regen.data.sentences import load_sentences

VOICES = ("en-gb", "en-us+f2")


def sentences(count: int, max_words: int = 9) -> list[str]:
    """The first ``count`` short fortunes sentences (short: the tests stay fast)."""
    if espeak.find_library() is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    short = [s for s in load_sentences() if len(s.split()) <= max_words]
    return short[:count]


def write_recording(path: Path, text: str, voice: str, odd_format: bool) -> None:
    """``text`` said by espeak-ng ``voice``: 22,050 Hz mono, or 16 kHz stereo (``odd_format``)."""
    wav = espeak.synthesize(text, voice).wav
    path.parent.mkdir(parents=True, exist_ok=True)
    if odd_format:
        low = librosa.resample(wav, orig_sr=espeak.ESPEAK_SAMPLE_RATE, target_sr=16000)
        soundfile.write(str(path), np.stack([low, 0.8 * low], axis=1), 16000)
    else:
        soundfile.write(str(path), wav, espeak.ESPEAK_SAMPLE_RATE)


def write_ljspeech(root: Path, count: int = 12) -> list[str]:
    """LJSpeech's layout: ``metadata.csv`` (id|text|normalized_text), ``wavs/<id>.wav``.
    Returns the ids."""
    ids, lines = [], []
    for i, text in enumerate(sentences(count)):
        uid = f"LJ001-{i + 1:04d}"
        write_recording(root / "wavs" / f"{uid}.wav", text, "en-us", odd_format=i % 4 == 1)
        ids.append(uid)
        lines.append(f"{uid}|{text}|{text}")
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    return ids


def write_audiofolder(root: Path, count: int = 12) -> list[str]:
    """Hugging Face's audiofolder layout: ``metadata.csv`` file_name,transcription,speaker
    with two speakers (espeak-ng voices). Returns the file names."""
    root.mkdir(parents=True, exist_ok=True)
    names = []
    with open(root / "metadata.csv", "w", newline="") as file:
        out = csv.writer(file)
        out.writerow(["file_name", "transcription", "speaker"])
        for i, text in enumerate(sentences(count)):
            voice = VOICES[i % len(VOICES)]
            name = f"clips/{i:03d}.wav"
            write_recording(root / name, text, voice, odd_format=i % 4 == 1)
            out.writerow([name, text, f"speaker{i % len(VOICES)}"])
            names.append(name)
    return names


def write_text_folder(root: Path, lines: int = 30, skip: int = 0) -> Path:
    """Two ``.txt`` files of fortunes sentences (after the first ``skip``): one a sentence a
    line, one two sentences (a short paragraph) a line. Returns the folder."""
    found = sentences(skip + 3 * lines, max_words=12)[skip:]
    root.mkdir(parents=True, exist_ok=True)
    (root / "sentences.txt").write_text("\n".join(found[:lines]) + "\n")
    pairs = [f"{a} {b}" for a, b in zip(found[lines::2], found[lines + 1 :: 2])]
    (root / "more" / "paragraphs.txt").parent.mkdir(exist_ok=True)
    (root / "more" / "paragraphs.txt").write_text("\n\n".join(pairs))
    return root
