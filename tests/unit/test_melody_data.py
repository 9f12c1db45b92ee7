"""The melody corpus: one note per syllable, split by piece, transposition, bad files."""

from __future__ import annotations

import pytest
import torch

from regen.data.music import MelodyDataConfig, load_corpus, read_melody_file, split, transpose
from regen.errors import DataError
from regen.modules.music_tables import DUR, KEY, PITCH
from regen.report.music import write_midi
from tests.melody_tiny import one_torch_thread  # noqa: F401

TINY = MelodyDataConfig(
    max_chorales=30, folk_collections=["ryansMammoth"], max_folk_files=4, chorale_repeat=1
)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(TINY)


def test_chorale_segments_have_one_note_per_syllable(corpus):
    paired = corpus.paired.nonzero().flatten().tolist()
    assert paired and (~corpus.paired).any()
    for i in paired:
        n = int(corpus.lengths[i])
        assert len(corpus.texts[i]) == n
        assert (corpus.melodies[i, :n, DUR] > 0).all() and (corpus.melodies[i, n:] == 0).all()
        assert (corpus.syllables[i, n:] == 0).all()


def test_segments_fill_the_bars(corpus):
    for i in range(len(corpus)):
        m = corpus.melodies[i, : int(corpus.lengths[i])]
        ends = (m[:-1, 2] + m[:-1, DUR]) % m[:-1, 3]
        assert torch.equal(ends, m[1:, 2])  # each note starts where the last one ended


def test_split_is_by_piece(corpus):
    parts = split(corpus, TINY)
    assert not set(parts["test"].pieces) & set(parts["paired"].pieces)
    assert bool(parts["paired"].paired.all()) and bool(parts["test"].paired.all())
    assert set(parts["paired"].pieces) <= set(parts["unpaired"].pieces)


def test_paired_fraction_keeps_fewer_pieces(corpus):
    half = MelodyDataConfig(**{**TINY.__dict__, "paired_fraction": 0.5})
    full_pieces = set(split(corpus, TINY)["paired"].pieces)
    half_pieces = set(split(corpus, half)["paired"].pieces)
    assert half_pieces < full_pieces


def test_transpose_moves_pitch_and_key(corpus):
    one = corpus.subset([0])
    up = transpose(one, [0, 2])
    assert len(up) == 2
    n = int(one.lengths[0])
    assert torch.equal(up.melodies[1, :n, PITCH], one.melodies[0, :n, PITCH] + 2)
    assert int(up.melodies[1, 0, KEY]) % 12 == (int(one.melodies[0, 0, KEY]) + 2) % 12


def test_corrupted_and_non_melody_files_are_refused(tmp_path, corpus):
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd\x00\x00garbage")
    with pytest.raises(DataError, match="cannot read broken.mid"):
        read_melody_file(broken)
    with pytest.raises(DataError, match="no such melody file"):
        read_melody_file(tmp_path / "missing.mid")
    chords = tmp_path / "chords.musicxml"
    from music21 import chord, stream

    s = stream.Stream([chord.Chord(["C4", "E4", "G4"]), chord.Chord(["D4", "F4", "A4"])])
    s.write("musicxml", fp=str(chords))
    with pytest.raises(DataError, match="not a melody"):
        read_melody_file(chords)


def test_a_written_melody_reads_back(tmp_path, corpus):
    path = write_midi(corpus.melodies[0], tmp_path / "m.mid")
    found = read_melody_file(path)
    assert found["notes"] == int(corpus.lengths[0]) and 0 <= found["key"] < 24


def test_chorale_repeat_weighs_the_chorale_sopranos(corpus):
    once = split(corpus, TINY)
    twice = split(corpus, MelodyDataConfig(**{**TINY.__dict__, "chorale_repeat": 2}))
    extra = len(twice["unpaired"]) - len(once["unpaired"])
    assert extra == len(once["paired"]) and len(twice["test"]) == len(once["test"])
