"""The sound task's own commands: ``regen sound`` and ``regen data sound``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

MAX_SECONDS = 30.0  # longest clip one command generates (memory and the caption's reach)


def add_commands(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    sound = sub.add_parser("sound", help="generate audio from a caption with a trained sound run")
    sound.add_argument("caption", help='e.g. "a slow waltz on a cello in a minor key"')
    sound.add_argument("--out", type=Path, default=Path("sound.wav"), help="WAV file to write")
    sound.add_argument(
        "--run", type=Path, default=Path("runs/sound_codec_tokens"),
        help="run folder written by regen train sound/... (default runs/sound_codec_tokens)",
    )  # fmt: skip
    sound.add_argument(
        "--seconds", type=float, default=None,
        help=f"length in seconds, 0 < s <= {MAX_SECONDS:g} (default: the training clip length)",
    )  # fmt: skip
    sound.add_argument("--seed", type=int, default=0)
    sound.add_argument("--guidance", type=float, default=None, help="classifier-free guidance")
    sound.add_argument("--temperature", type=float, default=None)
    sound.add_argument("--top-k", type=int, default=None)
    return {"sound": cmd_sound}


def check_seconds(seconds: float | None) -> None:
    from regen.errors import RegenError

    if seconds is not None and not 0 < seconds <= MAX_SECONDS:
        raise RegenError(f"--seconds must be in (0, {MAX_SECONDS:g}], got {seconds:g}")


def cmd_sound(args: argparse.Namespace) -> int:
    import time

    import torch

    from regen.data.audio import write_audio
    from regen.errors import RegenError
    from regen.outputs import check_output_file
    from regen.runs import load_run
    from regen.tasks.sound.build import clip_frames

    if not args.caption.strip():
        raise RegenError('the caption is empty; describe the sound, e.g. "a slow waltz on a cello"')
    check_seconds(args.seconds)
    if args.temperature is not None and args.temperature < 0:
        raise RegenError(f"--temperature must be >= 0, got {args.temperature:g}")
    if not 0 <= args.seed < 2**63:
        raise RegenError(f"--seed must be in [0, 2**63), got {args.seed}")
    if args.top_k is not None and args.top_k < 0:
        raise RegenError(f"--top-k must be >= 0 (0 keeps every code), got {args.top_k}")
    out = check_output_file(args.out, (".wav", ".flac"))
    pipeline, config = load_run(args.run, task="sound")
    frames = clip_frames(config, args.seconds)
    if frames < 2:
        raise RegenError(f"--seconds {args.seconds:g} is shorter than two frames of the codec")
    sampling = {"frames": frames}
    for key, value in (("guidance_scale", args.guidance), ("temperature", args.temperature),
                       ("top_k", args.top_k)):  # fmt: skip
        if value is not None:
            sampling[key] = value
    start = time.perf_counter()
    with torch.inference_mode():
        x = pipeline.conditioner.encode([args.caption])
        rng = torch.Generator().manual_seed(args.seed)
        wav = pipeline.render(pipeline.generate(x, generator=rng, **sampling), generator=rng)
    seconds = time.perf_counter() - start
    rate = config.data.sample_rate
    write_audio(out, wav[0].clamp(-1, 1).numpy(), rate)
    audio = wav.shape[-1] / rate
    print(
        f"sound: {out.resolve()} ({audio:.1f} s at {rate} Hz, "
        f"generated at {audio / max(seconds, 1e-9):.1f}x real time)"
    )
    return 0


def data_sound(args: argparse.Namespace) -> int:
    """Build (once) and describe the default sound corpus."""
    from regen.tasks.sound.config import SoundRecipeConfig
    from regen.tasks.sound.train import load_sound_data

    data = load_sound_data(SoundRecipeConfig())
    for split, corpus in (("train", data.train), ("test", data.test)):
        print(
            f"sound {split}: {len(corpus)} clips, {corpus.seconds() / 3600:.2f} h, "
            f"{len(set(corpus.pieces))} tunes"
        )
    print(f"example caption: {data.train.captions[0]}")
    print(f"source: {data.train.source}")
    return 0
