"""Periodic evaluation during training: a stage's own loss on held-out tensors."""

from __future__ import annotations

from collections.abc import Callable

import torch


def heldout_loss(
    tensors: dict[str, torch.Tensor], seed: int = 0
) -> Callable[[torch.nn.Module], dict[str, float]]:
    """An evaluation hook: the stage's own loss on held-out tensors, with a fixed RNG.

    The RNG is forked, so evaluating does not change the training run's random stream.
    """

    def evaluate(model: torch.nn.Module) -> dict[str, float]:
        was_training = model.training
        model.eval()
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(seed)
            loss, _ = model.training_loss(tensors)
        model.train(was_training)
        return {"heldout_loss": float(loss)}

    return evaluate
