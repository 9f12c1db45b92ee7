"""The melody corpus: one note per syllable, split by piece, transposition, bad files."""

from __future__ import annotations

import pytest
import torch

from regen.config import load_recipe
from regen.data.cache import cache_dir
from regen.data.music import (
    MelodyDataConfig,
    MelodySet,
    load_corpus,
    split,
    transpose,
)
from regen.data.score_parsing import parse_folk_files, read_melody_file
from regen.errors import DataError
from regen.modules.music_tables import DUR, KEY, PITCH
from regen.report.music import write_midi
from regen.representations.music_template import MusicTemplate
from regen.tasks.melody.train import build_melody_pipeline, generator_tensors
from tests.melody_tiny import TINY_MELODY, one_torch_thread  # noqa: F401

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


def test_folk_files_parse_once_each_and_a_corrupt_one_is_counted(tmp_path):
    from music21 import corpus as m21

    slice_ = sorted(m21.getComposer("essenFolksong"))  # the smallest files, for speed
    slice_ = sorted(slice_, key=lambda p: p.stat().st_size)[:2]
    broken = tmp_path / "broken.abc"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n\x00garbage")  # not text at all
    items, counts = parse_folk_files([slice_[0], broken, slice_[1]])
    assert counts["files"] == 3 and counts["files_failed"] == 1
    assert counts["tunes"] == len(items) > 0
    assert {name.split("/")[0] for name, _ in items} == {"essenFolksong"}
    entries = {p.name for p in cache_dir().glob("melody-folkfile-*.json")}
    assert {n for n in entries if any(p.stem in n for p in [*slice_, broken])} and len(entries) >= 3
    again, counts_again = parse_folk_files([slice_[0], broken, slice_[1]])  # from the cache
    assert counts_again == counts and [n for n, _ in again] == [n for n, _ in items]
    assert all((a["matrix"] == b["matrix"]).all() for (_, a), (_, b) in zip(items, again))


def test_same_melody_with_other_lyrics_has_the_same_template(corpus):
    paired = corpus.subset(corpus.paired.nonzero().flatten()[:8])
    other = MelodySet(
        paired.melodies,
        paired.syllables.roll(1, 0),  # every melody gets another segment's lyrics
        paired.lengths,
        paired.paired,
        paired.pieces,
        paired.texts[1:] + paired.texts[:1],
        paired.source,
    )
    pipeline = build_melody_pipeline(load_recipe("melody/chorales_template", TINY_MELODY))
    ours, theirs = generator_tensors(pipeline, paired), generator_tensors(pipeline, other)
    assert not torch.equal(ours["x"], theirs["x"])  # the lyrics differ...
    assert torch.equal(ours["y_prime"], theirs["y_prime"])  # ...the template does not
    assert torch.equal(ours["y_prime"], MusicTemplate().encode(paired.melodies))
