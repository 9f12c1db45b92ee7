"""Toy data, made by numpy from a seed (nothing to download): class ids and stripe patterns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .config import ToyDataConfig


@dataclass
class ToySet:
    """Items sorted by class, the same number per class."""

    x: torch.Tensor  # [N] int64 class ids
    y: torch.Tensor  # [N, 1, size, size] float32 in [-1, 1]

    def __len__(self) -> int:
        return len(self.x)


def make_split(cfg: ToyDataConfig, split: str, seed: int = 0) -> ToySet:
    """``train`` (``per_class`` items per class) or ``test`` (a quarter as many, new noise).

    Class k is a stripe pattern at angle pi k / classes; each item shifts its phase a little
    and adds pixel noise, so a class is a small distribution rather than one image.
    """
    count = cfg.per_class if split == "train" else max(1, cfg.per_class // 4)
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    labels = np.repeat(np.arange(cfg.classes), count)
    rows, cols = np.mgrid[0 : cfg.size, 0 : cfg.size] / cfg.size
    angle = (np.pi * labels / cfg.classes)[:, None, None]
    phase = rng.uniform(-0.5, 0.5, len(labels))[:, None, None]
    along = cols * np.cos(angle) + rows * np.sin(angle)
    pattern = np.cos(2 * np.pi * along + phase) + rng.normal(0, cfg.noise, along.shape)
    y = np.clip(pattern, -1, 1)[:, None].astype(np.float32)
    return ToySet(torch.from_numpy(labels), torch.from_numpy(y))
