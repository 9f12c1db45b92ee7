"""The one rule that makes "the same budget" mean one thing for every task.

``compare.budget`` in a recipe picks it; the direct baseline's generator steps follow:

    samples   same training items: optimizer steps x batch size summed over the stages of
              the regeneration pipeline that learn (its renderer included)
    steps     same optimizer steps summed over those stages
    seconds   same training wall-clock: the regeneration run's measured seconds divided by
              the baseline's step time from a timed probe on this machine, or, when the
              recipe sets ``compare.calibrated_steps``, that number measured once on a quiet
              machine (so the result does not move with machine load)

The choice is written to ``budget.json`` in the compare folder, so ``--resume`` keeps the
baseline's steps even when a live probe would now measure differently.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from regen.errors import ConfigError

RULES = ("samples", "seconds", "steps")
BUDGET_FILE = "budget.json"

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

    @property
    def statement(self) -> str:
        return STATEMENTS[self.rule]


def check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ConfigError(f"'compare.budget' is {rule!r}; choose one of: {', '.join(RULES)}")


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


def load_or_decide(folder: Path, decide: Callable[[], Budget], resume: bool) -> Budget:
    """The budget stored in ``folder`` when resuming, else ``decide()`` (then stored)."""
    path = Path(folder) / BUDGET_FILE
    if resume and path.is_file():
        try:
            return Budget(**json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError):
            pass  # an older or damaged file: decide again rather than fail the resume
    budget = decide()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(budget), indent=1))
    return budget
