"""Images from a user's source: folder layouts, saved HF datasets, and decoding to a fixed size.

Layouts of ``data.source`` (checked in this order):

- a saved Hugging Face dataset (``save_to_disk`` folder or ``.parquet`` files) with an image
  column and a ``label`` (or ``labels``) or ``text`` (or ``caption``) column;
- a folder with ``metadata.jsonl`` / ``metadata.csv``: column ``file_name`` (relative to the
  folder) and ``label`` or ``text``; an optional ``split`` column (train / test);
- class-per-subfolder: ``folder/<class>/*.png``, label = subfolder name; optionally one level
  of split folders above (``folder/train/<class>/...``, ``folder/test/<class>/...``).

Every image, whatever its size and mode, is center-cropped to a square, resized (Lanczos) to
``size`` and converted to 1 (grayscale) or 3 (RGB) channels; transparency is composited on
white. Nothing is ever written into the source.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from regen.data.folder_source import (
    SPLIT_NAMES,
    Row,
    RowFile,
    feature_column,
    hf_splits,
    is_hf_dataset,
    metadata_file,
    read_metadata,
)
from regen.data.store import SkipLog
from regen.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
GRAY_MODES = ("1", "L", "LA", "La", "I", "I;16", "F", "P;L")


@dataclass
class ImageItem:
    """One image of a source before decoding.

    ``data`` is a file path, encoded bytes, or a callable returning one (read lazily); ``label`` or ``text`` (one at least) is its
    condition; ``split`` is ``train``/``test`` when the source says so, else ``None``.
    """

    name: str
    where: str
    data: Path | bytes | Callable[[], Path | bytes]
    label: str | None = None
    text: str | None = None
    split: str | None = None


def list_items(root: Path, skipped: SkipLog) -> Iterator[ImageItem]:
    """The items of the source at ``root`` (any layout above); bad records go to ``skipped``."""
    if not root.exists():
        raise DataError(f"data.source {root} does not exist; give a folder of images")
    if is_hf_dataset(root):
        yield from _hf_items(root, skipped)
    elif root.is_dir() and metadata_file(root) is not None:
        yield from _metadata_items(root, metadata_file(root), skipped)
    elif root.is_dir():
        yield from _subfolder_items(root)
    else:
        raise DataError(f"data.source {root} is a file; give a folder of images (or .parquet)")


def _metadata_items(root: Path, path: Path, skipped: SkipLog) -> Iterator[ImageItem]:
    for row in read_metadata(path, skipped):
        item = _item_from_row(row, skipped)
        if item is None:
            continue
        file = root / str(item.name)
        if not file.is_file():
            skipped.skip(item.where, "file named in metadata does not exist")
            continue
        item.data = file
        yield item


def _item_from_row(row: Row, skipped: SkipLog) -> ImageItem | None:
    name = str(row.fields.get("file_name") or "").strip()
    if not name:
        skipped.skip(row.where, "metadata line has no file_name")
        return None
    label, text = _condition(row.fields)
    if label is None and text is None:
        skipped.skip(f"{name} ({row.where})", "empty or missing label/text")
        return None
    split = str(row.fields.get("split") or "").strip().lower()
    where = f"{name} ({row.where})"
    return ImageItem(name, where, Path(name), label, text, SPLIT_NAMES.get(split))


def _condition(fields: dict) -> tuple[str | None, str | None]:
    label = next((fields[k] for k in ("label", "labels") if k in fields), None)
    text = next((fields[k] for k in ("text", "caption") if k in fields), None)
    label = None if label is None or str(label).strip() == "" else str(label).strip()
    text = None if text is None or str(text).strip() == "" else " ".join(str(text).split())
    return label, text


def _subfolder_items(root: Path) -> Iterator[ImageItem]:
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if folders and all(p.name.lower() in SPLIT_NAMES for p in folders):
        split_folders = [(p, SPLIT_NAMES[p.name.lower()]) for p in folders]
    else:
        split_folders = [(root, None)]
    for base, split in split_folders:
        for class_folder in sorted(p for p in base.iterdir() if p.is_dir()):
            for file in sorted(class_folder.rglob("*")):
                if file.is_file() and file.suffix.lower() in IMAGE_SUFFIXES:
                    name = str(file.relative_to(root))
                    yield ImageItem(name, name, file, label=class_folder.name, split=split)


def _hf_items(root: Path, skipped: SkipLog) -> Iterator[ImageItem]:
    import datasets

    for split, dataset in hf_splits(root).items():
        image_column = feature_column(dataset, "Image", ("image", "img"), root)
        names = None
        label_column = next((c for c in ("label", "labels") if c in dataset.features), None)
        if label_column and isinstance(dataset.features[label_column], datasets.ClassLabel):
            names = dataset.features[label_column].names
        images = dataset.cast_column(image_column, datasets.Image(decode=False))
        prefix = f"{split}/" if split else ""
        # Rows are listed without their images; each image is read from the Arrow file (memory-
        # mapped) only when it is decoded, so listing a large dataset holds no pixels.
        for index, fields in enumerate(dataset.remove_columns(image_column)):
            where = f"{prefix}row {index}"
            if names is not None and fields.get(label_column) is not None:
                label_id = fields[label_column]
                fields[label_column] = names[label_id] if 0 <= label_id < len(names) else None
            label, text = _condition(fields)
            if label is None and text is None:
                skipped.skip(where, "empty or missing label/text")
                continue
            data = RowFile(images, image_column, index)
            name = str(fields.get("file_name") or where)
            yield ImageItem(name, where, data, label, text, SPLIT_NAMES.get(str(split).lower()))


def image_mode(item: ImageItem) -> str | None:
    """The PIL mode from the header alone (cheap), or ``None`` when it cannot be read."""
    try:
        with Image.open(_file_like(item.data)) as image:
            return image.mode
    except (OSError, UnidentifiedImageError, ValueError):
        return None


def channels_of(modes: list[str | None]) -> int:
    """1 when every readable image is grayscale, else 3 (RGB)."""
    readable = [m for m in modes if m is not None]
    return 1 if readable and all(m in GRAY_MODES for m in readable) else 3


def decode_image(
    data: Path | bytes | Callable[[], Path | bytes], size: int, channels: int
) -> np.ndarray:
    """uint8 ``[size, size, channels]``: center-cropped, resized (Lanczos), converted.

    Raises OSError / ValueError (PIL's) for a file that is not a readable image.
    """
    with Image.open(_file_like(data)) as opened:
        opened.load()  # a truncated or corrupt file fails here, not half-way through a batch
        image = opened
        if image.mode in ("RGBA", "LA", "PA", "P") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
        image = image.convert("L" if channels == 1 else "RGB")
        image = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
        pixels = np.asarray(image, dtype=np.uint8)
    return pixels[:, :, None] if channels == 1 else pixels


def _file_like(data: Path | bytes | Callable[[], Path | bytes]) -> Path | io.BytesIO:
    data = data() if callable(data) else data
    return io.BytesIO(data) if isinstance(data, bytes) else data
