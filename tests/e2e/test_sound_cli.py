"""The sound task end to end on a tiny config: render the corpus, train both recipes,
compare, open the report in Chromium (audio players decode), save/load the run and generate
from the command line, including the bad inputs of `regen sound` and `regen data sound`."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pytest
import soundfile
import torch

from regen.cli import main
from regen.data import fluidsynth
from regen.errors import DataError
from regen.report.browser import find_chromium, render_in_chromium
from regen.runs import load_run
from tests.tiny_sound import TINY_SOUND


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sound") / "compare"
    assert main(["compare", "sound/codec_tokens", *TINY_SOUND, "--out", str(out)]) == 0
    return out


def test_compare_records_every_figure(compared: Path) -> None:
    results = json.loads((compared / "results.json").read_text())
    systems = results["systems"]
    assert {"real", "codec resynthesis", "regen", "direct"} <= set(systems)
    for name in ("regen", "direct"):
        assert 0 <= systems[name]["adherence"] <= 1 and systems[name]["local_fad"] >= 0
        assert systems[name]["realtime_speedup"] > 0
    codec = results["codec"]
    assert codec["bitrate_bps"] == pytest.approx(2 * 4 * 16000 / 256)  # 2 levels x log2(16)
    assert set(codec["by_levels"]) == {"1", "2"}  # quantizer dropout: 1 level decodes too
    assert {"usage_level0", "usage_level1"} <= set(codec["usage"])
    assert set(results["fad_controls"]) == {
        "real vs real (other tunes, floor)",
        "real low-passed at 1 kHz",
        "real + white noise at 10 dB SNR",
    }


@pytest.mark.skipif(find_chromium() is None, reason="chromium not installed")
def test_report_opens_in_chromium_with_working_players(compared: Path) -> None:
    dom = render_in_chromium(compared / "report.html")
    total = int(re.search(r'data-images-total="(\d+)"', dom).group(1))
    assert f'data-images-loaded="{total}"' in dom and total >= 2 + 2  # spectrograms + curves
    players = re.findall(r'<audio[^>]*src="data:audio/wav;base64,([^"]+)"', dom)
    assert len(players) == 2 * 4  # 2 captions x (real, codec resynthesis, regen, direct)
    for encoded in players:
        wav, rate = soundfile.read(io.BytesIO(base64.b64decode(encoded)))
        assert rate == 16000 and len(wav) > 8000 and abs(wav).max() > 0


def test_saved_run_loads_and_generates(compared: Path, tmp_path: Path, capsys) -> None:
    run = compared / "sound_codec_tokens"
    pipeline, config = load_run(run)
    codes = pipeline.generate(pipeline.conditioner.encode(["a calm folk tune on a flute"]))
    assert codes.shape == (1, 2, 63) and codes.dtype == torch.int64
    out = tmp_path / "waltz.wav"
    args = ["sound", "a slow waltz on a cello in a minor key", "--out", str(out)]
    assert main([*args, "--run", str(run), "--seconds", "2"]) == 0
    info = soundfile.info(str(out))
    assert info.samplerate == 16000 and info.frames == 2 * 16000
    assert "x real time" in capsys.readouterr().out


def test_unknown_instrument_words_are_encoded_not_refused(compared, tmp_path) -> None:
    # the caption encoder reads bytes: a word never seen in training still has an encoding
    out = tmp_path / "theremin.wav"
    run = str(compared / "sound_codec_tokens")
    assert main(["sound", "a spooky tune on a theremin", "--out", str(out), "--run", run]) == 0
    assert soundfile.info(str(out)).frames > 0


@pytest.mark.parametrize(
    "caption, extra, message",
    [
        ("", [], "the caption is empty"),
        ("   ", [], "the caption is empty"),
        ("a flute", ["--seconds", "0"], "--seconds must be in (0, 30]"),
        ("a flute", ["--seconds", "-2"], "--seconds must be in (0, 30]"),
        ("a flute", ["--seconds", "1e6"], "--seconds must be in (0, 30]"),
        ("a flute", ["--seconds", "0.001"], "shorter than two frames"),
        ("a flute", ["--temperature", "-1"], "--temperature must be >= 0"),
    ],
)
def test_sound_bad_input_is_one_line(compared, tmp_path, capsys, caption, extra, message):
    out = tmp_path / "bad.wav"
    run = str(compared / "sound_codec_tokens")
    assert main(["sound", caption, "--out", str(out), "--run", run, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and not out.exists()


def test_missing_fluidsynth_names_the_packages(monkeypatch) -> None:
    monkeypatch.setattr(fluidsynth.shutil, "which", lambda name: None)
    with pytest.raises(DataError, match="fluidsynth fluid-soundfont-gm") as caught:
        fluidsynth.check_installed()
    assert "\n" not in str(caught.value)


def test_regen_data_sound_without_fluidsynth_is_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setattr(fluidsynth.shutil, "which", lambda name: None)
    assert main(["data", "sound"]) == 2
    err = capsys.readouterr().err
    assert "apt-get install fluidsynth fluid-soundfont-gm" in err
    assert len(err.strip().splitlines()) == 1
