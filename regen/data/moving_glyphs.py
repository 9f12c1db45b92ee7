"""Moving glyphs: short grayscale clips of real font glyphs that move, bounce and are captioned.

Each clip holds one (or, with ``max_objects: 2``, up to two) glyphs of one installed font
(the A-Z, 0-9 sprites of :mod:`regen.data.glyphs`, rendered at ``glyph_size`` pixels) on a
black ``frame_size`` square. Every glyph starts at a random position and moves in one of eight
directions at one of two speeds, bouncing off the edges. The caption says what happens, e.g.
``"the letter K moves up and to the left quickly, bouncing; the digit 7 moves right slowly"``.

Two kinds of held-out data measure generalisation:

- fonts: the test split draws its glyphs from fonts never used in training (the same
  font groups the image task holds out, :func:`regen.data.splits.held_out_groups`);
- combinations: for every glyph one of the eight directions is never shown with it in
  training (:func:`held_out_direction`); the test split uses all eight, and ``unseen``
  marks the clips whose first glyph moves in its held-out direction.

Everything follows from the seed and the sizes, so the same arguments give the same clips on
every machine with the same fonts; clips are cached as uint8 under the user cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch

from regen.data.cache import load_or_build
from regen.data.glyphs import CHARACTERS, load_glyphs
from regen.data.image_set import ImageDataset
from regen.data.splits import held_out_groups
from regen.errors import DataError

BUILDER_VERSION = 1
DIRECTIONS = (
    "right",
    "down and to the right",
    "down",
    "down and to the left",
    "left",
    "up and to the left",
    "up",
    "up and to the right",
)
"""Direction k moves along angle 45k degrees, image y pointing down."""
SPEEDS = ("slowly", "quickly")
PIXELS_PER_FRAME = (0.75, 1.75)  # speed bands, in pixels per frame at 32 px frames
SPLIT_SEEDS = {"train": 0, "test": 1}


@dataclass
class ClipSet:
    """Clips and the factors that made them.

    Attributes:
        clips: float32 ``[N, T, H, W]`` in ``[-1, 1]`` (black background = -1).
        glyph, direction, speed: int64 ``[N]`` factors of the first object (indices into
            :data:`CHARACTERS`, :data:`DIRECTIONS`, :data:`SPEEDS`).
        objects: int64 ``[N]``: how many glyphs the clip shows (1 or 2).
        unseen: bool ``[N]``: the first object's (glyph, direction) never occurs in training.
        captions: one caption per clip.
        fonts: the font (split group) of each clip.
        source: where the glyphs came from (packages and versions).
    """

    clips: torch.Tensor
    glyph: torch.Tensor
    direction: torch.Tensor
    speed: torch.Tensor
    objects: torch.Tensor
    unseen: torch.Tensor
    captions: list[str]
    fonts: list[str]
    source: str

    def __len__(self) -> int:
        return len(self.clips)

    @property
    def clip_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.clips.shape[1:])

    def subset(self, index: torch.Tensor) -> ClipSet:
        positions = index.nonzero().flatten() if index.dtype == torch.bool else index
        rows = positions.tolist()
        return ClipSet(
            clips=self.clips[positions],
            glyph=self.glyph[positions],
            direction=self.direction[positions],
            speed=self.speed[positions],
            objects=self.objects[positions],
            unseen=self.unseen[positions],
            captions=[self.captions[i] for i in rows],
            fonts=[self.fonts[i] for i in rows],
            source=self.source,
        )


def held_out_direction(glyph: int) -> int:
    """The direction never paired with ``glyph`` in training: a fixed spread over glyphs."""
    return (3 * glyph + 1) % len(DIRECTIONS)


def glyph_phrase(char: str) -> str:
    return f"the digit {char}" if char.isdigit() else f"the letter {char}"


def object_caption(glyph: int, direction: int, speed: int, bounces: bool) -> str:
    """``"the letter K moves up and to the left quickly, bouncing"``."""
    text = f"{glyph_phrase(CHARACTERS[glyph])} moves {DIRECTIONS[direction]} {SPEEDS[speed]}"
    return text + (", bouncing" if bounces else "")


def trajectory(
    start: np.ndarray, direction: int, speed: int, frames: int, room: float, frame_size: int
) -> tuple[np.ndarray, bool]:
    """Top-left corners ``[frames, 2]`` (x, y) of a glyph reflected at the walls of
    ``[0, room]``, and whether it bounced."""
    angle = np.pi / 4 * direction
    step = PIXELS_PER_FRAME[speed] * frame_size / 32
    velocity = np.array([np.cos(angle), np.sin(angle)]) * step
    positions, bounced = [], False
    point = start.astype(np.float64)
    for _ in range(frames):
        positions.append(point.copy())
        point = point + velocity
        for axis in range(2):
            if point[axis] < 0 or point[axis] > room:
                point[axis] = -point[axis] if point[axis] < 0 else 2 * room - point[axis]
                velocity[axis] = -velocity[axis]
                bounced = True
    return np.stack(positions), bounced


def load_clips(
    split: str,
    count: int,
    *,
    frames: int = 16,
    frame_size: int = 32,
    glyph_size: int = 12,
    max_objects: int = 1,
    holdout_fraction: float = 0.15,
    seed: int = 0,
) -> ClipSet:
    """``count`` clips of ``split`` ("train" or "test"), built once and then cached."""
    if split not in SPLIT_SEEDS:
        raise DataError(f"unknown split {split!r}; choose train or test")
    if count < 1 or frames < 1:
        raise DataError(f"need at least one clip of one frame, got {count} x {frames} frames")
    if not 4 <= glyph_size < frame_size:
        raise DataError(f"glyph_size {glyph_size} must be at least 4 and below {frame_size}")
    if max_objects not in (1, 2):
        raise DataError(f"max_objects is {max_objects}; use 1 or 2")
    sprites = load_glyphs(glyph_size)
    fonts = sorted(set(sprites.groups))
    test_fonts = held_out_groups(fonts, holdout_fraction)
    if not test_fonts:
        raise DataError("holdout_fraction leaves no test font; raise it")
    split_fonts = (
        sorted(test_fonts) if split == "test" else [f for f in fonts if f not in test_fonts]
    )
    key = (
        f"moving-glyphs-v{BUILDER_VERSION}-{split}-{count}x{frames}x{frame_size}px-g{glyph_size}"
        f"-o{max_objects}-h{holdout_fraction}-s{seed}-{len(sprites)}-{hash_fonts(split_fonts)}"
    )

    def build() -> tuple[dict[str, torch.Tensor], dict]:
        return _build(
            sprites, split, split_fonts, count, frames, frame_size, glyph_size, max_objects, seed
        )

    tensors, meta = load_or_build(key, build)
    return ClipSet(
        clips=tensors["clips"].float() / 127.5 - 1.0,
        glyph=tensors["glyph"],
        direction=tensors["direction"],
        speed=tensors["speed"],
        objects=tensors["objects"],
        unseen=tensors["unseen"].bool(),
        captions=meta["captions"],
        fonts=meta["fonts"],
        source=meta["source"],
    )


def hash_fonts(fonts: list[str]) -> str:
    """10 hex digits naming a set of fonts (in the cache key: another split, another entry)."""
    return hashlib.sha256("\n".join(fonts).encode()).hexdigest()[:10]


def _build(
    sprites: ImageDataset,
    split: str,
    split_fonts: list[str],
    count: int,
    frames: int,
    frame_size: int,
    glyph_size: int,
    max_objects: int,
    seed: int,
) -> tuple[dict[str, torch.Tensor], dict]:
    """The clips of one split as uint8 tensors and their captions (no cache)."""
    rng = np.random.default_rng([seed, SPLIT_SEEDS[split], BUILDER_VERSION])
    pixels = ((sprites.images[:, 0].numpy() + 1.0) * 127.5).astype(np.uint8)
    index = {(g, int(c)): i for i, (g, c) in enumerate(zip(sprites.groups, sprites.labels))}
    room = frame_size - glyph_size
    clips = np.zeros((count, frames, frame_size, frame_size), dtype=np.uint8)
    factors = np.zeros((count, 5), dtype=np.int64)  # glyph, direction, speed, objects, unseen
    captions, fonts = [], []
    for n in range(count):
        font = split_fonts[rng.integers(len(split_fonts))]
        objects = 1 if max_objects == 1 else int(rng.integers(1, 3))
        glyphs = rng.choice(len(CHARACTERS), size=objects, replace=False)
        parts = []
        for k, glyph in enumerate(glyphs):
            allowed = [d for d in range(len(DIRECTIONS)) if d != held_out_direction(glyph)]
            direction = (
                int(rng.integers(len(DIRECTIONS))) if split == "test" else int(rng.choice(allowed))
            )
            speed = int(rng.integers(len(SPEEDS)))
            start = rng.uniform(0, room, size=2)
            path, bounced = trajectory(start, direction, speed, frames, room, frame_size)
            sprite = pixels[index[(font, int(glyph))]]
            for t, (x, y) in enumerate(np.rint(path).astype(int)):
                window = clips[n, t, y : y + glyph_size, x : x + glyph_size]
                np.maximum(window, sprite, out=window)
            parts.append(object_caption(int(glyph), direction, speed, bounced))
            if k == 0:
                unseen = direction == held_out_direction(int(glyph))
                factors[n] = (glyph, direction, speed, objects, unseen)
        captions.append("; ".join(parts))
        fonts.append(font)
    tensors = {
        name: torch.from_numpy(factors[:, i].copy())
        for i, name in enumerate(("glyph", "direction", "speed", "objects", "unseen"))
    }
    tensors["clips"] = torch.from_numpy(clips)
    source = f"{len(split_fonts)} {split} fonts of {sprites.source}; moved by numpy"
    return tensors, {"captions": captions, "fonts": fonts, "source": source}
