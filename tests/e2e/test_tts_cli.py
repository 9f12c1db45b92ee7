"""`regen tts` and `regen train` for TTS from the command line, including bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
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


def _keep(tmp_path: Path) -> tuple[Path, bytes]:
    keep = tmp_path / "keep.wav"
    soundfile.write(str(keep), np.full(20000, 0.1, np.float32), 22050)
    return keep, keep.read_bytes()


def test_tts_keeps_an_existing_file_when_espeak_cannot_be_loaded(run_dir, tmp_path, capsys):
    """Issue 15, case 2: the old file became a 44-byte empty WAV."""
    from unittest import mock

    from regen.errors import DataError

    keep, before = _keep(tmp_path)
    failure = DataError("cannot load libespeak-ng.so.1; install it with: apt-get install espeak-ng")
    with mock.patch("regen.data.espeak._library", side_effect=failure):
        text = "A sentence no test has phonemized before."
        assert main(["tts", text, "--out", str(keep), "--run", str(run_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot load libespeak-ng" in err and len(err.splitlines()) == 1
    assert keep.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.wav"]


def test_interrupted_tts_keeps_an_existing_file(run_dir, tmp_path, monkeypatch) -> None:
    import regen.tasks.tts.pipeline as tts

    keep, before = _keep(tmp_path)
    real = tts.synthesize_chunks

    def interrupted(*args, **kwargs):  # Ctrl-C after the first sentence was written
        yield next(real(*args, **kwargs))
        raise KeyboardInterrupt

    monkeypatch.setattr(tts, "synthesize_chunks", interrupted)
    argv = ["tts", "One sentence. And another one.", "--out", str(keep), "--run", str(run_dir)]
    assert main(argv) == 130
    assert keep.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.wav"]


def test_tts_checks_out_before_loading_the_pipeline(run_dir, tmp_path, capsys) -> None:
    """Issue 15, case 6: `--out existing_dir` was a soundfile TypeError after loading."""
    from unittest import mock

    from tests.e2e.test_cli import _error

    folder = tmp_path / "existing_dir"
    folder.mkdir()
    with mock.patch("regen.runs.load_run", side_effect=AssertionError("loaded")):
        assert "is a folder" in _error(capsys, "tts", "Hi.", "--out", str(folder), "--run", "x")
        out = str(tmp_path / "speech.txt")
        assert "ending in .wav or .flac" in _error(capsys, "tts", "Hi.", "--out", out)
    out = tmp_path / "new" / "speech.wav"
    assert main(["tts", "Hi.", "--out", str(out), "--run", str(run_dir)]) == 0
    assert soundfile.info(str(out)).frames > 0
