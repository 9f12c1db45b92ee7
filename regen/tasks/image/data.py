"""Built-in image datasets and their held-out splits.

Three datasets, each built from an installed package (nothing is downloaded):

- ``glyphs``: A-Z and 0-9 (36 classes) rendered from the system's TrueType fonts, one group
  per font file, 1x32x32 white on black (see :mod:`regen.data.glyphs`).
- ``emoji``: single-codepoint emoji from Noto Color Emoji, one class and one group per emoji,
  captioned with its Unicode name, 3xHxW on white (see :mod:`regen.data.emoji`).
- ``digits``: scikit-learn's 8x8 handwritten digits, 10 classes (see :mod:`regen.data.digits`).

Splits hold out whole groups: test fonts are never seen in training, test emoji (and so their
captions) are never seen in training. Which groups are held out depends only on the group names
and ``holdout_fraction``, so it is the same on every machine and every run.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

import numpy as np
import torch

from regen.data import digits, emoji, glyphs
from regen.data.image_set import ImageDataset
from regen.data.splits import held_out_groups
from regen.errors import ConfigError, DataError
from regen.tasks.image.config import DataConfig
from regen.tasks.image.source import load_source_dataset

__all__ = ["held_out_groups", "load_image_dataset", "balanced_subset", "resolve_labels"]

SPLITS = ("train", "test", "all")


def load_image_dataset(cfg: DataConfig, split: str) -> ImageDataset:
    """The ``split`` (``"train"``, ``"test"`` or ``"all"``) of dataset ``cfg.name``.

    The first call builds and caches the dataset (seconds); later calls load the cache.
    ``cfg.max_items`` caps the train split only.
    """
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    if not 0.0 <= cfg.holdout_fraction < 1.0:
        raise ConfigError(
            f"'data.holdout_fraction' is {cfg.holdout_fraction}; use a value in [0, 1)"
        )
    if not 8 <= cfg.image_size <= 256:  # 256: a dataset of under a GB of float32 pixels
        raise ConfigError(f"'data.image_size' is {cfg.image_size}; use 8 to 256 pixels")
    if cfg.max_items is not None and cfg.max_items < 1:
        raise ConfigError(f"'data.max_items' is {cfg.max_items}; use a positive count or null")
    if cfg.source is not None:
        dataset = load_source_dataset(cfg, split)
        if split == "train" and cfg.max_items is not None and cfg.max_items < len(dataset):
            dataset = dataset.subset(balanced_subset(dataset.labels, cfg.max_items))
        return dataset
    builders = _builders()
    if cfg.name not in builders:
        raise DataError(f"unknown dataset {cfg.name!r}; choose one of: {', '.join(builders)}")
    dataset = builders[cfg.name](cfg.image_size)
    if split == "all":
        return dataset
    test_groups = held_out_groups(dataset.groups, cfg.holdout_fraction)
    in_test = torch.tensor([g in test_groups for g in dataset.groups])
    if split == "test":
        if not test_groups:
            raise DataError("data.holdout_fraction is 0, so there is no test split; raise it")
        return dataset.subset(in_test)
    train = dataset.subset(~in_test)
    if cfg.max_items is not None and cfg.max_items < len(train):
        train = train.subset(balanced_subset(train.labels, cfg.max_items))
    return train


def balanced_subset(labels: torch.Tensor, count: int) -> torch.Tensor:
    """``count`` sorted positions that cover as many classes as possible, evenly.

    Items are taken round-robin across classes (the k-th item of every class before the
    (k+1)-th of any) in a fixed pseudo-random order, so all classes survive when
    ``count >= num_classes``.
    """
    order = np.random.default_rng(0).permutation(len(labels))
    shuffled = labels.numpy()[order]
    rank_in_class = np.zeros(len(labels), dtype=np.int64)
    for label in np.unique(shuffled):
        members = shuffled == label
        rank_in_class[members] = np.arange(members.sum())
    chosen = order[np.lexsort((np.arange(len(order)), rank_in_class))[:count]]
    return torch.from_numpy(np.sort(chosen))


def resolve_labels(class_names: list[str], names: list[str], dataset: str = "") -> torch.Tensor:
    """int64 label ids of the class ``names`` (e.g. ``["A", "7"]``; case-sensitive)."""
    if not names:
        raise DataError(f"no class names given; pick some of: {_examples(class_names)}")
    index = {name: i for i, name in enumerate(class_names)}
    ids = []
    for name in names:
        if name not in index:
            close = [n for n in class_names if n.lower() == name.lower()]
            close = close or difflib.get_close_matches(name, class_names, n=3)
            hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
            raise DataError(
                f"{name!r} is not a class of {dataset or 'this dataset'}; {hint}"
                f"valid names include: {_examples(class_names)}"
            )
        ids.append(index[name])
    return torch.tensor(ids, dtype=torch.long)


def _examples(names: list[str], count: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:count])
    return shown + (f", ... ({len(names)} in all)" if len(names) > count else "")


def _builders() -> dict[str, Callable[[int], ImageDataset]]:
    return {"glyphs": glyphs.load_glyphs, "emoji": emoji.load_emoji, "digits": digits.load_digits}
