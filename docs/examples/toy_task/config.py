"""The toy recipe: what ``task: toy`` in a YAML file loads into, and its checks."""

from __future__ import annotations

from dataclasses import dataclass, field

from regen.compare.budget import RULES
from regen.config import CompareConfig, RecipeHeader, TrainConfig, check_choices, check_stages
from regen.errors import ConfigError


@dataclass
class ToyDataConfig:
    classes: int = 4  # X: a class id in [0, classes)
    size: int = 8  # Y: one size x size pattern in [-1, 1]
    per_class: int = 40  # training items per class; a quarter as many are held out
    noise: float = 0.1  # pixel noise, so that items of one class differ


@dataclass
class ToyRepresentationConfig:
    kind: str = "downsample"  # downsample (regeneration) | identity (the direct baseline)
    factor: int = 2  # Y' is Y average-pooled by this factor


@dataclass
class ToyGeneratorConfig:
    hidden: int = 64


@dataclass
class ToyStagesConfig:
    # one field per stage that can learn; regen compare reads train.generator of the baseline
    generator: TrainConfig = field(
        default_factory=lambda: TrainConfig(steps=300, batch_size=32, lr=1e-2, warmup_steps=10)
    )


@dataclass
class ToyRecipeConfig(RecipeHeader):
    task: str = "toy"
    name: str = "toy"
    data: ToyDataConfig = field(default_factory=ToyDataConfig)
    representation: ToyRepresentationConfig = field(default_factory=ToyRepresentationConfig)
    generator: ToyGeneratorConfig = field(default_factory=ToyGeneratorConfig)
    train: ToyStagesConfig = field(default_factory=ToyStagesConfig)
    compare: CompareConfig = field(default_factory=CompareConfig)

    @property
    def is_direct(self) -> bool:
        """The baseline is the recipe whose representation is the identity."""
        return self.representation.kind == "identity"


def validate(config: ToyRecipeConfig) -> None:
    """What the types alone do not pin down; a ConfigError names the fix."""
    check_choices(
        config, {"representation.kind": ("downsample", "identity"), "compare.budget": RULES}
    )
    if config.data.classes < 2 or config.data.per_class < 4:
        raise ConfigError("data.classes must be at least 2 and data.per_class at least 4")
    factor = config.representation.factor
    if factor < 1 or config.data.size % factor:
        raise ConfigError(f"representation.factor {factor} must divide data.size")
    check_stages(config.train, ("generator",))
