"""The video task's data glue: splits from the recipe, captions -> X, caption checking."""

from __future__ import annotations

import re

import torch

from regen.data.caption_words import encode_caption_words
from regen.data.glyphs import CHARACTERS
from regen.data.moving_glyphs import DIRECTIONS, SPEEDS, ClipSet, load_clips
from regen.data.text import encode_captions
from regen.errors import ConfigError, DataError
from regen.tasks.video.config import TEXT_ENCODERS, VideoDataConfig

CAPTION_BYTES_PER_GLYPH = 64  # the longest one-glyph caption is 58 bytes
CAPTION_WORDS_PER_GLYPH = 16  # the longest one-glyph caption is 12 tokens, "; " joins two
_OBJECT = re.compile(
    r"^\s*(?:the\s+)?(?P<kind>letter|digit)\s+(?P<glyph>\S+)\s+(?:moves|drifts)\s+(?P<rest>.*)$",
    re.IGNORECASE,
)


def load_split(cfg: VideoDataConfig, split: str, seed: int) -> ClipSet:
    """The train or test clips of a recipe (cached after the first build)."""
    count = cfg.train_clips if split == "train" else cfg.test_clips
    return load_clips(
        split,
        count,
        frames=cfg.frames,
        frame_size=cfg.frame_size,
        glyph_size=cfg.glyph_size,
        max_objects=cfg.max_objects,
        holdout_fraction=cfg.holdout_fraction,
        seed=seed,
    )


def check_caption(caption: str) -> list[dict[str, str]]:
    """The glyph, direction and speed each part of ``caption`` asks for.

    A caption is one or two parts separated by ``;``, each like ``the letter K moves up and
    to the left quickly``. An empty caption, a part naming no glyph the data has (e.g.
    ``the letter Ж``) or no known direction is a one-line DataError; the speed may be left
    out.
    """
    if not caption or not caption.strip():
        raise DataError("the caption is empty; describe a clip, e.g. 'the letter A moves right'")
    parts = []
    for part in caption.split(";"):
        found = _OBJECT.match(part)
        if found is None:
            raise DataError(
                f"cannot read {part.strip()!r}; write e.g. 'the letter A moves right slowly' "
                "or 'the digit 7 moves up and to the left'"
            )
        glyph, kind = found["glyph"].upper(), found["kind"].lower()
        if glyph not in CHARACTERS or (kind == "digit") != glyph.isdigit():
            raise DataError(
                f"unknown glyph '{kind} {found['glyph']}'; the clips show the letters A-Z and "
                "the digits 0-9"
            )
        rest = found["rest"].lower()
        direction = max((d for d in DIRECTIONS if d in rest), key=len, default=None)
        if direction is None:
            raise DataError(
                f"no direction in {part.strip()!r}; use one of: {', '.join(DIRECTIONS)}"
            )
        speed = next((s for s in SPEEDS if s in rest), "")
        parts.append({"glyph": glyph, "direction": direction, "speed": speed})
    return parts


class CaptionConditioner:
    """Captions -> X for the generator's text encoder (``generator.text_encoder``):

    - ``learned``: int64 ``[B, 64 * max_objects]`` utf-8 bytes + 1 (0 = padding);
    - ``words``: int64 ``[B, 16 * max_objects, 2]`` hashed word ids (0 = padding).

    Short X keeps every forward pass cheap.
    """

    kind = "text"

    def __init__(self, max_objects: int = 1, text_encoder: str = "learned") -> None:
        if text_encoder not in TEXT_ENCODERS:
            raise ConfigError(
                f"unknown generator.text_encoder {text_encoder!r}; use one of "
                f"{', '.join(TEXT_ENCODERS)}"
            )
        self.text_encoder = text_encoder
        self.max_len = CAPTION_BYTES_PER_GLYPH * max_objects
        self.max_words = CAPTION_WORDS_PER_GLYPH * max_objects

    def encode(self, captions: list[str]) -> torch.Tensor:
        if not captions:
            raise DataError("no captions given; pass at least one")
        captions = [str(c) for c in captions]
        if self.text_encoder == "words":
            return encode_caption_words(captions, max_words=self.max_words)
        return encode_captions(captions, max_len=self.max_len)
