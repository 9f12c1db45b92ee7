"""The image task's recipe: class or caption -> image (glyphs, emoji, digits).

Sections ``data``, ``representation``, ``generator``, ``renderer``, ``train``, ``eval`` and
``compare``; the generic loading, overrides and checks are :mod:`regen.config`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from regen.compare.budget import RULES as BUDGET_RULES
from regen.config import (
    CompareConfig,
    RecipeHeader,
    TrainConfig,
    check_choices,
    check_stages,
    check_unet_options,
)
from regen.errors import ConfigError
from regen.modules.condition import POOLS


@dataclass
class DataConfig:
    """Which dataset to use: a built-in one (``name``) or the user's own (``source``)."""

    name: str = "glyphs"  # glyphs | emoji | digits (used when source is unset)
    # A folder of images (metadata.csv/jsonl with file_name + label or text, or one subfolder
    # per class) or a saved Hugging Face dataset; prepared once into a store in the cache.
    # See docs/data.md, "Train and compare on your own images".
    source: str | None = None
    strict: bool = False  # source: stop at the first bad item instead of skipping it
    channels: int | None = None  # source: 1 or 3; null = 1 if every image is grayscale
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

    kind: str = "diffusion"  # diffusion | autoregressive | masked (MaskGIT, discrete Y')
    condition: str = "class"  # class | text
    text_encoder: str = "learned"  # learned (byte-level transformer trained with the generator)
    pool: str = "mean"  # diffusion: condition tokens -> one vector by mean | attention
    # diffusion: a UNet2DConditionModel that also cross-attends over the condition tokens
    # (off: the UNet2DModel that runs saved before the option hold)
    cross_attention: bool = False
    # the video task's frame layout (regen/generators/space_time_unet.py); an image has no
    # frames, so only the default is accepted here
    layout: str = "channels"
    # diffusion: the time + condition embedding scales and shifts each UNet resnet's
    # normalised features (AdaGN) instead of being added to them (off: the runs before it)
    time_scale_shift: bool = False
    # diffusion: training timesteps uniform (the runs before it) | logit_normal (the middle
    # noise levels most; regen/generators/diffusion.py)
    timestep_sampling: str = "uniform"
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
    # autoregressive and masked (masked uses sampling_steps as its decoding passes)
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    choice_temperature: float = 2.0  # masked: confidence noise, annealed to 0


@dataclass
class RendererConfig:
    """Y' -> Y. ``decoder`` reuses the representation's decoder (trained with it)."""

    kind: str = "decoder"  # decoder | identity | super_resolution
    hidden: int = 64


@dataclass
class JointConfig:
    """Weights of the four terms of the paper's Eq. 1 (``train.mode: joint``).

    L = w_rec (-log P(Y|Y')) + w_xy ||X' - f_Y'(Y')||^2 + w_yx ||Y' - f_X'(X')||^2
        + w_rx (-log P(Y|f_X'(X'))), with Y' = f_Y(Y), X' = f_X(X); see regen/tasks/image/joint.py.
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


CHOICES = {
    "data.name": ("glyphs", "emoji", "digits"),
    "representation.kind": ("identity", "downsample", "ae", "vae", "vq", "rvq", "fsq"),
    "generator.kind": ("diffusion", "autoregressive", "masked"),
    "generator.condition": ("class", "text"),
    "generator.text_encoder": ("learned",),
    "generator.pool": POOLS,
    "generator.sampler": ("ddpm", "ddim", "dpm"),
    "generator.prediction_type": ("epsilon", "v_prediction"),
    "generator.timestep_sampling": ("uniform", "logit_normal"),
    "renderer.kind": ("decoder", "identity", "super_resolution"),
    "compare.budget": BUDGET_RULES,
    "train.mode": ("cascaded", "joint"),
}


def validate(config: RecipeConfig) -> None:
    """Check the values that the types alone do not pin down."""
    check_choices(config, CHOICES)
    check_stages(config.train, ("representation", "generator", "renderer"))
    check_unet_options(config.generator)
    if config.generator.layout != "channels":
        raise ConfigError(
            f"generator.layout is {config.generator.layout!r}; images have no frames, use channels"
        )
    rep, ren = config.representation.kind, config.renderer.kind
    if not 0.0 < config.data.paired_fraction <= 1.0:
        raise ConfigError(
            f"'data.paired_fraction' is {config.data.paired_fraction}; use a value in (0, 1]"
        )
    if config.data.channels not in (None, 1, 3):
        raise ConfigError(f"'data.channels' is {config.data.channels}; use 1, 3 or null")
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
    if discrete and gen == "diffusion":
        raise ConfigError(f"discrete Y' ({rep}) needs generator.kind: autoregressive or masked")
    if not discrete and gen != "diffusion":
        raise ConfigError(f"generator.kind {gen} needs discrete Y' (vq, rvq or fsq), not {rep}")
