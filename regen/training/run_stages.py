"""A run's stages trained one after another, each into ``<run_dir>/<stage>``.

Every task's trainer does the same bookkeeping around :func:`train_stage`: the stage's own
``train.<stage>`` settings, its folder in the run, resume, the recipe text saved beside each
checkpoint, progress, and the list of results ``save_run`` records. :class:`RunStages` holds
that once, so a task's ``train`` reads as the order of its stages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from regen.training.loop import StageResult, train_stage


@dataclass
class RunStages:
    """Trains stages of one run and keeps their results in order.

    Attributes:
        train: the recipe's ``train`` section (one :class:`regen.config.TrainConfig` a stage).
        run_dir: the run folder; stage ``s`` is written to ``run_dir / s``.
        config_yaml: the recipe as saved beside every checkpoint.
        resume: continue each stage from its checkpoint.
        progress: show progress bars.
    """

    train: Any
    run_dir: Path
    config_yaml: str
    resume: bool = False
    progress: bool = True
    results: list[StageResult] = field(default_factory=list)

    def fit(
        self,
        stage: str,
        module: nn.Module,
        data: dict[str, Any],
        *,
        eval_fn: Callable[[nn.Module], dict[str, float]] | None = None,
    ) -> StageResult:
        """Train ``module`` as ``stage`` on ``data`` with ``train.<stage>``; keep the result."""
        result = train_stage(
            stage,
            module,
            data,
            getattr(self.train, stage),
            self.run_dir / stage,
            resume=self.resume,
            config_yaml=self.config_yaml,
            eval_fn=eval_fn,
            progress=self.progress,
        )
        self.results.append(result)
        return result

    @property
    def names(self) -> list[str]:
        """The stages trained (or installed) so far, in order."""
        return [r.name for r in self.results]
