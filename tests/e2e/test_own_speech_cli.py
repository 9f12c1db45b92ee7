"""Your own recordings end to end: a folder -> regen data prepare -> train -> compare -> Chromium,
for tts (LJSpeech layout) and asr (audiofolder layout), and every kind of bad item."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from regen.cli import main
from tests.asr_tiny import TINY_ASR, one_thread  # noqa: F401  (autouse fixture)
from tests.image_folders import tree_hashes
from tests.report_check import rendered_report
from tests.speech_folders import (
    write_audiofolder,
    write_ljspeech,
    write_recording,
    write_text_folder,
)
from tests.tiny_tts import TINY_TTS

OWN_TTS = [o for o in TINY_TTS if not o.startswith("data.")] + ["compare.budget=samples"]
OWN_ASR = [o for o in TINY_ASR if not o.startswith("data.num_sentences")]


def prepare_train_compare(
    recipe, overrides, folder: Path, tmp_path: Path, capsys, min_images: int = 4
) -> str:
    """The user's three commands on ``folder``; returns the report's DOM after Chromium."""
    before = tree_hashes(folder)
    source = [f"data.source={folder}", "data.test_fraction=0.25"]
    assert main(["data", "prepare", recipe, *overrides, *source]) == 0
    captured = capsys.readouterr()
    store = Path(captured.out.strip().removeprefix("store: "))
    manifest = json.loads((store / "manifest.json").read_text())
    stores = sorted(store.parent.glob("speech-*"))  # other tests' stores may be there too
    assert manifest["counts"]["test"] >= 2 and manifest["skipped_total"] == 0
    # some files are 16 kHz stereo: the manifest says what was converted
    assert manifest["converted"]["resampled from 16000 Hz"] >= 1
    run = tmp_path / "run"
    assert main(["train", recipe, *overrides, *source, "--out", str(run)]) == 0
    assert (run / "generator" / "model.safetensors").is_file()
    out = tmp_path / "compare"
    assert main(["compare", recipe, *overrides, *source, "--out", str(out)]) == 0
    assert sorted(store.parent.glob("speech-*")) == stores  # prepared once, then reused
    assert tree_hashes(folder) == before  # nothing written into the user's folder
    report = out / "report.html"
    assert str(report.resolve()) in capsys.readouterr().out
    return rendered_report(report, tmp_path / "shot.png", min_images)


def test_tts_on_an_ljspeech_folder(tmp_path, capsys):
    folder = tmp_path / "LJSpeech-mini"
    write_ljspeech(folder, count=12)
    dom = prepare_train_compare("tts/fastspeech_vocos", OWN_TTS, folder, tmp_path, capsys)
    assert str(folder.resolve()) in dom  # the report says where the data came from
    results = json.loads((tmp_path / "compare" / "results.json").read_text())
    assert results["data"]["voices"] == ["own:LJSpeech-mini"]


def test_asr_on_an_audiofolder_and_text_files(tmp_path, capsys):
    torch.set_num_threads(1)
    folder = tmp_path / "my_clips"
    write_audiofolder(folder, count=12)
    texts = write_text_folder(tmp_path / "my_texts", lines=30, skip=12)
    text = [f"text.sources=[{texts}]"]
    # two loss plots: the asr report's other sections are tables and audio
    dom = prepare_train_compare("asr/phonemes", OWN_ASR + text, folder, tmp_path, capsys, 2)
    assert str(folder.resolve()) in dom
    results = json.loads((tmp_path / "compare" / "results.json").read_text())
    assert results["data"]["test_utterances"] == {"test": 3, "test_speaker": 0}
    assert "cer" in results["pipelines"][0]["metrics"]
    # the renderer read the text files' sentences on top of the training transcripts
    record = results["data"]["text_files"]
    assert record["sentences"] >= 30 and record["skipped_total"] == 0
    assert results["data"]["unpaired_texts"] >= 9 + record["sentences"]


def error(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("regen: error: ") and "\n" not in err
    return err


DEFECTS = {
    "not a readable audio file": "broken.wav",
    "empty transcript": "silent.wav",
    "file named in metadata does not exist": "gone.wav",
    "transcript has characters the front end cannot speak": "cyrillic.wav",
}


def add_defects(folder: Path, layout: str) -> None:
    """One item of every kind of defect, appended to a good folder's metadata."""
    audio = folder / ("wavs" if layout == "ljspeech" else "clips")
    (audio / "broken.wav").write_bytes(b"RIFF\x00\x00garbage")
    write_recording(audio / "silent.wav", "Nothing here.", "en-us", odd_format=False)
    write_recording(audio / "cyrillic.wav", "Hello world.", "en-us", odd_format=False)
    texts = {"broken": "A sentence.", "silent": "  ", "gone": "Lost.", "cyrillic": "Привет мир."}
    with open(folder / "metadata.csv", "a") as metadata:
        for stem, text in texts.items():
            if layout == "ljspeech":
                metadata.write(f"{stem}|{text}|{text}\n")
            else:
                metadata.write(f"clips/{stem}.wav,{text},speaker0\n")
        # a line with one field too many (LJSpeech) or too few (audiofolder)
        metadata.write("LJ9|a|b|c\n" if layout == "ljspeech" else "clips/000.wav\n")


