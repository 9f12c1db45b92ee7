"""The asr recipes end to end on a tiny config: compare + report in Chromium, train, load,
transcribe through the API and the CLI, and every bad input of the issue."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from regen.cli import main
from regen.data.audio import SAMPLE_RATE
from regen.data.speech import load_speech_corpus
from regen.report.browser import find_chromium, render_in_chromium
from regen.tasks.asr import recognize as asr
from tests.asr_tiny import TINY_ASR, one_thread  # noqa: F401  (autouse fixture)
from tests.e2e.test_cli import _error

ALPHABET = re.compile(r"^[a-z' ]*$")


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("asr") / "compare"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # module fixtures start before the autouse one_thread
    try:
        assert main(["compare", "asr/phonemes", *TINY_ASR, "--out", str(out)]) == 0
    finally:
        torch.set_num_threads(threads)
    return out


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    from regen.config import load_recipe
    from regen.tasks.asr.config import ASRRecipe

    config: ASRRecipe = load_recipe("asr/phonemes", TINY_ASR)
    return load_speech_corpus(config.data, "test").wavs[0]


def test_compare_records_both_pipelines_at_the_recipe_fraction(compared: Path) -> None:
    results = json.loads((compared / "results.json").read_text())
    assert results["task"] == "asr" and results["budget_rule"] in ("samples", "seconds", "steps")
    regen, direct = results["pipelines"]
    assert {"cer", "wer", "per", "cer_speaker", "realtime_speedup", "cer_true_phonemes"} <= set(
        regen["metrics"]
    )
    assert "per" not in direct["metrics"] and direct["metrics"]["cer"] >= 0
    assert 0 < results["data"]["paired_utterances"] <= results["data"]["train_utterances"]
    for run in ("asr_phonemes", "asr_characters"):
        assert (compared / run / "generator" / "model.safetensors").is_file()
    assert (compared / "asr_phonemes" / "renderer" / "model.safetensors").is_file()


def test_compare_report_renders_in_chromium(compared: Path, tmp_path: Path) -> None:
    if find_chromium() is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    dom = render_in_chromium(compared / "report.html", screenshot=tmp_path / "shot.png")
    total = int(dom.split('data-images-total="')[1].split('"')[0])
    assert dom.count(f'data-images-loaded="{total}"') == 1 and total >= 1  # losses
    for table in ("metrics", "examples", "confusions"):
        assert f'<table class="{table}">' in dom
    assert dom.count("<audio") == 2 * 2  # two examples per held-out split


def test_trained_run_transcribes_through_api_and_cli(compared, speech, tmp_path, capsys) -> None:
    run = compared / "asr_phonemes"
    text = asr.transcribe(speech, run_dir=run)
    assert ALPHABET.match(text)
    direct = asr.transcribe(speech, run_dir=compared / "asr_characters")
    assert ALPHABET.match(direct)
    wav_16k = tmp_path / "speech16k.wav"  # wrong sample rate: resampled, same recognizer
    import librosa

    soundfile.write(wav_16k, librosa.resample(speech, orig_sr=SAMPLE_RATE, target_sr=16000), 16000)
    capsys.readouterr()
    assert main(["asr", str(wav_16k), "--run", str(run)]) == 0
    assert ALPHABET.match(capsys.readouterr().out.strip())


def test_silence_noise_and_clipping(compared, speech) -> None:
    run = compared / "asr_phonemes"
    assert asr.transcribe(np.zeros(SAMPLE_RATE * 3, np.float32), run_dir=run) == ""
    noise = np.random.default_rng(0).normal(0, 0.2, SAMPLE_RATE * 3).astype(np.float32)
    assert ALPHABET.match(asr.transcribe(noise, run_dir=run))
    clipped = np.clip(speech * 20, -1, 1)
    assert ALPHABET.match(asr.transcribe(clipped, run_dir=run))


def _decode_spied(recognizer, audio: np.ndarray, monkeypatch) -> tuple[str, list[int]]:
    """Transcribe ``audio``, recording how many samples each recognizer call received."""
    seen: list[int] = []
    real = recognizer.recognize

    def spy(wavs, *args, **kwargs):
        seen.append(max(len(w) for w in wavs) * len(wavs))
        return real(wavs, *args, **kwargs)

    monkeypatch.setattr(recognizer, "recognize", spy)
    return recognizer.transcribe(audio), seen


def _long(speech: np.ndarray, seconds: int) -> np.ndarray:
    return np.tile(speech, int(np.ceil(seconds * SAMPLE_RATE / len(speech))))[
        : seconds * SAMPLE_RATE
    ]


def test_long_file_is_decoded_in_bounded_chunks(compared, speech, monkeypatch) -> None:
    recognizer = asr.Recognizer.load(compared / "asr_phonemes", chunk_seconds=4, batch_size=4)
    text, seen = _decode_spied(recognizer, _long(speech, 40), monkeypatch)
    assert ALPHABET.match(text)
    assert len(seen) >= 40 / 4 / 4  # at least ten chunks, four at a time
    assert max(seen) <= 4 * SAMPLE_RATE * 4  # never more audio than one batch of chunks


def test_ten_minute_file(compared, speech, monkeypatch) -> None:
    recognizer = asr.Recognizer.load(compared / "asr_phonemes")
    text, seen = _decode_spied(recognizer, _long(speech, 600), monkeypatch)
    assert ALPHABET.match(text)
    assert max(seen) <= recognizer.chunk_seconds * SAMPLE_RATE * recognizer.batch_size


def test_train_command_and_bad_inputs(tmp_path, capsys) -> None:
    run = tmp_path / "direct"
    assert main(["train", "asr/characters", *TINY_ASR, "--out", str(run)]) == 0
    capsys.readouterr()  # the resolved recipe printed at start
    assert (run / "pipeline.json").is_file() and (run / "generator" / "model.safetensors").is_file()
    wav = tmp_path / "a.wav"
    soundfile.write(wav, np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE)
    assert "train one first" in _error(capsys, "asr", str(wav), "--run", str(tmp_path / "none"))
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"these bytes are not audio at all" * 10)
    assert "not an audio file" in _error(capsys, "asr", str(junk), "--run", str(run))
    empty = tmp_path / "empty.wav"
    soundfile.write(empty, np.zeros(0, np.float32), SAMPLE_RATE)
    assert "no audio samples" in _error(capsys, "asr", str(empty), "--run", str(run))
    assert "paired_fraction" in _error(capsys, "train", "asr/phonemes", "paired_fraction=0")
    assert "word_boundaries" in _error(
        capsys, "train", "asr/phonemes", "representation.word_boundaries=false"
    )
    assert "phonemes (regeneration)" in _error(
        capsys, "train", "asr/phonemes", "representation.kind=letters"
    )
