"""The continuous Y' that ``regen study discrete`` sets against the sound codec's tokens.

    caption ─▶ X ─DiffusionGenerator (2-D UNet)─▶ mel-VAE latent [1, C, F'] ─MelVAE decoder─▶
        log-mel ─the recipe's renderer (Griffin-Lim or vocoder)─▶ waveform

Why this one: the sound task has no continuous Y' of its own, and regen has two continuous
mel generators. The TTS flow-matching decoder needs a phoneme encoder and durations (an
alignment a caption does not give), so it does not fit; the diffusion generator does, with
the learned byte-level caption encoder the codes LM uses. The mel-VAE
(:mod:`regen.representations.mel_vae`) is built from the same frame-rate conv encoder and
decoder (:mod:`regen.modules.mel_autoencoder`) as the codec (:class:`MelRVQ`), at the
recipe's ``latent_channels``, ``hidden`` and ``layers``: the two Y' differ only in the
bottleneck, Q tokens of log2 K bits per frame vs C Gaussian floats per frame. Both train
with the recipe's ``train.*`` steps and batch sizes (the same budget in training samples),
and both render through the recipe's same mel renderer (:func:`mel_renderer`).

The UNet is 2-D, so the latent [C, F] is laid out as a one-channel C x F image, its frames
padded (edge-replicated) to a multiple of ``2 ** (UNET_DEPTH - 1)``; ``decode_mel`` crops
them again. ``kl_weight`` is the TTS mel-VAE's default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from regen.contracts import LossOutput, YSpec
from regen.errors import ConfigError
from regen.generators.diffusion import DiffusionGenerator
from regen.pipeline import Pipeline
from regen.renderers.latent_mel import LatentMelRenderer
from regen.representations.mel_vae import MelVAE
from regen.runs import write_config
from regen.tasks.sound.build import CaptionConditioner, clip_frames, mel_of, mel_renderer
from regen.tasks.sound.config import SoundRecipeConfig
from regen.tasks.sound.train import crops, encode_clips, load_sound_data
from regen.training.run_stages import RunStages

UNET_DEPTH = 3  # UNet levels: C and F' are halved twice
KL_WEIGHT = 1e-3


@dataclass(frozen=True)
class VAESettings:
    """What :class:`MelVAE` reads, taken from the codec's section of the recipe."""

    latent_channels: int
    hidden: int
    layers: int
    kl_weight: float = KL_WEIGHT


@dataclass(frozen=True)
class DiffusionSettings:
    """What :class:`DiffusionGenerator` and its caption encoder read; the widths, heads,
    dropout, guidance and caption dropout are the recipe's ``generator`` section's."""

    hidden: int
    heads: int
    dropout: float
    cond_drop_prob: float
    guidance_scale: float
    depth: int = UNET_DEPTH
    condition: str = "text"
    text_encoder: str = "learned"
    pool: str = "mean"
    cross_attention: bool = False
    layout: str = "channels"  # a mel latent has no frames axis to share the UNet across
    time_scale_shift: bool = False  # the embedding is added to the resnets' features
    timestep_sampling: str = "uniform"  # training timesteps drawn uniformly
    num_train_timesteps: int = 1000
    prediction_type: str = "epsilon"
    sampler: str = "ddim"
    sampling_steps: int = 25


class GridMelLatent(nn.Module):
    """Waveforms [B, T] <-> calibrated mel-VAE latents as images [B, 1, C, F'] (F' >= F)."""

    trainable = True

    def __init__(self, vae: MelVAE, frames: int, multiple: int) -> None:
        super().__init__()
        self.vae = vae
        self.mel = vae.mel
        self.frames = frames
        self.padded = math.ceil(frames / multiple) * multiple
        channels = vae.spec.shape[0]
        self.spec = YSpec(
            "continuous",
            (1, channels, self.padded),
            downsampling=self.mel.hop,
            name=f"mel-vae latent {channels}x{self.padded} (one-channel image)",
        )

    def encode(self, y: torch.Tensor) -> torch.Tensor:
        z = self.vae.encode(y)[..., : self.frames]
        z = F.pad(z, (0, self.padded - z.shape[-1]), mode="replicate")
        return z[:, None]

    def decode_mel(self, y_prime: torch.Tensor) -> torch.Tensor:
        return self.vae.decode_mel(y_prime[:, 0, :, : self.frames])

    def decode(self, y_prime: torch.Tensor) -> torch.Tensor:
        return self.mel.decode(self.decode_mel(y_prime))

    def training_loss(self, batch: dict[str, torch.Tensor]) -> LossOutput:
        return self.vae.training_loss(batch)


def build_continuous(config: SoundRecipeConfig) -> Pipeline:
    """The untrained continuous-Y' pipeline of a codec recipe (see the module docstring)."""
    if config.is_direct:
        raise ConfigError(
            "the continuous sound Y' is built from a codec recipe, not the direct one"
        )
    torch.manual_seed(config.seed)
    rep, gen = config.representation, config.generator
    multiple = 2 ** (UNET_DEPTH - 1)
    if rep.latent_channels % multiple:
        raise ConfigError(
            f"representation.latent_channels {rep.latent_channels} must be a multiple of "
            f"{multiple} for the continuous Y' (its UNet halves the latent {UNET_DEPTH - 1} times)"
        )
    mel = mel_of(config)
    vae = MelVAE(mel, VAESettings(rep.latent_channels, rep.hidden, rep.layers))
    latent = GridMelLatent(vae, clip_frames(config), multiple)
    settings = DiffusionSettings(
        gen.hidden,
        gen.heads,
        gen.dropout,
        gen.cond_drop_prob,
        gen.guidance_scale,
        text_encoder=gen.text_encoder,
    )
    generator = DiffusionGenerator(latent.spec, settings, num_classes=0)
    renderer = LatentMelRenderer(latent.spec, latent.decode_mel, mel_renderer(config, mel))
    name = f"{config.name}_continuous"
    conditioner = CaptionConditioner(gen.text_encoder)
    return Pipeline(latent, generator, renderer, conditioner=conditioner, name=name)


def train_continuous(config: SoundRecipeConfig, run_dir: Path) -> tuple[Pipeline, float]:
    """Train the stages as the codec pipeline's (resuming): the mel-VAE and a learned renderer
    on unpaired crops, the generator on (caption, encode(clip)); returns it and its seconds."""
    data = load_sound_data(config)
    pipeline = build_continuous(config)
    stages = RunStages(config.train, Path(run_dir), write_config(run_dir, config), True, False)
    unpaired = crops(config, data.train)
    stages.fit("representation", pipeline.representation, unpaired)
    pipeline.representation.eval()
    # unit-variance latents, as the image VAE and latent diffusion (deterministic on resume)
    pipeline.representation.vae.calibrate(data.train.audio)
    tensors = {
        "x": pipeline.conditioner.encode(data.train.captions),
        "y_prime": encode_clips(pipeline, data.train.audio),
    }
    stages.fit("generator", pipeline.generator, tensors)
    if pipeline.renderer.trainable:  # Griffin-Lim has nothing to learn
        stages.fit("renderer", pipeline.renderer, unpaired)
    return pipeline.eval(), sum(r.seconds for r in stages.results)
