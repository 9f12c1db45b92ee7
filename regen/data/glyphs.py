"""Font glyphs: the 36 characters A-Z and 0-9 rendered from every suitable installed font.

Each item is one character of one font, white on black (the background is -1), centred on
its ink box and scaled so that its longer side fills ``1 - 2 * MARGIN`` of the image. The font
file is the split group, so the test split measures generalisation to unseen typefaces.

Lower-case letters are left out on purpose: once every glyph is scaled to fit, c/C, o/O, s/S,
v/V, w/W, x/X and z/Z become the same picture, which would make those classes ambiguous.

Fonts are skipped when their cmap lacks one of the characters, when a character renders
blank, when their name marks a symbol, math or emoji font (those copy their Latin letters
from a text face: NotoSansSymbols-Regular renders exactly like NotoSans-Regular), and when
they render like a font already kept, so no test font is a copy of a training font.
"""

from __future__ import annotations

import logging
import math
import string
from pathlib import Path

import numpy as np
import PIL
import torch
from fontTools.ttLib import TTFont, TTLibError
from PIL import Image, ImageDraw, ImageFont, features

from regen.data.cache import build_progress, debian_packages, files_fingerprint
from regen.data.image_set import ImageDataset, cached_image_dataset, images_from_pixels
from regen.errors import DataError

log = logging.getLogger(__name__)

FONT_DIRS: list[Path] = [Path("/usr/share/fonts")]  # Debian's font packages install here
FONT_PACKAGES = "fonts-dejavu-core fonts-liberation fonts-noto-core"
CHARACTERS = string.ascii_uppercase + string.digits
SKIPPED_NAME_PARTS = ("Symbol", "Math", "Emoji")
MARGIN = 0.1  # fraction of the side left empty on each edge
DUPLICATE_GREY_LEVELS = 1.0  # mean |difference| (0..255) below which two fonts are one
BUILDER_VERSION = 1


def installed_fonts(pattern: str) -> list[Path]:
    """Font files under :data:`FONT_DIRS` whose name matches the glob ``pattern``, sorted."""
    return sorted(p for root in FONT_DIRS for p in root.rglob(pattern) if p.is_file())


def load_glyphs(image_size: int) -> ImageDataset:
    """All glyphs as ``[N, 1, image_size, image_size]``, built once and then cached."""
    candidates = installed_fonts("*.[ot]tf")
    if not candidates:
        raise DataError(
            f"no TrueType/OpenType fonts found under {', '.join(map(str, FONT_DIRS))}; "
            f"install some with: apt-get install {FONT_PACKAGES}"
        )
    key = f"glyphs-{image_size}px-v{BUILDER_VERSION}-{files_fingerprint(candidates)}"
    return cached_image_dataset(key, lambda: build_glyphs(candidates, image_size))


def build_glyphs(candidates: list[Path], image_size: int) -> ImageDataset:
    """Render :data:`CHARACTERS` from every usable font among ``candidates`` (no cache)."""
    kept: list[Path] = []
    stacks: list[np.ndarray] = []
    for path in build_progress(glyph_fonts(candidates), desc="rendering fonts"):
        stack = render_font(path, image_size)
        if stack is None:
            log.info("skipping font %s: a character renders blank", path.name)
            continue
        twin = next(
            (k for k, s in zip(kept, stacks) if _mean_difference(s, stack) < DUPLICATE_GREY_LEVELS),
            None,
        )
        if twin is not None:
            log.info("skipping font %s: it renders like %s", path.name, twin.name)
            continue
        kept.append(path)
        stacks.append(stack)
    if not kept:
        raise DataError(
            f"no installed font draws all of A-Z and 0-9; install some with: apt-get install "
            f"{FONT_PACKAGES}"
        )
    pixels = np.concatenate(stacks)[..., None]
    labels = torch.arange(len(CHARACTERS)).repeat(len(kept))
    source = (
        f"{len(kept)} fonts from {debian_packages(kept)}, rendered by Pillow {PIL.__version__} "
        f"(FreeType {features.version('freetype2')})"
    )
    return ImageDataset(
        images=images_from_pixels(pixels),
        labels=labels,
        class_names=list(CHARACTERS),
        captions=[caption(CHARACTERS[i]) for i in labels.tolist()],
        groups=[path.stem for path in kept for _ in CHARACTERS],
        name="glyphs",
        source=source,
    )


def glyph_fonts(candidates: list[Path]) -> list[Path]:
    """The ``candidates`` whose cmap has every character, minus symbol fonts and repeated stems."""
    fonts: list[Path] = []
    stems: set[str] = set()
    for path in candidates:
        if path.stem in stems or any(part in path.stem for part in SKIPPED_NAME_PARTS):
            continue
        try:
            cmap = TTFont(path, lazy=True).getBestCmap() or {}
        except (TTLibError, OSError):
            continue
        if all(ord(char) in cmap for char in CHARACTERS):
            fonts.append(path)
            stems.add(path.stem)
    return fonts


def render_font(path: Path, image_size: int) -> np.ndarray | None:
    """uint8 ``[len(CHARACTERS), image_size, image_size]``, or None if a glyph is blank."""
    # Rendering at >= 4x the target size and downsampling with Lanczos gives smooth edges; the
    # basic layout engine needs no libraqm, so every Pillow wheel draws the same pixels.
    size = max(128, 4 * image_size)
    font = ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)
    glyphs = [render_glyph(font, char, image_size) for char in CHARACTERS]
    return None if any(g is None for g in glyphs) else np.stack(glyphs)


def render_glyph(font: ImageFont.FreeTypeFont, char: str, image_size: int) -> np.ndarray | None:
    """uint8 ``[image_size, image_size]``: ``char`` white on black, centred and scaled to fit."""
    left, top, right, bottom = font.getbbox(char, anchor="ls")
    extent = max(right - left, bottom - top)
    if extent <= 0:
        return None
    side = extent / (1 - 2 * MARGIN)
    canvas_side = math.ceil(side) + 2
    centre = canvas_side / 2
    canvas = Image.new("L", (canvas_side, canvas_side), 0)
    origin = (centre - (left + right) / 2, centre - (top + bottom) / 2)
    ImageDraw.Draw(canvas).text(origin, char, font=font, fill=255, anchor="ls")
    box = (centre - side / 2, centre - side / 2, centre + side / 2, centre + side / 2)
    return np.asarray(canvas.resize((image_size, image_size), Image.Resampling.LANCZOS, box=box))


def caption(char: str) -> str:
    """``"letter A"`` or ``"digit 3"``."""
    return f"digit {char}" if char.isdigit() else f"letter {char}"


def _mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())
