"""Lyrics to melody from the command line: compare report in Chromium, `regen melody`, and a
one-line error (exit 2, no traceback) for each bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pretty_midi
import pytest

from regen.cli import main
from regen.report.browser import find_chromium, render_in_chromium
from tests.e2e.test_cli import _error
from tests.melody_tiny import TINY_MELODY, one_torch_thread  # noqa: F401


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("melody") / "compare"
    assert main(["compare", "melody/chorales_template", *TINY_MELODY, "--out", str(out)]) == 0
    return out


@pytest.mark.skipif(find_chromium() is None, reason="chromium not installed")
def test_compare_report_shows_and_plays_melodies(compared):
    dom = render_in_chromium(compared / "report.html")
    total = int(re.search(r'data-images-total="(\d+)"', dom).group(1))
    assert f'data-images-loaded="{total}"' in dom and total >= 2 + 2  # curves + piano rolls
    players = re.findall(r'<audio[^>]*src="data:audio/wav;base64,([^"]{8})', dom)
    assert len(players) == 2 * 3 and all(p.startswith("UklGR") for p in players)  # RIFF
    table = re.search(r'<table class="metrics">(.*?)</table>', dom, re.S).group(1)
    assert {"pd", "dd", "md", "template_chord"} <= set(re.findall(r"<tr><td>([^<]*)</td>", table))
    midis = sorted((compared / "melodies").glob("*.mid"))
    assert len(midis) == 6 and len(list((compared / "melodies").glob("*.musicxml"))) == 6
    assert all(pretty_midi.PrettyMIDI(str(m)).instruments[0].notes for m in midis)


def test_regen_melody_writes_one_note_per_syllable(compared, tmp_path, capsys):
    run = compared / "chorales_template"
    out = tmp_path / "song.mid"
    lyrics = "Twinkle, twinkle, little star. How I wonder what you are!"
    assert main(["melody", lyrics, "--key", "minor", "--run", str(run), "--out", str(out)]) == 0
    assert "14 syllables in A minor" in capsys.readouterr().out
    notes = pretty_midi.PrettyMIDI(str(out)).instruments[0].notes
    assert len(notes) == 14
    again = tmp_path / "again.mid"
    assert main(["melody", lyrics, "--key", "minor", "--run", str(run), "--out", str(again)]) == 0
    assert [n.pitch for n in pretty_midi.PrettyMIDI(str(again)).instruments[0].notes] == [
        n.pitch for n in notes
    ]
    xml = tmp_path / "song.musicxml"
    assert main(["melody", "row row row your boat", "--run", str(run), "--out", str(xml)]) == 0
    assert "<lyric" in xml.read_text()


def test_bad_melody_inputs_give_one_line_errors(compared, tmp_path, capsys):
    run = str(compared / "chorales_template")
    for lyrics in ("", "!!! ???", "привет мир"):
        assert "no singable words" in _error(capsys, "melody", lyrics, "--run", run)
    assert "unknown key name 'H major'" in _error(
        capsys, "melody", "hello", "--key", "H major", "--run", run
    )
    assert "unknown meter" in _error(capsys, "melody", "hello", "--meter", "5/3", "--run", run)
    assert "no trained pipeline" in _error(capsys, "melody", "hello", "--run", str(tmp_path))
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd\x00\x00\x00\x06garbage")
    assert "cannot read broken.mid" in _error(
        capsys, "melody", "hello", "--like", str(broken), "--run", run
    )
    chords = tmp_path / "chords.mid"
    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(0)
    piano.notes += [pretty_midi.Note(80, p, 0, 1) for p in (60, 64, 67)]
    midi.instruments.append(piano)
    midi.write(str(chords))
    assert "not a melody" in _error(capsys, "melody", "hello", "--like", str(chords), "--run", run)
    assert "ending in .mid or .midi or .musicxml or .xml" in _error(
        capsys, "melody", "hello", "--run", run, "--out", str(tmp_path / "x.wav")
    )


def test_regen_report_rewrites_a_melody_report_and_image_commands_refuse_the_run(compared, capsys):
    report = compared / "report.html"
    before = report.read_text()
    report.unlink()
    assert main(["report", str(compared)]) == 0
    assert report.read_text().count("<audio") == before.count("<audio") > 0
    run = str(compared / "chorales_template")
    for command in (["eval", run], ["sample", run, "A"]):
        assert main(command) == 2
        err = capsys.readouterr().err.strip()
        assert "holds a melody pipeline, not an image one; use regen melody" in err
        assert len(err.splitlines()) == 1


def test_melody_out_is_checked_before_composing(compared, tmp_path, capsys):
    """Issue 15, case 6: a folder named like a MIDI file passed the suffix check and failed
    (IsADirectoryError) only after the melody was composed."""
    from unittest import mock

    folder = tmp_path / "existing.mid"
    folder.mkdir()
    run = str(compared / "chorales_template")
    with mock.patch("regen.tasks.melody.compose.compose", side_effect=AssertionError("composed")):
        assert "is a folder" in _error(
            capsys, "melody", "la la", "--run", run, "--out", str(folder)
        )
    out = tmp_path / "new" / "song.musicxml"
    assert main(["melody", "la la la", "--run", run, "--out", str(out)]) == 0
    assert "<score-partwise" in out.read_text()
    assert sorted(p.name for p in out.parent.iterdir()) == ["song.musicxml"]
