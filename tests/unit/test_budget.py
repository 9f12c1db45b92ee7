"""The one budget rule of regen compare (regen/compare/budget.py)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from regen.compare import budget as budgets
from regen.errors import ConfigError


def _train(**stages: tuple[int, int]) -> SimpleNamespace:
    return SimpleNamespace(
        **{name: SimpleNamespace(steps=s, batch_size=b) for name, (s, b) in stages.items()}
    )


def test_planned_sums_samples_and_steps_over_the_named_stages_only() -> None:
    train = _train(representation=(100, 32), generator=(200, 64), renderer=(7, 1))
    assert budgets.planned(train, ["representation", "generator"]) == (100 * 32 + 200 * 64, 300)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("samples", 3 * 1000 // 16 + 1), ("steps", 300)],  # ceil(3000 / 16) = 188
)
def test_samples_and_steps_rules(rule: str, expected: int) -> None:
    budget = budgets.baseline_steps(rule, regen_samples=3000, regen_steps=300, direct_batch_size=16)
    assert budget.rule == rule and budget.direct_generator_steps == expected


def test_seconds_rule_divides_the_regen_seconds_by_the_probed_step() -> None:
    calls = []
    budget = budgets.baseline_steps(
        "seconds",
        regen_samples=1,
        regen_steps=1,
        direct_batch_size=8,
        regen_seconds=30.0,
        probe=lambda: calls.append(1) or 0.5,
    )
    assert budget.direct_generator_steps == 60 and budget.probe_step_seconds == 0.5
    assert calls == [1]


def test_calibrated_seconds_do_not_probe() -> None:
    def probe() -> float:
        raise AssertionError("a calibrated budget must not depend on this machine's load")

    budget = budgets.baseline_steps(
        "seconds",
        regen_samples=1,
        regen_steps=1,
        direct_batch_size=8,
        regen_seconds=30.0,
        probe=probe,
        calibrated_steps=59,
    )
    assert budget.rule == "calibrated" and budget.direct_generator_steps == 59
    assert "quiet machine" in budget.statement


def test_unknown_rule_is_a_one_line_config_error() -> None:
    with pytest.raises(ConfigError, match="compare.budget.*samples, seconds, steps"):
        budgets.check_rule("flops")


def test_resume_keeps_the_stored_budget(tmp_path) -> None:
    first = budgets.load_or_decide(
        tmp_path, lambda: budgets.Budget("seconds", 42, 10, 5, 12.0, 0.2), resume=False
    )
    assert json.loads((tmp_path / budgets.BUDGET_FILE).read_text())["direct_generator_steps"] == 42

    def different() -> budgets.Budget:
        return budgets.Budget("seconds", 7, 10, 5, 12.0, 2.0)

    assert budgets.load_or_decide(tmp_path, different, resume=True) == first
    assert budgets.load_or_decide(tmp_path, different, resume=False).direct_generator_steps == 7


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["compare.budget=samples"], (12 * 16 + 12 * 16) // 16),  # representation + generator
        (["compare.budget=steps"], 24),
        (["compare.budget=seconds"], 24),  # a live seconds rule is planned as samples
        (["compare.budget=seconds", "compare.calibrated_steps=5"], 5),
    ],
)
def test_planned_pairs_for_sweeps(overrides: list[str], expected: int) -> None:
    from regen.compare.harness import load_pair
    from tests.tiny import TINY

    _, direct = load_pair("image/digits_latent_diffusion", [*TINY, *overrides])
    assert direct.train.generator.steps == expected
