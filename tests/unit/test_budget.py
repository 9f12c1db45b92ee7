"""The one budget rule of regen compare (regen/compare/budget.py)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from regen.compare import budget as budgets
from regen.compare.harness import view_labels
from regen.config import load_recipe
from regen.errors import ConfigError
from regen.training.loop import StageResult


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


def _both_views(steps: int, probe: float) -> dict[str, budgets.Budget]:
    return {view: budgets.Budget("seconds", steps, 10, 5, 12.0, probe) for view in budgets.VIEWS}


def test_resume_keeps_the_stored_budget(tmp_path) -> None:
    first = budgets.load_or_decide(tmp_path, lambda: _both_views(42, 0.2), resume=False)
    stored = json.loads((tmp_path / budgets.BUDGET_FILE).read_text())
    assert stored["equal_paired"]["direct_generator_steps"] == 42
    assert budgets.load_or_decide(tmp_path, lambda: _both_views(7, 2.0), resume=True) == first
    again = budgets.load_or_decide(tmp_path, lambda: _both_views(7, 2.0), resume=False)
    assert again["equal_total"].direct_generator_steps == 7


def test_an_older_budget_file_is_decided_again_on_resume(tmp_path) -> None:
    (tmp_path / budgets.BUDGET_FILE).write_text(json.dumps({"rule": "samples"}))
    decided = budgets.load_or_decide(tmp_path, lambda: _both_views(9, 0.1), resume=True)
    assert decided["equal_paired"].direct_generator_steps == 9


def _stages(shared: bool) -> list[StageResult]:
    return [
        StageResult("generator", 100, 100 * 8, seconds=30.0),
        StageResult("renderer", 400, 400 * 8, seconds=90.0, shared=shared),
    ]


@pytest.mark.parametrize("rule", ["samples", "steps"])
def test_a_pretrained_renderer_counts_only_in_the_equal_total_view(rule: str) -> None:
    views = budgets.view_budgets(
        rule,
        train=_train(generator=(100, 8), renderer=(400, 8)),
        stages=["generator", "renderer"],
        results=_stages(shared=True),
        direct_batch_size=8,
    )
    assert views["equal_paired"].direct_generator_steps == 100
    assert views["equal_paired"].counted_stages == ["generator"]
    assert views["equal_total"].direct_generator_steps == 500


def test_without_a_pretrained_stage_both_views_agree() -> None:
    views = budgets.view_budgets(
        "samples",
        train=_train(generator=(100, 8), renderer=(400, 8)),
        stages=["generator", "renderer"],
        results=_stages(shared=False),
        direct_batch_size=8,
    )
    assert views["equal_paired"].direct_generator_steps == 500
    assert views["equal_total"].direct_generator_steps == 500


def test_seconds_views_probe_once_and_split_a_calibrated_budget() -> None:
    calls = []

    def probe() -> float:
        calls.append(1)
        return 0.5

    args = dict(
        train=_train(generator=(100, 8), renderer=(400, 8)),
        stages=["generator", "renderer"],
        direct_batch_size=8,
    )
    live = budgets.view_budgets("seconds", results=_stages(True), probe=probe, **args)
    assert len(calls) == 1
    assert live["equal_paired"].direct_generator_steps == 60  # 30 s / 0.5 s
    assert live["equal_total"].direct_generator_steps == 240  # 120 s / 0.5 s
    calibrated = budgets.view_budgets(
        "seconds", results=_stages(True), calibrated_steps=200, **args
    )
    assert calibrated["equal_paired"].direct_generator_steps == 50  # 30 of 120 s
    assert calibrated["equal_total"].direct_generator_steps == 200


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


@pytest.mark.parametrize(
    ("steps", "kept", "labels"),
    [
        (
            (6, 18),
            ["equal_paired", "equal_total"],
            {"equal_paired": "direct", "equal_total": "direct_total"},
        ),
        (
            (6, 6),
            ["equal_paired", "equal_total"],
            {"equal_paired": "direct", "equal_total": "direct"},
        ),
        ((6, 18), ["equal_total"], {"equal_total": "direct"}),
        ((6, 18), ["equal_paired"], {"equal_paired": "direct"}),
    ],
)
def test_each_kept_view_gets_a_baseline_run_and_equal_budgets_share_one(steps, kept, labels):
    views = {
        view: budgets.Budget("samples", n, 0, 0, view=view) for view, n in zip(budgets.VIEWS, steps)
    }
    assert view_labels(views, kept) == labels


def test_compare_views_must_name_known_views() -> None:
    with pytest.raises(ConfigError, match="compare.views.*equal_paired, equal_total"):
        load_recipe("image/digits_latent_diffusion", ["compare.views=[equal_flops]"])


def test_views_count_what_a_stage_trained_not_its_settings() -> None:
    """A lexicon renderer fitted by counting took no optimizer steps, whatever
    train.renderer says: it adds no samples to the equal-total budget."""
    counted = [
        StageResult("generator", 100, 100 * 8, seconds=30.0),
        StageResult("renderer", 0, 0, seconds=50.0, shared=True),
    ]
    views = budgets.view_budgets(
        "samples",
        train=_train(generator=(100, 8), renderer=(2000, 128)),
        stages=["generator", "renderer"],
        results=counted,
        direct_batch_size=8,
    )
    assert views["equal_total"].direct_generator_steps == 100
