"""What a task measures, as the tradeoff and discrete studies read it from its backend.

Each study backend (``Task.study``) declares ``MEASURES``: the names its ``evaluate`` gives to
the end-to-end figure, its oracle twin, the renderer's reconstruction quality and the
generator's held-out loss. The summaries plot and rank by these names, so a new task reports
its own metrics (local FAD, local FVD, ...) without the studies knowing any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from regen.errors import ConfigError

DIRECTIONS = ("lower", "higher")


@dataclass(frozen=True)
class Metric:
    """One metric of ``evaluate``: its key, a short axis label and which way is better."""

    name: str
    label: str
    better: str  # lower | higher

    def __post_init__(self) -> None:
        if self.better not in DIRECTIONS:
            raise ConfigError(f"metric {self.name}: better must be lower or higher")

    @property
    def axis_label(self) -> str:
        return f"{self.label}, {self.better} is better"

    def best(self, values: dict[str, float]) -> str:
        """The key of ``values`` with the best value of this metric."""
        pick = min if self.better == "lower" else max
        return pick(values, key=values.get)


@dataclass(frozen=True)
class Measures:
    """The sides of the trade-off in a task's metric names.

    Attributes:
        headline: the end-to-end figure of X -> Y' -> Y (e.g. domain-FID, local FAD).
        oracle: the same figure rendering the true Y' = encode(Y) of the held-out items
            (Y' -> Y alone); its direction is the headline's.
        reconstruction: the renderer's fidelity to Y from true Y' (PSNR, mel L1, ...).
        generator_loss: the generator's own loss on held-out (X, encode(Y)), or None when
            the task does not measure it.
        fidelity: how well samples follow X (class accuracy, caption adherence), or None.
        speed: sampling speed, or None.
    """

    headline: Metric
    oracle: str
    reconstruction: Metric
    generator_loss: str | None = "generator_heldout_loss"
    fidelity: Metric | None = None
    speed: str | None = None
