"""Tiny models that satisfy the training contract, for loop and checkpoint tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import torch
from torch import nn


class ToyRegressor(nn.Module):
    """Deterministic: y = W x + b with MSE, so two processes can match one exactly."""

    trainable = True

    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, 16), nn.Tanh(), nn.Linear(16, 1))

    def training_loss(self, batch):
        loss = (self.net(batch["x"]).squeeze(-1) - batch["y"]).pow(2).mean()
        return loss, {"mse": float(loss.detach())}


class NoisyRegressor(ToyRegressor):
    """Uses the global RNG inside the loss (like diffusion noise), to test RNG resume."""

    def training_loss(self, batch):
        noisy = batch["x"] + 0.1 * torch.randn_like(batch["x"])
        loss = (self.net(noisy).squeeze(-1) - batch["y"]).pow(2).mean()
        return loss, {}


def toy_data(n: int = 256, dim: int = 8) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, dim, generator=g)
    return {"x": x, "y": x[:, 0] - 0.5 * x[:, 1]}


class ToyGAN(ToyRegressor):
    """A regressor trained against a discriminator on (x, y) pairs (LSGAN), deterministic,
    to test the adversarial path of the loop (see regen.contracts.Adversarial)."""

    def __init__(self, dim: int = 8, start: int = 0) -> None:
        super().__init__(dim)
        disc = nn.Sequential(nn.Linear(dim + 1, 16), nn.Tanh(), nn.Linear(16, 1))
        self.adversary = SimpleNamespace(discriminator=disc, lr=1e-2, start=start, active=False)

    def _score(self, batch, y):
        return self.adversary.discriminator(torch.cat([batch["x"], y[:, None]], 1))

    def training_loss(self, batch):
        predicted = self.net(batch["x"]).squeeze(-1)
        loss = (predicted - batch["y"]).pow(2).mean()
        if self.adversary.active:
            loss = loss + 0.1 * (1 - self._score(batch, predicted)).pow(2).mean()
        return loss, {}

    def discriminator_loss(self, batch):
        with torch.no_grad():
            fake = self.net(batch["x"]).squeeze(-1)
        loss = (1 - self._score(batch, batch["y"])).pow(2).mean()
        loss = loss + self._score(batch, fake).pow(2).mean()
        return loss, {"d_loss": float(loss.detach())}


@contextmanager
def killed_after(monkeypatch, cls: type, calls: int) -> Iterator[None]:
    """Within the block, ``cls.training_loss`` raises KeyboardInterrupt (a kill) on call
    ``calls + 1``; the block must be interrupted by it. Restored afterwards."""
    original, count = cls.training_loss, {"n": 0}

    def dying_loss(self, batch):
        count["n"] += 1
        if count["n"] > calls:
            raise KeyboardInterrupt
        return original(self, batch)

    monkeypatch.setattr(cls, "training_loss", dying_loss)
    with pytest.raises(KeyboardInterrupt):
        yield
    monkeypatch.setattr(cls, "training_loss", original)
