"""A labelled set of images in memory, and its on-disk cache: what every image builder returns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch

from regen.data.cache import load_or_build
from regen.data.store import ShardedArray


@dataclass
class ImageDataset:
    """Images with class labels, captions and split groups.

    Attributes:
        images: float32 ``[N, C, H, W]`` in ``[-1, 1]``; C=1 (glyphs, digits: white on black)
            or C=3 (emoji: RGB on white).
        labels: int64 ``[N]``, index into ``class_names``.
        class_names: one name per class (glyphs: the character; digits: ``"0"``..``"9"``;
            emoji: the caption). A subset keeps the full list, so labels stay comparable.
        captions: ``N`` caption strings (``"letter A"``, ``"digit 3"``, ``"grinning face"``).
        groups: ``N`` split groups (font file stem, emoji codepoint ``"U+1F600"``, digit item).
        name: ``"glyphs"``, ``"emoji"``, ``"digits"``, or ``"source"`` (``data.source``).
        source: where the data came from, with package versions.
        captioned: the captions are the condition (emoji, a source with ``text``), so
            evaluation asks for held-out captions rather than classes.

    ``images`` may be a :class:`MappedImages` (a prepared store, read batch by batch) where a
    split is too large for memory; indexing it gives tensors like a tensor does.
    """

    images: torch.Tensor | MappedImages
    labels: torch.Tensor
    class_names: list[str]
    captions: list[str]
    groups: list[str]
    name: str
    source: str
    captioned: bool = False

    def __post_init__(self) -> None:
        n = len(self.images)
        if self.images.ndim != 4 or len(self.labels) != n:
            raise ValueError(f"images must be [N, C, H, W] with N={len(self.labels)} labels")
        if len(self.captions) != n or len(self.groups) != n:
            raise ValueError(f"captions and groups need one entry per image ({n})")

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, index: torch.Tensor | list[int]) -> ImageDataset:
        """The items at ``index`` (integer positions or a boolean mask), class list unchanged."""
        index = torch.as_tensor(index)
        if index.dtype == torch.bool:
            index = index.nonzero().squeeze(1)
        index = index.long()
        positions = index.tolist()
        return replace(
            self,
            images=self.images[index],
            labels=self.labels[index],
            captions=[self.captions[i] for i in positions],
            groups=[self.groups[i] for i in positions],
        )

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of one image."""
        channels, height, width = self.images.shape[1:]
        return channels, height, width

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


class MappedImages:
    """uint8 ``[N, H, W, C]`` pixels in memory-mapped shards, read as float ``[B, C, H, W]``.

    Quacks like the image tensor where the training loop and the image code read it: ``len``,
    ``shape``, ``ndim``, ``images[index]`` (int tensor, slice or int) and ``split(n)``. Only
    the rows asked for are read and converted, so memory does not grow with N.
    """

    def __init__(self, pixels: ShardedArray) -> None:
        self.pixels = pixels
        height, width, channels = pixels.shape[1:]
        self.shape = torch.Size((len(pixels), channels, height, width))
        self.ndim = 4

    def __len__(self) -> int:
        return len(self.pixels)

    def __getitem__(self, index: int | slice | torch.Tensor) -> torch.Tensor:
        if isinstance(index, int):
            return images_from_pixels(self.pixels[[index]])[0]
        return images_from_pixels(self.pixels[index])

    def split(self, size: int) -> Iterator[torch.Tensor]:
        """Consecutive chunks of ``size`` images, like ``Tensor.split``."""
        for start in range(0, len(self), size):
            yield self[start : start + size]


def in_memory(images: torch.Tensor | MappedImages) -> torch.Tensor:
    """All images as one tensor (for code that needs them at once, e.g. the classifier)."""
    return images if isinstance(images, torch.Tensor) else images[:]


def images_from_pixels(pixels: np.ndarray) -> torch.Tensor:
    """uint8 ``[N, H, W, C]`` pixels (0..255) -> float32 ``[N, C, H, W]`` in ``[-1, 1]``."""
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).float().div(127.5).sub(1.0).contiguous()


def cached_image_dataset(key: str, build: Callable[[], ImageDataset]) -> ImageDataset:
    """``build()`` once, cached under ``key``; images are stored as uint8 ``[N, H, W, C]`` pixels.

    The round trip is exact for images made by :func:`images_from_pixels` (all built-in
    datasets but the uncached digits).
    """

    def build_for_cache() -> tuple[dict[str, torch.Tensor], dict]:
        dataset = build()
        pixels = dataset.images.add(1.0).mul(127.5).round().to(torch.uint8).permute(0, 2, 3, 1)
        meta = {
            "class_names": dataset.class_names,
            "captions": dataset.captions,
            "groups": dataset.groups,
            "name": dataset.name,
            "source": dataset.source,
        }
        return {"pixels": pixels, "labels": dataset.labels}, meta

    tensors, meta = load_or_build(key, build_for_cache)
    images = images_from_pixels(tensors["pixels"].numpy())
    return ImageDataset(images=images, labels=tensors["labels"], **meta)
