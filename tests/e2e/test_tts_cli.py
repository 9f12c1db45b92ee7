"""`regen tts` and `regen train` for TTS from the command line, including bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import soundfile

from regen.cli import main
from tests.tiny_tts import TINY_TTS


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tts-run")
    assert main(["train", "tts/fastspeech_vocos", *TINY_TTS, "--out", str(out)]) == 0
    return out


def _tts(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "regen.cli", "tts", *args], capture_output=True, text=True
    )


def test_tts_writes_a_wav_sentence_by_sentence(run_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "hello.wav"
    long_text = " ".join(f"This is sentence number {i}." for i in range(1, 31))
    code = main(["tts", long_text, "--voice", "en-us+f2", "--out", str(out), "--run", str(run_dir)])
    assert code == 0
    assert "30 sentences" in capsys.readouterr().out
    info = soundfile.info(str(out))
    assert info.samplerate == 22050 and info.channels == 1 and info.frames > 0


@pytest.mark.parametrize(
    "text, voice, message",
    [
        ("", "en-us", "nothing to speak"),
        ("?! ... \U0001f600\U0001f600", "en-us", "nothing to speak"),
        ("Hello there.", "en-xx", "voice 'en-xx' was not trained"),
        ("Hello there.", "en-029+f4", "voice 'en-029+f4' was not trained"),
    ],
)
def test_tts_bad_input_is_one_line(run_dir, tmp_path, capsys, text, voice, message) -> None:
    out = tmp_path / "bad.wav"
    assert main(["tts", text, "--voice", voice, "--out", str(out), "--run", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and not out.exists()


def test_tts_without_a_trained_pipeline_names_the_fix(tmp_path: Path) -> None:
    # a real process: exit status 2, one line, no traceback
    done = _tts("Hello.", "--run", str(tmp_path / "nothing"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "regen train tts/fastspeech_vocos" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_tts_recipe_with_a_bad_value_is_one_line(capsys) -> None:
    assert main(["train", "tts/fastspeech_vocos", "renderer.kind=wavenet"]) == 2
    err = capsys.readouterr().err
    assert "renderer.kind" in err and len(err.strip().splitlines()) == 1


def test_data_tts_is_a_dataset_choice(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["data", "not-a-dataset"])
    assert "tts" in capsys.readouterr().err  # listed among the choices
