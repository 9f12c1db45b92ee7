"""The one rule that makes "the same budget" mean one thing for every task.

``compare.budget`` in a recipe picks it; the direct baseline's generator steps follow:

    samples   same training items: optimizer steps x batch size summed over the stages of
              the regeneration pipeline that learn (its renderer included)
    steps     same optimizer steps summed over those stages
    seconds   same training wall-clock: the regeneration run's measured seconds divided by
              the baseline's step time from a timed probe on this machine, or, when the
              recipe sets ``compare.calibrated_steps``, that number measured once on a quiet
              machine (so the result does not move with machine load)

Two views apply the rule (both in every compare's results.json and report):

    equal_paired  the stages regen trains inside the run count; a pretrained renderer
                  (regen pretrain, ``pretrained_renderer: true``) is shared infrastructure,
                  listed with its own cost but not counted. With no pretrained stage this
                  is the same budget as equal_total.
    equal_total   every learned stage counts, the pretrained renderer's training included.

The choice is written to ``budget.json`` in the compare folder, so ``--resume`` keeps the
baseline's steps even when a live probe would now measure differently.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from regen.errors import ConfigError

RULES = ("samples", "seconds", "steps")
BUDGET_FILE = "budget.json"
VIEWS = {
    "equal_paired": "equal paired compute: the stages regen trains in this run count; a "
    "pretrained renderer is shared infrastructure, listed with its own cost, not counted",
    "equal_total": "equal total compute: every learned stage counts, the pretrained "
    "renderer's training included",
}

STATEMENTS = {
    "samples": "equal training samples (optimizer steps x batch size summed over the stages "
    "that learn); wall-clock is shown too",
    "steps": "equal optimizer steps summed over the stages that learn; samples and wall-clock "
    "are shown too",
    "seconds": "equal training wall-clock (the baseline's steps come from a timed probe of its "
    "step on this machine); samples seen are shown too",
    "calibrated": "equal training wall-clock as calibrated once on a quiet machine "
    "(compare.calibrated_steps, no live probe, so the steps do not move with machine load); "
    "samples seen are shown too",
}


@dataclass
class Budget:
    """The baseline's generator steps and how they were set."""

    rule: str  # samples | steps | seconds | calibrated
    direct_generator_steps: int
    regen_samples: int
    regen_steps: int
    regen_seconds: float | None = None
    probe_step_seconds: float | None = None
    view: str = "equal_total"
    counted_stages: list[str] | None = None  # regen's stages whose cost the view counts

    @property
    def statement(self) -> str:
        return STATEMENTS[self.rule]


def check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ConfigError(f"'compare.budget' is {rule!r}; choose one of: {', '.join(RULES)}")


def view_budgets(
    rule: str,
    *,
    train: Any,
    stages: list[str],
    results: list[Any],
    direct_batch_size: int,
    probe: Callable[[], float] | None = None,
    calibrated_steps: int | None = None,
) -> dict[str, Budget]:
    """The baseline's budget in each of :data:`VIEWS`, from regen's trained ``results``.

    A calibrated seconds budget was measured for the whole regeneration run, so the
    equal-paired view takes the share of it that the counted stages' seconds are.
    """
    trained = {r.name: r for r in results}
    shared = {name for name, r in trained.items() if r.shared}
    total_seconds = sum(r.seconds for r in results)
    probe_once = functools.cache(probe) if probe is not None else None  # one probe, 2 views

    def cost(stage: str) -> tuple[int, int]:
        # what the stage trained (a counted renderer took no optimizer steps, whatever its
        # train.renderer says); its settings only for a stage without a result
        if stage in trained:
            return trained[stage].samples_seen, trained[stage].steps
        return planned(train, [stage])

    budgets = {}
    for view in VIEWS:
        counted = [s for s in stages if view == "equal_total" or s not in shared]
        samples = sum(cost(s)[0] for s in counted)
        steps = sum(cost(s)[1] for s in counted)
        regen_seconds = sum(trained[s].seconds for s in counted if s in trained)
        calibrated = calibrated_steps
        if calibrated is not None and view == "equal_paired" and shared:
            calibrated = round(calibrated * regen_seconds / max(total_seconds, 1e-9))
        budget = baseline_steps(
            rule,
            regen_samples=samples,
            regen_steps=steps,
            direct_batch_size=direct_batch_size,
            regen_seconds=regen_seconds,
            probe=probe_once,
            calibrated_steps=calibrated,
        )
        budget.view, budget.counted_stages = view, counted
        budgets[view] = budget
    return budgets


def planned(train: Any, stages: list[str]) -> tuple[int, int]:
    """(samples, steps) that the stage settings ``train.<stage>`` of ``stages`` will train."""
    settings = [getattr(train, stage) for stage in stages]
    return sum(s.steps * s.batch_size for s in settings), sum(s.steps for s in settings)


def baseline_steps(
    rule: str,
    *,
    regen_samples: int,
    regen_steps: int,
    direct_batch_size: int,
    regen_seconds: float | None = None,
    probe: Callable[[], float] | None = None,
    calibrated_steps: int | None = None,
) -> Budget:
    """The baseline generator's steps under ``rule`` (see the module docstring).

    ``regen_seconds`` and ``probe`` (seconds of one baseline step) are needed only by the
    ``seconds`` rule without ``calibrated_steps``.
    """
    check_rule(rule)
    budget = Budget(rule, 0, regen_samples, regen_steps, regen_seconds)
    if rule == "samples":
        budget.direct_generator_steps = max(1, math.ceil(regen_samples / direct_batch_size))
    elif rule == "steps":
        budget.direct_generator_steps = max(1, regen_steps)
    elif calibrated_steps is not None:
        budget.rule = "calibrated"
        budget.direct_generator_steps = max(1, calibrated_steps)
    else:
        if regen_seconds is None or probe is None:
            raise ValueError("the seconds rule needs the regeneration run's seconds and a probe")
        budget.probe_step_seconds = probe()
        budget.direct_generator_steps = max(1, int(regen_seconds / budget.probe_step_seconds))
    return budget


def load_or_decide(
    folder: Path, decide: Callable[[], dict[str, Budget]], resume: bool
) -> dict[str, Budget]:
    """The per-view budgets stored in ``folder`` when resuming, else ``decide()`` (stored)."""
    path = Path(folder) / BUDGET_FILE
    if resume and path.is_file():
        try:
            stored = json.loads(path.read_text())
            return {view: Budget(**stored[view]) for view in VIEWS}
        except (json.JSONDecodeError, TypeError, KeyError):
            pass  # an older or damaged file: decide again rather than fail the resume
    budgets = decide()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({view: asdict(b) for view, b in budgets.items()}, indent=1))
    tmp.replace(path)
    return budgets
