"""Every subcommand against a table of hostile arguments (issue 15).

Each hostile call must end in exactly one line ``regen: error: ...`` (exit status 2, no
traceback) and must leave every file in the working folder as it was (hashed before and
after), including the files a command would write by default. Arguments are checked before
any training or model loading, so only ``sample`` and ``eval`` need a trained run: one tiny
image run, shared by the module. Other tasks' commands get a run folder that does not exist:
their argument errors must come before the run is even looked at.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

from regen.cli import COMMANDS, main
from tests.tiny import TINY

RECIPE = "image/digits_latent_diffusion"
MISSING = "no_such_run"
HUGE = str(10**30)

# (argv, text the error line must contain); "{run}" is the trained image run
CASES: list[tuple[list[str], str]] = [
    # sample: output file, names, numbers, run folder
    (["sample", "{run}", "1", "--out", "adir"], "is a folder"),
    (["sample", "{run}", "1", "--out", ""], "is a folder"),
    (["sample", "{run}", "1", "--out", "dir.png"], "is a folder"),
    (["sample", "{run}", "1", "--out", "grid.jpg"], "ending in .png"),
    (["sample", "{run}", "1", "--out", "keep.png/x.png"], "is a file"),
    (["sample", "{run}", "Q"], "'Q' is not a class"),
    (["sample", "{run}", ""], "'' is not a class"),
    (["sample", "{run}", "1", "-n", str(10**12)], "-n/--per-name"),
    (["sample", "{run}", "1", "--seed", HUGE], "--seed"),
    (["sample", "{run}", "1", "--seed", "-1"], "--seed"),
    (["sample", "{run}", "1", "--steps", str(10**9)], "--steps"),
    (["sample", "{run}", "1", "--steps", "0"], "--steps"),
    (["sample", "{run}", "1", "--guidance", "nan"], "--guidance"),
    (["sample", "{run}", "1", "--guidance", "1e308"], "--guidance"),
    (["sample", "", "1"], "no trained pipeline"),
    (["sample", "keep.png", "1"], "no trained pipeline"),
    (["sample", "bad_run", "1"], "bad_run"),
    (["sample", "ünï/çødé run", "1"], "no trained pipeline"),
    # eval
    (["eval", ""], "no trained pipeline"),
    (["eval", "keep.png"], "no trained pipeline"),
    (["eval", "adir"], "no trained pipeline"),
    (["eval", "bad_run"], "bad_run"),
    # train: recipe, run folder, overrides
    (["pretrain", ""], "no recipe ''"),
    (["pretrain", "garbage.yaml"], "not valid YAML"),
    (["pretrain", RECIPE], "has no renderer to pretrain"),
    (["pretrain", "tts/fastspeech_griffin_lim", "pretrained_renderer=true"], "vocoder"),
    (["train", ""], "no recipe ''"),
    (["train", "adir"], "no recipe 'adir'"),
    (["train", "garbage.yaml"], "not valid YAML"),
    (["train", "binary.yaml"], "not valid YAML"),
    (["train", RECIPE, "--out", "keep.png"], "not a folder"),
    (["train", RECIPE, "--out", "keep.png/run"], "not a folder"),
    (["train", RECIPE, ""], "must look like key.sub=value"),
    (["train", RECIPE, "=5"], "has no key"),
    (["train", RECIPE, "eval.num_samples=[0.5,"], "quote"),
    (["train", RECIPE, "train.generator.lr=1e999"], "finite"),
    (["train", RECIPE, "train.generator.steps=1e30"], "must be int"),
    (["train", RECIPE, f"train.generator.steps={HUGE}"], "train.generator.steps"),
    (["train", RECIPE, f"train.generator.batch_size={10**12}"], "train.generator.batch_size"),
    (["train", RECIPE, "train.generator.checkpoint_every=0"], "checkpoint_every"),
    # compare and demo (train two pipelines: every check comes first)
    (["compare", RECIPE, "--out", "keep.png"], "not a folder"),
    (["compare", "image/digits_direct"], "is a direct recipe"),
    (["compare", RECIPE, "generator.sampler={dpm"], "quote"),
    (["demo", "--out", "keep.png"], "not a folder"),
    (["demo", "--out", "keep.png/demo"], "not a folder"),
    # report
    (["report", ""], "holds no results.json"),
    (["report", "keep.png"], "holds no results.json"),
    (["report", "bad_report"], "corrupted"),
    # data
    (["data", "digits", "--image-size", str(10**9)], "'data.image_size'"),
    (["data", "digits", "--image-size", "-5"], "'data.image_size'"),
    # study
    (["study", "paired", RECIPE, "--out", "keep.png"], "not a folder"),
    (["study", "paired", RECIPE, "--seeds", str(10**9)], "--seeds"),
    (["study", "paired", RECIPE, "--workers", "0"], "--workers"),
    (["study", "paired", "image/digits_direct"], "direct recipe"),
    (["study", "paired", ""], "no recipe ''"),
    # melody (its run does not exist: arguments are checked first)
    (["melody", "", "--run", MISSING], "no singable words"),
    (["melody", "la la", "--run", MISSING, "--out", "adir"], "is a folder"),
    (["melody", "la la", "--run", MISSING, "--out", "dir.mid"], "is a folder"),
    (["melody", "la la", "--run", MISSING, "--out", ""], "is a folder"),
    (["melody", "la la", "--run", MISSING, "--out", "song.wav"], "ending in .mid"),
    (["melody", "la la", "--run", MISSING, "--out", "keep.png/x.mid"], "is a file"),
    (["melody", "la la", "--run", MISSING, "--seed", HUGE], "--seed"),
    (["melody", "la la", "--run", MISSING, "--meter", f"{HUGE}/4"], "meter"),
    (["melody", "la la", "--run", MISSING], "no trained pipeline"),
    (["melody", "la la", "--run", "keep.png"], "no trained pipeline"),
    # asr (the audio is checked before the recognizer is loaded)
    (["asr", "", "--run", MISSING], "is a folder"),
    (["asr", "adir", "--run", MISSING], "is a folder"),
    (["asr", "garbage.wav", "--run", MISSING], "not an audio file"),
    (["asr", "empty.wav", "--run", MISSING], "not an audio file"),
    (["asr", "keep.png", "--run", MISSING], "not an audio file"),
    (["asr", "ünï/nothing.wav", "--run", MISSING], "no such audio file"),
    (["asr", "ünï/çødé.wav", "--run", MISSING], MISSING),
    (["asr", "keep.wav", "--run", "keep.png"], "keep.png"),
    # tts (--out and the text are checked before the pipeline is loaded)
    (["tts", "Hello.", "--run", MISSING, "--out", "adir"], "is a folder"),
    (["tts", "Hello.", "--run", MISSING, "--out", "dir.wav"], "is a folder"),
    (["tts", "Hello.", "--run", MISSING, "--out", ""], "is a folder"),
    (["tts", "Hello.", "--run", MISSING, "--out", "speech.mp3"], "ending in .wav"),
    (["tts", "Hello.", "--run", MISSING, "--out", "keep.png/x.wav"], "is a file"),
    (["tts", "", "--run", MISSING], "nothing to speak"),
    (["tts", "Hello.", "--run", MISSING, "--out", "ünï/ßpeech 🎵.wav"], MISSING),
    (["tts", "Hello.", "--run", MISSING, "--voice", ""], MISSING),
    (["tts", "Hello.", "--run", "keep.png"], "keep.png"),
    (["tts", "Hello.", "--run", "bad_run"], "bad_run"),
    # sound (the caption, numbers and --out are checked before the run is loaded)
    (["sound", "", "--run", MISSING], "the caption is empty"),
    (["sound", "a flute", "--run", MISSING, "--seconds", "0"], "--seconds"),
    (["sound", "a flute", "--run", MISSING, "--seconds", "-3"], "--seconds"),
    (["sound", "a flute", "--run", MISSING, "--seconds", HUGE], "--seconds"),
    (["sound", "a flute", "--run", MISSING, "--seconds", "nan"], "--seconds"),
    (["sound", "a flute", "--run", MISSING, "--seed", HUGE], "--seed"),
    (["sound", "a flute", "--run", MISSING, "--seed", "-1"], "--seed"),
    (["sound", "a flute", "--run", MISSING, "--top-k", "-1"], "--top-k"),
    (["sound", "a flute", "--run", MISSING, "--out", "adir"], "is a folder"),
    (["sound", "a flute", "--run", MISSING, "--out", "song.mid"], "ending in .wav"),
    (["sound", "a flute", "--run", MISSING], "no trained pipeline"),
    (["sound", "a flute", "--run", "bad_run"], "bad_run"),
    # video (the caption, --frames and --out are checked before the run is loaded)
    (["video", "", "--run", MISSING], "the caption is empty"),
    (["video", "the letter A moves right", "--run", MISSING, "--out", "a.bmp"], "ending in .webp"),
    (["video", "the letter A moves right", "--run", MISSING, "--out", "adir"], "is a folder"),
    (["video", "the letter A moves right", "--run", MISSING, "--frames", "0"], "--frames"),
    (["video", "the letter Ä moves right", "--run", MISSING], "unknown glyph"),
    (["video", "the letter A moves right", "--run", MISSING], "no trained pipeline"),
    (["video", "the letter A moves right", "--run", "bad_run"], "bad_run"),
    # text (the record is read after the run; tests/e2e/test_text_cli.py has the bad records)
    (["text", "python3-pattern", "--run", MISSING], "no trained pipeline"),
    (["text", "", "--run", MISSING], "no trained pipeline"),
    (["text", "keep.png", "--run", "bad_run"], "bad_run"),
]
if os.geteuid() != 0:  # root reads everything: permissions cannot make a file unreadable
    CASES += [
        (["asr", "locked.wav", "--run", MISSING], "locked.wav"),
        (["train", "locked.yaml"], "locked.yaml"),
    ]

# (argv, the file it must write): nothing else may change
WRITES = [
    (["sample", "{run}", "1", "-n", "1", "--out", "ünï/çødé 🖼.png"], "ünï/çødé 🖼.png"),
    (["sample", "{run}", "1", "-n", "1", "--out", "new/sub/GRID.PNG"], "new/sub/GRID.PNG"),
]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("robust") / "run"
    assert main(["train", RECIPE, *TINY, "--out", str(out)]) == 0
    return out


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A working folder of files a careless command could destroy, including every default
    output (samples.png, tts.wav, song.mid)."""
    monkeypatch.chdir(tmp_path)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    for name in ("keep.png", "samples.png"):
        Path(name).write_bytes(png)
    tone = (0.1 * np.sin(np.arange(11025) / 10)).astype(np.float32)
    for name in ("keep.wav", "tts.wav", "ünï/çødé.wav"):
        Path(name).parent.mkdir(exist_ok=True)
        soundfile.write(name, tone, 22050)
    Path("song.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0")
    Path("garbage.wav").write_text("not audio at all")
    Path("empty.wav").write_bytes(b"")
    Path("garbage.yaml").write_text("train: [unclosed\n")
    Path("binary.yaml").write_bytes(png)
    for folder in ("adir", "dir.png", "dir.mid", "dir.wav"):
        Path(folder).mkdir()
        (Path(folder) / "inside.txt").write_text(folder)
    Path("bad_run").mkdir()
    for name in ("pipeline.json", "config.yaml"):
        (Path("bad_run") / name).write_bytes(png)
    Path("bad_report").mkdir()
    (Path("bad_report") / "results.json").write_bytes(png)
    for name in ("locked.wav", "locked.yaml"):
        Path(name).write_text("x")
        Path(name).chmod(0)
    return tmp_path


def _snapshot(root: Path) -> dict[str, str]:
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            try:
                data = path.read_bytes()
            except PermissionError:
                data = b"(unreadable)"
            found[str(path.relative_to(root))] = hashlib.sha256(data).hexdigest()
    return found


@pytest.mark.parametrize("argv, expected", CASES, ids=lambda v: repr(v)[:60])
def test_hostile_argument_is_one_line_and_changes_nothing(workdir, run, argv, expected, capsys):
    argv = [a.replace("{run}", str(run)) for a in argv]
    before = _snapshot(workdir)
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("regen: error: "), err
    assert expected in lines[0]
    assert _snapshot(workdir) == before


@pytest.mark.parametrize("argv, written", WRITES, ids=lambda v: repr(v)[:60])
def test_outputs_that_need_a_folder_get_it_and_nothing_else_changes(
    workdir, run, argv, written, capsys
):
    argv = [a.replace("{run}", str(run)) for a in argv]
    before = _snapshot(workdir)
    assert main(argv) == 0
    after = _snapshot(workdir)
    assert set(after) - set(before) == {written}
    assert {k: v for k, v in after.items() if k != written} == before


def test_every_subcommand_is_in_the_table():
    assert {argv[0] for argv, _ in CASES} == set(COMMANDS)
