"""Tiny models that satisfy the training contract, for loop and checkpoint tests."""

from __future__ import annotations

import torch
from torch import nn


class ToyRegressor(nn.Module):
    """Deterministic: y = W x + b with MSE, so two processes can match one exactly."""

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
