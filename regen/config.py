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

from regen.config_values import check_finite, check_train_ranges, float_literal, parse_override
from regen.errors import ConfigError


@dataclass
class DataConfig:
    """Which built-in dataset to use (see ``regen.data``)."""

    name: str = "glyphs"  # glyphs | emoji | digits
    image_size: int = 32
    max_items: int | None = None  # cap on training items (tiny configs in tests)
    holdout_fraction: float = 0.15  # fraction of fonts / emoji held out for evaluation
    # Fraction of training items whose X is used (RQ3): the generator, and the joint terms
    # that need X, see only these; every Y still trains the representation and renderer.
    paired_fraction: float = 1.0


@dataclass
class RepresentationConfig:
    """Y -> Y'. ``kind`` picks the file in ``regen/representations``."""

    kind: str = "vae"  # identity | downsample | ae | vae | vq | rvq | fsq
    factor: int = 4  # spatial downsampling factor (downsample, and the autoencoders)
    latent_channels: int = 4  # continuous latent channels / quantizer code dimension
    hidden: int = 64  # width of the encoder/decoder
    kl_weight: float = 1e-4  # vae only
    codebook_size: int = 256  # vq / rvq
    num_quantizers: int = 2  # rvq residual levels
    fsq_levels: list[int] = field(default_factory=lambda: [8, 5, 5, 5])  # fsq only
    commitment_weight: float = 0.25
    dead_code_threshold: float = 2.0  # vq/rvq: codes used fewer times per batch are replaced
    perceptual_weight: float = 0.0  # VQ-GAN style feature loss (needs the domain classifier)
    adversarial_weight: float = 0.0  # patch discriminator loss; 0 turns the GAN off
    adversarial_start: int = 0  # step at which the discriminator starts


@dataclass
class GeneratorConfig:
    """X -> Y'. ``kind`` picks the file in ``regen/generators``."""

    kind: str = "diffusion"  # diffusion | autoregressive
    condition: str = "class"  # class | text
    text_encoder: str = "learned"  # learned (byte-level transformer trained with the generator)
    hidden: int = 64
    depth: int = 2  # UNet levels (diffusion) or transformer layers (autoregressive)
    heads: int = 4
    dropout: float = 0.0
    cond_drop_prob: float = 0.1  # classifier-free guidance: probability of dropping X in training
    # diffusion
    num_train_timesteps: int = 1000
    prediction_type: str = "epsilon"  # epsilon | v_prediction
    sampler: str = "ddim"  # ddpm | ddim | dpm
    sampling_steps: int = 25
    guidance_scale: float = 2.0
    # autoregressive
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0


@dataclass
class RendererConfig:
    """Y' -> Y. ``decoder`` reuses the representation's decoder (trained with it)."""

    kind: str = "decoder"  # decoder | identity | super_resolution
    hidden: int = 64


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


@dataclass
class JointConfig:
    """Weights of the four terms of the paper's Eq. 1 (``train.mode: joint``).

    L = w_rec (-log P(Y|Y')) + w_xy ||X' - f_Y'(Y')||^2 + w_yx ||Y' - f_X'(X')||^2
        + w_rx (-log P(Y|f_X'(X'))), with Y' = f_Y(Y), X' = f_X(X); see regen/training/joint.py.
    """

    reconstruction_weight: float = 1.0  # -log P(Y|Y'): every item, paired or not
    x_from_y_weight: float = 1.0  # ||X' - f_Y'(Y')||^2: paired items only
    y_from_x_weight: float = 1.0  # ||Y' - f_X'(X')||^2: paired items only
    render_from_x_weight: float = 1.0  # -log P(Y|f_X'(X')): paired items only
    source_dim: int = 64  # width of X' = f_X(X)
    mapping_hidden: int = 128  # width of the two mapping networks f_Y' and f_X'


@dataclass
class StagesConfig:
    """Training settings per stage; stages that have nothing to learn are skipped.

    ``mode``: ``cascaded`` trains the representation on Y alone, then the generator;
    ``joint`` trains the representation with the paper's Eq. 1 (paired and unpaired data,
    with the ``representation`` stage's settings), then the usual X -> Y' generator.
    """

    representation: TrainConfig = field(default_factory=TrainConfig)
    generator: TrainConfig = field(default_factory=TrainConfig)
    renderer: TrainConfig = field(default_factory=TrainConfig)
    mode: str = "cascaded"  # cascaded | joint
    joint: JointConfig = field(default_factory=JointConfig)


@dataclass
class EvalConfig:
    """What ``regen eval`` and ``regen compare`` measure."""

    num_samples: int = 360  # generated images for FID/KID/accuracy (also timed)
    classifier_steps: int = 600  # training steps of the domain classifier (cached)
    samples_per_class_in_grid: int = 4  # taken from the evaluation samples
    batch_size: int = 64  # sampling batch size for evaluation and timing


