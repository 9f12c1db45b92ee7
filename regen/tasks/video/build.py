"""A video recipe in, an untrained pipeline out (one constructor per ``kind``)."""

from __future__ import annotations

from regen.contracts import Generator, YSpec
from regen.generators.autoregressive import AutoregressiveGenerator
from regen.generators.diffusion import DiffusionGenerator
from regen.generators.masked import MaskedTokenGenerator
from regen.pipeline import Pipeline
from regen.renderers.decoder import DecoderRenderer
from regen.representations.frame_latent import FrameVAE
from regen.representations.video_vq import VideoVQ
from regen.tasks.video.config import VideoRecipeConfig
from regen.tasks.video.data import CaptionConditioner


def pixel_clip_spec(clip_shape: tuple[int, int, int]) -> YSpec:
    """Y' = Y: grayscale clips ``[T, H, W]`` in [-1, 1] (frames on the channel axis)."""
    frames, height, width = clip_shape
    return YSpec(
        kind="continuous",
        shape=(frames, height, width),
        value_range=(-1.0, 1.0),
        name=f"pixels {frames} frames x {height}x{width}",
    )


def build_generator(config: VideoRecipeConfig, spec: YSpec) -> Generator:
    kind = config.generator.kind
    if kind == "diffusion":
        # generator.layout: frames stacked as the channels of a 2-D UNet, or a 3-D UNet over
        # them (space_time); docs/video.md
        return DiffusionGenerator(spec, config.generator, num_classes=0, frames=config.data.frames)
    if kind == "masked":
        return MaskedTokenGenerator(spec, config.generator, num_classes=0)
    return AutoregressiveGenerator(spec, config.generator, num_classes=0, leading_levels=False)


def build_pipeline(config: VideoRecipeConfig, clip_shape: tuple[int, int, int]) -> Pipeline:
    """regen: caption -> tokens (AR or masked) -> 3-D VQ decoder, or caption -> per-frame
    VAE latents (latent diffusion) -> the VAE decoder frame by frame;
    direct: caption -> pixel diffusion (Pipeline.direct)."""
    conditioner = CaptionConditioner(config.data.max_objects, config.generator.text_encoder)
    if config.is_direct:
        generator = build_generator(config, pixel_clip_spec(clip_shape))
        return Pipeline.direct(generator, conditioner=conditioner, name=config.name)
    if config.representation.kind == "frame_vae":
        representation = FrameVAE(clip_shape, config.representation)
    else:
        representation = VideoVQ(clip_shape, config.representation)
    generator = build_generator(config, representation.spec)
    renderer = DecoderRenderer(representation)
    return Pipeline(representation, generator, renderer, conditioner=conditioner, name=config.name)


def build(config: VideoRecipeConfig, meta: dict) -> Pipeline:
    """The untrained pipeline of a saved run (``pipeline.json`` holds the clip shape)."""
    return build_pipeline(config, tuple(meta["clip_shape"]))
