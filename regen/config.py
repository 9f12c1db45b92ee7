"""Recipes as data: dataclasses loaded from YAML, overridable as ``key.sub=value``.

A recipe describes one pipeline (representation, generator, renderer), how long to train
each stage, and what to evaluate. The resolved config is printed at start and saved beside
every checkpoint, so a folder of weights always says how it was made.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from regen.compare.budget import VIEWS
from regen.config_values import check_finite, check_train_ranges, float_literal, parse_override
from regen.errors import ConfigError
from regen.tasks import get_task


@dataclass
class TrainConfig:
    """One stage's optimisation. Steps count optimizer updates of ``batch_size`` items."""

    steps: int = 1000
    batch_size: int = 64
    lr: float = 2e-4
    weight_decay: float = 0.0
    warmup_steps: int = 50
    grad_clip: float = 1.0
    ema_decay: float = 0.999  # 0 disables EMA
    precision: str = "fp32"  # fp32 | bf16
    log_every: int = 25
    checkpoint_every: int = 200
    eval_every: int = 0  # 0 disables the periodic evaluation hook
    seed: int = 0
    # processes reading the coming batches during each step (regen/training/batches.py): for
    # data streamed from a store on disk; the batches are the same whatever the number
    workers: int = 0


@dataclass
class CompareConfig:
    """How ``regen compare`` makes the direct baseline's budget equal to the regen one."""

    # samples | steps | seconds: the rule of regen/compare/budget.py, the same for every task
    budget: str = "samples"
    # With budget: seconds, the baseline's generator steps measured once on a quiet machine
    # (the command that measured them goes beside the value in the recipe); None: probe live.
    calibrated_steps: int | None = None
    # the budget views whose baselines are trained (regen/compare/budget.py VIEWS): both by
    # default; one of them halves the baselines' cost (e.g. extra seeds of a headline row)
    views: list[str] = field(default_factory=lambda: ["equal_paired", "equal_total"])


@dataclass
class RecipeHeader:
    """The fields every task's recipe starts with (each task redeclares ``task`` and ``name``)."""

    task: str = "image"  # see regen/tasks.py; image recipes may leave it out
    name: str = "recipe"
    seed: int = 0
    output_dir: str = "runs/{name}"
    baseline: str | None = None  # recipe file of the direct baseline, relative to this one
    # true: the renderer comes from `regen pretrain` (trained once on all unpaired data,
    # cached, reused; regen/training/renderer_assets.py) instead of being trained in the run
    pretrained_renderer: bool = False

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir.format(name=self.name))


# --------------------------------------------------------------------------- loading


def from_dict(cls: type, data: dict[str, Any], where: str = "") -> Any:
    """Build dataclass ``cls`` from a nested dict, checking keys and types."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'recipe'} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else key
        if key not in known:
            raise ConfigError(
                f"unknown config key '{path}'; valid keys here: {', '.join(sorted(known))}"
            )
        kwargs[key] = _coerce(hints[key], value, path)
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, path: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value or {}, path)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(arg, value, path)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0])
    if origin is list:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"'{path}' must be a list, got {value!r}")
        return [_coerce(args[0], v, f"{path}[{i}]") for i, v in enumerate(value)]
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return check_finite(float(value), path)
    if hint is float and float_literal(value) is not None:  # "1e-4": text to YAML 1.1
        return check_finite(float_literal(value), path)
    if hint in (int, str, bool) and type(value) is hint:
        return value
    raise ConfigError(
        f"'{path}' must be {getattr(hint, '__name__', hint)}, got {value!r} "
        f"({type(value).__name__})"
    )


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` strings (values parsed as YAML) to a nested dict."""
    for item in overrides:
        parts, value = parse_override(item)
        key = ".".join(parts)
        node = data
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override '{key}': '{part}' is not a section")
            node = child
        node[parts[-1]] = value
    return data


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Any:
    """Load a recipe YAML file, apply overrides and validate it.

    The recipe's ``task`` (default ``image``) picks the dataclass and the checks; see
    :mod:`regen.tasks`. Image recipes load into :class:`RecipeConfig`.
    """
    path = resolve_recipe_path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path} is not valid YAML ({exc.__class__.__name__}); fix the syntax"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a mapping of config keys, got {type(data).__name__}")
    return config_from_data(apply_overrides(data, overrides or []))