@pytest.mark.parametrize("layout", ["ljspeech", "audiofolder"])
def test_bad_recordings_are_skipped_and_counted(layout, tmp_path, capsys):
    folder = tmp_path / layout
    (write_ljspeech if layout == "ljspeech" else write_audiofolder)(folder, count=4)
    add_defects(folder, layout)
    before = tree_hashes(folder)
    header = 0 if layout == "ljspeech" else 1  # line numbers count audiofolder's header
    recipe, source = "asr/phonemes", f"data.source={folder}"
    assert main(["data", "prepare", recipe, source, "data.test_fraction=0.25"]) == 0
    captured = capsys.readouterr()
    manifest = json.loads((Path(captured.out.strip()[7:]) / "manifest.json").read_text())
    assert sum(manifest["counts"].values()) == 4 and manifest["skipped_total"] == 5
    skipped = manifest["skipped"]
    for reason, stem in DEFECTS.items():
        assert skipped[reason]["count"] == 1 and stem in skipped[reason]["first"][0], reason
    (fields,) = [r for r in skipped if r.startswith("metadata line has")]
    assert f"metadata.csv line {9 + header}" in skipped[fields]["first"][0]
    assert "skipped 1: empty transcript" in captured.err  # prepare lists what it left out

    # strict: the metadata is read before any audio, so its first bad line is the error
    strict = error(capsys, "data", "prepare", recipe, source, "data.strict=true")
    assert f"silent.wav (metadata.csv line {6 + header}): empty transcript (data.strict" in strict
    # a strict train on the store prepared leniently above names a skipped item too
    assert main(["train", "tts/fastspeech_vocos", source, "data.strict=true"]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]  # after the printed recipe
    assert (
        last.startswith("regen: error: ") and f"silent.wav (metadata.csv line {6 + header})" in last
    )
    assert tree_hashes(folder) == before  # nothing written into the user's folder


def test_a_folder_with_nothing_usable_is_one_line(tmp_path, capsys):
    folder = tmp_path / "nothing"
    folder.mkdir()
    (folder / "metadata.csv").write_text("file_name,transcription\nmissing.wav,Hello.\n")
    err = error(capsys, "data", "prepare", "tts/fastspeech_vocos", f"data.source={folder}")
    assert "no usable recordings (1 file named in metadata does not exist)" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "has no metadata.csv" in error(
        capsys, "data", "prepare", "asr/phonemes", f"data.source={empty}"
    )
    assert "needs data.source" in error(capsys, "data", "prepare", "asr/phonemes")


def test_asr_paired_study_on_an_audiofolder(tmp_path, capsys):
    # a source has no held-out voice: the study scores the held-out recordings alone
    torch.set_num_threads(1)
    folder = tmp_path / "my_clips"
    write_audiofolder(folder, count=8)
    source = [f"data.source={folder}", "data.test_fraction=0.25", "eval.fractions=[1.0]"]
    out = tmp_path / "study"
    argv = ["study", "paired", "asr/phonemes", *OWN_ASR, *source, "--seeds", "1"]
    assert main([*argv, "--workers", "1", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["points"] and all("cer" in p["metrics"] for p in results["points"])
