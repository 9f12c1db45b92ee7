"""Handwritten digits: scikit-learn's bundled 8x8 copy of the UCI optical digits (1,797 items).

Small enough to load in milliseconds, so it is not cached: the data set for fast tests.
Pixel values 0..16 map linearly to [-1, 1] (white digit on black, like the glyphs). The native
size is 8x8; an ``image_size`` of 16, 24, 32, ... upsamples bilinearly by that whole factor, so
a model built for 32x32 images runs unchanged. Any other size is an error rather than a
silent crop. Each item is its own split group: the split is a fixed random item split.
"""

from __future__ import annotations

import sklearn
import torch
import torch.nn.functional as F
from sklearn import datasets

from regen.data.image_set import ImageDataset
from regen.errors import ConfigError

NATIVE_SIZE = 8
MAX_VALUE = 16.0


def load_digits(image_size: int) -> ImageDataset:
    """All 1,797 digits as float32 ``[N, 1, image_size, image_size]`` in ``[-1, 1]``."""
    if image_size % NATIVE_SIZE:
        raise ConfigError(
            f"digits are {NATIVE_SIZE}x{NATIVE_SIZE}; set data.image_size to a multiple of "
            f"{NATIVE_SIZE} (8, 16, 32), not {image_size}"
        )
    bunch = datasets.load_digits()
    images = torch.from_numpy(bunch.images).float().unsqueeze(1) / (MAX_VALUE / 2) - 1.0
    if image_size != NATIVE_SIZE:
        images = F.interpolate(images, size=(image_size, image_size), mode="bilinear")
    labels = torch.from_numpy(bunch.target).long()
    return ImageDataset(
        images=images.contiguous(),
        labels=labels,
        class_names=[str(d) for d in range(10)],
        captions=[f"digit {d}" for d in labels.tolist()],
        groups=[f"item{i:04d}" for i in range(len(labels))],
        name="digits",
        source=f"scikit-learn {sklearn.__version__} load_digits (UCI optical digits, 8x8)",
    )
