"""The video task's own commands: ``regen video CAPTION --out a.webp --run RUN`` and
``regen data video``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from regen.errors import RegenError

SUFFIXES = (".webp", ".gif", ".mp4")


def add_commands(sub: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    video = sub.add_parser(
        "video",
        help="generate a clip from a caption with a trained video pipeline (animated WebP/GIF/MP4)",
    )
    video.add_argument("caption", help="e.g. 'the letter A moves right slowly' (quoted)")
    video.add_argument("--run", type=Path, required=True, help="run folder written by regen train")
    video.add_argument("--out", type=Path, default=Path("clip.webp"), help=".webp, .gif or .mp4")
    video.add_argument("--frames", type=int, help="write only the first N frames (default all)")
    video.add_argument("--fps", type=int, default=10, help="frames per second of the animation")
    video.add_argument("--scale", type=int, default=4, help="pixel repetition of each frame")
    video.add_argument("--seed", type=int, default=0)
    video.add_argument("--guidance", type=float, help="classifier-free guidance scale")
    return {"video": cmd_video}


def cmd_video(args: argparse.Namespace) -> int:
    from regen.outputs import check_output_file, write_bytes
    from regen.report.video import animation_bytes
    from regen.runs import load_run
    from regen.tasks.video.data import check_caption

    check_caption(args.caption)  # empty, unknown glyph or no direction: one line, before loading
    if args.frames is not None and args.frames < 1:
        raise RegenError(f"--frames is {args.frames}; give at least 1 (or leave it out for all)")
    if args.fps < 1 or args.scale < 1:
        raise RegenError("--fps and --scale must be at least 1")
    out = check_output_file(args.out, SUFFIXES)
    pipeline, config = load_run(args.run, task="video")
    if args.frames is not None and args.frames > config.data.frames:
        raise RegenError(f"--frames {args.frames}: this model makes {config.data.frames} frames")
    sampling = {} if args.guidance is None else {"guidance_scale": args.guidance}
    clip = pipeline.sample([args.caption], seed=args.seed, **sampling)[0]
    clip = clip[: args.frames or len(clip)]
    write_bytes(out, animation_bytes(clip, out.suffix.lower(), args.fps, args.scale))
    print(f"clip: {out.resolve()} ({len(clip)} frames)")
    return 0


def data_video(args: argparse.Namespace) -> int:
    """``regen data video``: build (or load) the default train and test clips, print sizes."""
    from regen.tasks.video.config import VideoDataConfig
    from regen.tasks.video.data import load_split

    cfg = VideoDataConfig()
    for split in ("train", "test"):
        clips = load_split(cfg, split, seed=0)
        print(
            f"video {split}: {len(clips)} clips {list(clips.clip_shape)}, "
            f"{len(set(clips.fonts))} fonts, {int(clips.unseen.sum())} unseen glyph x direction"
        )
    print(f"source: {clips.source}")
    return 0
