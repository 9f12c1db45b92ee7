"""flite (CMU's small synthesizer, Debian ``flite``): English voices from recorded speakers.

Debian's flite binary has its voices built in: ``kal16`` (diphone, US male), ``awb``
(Scottish male), ``rms`` (US male) and ``slt`` (US female), the last three clustergen
statistical voices trained on CMU ARCTIC recordings; all speak at 16 kHz. flite reports no
phoneme timings in a form we read, so the corpus aligns its audio to espeak-ng's
(:mod:`regen.data.duration_transfer`).

An unknown ``-voice`` makes flite fall back to its default voice without an error, so a voice
is checked against ``flite -lv`` before it is used.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile

from regen.errors import DataError

PACKAGE = "flite"
INSTALL_HINT = "install it with: apt-get install flite"


def _binary() -> str:
    path = shutil.which("flite")
    if path is None:
        raise DataError(f"flite is not installed; {INSTALL_HINT}")
    return path


@lru_cache(maxsize=1)
def _listed_voices(binary: str) -> tuple[str, ...]:
    out = subprocess.run([binary, "-lv"], capture_output=True, text=True).stdout
    _, _, names = out.partition(":")
    return tuple(names.split())


def installed_voices() -> tuple[str, ...]:
    """The voice names ``flite -lv`` lists; DataError when flite is not installed."""
    return _listed_voices(_binary())


def check_voice(name: str) -> str:
    """``name`` if flite has that voice (e.g. ``slt``), else a one-line DataError."""
    voices = installed_voices()
    if name not in voices:
        raise DataError(
            f"flite has no voice '{name}'; choose one of: {', '.join(voices)} "
            f"(Debian's {PACKAGE} package builds them in)"
        )
    return name


def synthesize(texts: list[str], name: str) -> list[tuple[np.ndarray, int]]:
    """Each text spoken by flite voice ``name``: (float32 samples in [-1, 1], sample rate)."""
    binary = _binary()
    check_voice(name)
    out = []
    with tempfile.TemporaryDirectory(prefix="regen-flite-") as tmp:
        path = Path(tmp) / "utterance.wav"
        for text in texts:
            # -t takes the text as one argument: no shell, so no quoting of the sentence
            run = subprocess.run(
                [binary, "-voice", name, "-t", text, "-o", str(path)],
                capture_output=True,
                text=True,
            )
            if run.returncode != 0 or not path.is_file():
                reason = (run.stderr.strip().splitlines() or ["no output file"])[-1]
                raise DataError(f"flite -voice {name} failed on {text[:40]!r}: {reason}")
            wav, rate = soundfile.read(str(path), dtype="float32")
            out.append((wav if wav.ndim == 1 else wav.mean(axis=1), rate))
    return out
