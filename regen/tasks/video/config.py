"""The video task's recipe: caption -> clip of moving glyphs (see regen/data/moving_glyphs.py).

Sections ``data``, ``representation``, ``generator``, ``train``, ``eval`` and ``compare``;
loading, overrides and the generic checks are :mod:`regen.config`.
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

TEXT_ENCODERS = ("learned", "words")  # caption bytes | hashed word ids (CaptionConditioner)


@dataclass
class VideoDataConfig:
    """Which clips: sizes, how many, how many glyphs per clip (see load_clips)."""

    frames: int = 16
    frame_size: int = 32  # 32, or 64 as a recipe option
    glyph_size: int = 12  # side of the glyph sprite in pixels
    max_objects: int = 1  # 1, or 2 for clips with one or two glyphs
    train_clips: int = 2000
    test_clips: int = 256  # half are the real reference, half are captions to generate
    holdout_fraction: float = 0.15  # fraction of fonts held out for the test split


@dataclass
class VideoRepresentationConfig:
    """Y -> Y'. ``vq3d``: 3-D conv VQ-VAE tokens; ``frame_vae``: the image VAE's latent per
    frame, stacked on the channel axis; ``identity``: pixels (the direct baseline)."""

    kind: str = "vq3d"  # vq3d | frame_vae | identity
    time_factor: int = 2  # frames per token along time
    space_factor: int = 4  # pixels per token along height and width
    hidden: int = 64
    latent_channels: int = 16  # code dimension (vq3d), latent channels per frame (frame_vae)
    kl_weight: float = 1e-4  # frame_vae only
    codebook_size: int = 256
    commitment_weight: float = 0.25
    dead_code_threshold: float = 2.0


@dataclass
class GeneratorConfig:
    """X (caption bytes) -> Y'. ``kind`` picks the file in ``regen/generators``."""

    kind: str = "autoregressive"  # autoregressive | masked | diffusion
    condition: str = "text"
    text_encoder: str = "learned"  # learned (caption bytes) | words (hashed word ids)
    pool: str = "mean"  # diffusion: caption tokens -> one vector by mean | attention
    # diffusion: the UNet's lowest level and middle block also cross-attend over the caption
    # tokens (diffusers UNet2DConditionModel); off keeps the UNet2DModel of older runs
    cross_attention: bool = False
    # diffusion: how the UNet sees a clip's frames: channels (stacked as the channels of one
    # 2-D image, the runs before the option) | space_time (a 3-D UNet sharing its 2-D layers
    # across frames, with temporal layers; regen/generators/space_time_unet.py)
    layout: str = "channels"
    # diffusion: the time + condition embedding scales and shifts each UNet resnet's
    # normalised features (AdaGN) instead of being added to them (off: the runs before it)
    time_scale_shift: bool = False
    # diffusion: training timesteps uniform (the runs before it) | logit_normal (the middle
    # noise levels most; regen/generators/diffusion.py)
    timestep_sampling: str = "uniform"
    hidden: int = 128
    depth: int = 4  # transformer layers, or UNet levels (diffusion)
    heads: int = 4
    dropout: float = 0.0
    cond_drop_prob: float = 0.1  # classifier-free guidance: X dropped this often in training
    guidance_scale: float = 2.0
    temperature: float = 1.0
    top_k: int = 0  # autoregressive
    top_p: float = 1.0  # autoregressive
    sampling_steps: int = 8  # masked decoding passes, or diffusion denoising steps
    choice_temperature: float = 2.0  # masked: confidence noise, annealed to 0
    num_train_timesteps: int = 1000  # diffusion
    prediction_type: str = "epsilon"  # diffusion: epsilon | v_prediction
    sampler: str = "ddim"  # diffusion: ddpm | ddim | dpm


@dataclass
class VideoStagesConfig:
    representation: TrainConfig = field(default_factory=TrainConfig)
    generator: TrainConfig = field(default_factory=TrainConfig)


@dataclass
class VideoEvalConfig:
    """What ``regen compare`` measures; the factor classifier is cached per data and steps."""

    classifier_steps: int = 600
    batch_size: int = 32  # sampling batch for evaluation and timing
    clips_in_report: int = 6
    fps: int = 10  # GIF stores delays in 10 ms units: 100 ms per frame is exact


@dataclass
class VideoRecipeConfig(RecipeHeader):
    task: str = "video"
    name: str = "video"
    data: VideoDataConfig = field(default_factory=VideoDataConfig)
    representation: VideoRepresentationConfig = field(default_factory=VideoRepresentationConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    train: VideoStagesConfig = field(default_factory=VideoStagesConfig)
    eval: VideoEvalConfig = field(default_factory=VideoEvalConfig)
    compare: CompareConfig = field(default_factory=CompareConfig)

    @property
    def is_direct(self) -> bool:
        return self.representation.kind == "identity"


CHOICES = {
    "representation.kind": ("vq3d", "frame_vae", "identity"),
    "generator.kind": ("autoregressive", "masked", "diffusion"),
    "generator.condition": ("text",),
    "generator.text_encoder": TEXT_ENCODERS,
    "generator.pool": POOLS,
    "generator.layout": ("channels", "space_time"),
    "generator.sampler": ("ddpm", "ddim", "dpm"),
    "generator.prediction_type": ("epsilon", "v_prediction"),
    "generator.timestep_sampling": ("uniform", "logit_normal"),
    "compare.budget": BUDGET_RULES,
}


def validate(config: VideoRecipeConfig) -> None:
    """What the types alone do not pin down; a ConfigError names the fix."""
    check_choices(config, CHOICES)
    check_stages(config.train, ("representation", "generator"))
    data = config.data
    if data.frames < 1 or data.frame_size not in (32, 64):
        raise ConfigError("data.frames must be positive and data.frame_size 32 or 64")
    if data.train_clips < 1 or data.test_clips < 4:
        raise ConfigError("data.train_clips must be positive and data.test_clips at least 4")
    check_unet_options(config.generator)  # so either UNet option implies kind diffusion
    if config.generator.layout == "space_time" and not config.generator.cross_attention:
        raise ConfigError(
            "generator.layout space_time is a diffusion UNet option that needs "
            "generator.cross_attention: true"
        )
    if config.generator.time_scale_shift and config.generator.layout != "channels":
        raise ConfigError(
            "generator.time_scale_shift is an option of the diffusion UNet with layout "
            "channels; set it false"
        )
    discrete = config.representation.kind == "vq3d"
    if discrete == (config.generator.kind == "diffusion"):
        raise ConfigError(
            "vq3d tokens need generator.kind autoregressive or masked; continuous Y' "
            "(representation.kind frame_vae or identity) needs generator.kind diffusion"
        )
