"""Festival (Debian ``festival``) with its free English voices, built from recorded speech.

Voices and the Debian packages that hold them (:data:`VOICE_PACKAGES`): ``kal_diphone`` and
``ked_diphone`` (US male diphone voices, 16 kHz) and ``cmu_us_slt_arctic_hts`` (the HTS
statistical voice of the ARCTIC speaker slt, 32 kHz).

Starting festival and loading a voice costs about 0.2-0.5 s, far more than speaking one
sentence, so texts are spoken in batches: one ``festival -b`` process runs a Scheme script
that synthesizes every text of the batch and saves one WAV each. Festival could also save
each utterance's phone segments (``utt.save.segs``), but in its own phone set (radio/MRPA),
not espeak-ng's; the corpus aligns to espeak-ng instead (:mod:`regen.data.duration_transfer`).
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

PACKAGE = "festival"
VOICE_PACKAGES = {
    "kal_diphone": "festvox-kallpc16k",
    "ked_diphone": "festvox-kdlpc16k",
    "cmu_us_slt_arctic_hts": "festvox-us-slt-hts",
}


def _binary() -> str:
    path = shutil.which("festival")
    if path is None:
        raise DataError("festival is not installed; install it with: apt-get install festival")
    return path


@lru_cache(maxsize=1)
def _listed_voices(binary: str) -> tuple[str, ...]:
    run = subprocess.run([binary, "-b", "(print (voice.list))"], capture_output=True, text=True)
    return tuple(run.stdout.strip().strip("()").split())


def installed_voices() -> tuple[str, ...]:
    """The voices festival finds (``voice.list``); DataError when festival is not installed."""
    return _listed_voices(_binary())


def packages(name: str) -> tuple[str, ...]:
    """The Debian packages voice ``name`` needs (festival itself and the voice's package)."""
    return (PACKAGE, VOICE_PACKAGES[name]) if name in VOICE_PACKAGES else (PACKAGE,)


def check_voice(name: str) -> str:
    """``name`` if festival has that voice (e.g. ``ked_diphone``), else a one-line DataError."""
    voices = installed_voices()
    if name in voices:
        return name
    if name in VOICE_PACKAGES:
        raise DataError(
            f"festival voice '{name}' is not installed; install it with: "
            f"apt-get install {' '.join(packages(name))}"
        )
    known = sorted(set(voices) | set(VOICE_PACKAGES))
    raise DataError(f"festival has no voice '{name}'; choose one of: {', '.join(known)}")


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def synthesize(texts: list[str], name: str) -> list[tuple[np.ndarray, int]]:
    """Each text spoken by festival voice ``name``: (float32 samples in [-1, 1], sample rate)."""
    binary = _binary()
    check_voice(name)
    if not texts:
        return []
    with tempfile.TemporaryDirectory(prefix="regen-festival-") as tmp:
        paths = [Path(tmp) / f"{i}.wav" for i in range(len(texts))]
        lines = [f"(voice_{name})"]
        for text, path in zip(texts, paths):
            lines.append(f"(set! utt (utt.synth (Utterance Text {_scheme_string(text)})))")
            lines.append(f"(utt.save.wave utt {_scheme_string(str(path))} 'riff)")
        script = Path(tmp) / "speak.scm"
        script.write_text("\n".join(lines) + "\n")
        run = subprocess.run([binary, "-b", str(script)], capture_output=True, text=True)
        missing = [t for t, p in zip(texts, paths) if not p.is_file()]
        if run.returncode != 0 or missing:
            reason = (run.stderr.strip().splitlines() or ["no output file"])[0]
            first = (missing or texts)[0]
            raise DataError(f"festival voice {name} failed on {first[:40]!r}: {reason}")
        out = []
        for path in paths:
            wav, rate = soundfile.read(str(path), dtype="float32")
            out.append((wav if wav.ndim == 1 else wav.mean(axis=1), rate))
    return out
