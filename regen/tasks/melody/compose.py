"""``regen melody "lyrics ..."``: one melody for free lyrics from a trained pipeline.

Lyrics longer than the model's ``data.max_notes`` syllables are sung in consecutive pieces,
each starting where the previous one ended in the bar.
"""

from __future__ import annotations

from pathlib import Path

import torch

from regen.data.lyrics import Syllable, syllabify
from regen.data.score_parsing import read_melody_file
from regen.generators.lyrics import condition_from_lyrics
from regen.modules.music_tables import DUR, POS
from regen.modules.music_theory import parse_key, parse_meter
from regen.outputs import atomic_output, check_output_file
from regen.report.music import write_midi, write_musicxml
from regen.runs import load_run, read_meta
from regen.tasks.melody.train import generate_melodies

OUTPUT_SUFFIXES = (".mid", ".midi", ".musicxml", ".xml")


def compose(
    lyrics: str,
    run_dir: Path,
    *,
    key: str | None = None,
    meter: str = "4/4",
    like: Path | None = None,
    seed: int = 0,
) -> tuple[torch.Tensor, list[Syllable], int]:
    """The melody table [T, 8] for ``lyrics``, its syllables, and the key id used.

    ``like`` (a MIDI/MusicXML melody) supplies key and meter unless ``key`` is given.
    """
    syllables = syllabify(lyrics)
    bar, beat = parse_meter(meter)
    read_meta(run_dir, "melody")  # a one-line error before anything slow when nothing is trained
    key_id = parse_key(key) if key is not None else None
    if like is not None:
        found = read_melody_file(like)
        bar, beat = found["bar"], found["beat"]
        key_id = found["key"] if key_id is None else key_id
    key_id = parse_key("major") if key_id is None else key_id
    pipeline, config = load_run(run_dir, task="melody")
    size, start, pieces = config.data.max_notes, 0, []
    for offset in range(0, len(syllables), size):
        chunk = syllables[offset : offset + size]
        x = condition_from_lyrics(chunk, key_id, bar, beat, start)
        melody, _ = generate_melodies(pipeline, x, seed=seed + offset)
        melody = melody[0, : len(chunk)]
        pieces.append(melody)
        start = int((melody[-1, POS] + melody[-1, DUR]) % bar)
    return torch.cat(pieces), syllables, key_id


def check_output(out: Path) -> Path:
    """``--out`` as a MIDI or MusicXML file name (parent created), before any work."""
    return check_output_file(out, OUTPUT_SUFFIXES)


def write_song(melody: torch.Tensor, syllables: list[Syllable], out: Path) -> Path:
    """MIDI or MusicXML (by ``out``'s suffix), with the syllables as lyrics in MusicXML."""

    out = check_output(out)
    with atomic_output(out) as tmp:  # an interrupted write leaves the old file
        if out.suffix.lower() in (".mid", ".midi"):
            write_midi(melody, tmp)
        else:
            write_musicxml(melody, tmp, [s.text for s in syllables])
    return out
