"""The ASR task's own command: ``regen asr AUDIO --run RUN``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    asr = sub.add_parser("asr", help="transcribe speech with a trained asr pipeline")
    asr.add_argument("audio", type=Path, help="audio file (WAV, FLAC, ...; any length or rate)")
    asr.add_argument("--run", type=Path, default=Path("runs/asr_phonemes"), help="run folder")
    return {"asr": cmd_asr}


def cmd_asr(args: argparse.Namespace) -> int:
    from regen.tasks.asr.recognize import transcribe

    print(transcribe(args.audio, run_dir=args.run))
    return 0