def config_from_data(data: dict[str, Any]) -> Any:
    """A recipe mapping loaded into its task's dataclass (``task``, default ``image``) and
    validated; a ConfigError names what is wrong."""
    task = get_task(str(data.get("task", "image")))
    config = from_dict(task.load("config"), data)
    task.load("validate")(config)
    unknown = set(config.compare.views) - set(VIEWS)
    if unknown or not config.compare.views:
        raise ConfigError(
            f"'compare.views' is {config.compare.views}; list one or both of {', '.join(VIEWS)}"
        )
    if config.pretrained_renderer and task.pretrain is None:
        raise ConfigError(
            f"pretrained_renderer: true, but task '{task.name}' has no renderer to pretrain "
            "on its own; remove the line"
        )
    return config


def load_with_baseline(recipe: str | Path, overrides: list[str]) -> tuple[Any, Any]:
    """A regeneration recipe and the direct baseline its ``baseline:`` names (any task).

    Both get the same overrides. Each task's compare then sets the baseline's budget.
    """
    path = resolve_recipe_path(recipe)
    regen_cfg = load_recipe(path, overrides)
    if regen_cfg.is_direct:
        raise ConfigError(f"{path} is a direct recipe; compare the regeneration recipe instead")
    if not regen_cfg.baseline:
        raise ConfigError(f"{path} names no baseline; add 'baseline: <direct recipe>.yaml'")
    try:
        direct_cfg = load_recipe(path.parent / regen_cfg.baseline, overrides)
    except ConfigError as exc:  # the overrides may fit the regeneration recipe only
        raise ConfigError(
            f"baseline {regen_cfg.baseline}: {exc} (command-line overrides apply to both "
            "recipes of a compare; edit the regeneration recipe's YAML for its own settings)"
        ) from None
    if not direct_cfg.is_direct or direct_cfg.task != regen_cfg.task:
        raise ConfigError(
            f"baseline {regen_cfg.baseline} is not a direct {regen_cfg.task} recipe "
            "(its representation must be the identity of this task)"
        )
    return regen_cfg, direct_cfg


def resolve_recipe_path(path: str | Path) -> Path:
    """Accept a path, or a recipe name such as ``image/glyphs_latent_diffusion``."""
    candidate = Path(path)
    if candidate.is_file():
        return candidate
    root = Path(__file__).resolve().parent.parent / "recipes"
    for guess in (root / candidate, root / f"{candidate}.yaml"):
        if guess.is_file():
            return guess
    known = sorted(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.yaml"))
    raise ConfigError(f"no recipe '{path}'; known recipes: {', '.join(known) or 'none'}")


def check_stages(train: Any, stages: tuple[str, ...]) -> None:
    """Check the :class:`TrainConfig` of each named stage; every task's ``validate`` uses it."""
    for stage in stages:
        cfg = getattr(train, stage)
        if cfg.precision not in ("fp32", "bf16"):
            raise ConfigError(f"'train.{stage}.precision' must be fp32 or bf16")
        if cfg.steps < 0 or cfg.batch_size < 1 or cfg.lr <= 0:
            raise ConfigError(f"'train.{stage}' needs steps >= 0, batch_size >= 1 and lr > 0")
        check_train_ranges(cfg, f"train.{stage}")


def check_unet_options(generator: Any) -> None:
    """``generator.cross_attention`` and ``generator.time_scale_shift`` are options of the
    diffusion UNet only (image, video): a transformer generator would train without them."""
    if generator.kind == "diffusion":
        return
    if generator.cross_attention:
        raise ConfigError(
            "generator.cross_attention is a diffusion UNet option; the autoregressive and "
            "masked transformers already read every caption token (set it false)"
        )
    if generator.time_scale_shift:
        raise ConfigError(
            "generator.time_scale_shift is a diffusion UNet option; the autoregressive and "
            "masked transformers have no resnets to scale (set it false)"
        )


def check_choices(config: Any, choices: dict[str, tuple[str, ...]]) -> None:
    """Every ``"section.key"`` of ``choices`` holds one of its allowed values (any task)."""
    for dotted, allowed in choices.items():
        section, key = dotted.split(".")
        value = getattr(getattr(config, section), key)
        if value not in allowed:
            raise ConfigError(f"'{dotted}' is {value!r}; choose one of: {', '.join(allowed)}")


def dump_yaml(config: Any) -> str:
    return yaml.safe_dump(to_dict(config), sort_keys=False)
