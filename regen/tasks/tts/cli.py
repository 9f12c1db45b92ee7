"""The TTS task's own commands: ``regen tts`` and ``regen data tts``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    tts = sub.add_parser("tts", help="speak text with a trained TTS pipeline, write a WAV file")
    tts.add_argument("text", help="text to speak; long text is split into sentences")
    tts.add_argument("--voice", default="en-us", help="a voice the pipeline was trained on")
    tts.add_argument("--out", type=Path, default=Path("tts.wav"), help="WAV file to write")
    tts.add_argument(
        "--run",
        type=Path,
        default=Path("runs/tts_fastspeech_vocos"),
        help="run folder written by regen train tts/... (default runs/tts_fastspeech_vocos)",
    )
    return {"tts": cmd_tts}


def cmd_tts(args: argparse.Namespace) -> int:
    import soundfile

    from regen.data.espeak import check_voice
    from regen.data.speech_engines import phoneme_voice
    from regen.data.text_frontend import normalize_text
    from regen.modules.dsp import SAMPLE_RATE
    from regen.outputs import atomic_output, check_output_file
    from regen.runs import load_run
    from regen.tasks.tts.pipeline import SynthesisTimes, synthesize_chunks

    out = check_output_file(args.out, (".wav", ".flac"))
    normalize_text(args.text)
    pipeline, _ = load_run(args.run, task="tts")
    pipeline.conditioner.speaker(args.voice)
    # espeak-ng gives this voice's phonemes (flite/festival voices: en-us): fail before any audio
    check_voice(phoneme_voice(args.voice))
    times = SynthesisTimes()
    # Sentence by sentence into a file beside --out, renamed over it only when all is spoken.
    with atomic_output(out) as tmp, soundfile.SoundFile(tmp, "w", SAMPLE_RATE, 1, "PCM_16") as sink:
        for chunk in synthesize_chunks(pipeline, args.text, args.voice, times):
            sink.write(chunk.clip(-1, 1))
    speed = times.audio / max(times.compute, 1e-9)
    print(
        f"speech: {out.resolve()} ({times.audio:.1f} s of audio, "
        f"{len(times.sentences)} sentences, {speed:.0f}x faster than real time)"
    )
    return 0


def data_tts(args: argparse.Namespace) -> int:
    """The default (espeak-ng) corpus that the tts and asr recipes share."""
    from regen.data.speech import SPLITS, SpeechDataConfig, load_speech_corpus

    cfg = SpeechDataConfig()
    for split in SPLITS:
        corpus = load_speech_corpus(cfg, split)
        print(
            f"tts {split}: {len(corpus)} utterances, {corpus.seconds() / 3600:.2f} h, "
            f"voices {', '.join(sorted(set(corpus.speakers)))}"
        )
    print(f"unpaired sentences (never spoken): {len(corpus.unpaired_texts)}")
    print(f"source: {corpus.source}")
    return 0
