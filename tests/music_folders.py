"""Small real score folders for the data.source tests, written by music21 from its corpus:
Bach chorales as MusicXML (soprano with lyrics, lower voices for the chords) and chorale
sopranos without lyrics as MIDI (unpaired melodies)."""

from __future__ import annotations

from pathlib import Path

import pytest


def chorales_with_lyrics(count: int, skip: int = 0) -> list:
    """The first ``count`` chorale scores (after ``skip``) whose soprano has lyrics."""
    music21 = pytest.importorskip("music21")
    paths = sorted(p for p in music21.corpus.getComposer("bach") if p.suffix in (".mxl", ".xml"))
    found: list = []
    for path in paths:
        if len(found) == skip + count:
            break
        score = music21.corpus.parse(path)
        if len(score.parts) == 4 and any(n.lyrics for n in score.parts[0].recurse().notes):
            found.append((path.stem, score))
    return found[skip:]


def write_score_folder(root: Path, with_lyrics: int = 8, without_lyrics: int = 3) -> list[str]:
    """``lyrics/<bwv>.musicxml`` (whole chorales) and ``tunes/<bwv>.mid`` (sopranos, lyrics
    removed). Returns the file names relative to ``root``."""
    names = []
    for stem, score in chorales_with_lyrics(with_lyrics):
        names.append(f"lyrics/{stem}.musicxml")
        (root / "lyrics").mkdir(parents=True, exist_ok=True)
        score.write("musicxml", fp=root / names[-1])
    for stem, score in chorales_with_lyrics(without_lyrics, skip=with_lyrics):
        soprano = score.parts[0]
        for note in soprano.recurse().notes:
            note.lyrics = []
        names.append(f"tunes/{stem}.mid")
        (root / "tunes").mkdir(parents=True, exist_ok=True)
        soprano.write("midi", fp=root / names[-1])
    return names
