"""Your own text for the ASR renderer (text.sources: .txt files), and every kind of bad line."""

from __future__ import annotations

import json

from regen.cli import main
from tests.asr_tiny import TINY_ASR, one_thread  # noqa: F401  (autouse fixture)
from tests.image_folders import tree_hashes
from tests.speech_folders import write_text_folder


def last_error(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # train prints its recipe first
    assert err.startswith("regen: error: ")
    return err


def test_bad_text_lines_are_skipped_and_counted(tmp_path, capsys):
    texts = write_text_folder(tmp_path / "texts", lines=10)
    (texts / "latin1.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    (texts / "mixed.txt").write_text("A plain line here.\nПривет мир.\n?!\nAnother plain line.\n")
    before = tree_hashes(texts)
    source = f"text.sources=[{texts}]"
    run = tmp_path / "run"
    assert main(["train", "asr/phonemes", *TINY_ASR, source, "--out", str(run)]) == 0
    record = json.loads((run / "pipeline.json").read_text())["text_files"]
    skipped = record["skipped"]
    assert skipped["not UTF-8 text"] == {"count": 1, "first": ["latin1.txt"]}
    (unspeakable,) = skipped["text has characters the front end cannot speak"]["first"]
    assert unspeakable.startswith("mixed.txt line 2 [") and "П" in unspeakable
    assert skipped["text has nothing to speak"]["first"] == ["mixed.txt line 3"]
    assert record["skipped_total"] == 3 and record["sentences"] >= 10 + 2

    strict = last_error(capsys, "train", "asr/phonemes", *TINY_ASR, source, "data.strict=true")
    assert "latin1.txt: not UTF-8 text (data.strict=true" in strict
    assert tree_hashes(texts) == before  # the user's files are only read


def test_text_sources_with_nothing_usable_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("Привет мир.\n\n...\n")
    err = last_error(capsys, "train", "asr/phonemes", *TINY_ASR, f"text.sources=[{bad}]")
    assert "text.sources gave no usable sentences" in err
    missing = tmp_path / "nowhere.txt"
    err = last_error(capsys, "train", "asr/phonemes", *TINY_ASR, f"text.sources=[{missing}]")
    assert f"{missing} does not exist" in err
