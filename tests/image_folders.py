"""Small real image folders for the data.source tests: glyphs rendered from an installed font."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
CLASSES = "ABCDEF"


def glyph(char: str, variant: int, mode: str = "L") -> Image.Image:
    """``char`` drawn white on black, a few pixels shifted per variant, odd sizes on purpose."""
    if not FONT.is_file():
        pytest.skip(f"{FONT} not installed (apt-get install fonts-dejavu-core)")
    font = ImageFont.truetype(str(FONT), 20)
    image = Image.new("L", (24 + variant, 28), 0)
    ImageDraw.Draw(image).text((12 + variant % 3, 14), char, 255, font, "mm")
    return image.convert(mode)


def write_folder(
    root: Path, layout: str = "csv", per_class: int = 4, classes: str = CLASSES
) -> list[str]:
    """A folder of glyph PNGs in one layout: ``csv`` (metadata.csv file_name,label),
    ``jsonl`` (metadata.jsonl file_name,text captions) or ``subfolders`` (class folders).
    Returns the image paths relative to ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    names, rows = [], []
    for char in classes:
        for variant in range(per_class):
            name = f"{char}/{variant}.png" if layout == "subfolders" else f"{char}_{variant}.png"
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            glyph(char, variant).save(root / name)
            names.append(name)
            rows.append({"file_name": name, "label": char, "text": f"letter {char}"})
    if layout == "csv":
        lines = ["file_name,label", *(f"{r['file_name']},{r['label']}" for r in rows)]
        (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    elif layout == "jsonl":
        lines = [json.dumps({"file_name": r["file_name"], "text": r["text"]}) for r in rows]
        (root / "metadata.jsonl").write_text("\n".join(lines) + "\n")
    return names


def expected_pixels(path: Path, size: int) -> np.ndarray:
    """What a prepared store must hold for a grayscale file: center crop + Lanczos resize."""
    with Image.open(path) as image:
        fitted = ImageOps.fit(image.convert("L"), (size, size), method=Image.Resampling.LANCZOS)
        return np.asarray(fitted, np.uint8)[:, :, None]


def tree_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (and the set of paths): the folder's fingerprint."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
