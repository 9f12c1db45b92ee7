"""Emoji: every single-codepoint emoji of Noto Color Emoji, captioned with its Unicode name.

Each emoji is its own class and its own split group, so the test split holds emoji (and
captions) never seen in training: a text -> image task. Images are RGB on white, the font's
whole bitmap box (not the ink box) padded to a square, so small emoji stay small.

Kept: codepoints in the font's cmap that stand alone and have a name in this Python's
``unicodedata``. Left out: ASCII (the keycap bases 0-9, #, *), sequence parts (zero-width
joiner, variation selectors, keycap mark, skin-tone modifiers, regional indicators, tags) and
emoji newer than the Python's Unicode version (no name to caption them with).
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from pathlib import Path

import numpy as np
import PIL
import torch
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from regen.data import glyphs
from regen.data.cache import build_progress, debian_packages, files_fingerprint
from regen.data.image_set import ImageDataset, cached_image_dataset, images_from_pixels
from regen.errors import DataError

EMOJI_FONT = "NotoColorEmoji.ttf"
EMOJI_PACKAGE = "fonts-noto-color-emoji"
BITMAP_SIZE = 109  # the colour bitmap (CBDT) font loads in FreeType at this size only
REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)  # flag letters: only meaningful in pairs
BUILDER_VERSION = 1


def load_emoji(image_size: int) -> ImageDataset:
    """All emoji as ``[N, 3, image_size, image_size]``, built once and then cached."""
    path = find_emoji_font()
    key = (
        f"emoji-{image_size}px-v{BUILDER_VERSION}-u{unicodedata.unidata_version}"
        f"-{files_fingerprint([path])}"
    )
    dataset = cached_image_dataset(key, lambda: build_emoji(path, image_size))
    return replace(dataset, captioned=True)  # not in the cache entry: it never varies


def find_emoji_font() -> Path:
    """The installed ``NotoColorEmoji.ttf``."""
    found = glyphs.installed_fonts(EMOJI_FONT)
    if not found:
        where = ", ".join(map(str, glyphs.FONT_DIRS))
        raise DataError(
            f"no emoji font {EMOJI_FONT} found under {where}; "
            f"install it with: apt-get install {EMOJI_PACKAGE}"
        )
    return found[0]


def build_emoji(path: Path, image_size: int) -> ImageDataset:
    """Render every stand-alone emoji of the font at ``path`` (no cache)."""
    try:
        font = ImageFont.truetype(str(path), BITMAP_SIZE, layout_engine=ImageFont.Layout.BASIC)
    except OSError as exc:
        raise DataError(
            f"cannot load {path} ({exc}); reinstall it with: apt-get install --reinstall "
            f"{EMOJI_PACKAGE}"
        ) from exc
    codepoints = emoji_codepoints(path)
    pixels = np.stack(
        [
            render_emoji(font, chr(cp), image_size)
            for cp in build_progress(codepoints, desc="rendering emoji")
        ]
    )
    captions = [unicodedata.name(chr(cp)).lower() for cp in codepoints]
    source = (
        f"{len(codepoints)} emoji from {debian_packages([path])}, rendered by Pillow "
        f"{PIL.__version__}, named by Unicode {unicodedata.unidata_version}"
    )
    return ImageDataset(
        images=images_from_pixels(pixels),
        labels=torch.arange(len(codepoints)),
        class_names=captions,
        captions=captions,
        groups=[f"U+{cp:04X}" for cp in codepoints],
        name="emoji",
        source=source,
    )


def emoji_codepoints(path: Path) -> list[int]:
    """Sorted codepoints of the font's cmap that are stand-alone, named emoji."""
    return [cp for cp in sorted(TTFont(path, lazy=True).getBestCmap()) if is_standalone(cp)]


def is_standalone(codepoint: int) -> bool:
    """Whether ``codepoint`` is an emoji by itself rather than a part of a sequence."""
    char = chr(codepoint)
    category = unicodedata.category(char)
    # C*: controls and format (ZWJ, tags); M*: marks (VS16, keycap); Z*: space;
    # Sk: skin-tone modifiers.
    return (
        codepoint >= 0x80
        and bool(unicodedata.name(char, ""))
        and category[0] not in "CMZ"
        and category != "Sk"
        and codepoint not in REGIONAL_INDICATORS
    )


def render_emoji(font: ImageFont.FreeTypeFont, char: str, image_size: int) -> np.ndarray:
    """uint8 ``[image_size, image_size, 3]``: the emoji's bitmap box on white, squared."""
    left, top, right, bottom = font.getbbox(char)
    width, height = right - left, bottom - top
    side = max(width, height)
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    origin = ((side - width) // 2 - left, (side - height) // 2 - top)
    ImageDraw.Draw(canvas).text(origin, char, font=font, embedded_color=True)
    # Composite before resizing: resampling colours under transparent pixels would bleed.
    white = Image.new("RGBA", canvas.size, (255, 255, 255, 255))
    white.alpha_composite(canvas)
    small = white.convert("RGB").resize((image_size, image_size), Image.Resampling.LANCZOS)
    return np.asarray(small)
