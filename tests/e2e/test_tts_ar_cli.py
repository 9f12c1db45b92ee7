"""`regen train` / `regen tts` with the autoregressive code generator (generator.kind ar)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import soundfile

from regen.cli import main
from tests.tiny_tts import TINY_TTS


def test_train_then_speak_with_the_ar_generator(tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    assert main(["train", "tts/rvq_codes_ar", *TINY_TTS, "--out", str(run)]) == 0
    out = tmp_path / "hello.wav"
    assert main(["tts", "Hello there. Good night.", "--out", str(out), "--run", str(run)]) == 0
    assert "2 sentences" in capsys.readouterr().out
    info = soundfile.info(str(out))
    assert info.samplerate == 22050 and info.frames > 0


def test_ar_generator_on_a_continuous_representation_is_refused_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "regen.cli", "train", "tts/rvq_codes_ar",
         "representation.kind=mel_vae"],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "needs representation.kind mel_rvq" in done.stderr