@dataclass
class CompareConfig:
    """How ``regen compare`` makes the direct baseline's budget equal to the regen one."""

    # samples: same optimizer steps x batch size summed over the stages that learn.
    # seconds: same training wall-clock; the baseline's steps are set from a timed probe.
    budget: str = "samples"


@dataclass
class RecipeHeader:
    """The fields every task's recipe starts with (each task redeclares ``task`` and ``name``)."""

    task: str = "image"  # see regen/tasks.py; image recipes may leave it out
    name: str = "recipe"
    seed: int = 0
    output_dir: str = "runs/{name}"
    baseline: str | None = None  # recipe file of the direct baseline, relative to this one

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir.format(name=self.name))


@dataclass
class RecipeConfig(RecipeHeader):
    """One runnable experiment: a pipeline, its training, its evaluation."""

    data: DataConfig = field(default_factory=DataConfig)
    representation: RepresentationConfig = field(default_factory=RepresentationConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    renderer: RendererConfig = field(default_factory=RendererConfig)
    train: StagesConfig = field(default_factory=StagesConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    compare: CompareConfig = field(default_factory=CompareConfig)

    @property
    def is_direct(self) -> bool:
        return self.representation.kind == "identity"


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
    from regen.tasks import get_task

    path = resolve_recipe_path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path} is not valid YAML ({exc.__class__.__name__}); fix the syntax"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a mapping of config keys, got {type(data).__name__}")
    data = apply_overrides(data, overrides or [])
    task = get_task(str(data.get("task", "image")))
    config = from_dict(task.load("config"), data)
    task.load("validate")(config)
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


CHOICES = {
    "data.name": ("glyphs", "emoji", "digits"),
    "representation.kind": ("identity", "downsample", "ae", "vae", "vq", "rvq", "fsq"),
    "generator.kind": ("diffusion", "autoregressive"),
    "generator.condition": ("class", "text"),
    "generator.text_encoder": ("learned",),
    "generator.sampler": ("ddpm", "ddim", "dpm"),
    "generator.prediction_type": ("epsilon", "v_prediction"),
    "renderer.kind": ("decoder", "identity", "super_resolution"),
    "compare.budget": ("samples", "seconds"),
    "train.mode": ("cascaded", "joint"),
}


def check_stages(train: Any, stages: tuple[str, ...]) -> None:
    """Check the :class:`TrainConfig` of each named stage; every task's ``validate`` uses it."""
    for stage in stages:
        cfg = getattr(train, stage)
        if cfg.precision not in ("fp32", "bf16"):
            raise ConfigError(f"'train.{stage}.precision' must be fp32 or bf16")
        if cfg.steps < 0 or cfg.batch_size < 1 or cfg.lr <= 0:
            raise ConfigError(f"'train.{stage}' needs steps >= 0, batch_size >= 1 and lr > 0")
        check_train_ranges(cfg, f"train.{stage}")


def check_choices(config: Any, choices: dict[str, tuple[str, ...]]) -> None:
    """Every ``"section.key"`` of ``choices`` holds one of its allowed values (any task)."""
    for dotted, allowed in choices.items():
        section, key = dotted.split(".")
        value = getattr(getattr(config, section), key)
        if value not in allowed:
            raise ConfigError(f"'{dotted}' is {value!r}; choose one of: {', '.join(allowed)}")


def validate(config: RecipeConfig) -> None:
    """Check the values that the types alone do not pin down."""
    check_choices(config, CHOICES)
    check_stages(config.train, ("representation", "generator", "renderer"))
    rep, ren = config.representation.kind, config.renderer.kind
    if not 0.0 < config.data.paired_fraction <= 1.0:
        raise ConfigError(
            f"'data.paired_fraction' is {config.data.paired_fraction}; use a value in (0, 1]"
        )
    if config.train.mode == "joint" and rep not in ("ae", "vae"):
        raise ConfigError(
            f"train.mode joint needs a continuous learned Y' (representation.kind ae or vae), "
            f"not {rep}; or set train.mode: cascaded"
        )
    if rep == "identity" and ren != "identity":
        raise ConfigError(
            "a direct recipe (representation.kind: identity) needs renderer.kind: identity"
        )
    if rep in ("ae", "vae", "vq", "rvq", "fsq") and ren not in ("decoder",):
        raise ConfigError(
            f"representation.kind {rep} renders through its decoder: set renderer.kind: decoder"
        )
    if rep == "downsample" and ren not in ("super_resolution", "decoder"):
        raise ConfigError(
            "representation.kind downsample needs renderer.kind super_resolution or decoder"
        )
    discrete = rep in ("vq", "rvq", "fsq")
    gen = config.generator.kind
    if discrete and gen != "autoregressive":
        raise ConfigError(f"discrete Y' ({rep}) needs generator.kind: autoregressive")
    if not discrete and gen == "autoregressive":
        raise ConfigError(
            f"generator.kind autoregressive needs discrete Y' (vq, rvq or fsq), not {rep}"
        )


def dump_yaml(config: Any) -> str:
    return yaml.safe_dump(to_dict(config), sort_keys=False)
