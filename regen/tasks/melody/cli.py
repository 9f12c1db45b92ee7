"""The melody task's own commands: ``regen melody "LYRICS"`` and ``regen data melody``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    melody = sub.add_parser("melody", help="a melody for lyrics (MIDI or MusicXML)")
    melody.add_argument("lyrics", help='the words to set, e.g. "twinkle twinkle little star"')
    melody.add_argument("--run", type=Path, required=True, help="run folder of a melody recipe")
    melody.add_argument("--key", help="minor, major, or e.g. 'D major', 'F# minor'")
    melody.add_argument("--meter", default="4/4", help="time signature, e.g. 3/4 or 6/8")
    melody.add_argument("--like", type=Path, help="take key and meter from this MIDI/MusicXML")
    melody.add_argument("--seed", type=int, default=0)
    melody.add_argument("--out", type=Path, default=Path("song.mid"), help=".mid or .musicxml")
    return {"melody": cmd_melody}


def cmd_melody(args: argparse.Namespace) -> int:
    from regen.modules.music_theory import key_name
    from regen.tasks.melody.compose import check_output, compose, write_song

    check_output(args.out)
    melody, syllables, key = compose(
        args.lyrics, args.run, key=args.key, meter=args.meter, like=args.like, seed=args.seed
    )
    path = write_song(melody, syllables, args.out)
    print(f"{len(syllables)} syllables in {key_name(key)}: {path.resolve()}")
    return 0


def data_melody(args: argparse.Namespace) -> int:
    from regen.config import load_recipe
    from regen.data.music import load_corpus, split

    cfg = load_recipe("melody/chorales_template").data  # what the default recipe trains on
    for name, part in split(load_corpus(cfg), cfg).items():
        print(f"melody {name}: {len(part)} segments of {len(set(part.pieces))} pieces")
    print(f"source: {part.source}")
    return 0
