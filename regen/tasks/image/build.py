"""Builder functions: a recipe in, modules out. No registries, no subclass trees.

Each ``kind`` in the config maps to one constructor here; a new representation, generator or
renderer is one new file plus one line below.
"""

from __future__ import annotations

from torch import nn

from regen.contracts import Generator, Renderer, Representation, YSpec
from regen.errors import ConfigError
from regen.generators.autoregressive import AutoregressiveGenerator
from regen.generators.diffusion import DiffusionGenerator
from regen.generators.masked import MaskedTokenGenerator
from regen.pipeline import Pipeline
from regen.renderers.decoder import DecoderRenderer
from regen.renderers.identity import IdentityRenderer
from regen.renderers.super_resolution import SuperResolutionRenderer
from regen.representations.autoencoder import Autoencoder
from regen.representations.downsample import DownsampleRepresentation
from regen.representations.identity import IdentityRepresentation, pixel_spec
from regen.representations.quantized import QuantizedAutoencoder
from regen.tasks.image.conditioning import Conditioner
from regen.tasks.image.config import RecipeConfig


def build_representation(
    cfg: RecipeConfig,
    image_shape: tuple[int, int, int],
    feature_extractor: nn.Module | None = None,
) -> Representation:
    rep = cfg.representation
    _check_factor(rep.kind, rep.factor, image_shape)
    if rep.kind == "identity":
        return IdentityRepresentation(pixel_spec(image_shape))
    if rep.kind == "downsample":
        return DownsampleRepresentation(image_shape, rep.factor)
    if rep.kind in ("ae", "vae"):
        return Autoencoder(image_shape, rep, rep.kind == "vae", feature_extractor)

    return QuantizedAutoencoder(image_shape, rep, rep.kind, feature_extractor)


def build_generator(cfg: RecipeConfig, spec: YSpec, num_classes: int) -> Generator:
    if cfg.generator.kind == "diffusion":
        return DiffusionGenerator(spec, cfg.generator, num_classes)
    if cfg.generator.kind == "masked":
        return MaskedTokenGenerator(spec, cfg.generator, num_classes)

    return AutoregressiveGenerator(spec, cfg.generator, num_classes)


def build_renderer(
    cfg: RecipeConfig, representation: Representation, image_shape: tuple[int, int, int]
) -> Renderer:
    kind = cfg.renderer.kind
    if kind == "identity":
        return IdentityRenderer(representation.spec)
    if kind == "super_resolution":
        return SuperResolutionRenderer(image_shape, cfg.representation.factor, cfg.renderer.hidden)

    return DecoderRenderer(representation)


def build_pipeline(
    cfg: RecipeConfig,
    image_shape: tuple[int, int, int],
    class_names: list[str],
    feature_extractor: nn.Module | None = None,
) -> Pipeline:
    """An untrained pipeline for ``cfg``; the Y' spec is checked across the three stages."""
    conditioner = Conditioner(cfg.generator.condition, class_names)
    if cfg.is_direct:
        generator = build_generator(cfg, pixel_spec(image_shape), len(class_names))
        return Pipeline.direct(generator, conditioner=conditioner, name=cfg.name)
    representation = build_representation(cfg, image_shape, feature_extractor)
    generator = build_generator(cfg, representation.spec, len(class_names))
    renderer = build_renderer(cfg, representation, image_shape)
    return Pipeline(representation, generator, renderer, conditioner=conditioner, name=cfg.name)


def build(config: RecipeConfig, meta: dict) -> Pipeline:
    """The untrained pipeline of a saved run (``pipeline.json`` holds shape and classes)."""
    return build_pipeline(config, tuple(meta["image_shape"]), meta["class_names"])


def _check_factor(kind: str, factor: int, image_shape: tuple[int, int, int]) -> None:
    if kind == "identity":
        return
    side = image_shape[-1]
    if factor < 1 or factor & (factor - 1) or side % factor:
        raise ConfigError(
            f"representation.factor={factor} must be a power of two that divides the image "
            f"side {side}"
        )
