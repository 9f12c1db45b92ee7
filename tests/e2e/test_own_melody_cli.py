"""Your own scores end to end: a folder of MusicXML (with lyrics) and MIDI (without) ->
regen data prepare -> train -> compare -> Chromium, and every kind of bad file."""

from __future__ import annotations

import json
from pathlib import Path

from regen.cli import main
from tests.image_folders import tree_hashes
from tests.melody_tiny import TINY_MELODY, one_torch_thread  # noqa: F401  (autouse fixture)
from tests.music_folders import write_score_folder
from tests.report_check import rendered_report

OWN = [o for o in TINY_MELODY if not o.startswith(("data.max_", "data.folk"))]
RECIPE = "melody/chorales_template"


def error(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # train prints its recipe first
    assert err.startswith("regen: error: ")
    return err


def test_prepare_train_compare_on_a_score_folder(tmp_path, capsys):
    folder = tmp_path / "my_scores"
    names = write_score_folder(folder, with_lyrics=6, without_lyrics=2)
    before = tree_hashes(folder)
    source = [f"data.source={folder}", "data.test_fraction=0.25"]

    assert main(["data", "prepare", RECIPE, *OWN, *source]) == 0
    store = Path(capsys.readouterr().out.strip().removeprefix("store: "))
    manifest = json.loads((store / "manifest.json").read_text())
    stores = sorted(store.parent.glob("music-*"))  # other tests' stores may be there too
    assert manifest["pieces"] == {"with_lyrics": 6, "without_lyrics": 2}
    assert manifest["files"] == len(names) and manifest["skipped_total"] == 0

    run = tmp_path / "run"
    assert main(["train", RECIPE, *OWN, *source, "--out", str(run)]) == 0
    pipeline = json.loads((run / "pipeline.json").read_text())
    assert str(folder.resolve()) in pipeline["data_source"]
    out = tmp_path / "compare"
    assert main(["compare", RECIPE, *OWN, *source, "--out", str(out)]) == 0
    assert sorted(store.parent.glob("music-*")) == stores  # prepared once, then reused
    assert tree_hashes(folder) == before  # nothing written into the user's folder
    report = out / "report.html"
    assert str(report.resolve()) in capsys.readouterr().out
    dom = rendered_report(report, tmp_path / "shot.png")
    assert str(folder.resolve()) in dom  # the report says where the data came from


def write_bad_files(folder: Path) -> dict[str, str]:
    """One file of each defect; returns reason -> file name."""
    from music21 import chord, note, stream

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "garbage.mid").write_bytes(b"MThd\x00\x00\x00\x06 not really midi")
    (folder / "cut.musicxml").write_text("<?xml version='1.0'?><score-partwise><part-list>")
    chords = stream.Stream([chord.Chord(["C4", "E4", "G4"], quarterLength=1) for _ in range(9)])
    chords.write("midi", fp=folder / "chords.mid")
    stream.Stream([note.Note("C4"), note.Note("D4"), note.Note("E4")]).write(
        "midi", fp=folder / "short.mid"
    )
    stream.Stream([note.Rest(quarterLength=4)]).write("musicxml", fp=folder / "empty.musicxml")
    return {
        "not a readable MIDI or MusicXML file": "",
        "melody has chords (the first part must be one line of notes)": "chords.mid",
        "fewer than 8 notes": "short.mid",
        "holds no notes": "empty.musicxml",
    }


def test_bad_scores_are_skipped_and_counted(tmp_path, capsys):
    folder = tmp_path / "scores"
    write_score_folder(folder, with_lyrics=2, without_lyrics=0)
    reasons = write_bad_files(folder / "bad")
    before = tree_hashes(folder)
    source = f"data.source={folder}"

    assert main(["data", "prepare", RECIPE, source]) == 0
    captured = capsys.readouterr()
    manifest = json.loads((Path(captured.out.strip()[7:]) / "manifest.json").read_text())
    assert manifest["pieces"]["with_lyrics"] == 2 and manifest["skipped_total"] == 5
    skipped = manifest["skipped"]
    unreadable = [r for r in skipped if r.startswith("not a readable MIDI")]
    assert sum(skipped[r]["count"] for r in unreadable) == 2  # garbage.mid and cut.musicxml
    for reason, name in reasons.items():
        if name:
            assert skipped[reason] == {"count": 1, "first": [f"bad/{name}"]}
    assert "skipped 1: fewer than 8 notes (e.g. bad/short.mid)" in captured.err

    strict = error(capsys, "data", "prepare", RECIPE, source, "data.strict=true")
    assert strict.startswith("regen: error: bad/") and "(data.strict=true" in strict
    # training on the leniently prepared store with strict=true names a skipped file too
    assert "bad/" in error(capsys, "train", RECIPE, source, "data.strict=true")
    assert tree_hashes(folder) == before


def test_sources_without_enough_lyrics_are_one_line(tmp_path, capsys):
    folder = tmp_path / "bad_only"
    write_bad_files(folder)
    err = error(capsys, "data", "prepare", RECIPE, f"data.source={folder}")
    assert "has no usable melodies" in err and "fewer than 8 notes" in err
    tunes = tmp_path / "tunes_only"
    write_score_folder(tunes, with_lyrics=0, without_lyrics=1)
    assert main(["data", "prepare", RECIPE, f"data.source={tunes}"]) == 0  # usable, unpaired
    assert "needs at least 2" in error(capsys, "train", RECIPE, f"data.source={tunes}")
