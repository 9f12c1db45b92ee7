"""The step-time probe behind equal-wall-clock budgets: real steps, warm-up dropped."""

from __future__ import annotations

import torch

from regen.training.probe import best_step_seconds
from tests.unit.toy_models import ToyRegressor, toy_data


def test_probe_takes_real_steps_on_each_batch_and_drops_the_warm_up() -> None:
    model = ToyRegressor()
    before = [p.detach().clone() for p in model.parameters()]
    calls = []

    def next_batch() -> dict:
        calls.append(1)
        return toy_data(16)

    seconds = best_step_seconds(model, next_batch, tries=3)
    assert len(calls) == 3 and 0 < seconds < 10
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
