"""Recipes of the ``melody`` task (lyrics -> melody): dataclasses loaded from YAML.

A recipe names ``task: melody`` at the top. ``representation.kind: template`` makes the
regeneration pipeline (lyrics -> music template -> melody); ``identity`` makes the direct
baseline (lyrics -> melody tokens). See docs/melody.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from regen.compare.budget import RULES as BUDGET_RULES
from regen.config import CompareConfig, RecipeHeader, TrainConfig, check_choices, check_stages
from regen.data.music import FOLK_COLLECTIONS, MelodyDataConfig
from regen.errors import ConfigError
from regen.representations.music_template import EXTRAS as TEMPLATE_EXTRAS


@dataclass
class MelodyRepresentationConfig:
    kind: str = "template"  # template | identity
    # melodic shape carried beside key, chords and rhythm (regen/representations/music_template.py)
    extras: list[str] = field(default_factory=lambda: list(TEMPLATE_EXTRAS))


@dataclass
class SequenceModelConfig:
    """An aligned encoder-decoder transformer (regen/modules/aligned.py) and its sampling."""

    hidden: int = 128
    depth: int = 2  # layers in each of encoder and decoder
    heads: int = 4
    dropout: float = 0.1
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 0.9


@dataclass
class MelodyRendererConfig(SequenceModelConfig):
    kind: str = "template_to_melody"  # template_to_melody | rule | identity
    constrained: bool = True  # key, chord tones on beats, cadences, leaps <= an octave
    low: int = 48  # constrained decoding keeps the melody in MIDI low..high (the voice's range)
    high: int = 84


@dataclass
class MelodyStagesConfig:
    generator: TrainConfig = field(default_factory=lambda: TrainConfig(steps=1500, lr=1e-3))
    renderer: TrainConfig = field(default_factory=lambda: TrainConfig(steps=1500, lr=1e-3))


@dataclass
class MelodyEvalConfig:
    max_test: int | None = None  # cap on held-out segments scored (None: all)
    examples: int = 4  # held-out lyrics shown (and heard) in the report
    batch_size: int = 64


@dataclass
class MelodyRecipeConfig(RecipeHeader):
    """One runnable lyric-to-melody experiment."""

    task: str = "melody"
    name: str = "melody"
    data: MelodyDataConfig = field(default_factory=MelodyDataConfig)
    representation: MelodyRepresentationConfig = field(default_factory=MelodyRepresentationConfig)
    generator: SequenceModelConfig = field(default_factory=SequenceModelConfig)
    renderer: MelodyRendererConfig = field(default_factory=MelodyRendererConfig)
    train: MelodyStagesConfig = field(default_factory=MelodyStagesConfig)
    eval: MelodyEvalConfig = field(default_factory=MelodyEvalConfig)
    compare: CompareConfig = field(default_factory=CompareConfig)

    @property
    def is_direct(self) -> bool:
        return self.representation.kind == "identity"


def validate(config: MelodyRecipeConfig) -> None:
    """Check what the types alone do not pin down; raise ConfigError naming the fix."""
    check_choices(config, {"compare.budget": BUDGET_RULES})
    rep, ren = config.representation.kind, config.renderer.kind
    if rep not in ("template", "identity"):
        raise ConfigError(f"'representation.kind' is {rep!r}; choose template or identity")
    if ren not in ("template_to_melody", "rule", "identity"):
        raise ConfigError(
            f"'renderer.kind' is {ren!r}; choose template_to_melody, rule or identity"
        )
    if config.pretrained_renderer and ren == "rule":
        raise ConfigError(
            "pretrained_renderer: true, but renderer.kind rule has nothing to learn; use "
            "template_to_melody or remove the line"
        )
    if (rep == "identity") != (ren == "identity"):
        raise ConfigError(
            "representation.kind identity (the direct baseline) goes with renderer.kind identity"
        )
    for extra in config.representation.extras:
        if extra not in TEMPLATE_EXTRAS:
            raise ConfigError(
                f"unknown template extra {extra!r} in representation.extras; "
                f"choose from {', '.join(TEMPLATE_EXTRAS)}"
            )
    for name in config.data.folk_collections:
        if name not in FOLK_COLLECTIONS:
            raise ConfigError(
                f"unknown folk collection {name!r} in data.folk_collections; "
                f"choose from {', '.join(FOLK_COLLECTIONS)}"
            )
    if not 0 < config.data.paired_fraction <= 1 or not 0 < config.data.test_fraction < 1:
        raise ConfigError("data.paired_fraction must be in (0, 1] and test_fraction in (0, 1)")
    if config.data.chorale_repeat < 1:
        raise ConfigError("data.chorale_repeat must be at least 1")
    if not 4 <= config.data.max_notes <= 256:
        raise ConfigError("data.max_notes must be between 4 and 256")
    if not 0 <= config.renderer.low + 12 <= config.renderer.high <= 127:
        raise ConfigError("renderer.low..high must be a MIDI range of at least an octave")
    for model in ("generator", "renderer"):
        cfg = getattr(config, model)
        if cfg.hidden % cfg.heads:
            raise ConfigError(f"{model}.hidden {cfg.hidden} must be divisible by heads {cfg.heads}")
    check_stages(config.train, ("generator", "renderer"))
