"""Builder functions: a recipe in, modules out. No registries, no subclass trees.

Each ``kind`` in the config maps to one constructor here; a new representation, generator or
renderer is one new file plus one line below.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from torch import nn

from regen.conditioning import Conditioner
from regen.config import RecipeConfig, from_dict, validate
from regen.contracts import Generator, Renderer, Representation, YSpec
from regen.errors import CheckpointError, ConfigError
from regen.pipeline import Pipeline, read_meta
from regen.training import checkpoint as ckpt

CONFIG_FILE = "config.yaml"


def build_representation(
    cfg: RecipeConfig,
    image_shape: tuple[int, int, int],
    feature_extractor: nn.Module | None = None,
) -> Representation:
    rep = cfg.representation
    _check_factor(rep.kind, rep.factor, image_shape)
    if rep.kind == "identity":
        from regen.representations.identity import IdentityRepresentation

        return IdentityRepresentation(image_shape)
    if rep.kind == "downsample":
        from regen.representations.downsample import DownsampleRepresentation

        return DownsampleRepresentation(image_shape, rep.factor)
    if rep.kind in ("ae", "vae"):
        from regen.representations.autoencoder import Autoencoder

        return Autoencoder(image_shape, rep, rep.kind == "vae", feature_extractor)
    from regen.representations.quantized import QuantizedAutoencoder

    return QuantizedAutoencoder(image_shape, rep, rep.kind, feature_extractor)


def build_generator(cfg: RecipeConfig, spec: YSpec, num_classes: int) -> Generator:
    if cfg.generator.kind == "diffusion":
        from regen.generators.diffusion import DiffusionGenerator

        return DiffusionGenerator(spec, cfg.generator, num_classes)
    from regen.generators.autoregressive import AutoregressiveGenerator

    return AutoregressiveGenerator(spec, cfg.generator, num_classes)


def build_renderer(
    cfg: RecipeConfig, representation: Representation, image_shape: tuple[int, int, int]
) -> Renderer:
    kind = cfg.renderer.kind
    if kind == "identity":
        from regen.renderers.identity import IdentityRenderer

        return IdentityRenderer(representation.spec)
    if kind == "super_resolution":
        from regen.renderers.super_resolution import SuperResolutionRenderer

        return SuperResolutionRenderer(image_shape, cfg.representation.factor, cfg.renderer.hidden)
    from regen.renderers.decoder import DecoderRenderer

    return DecoderRenderer(representation)


def build_pipeline(
    cfg: RecipeConfig,
    image_shape: tuple[int, int, int],
    class_names: list[str],
    feature_extractor: nn.Module | None = None,
) -> Pipeline:
    """An untrained pipeline for ``cfg``; the Y' spec is checked across the three stages."""
    representation = build_representation(cfg, image_shape, feature_extractor)
    generator = build_generator(cfg, representation.spec, len(class_names))
    renderer = build_renderer(cfg, representation, image_shape)
    conditioner = Conditioner(cfg.generator.condition, class_names)
    return Pipeline(representation, generator, renderer, conditioner=conditioner, name=cfg.name)


def load_run_config(folder: Path) -> RecipeConfig:
    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"{path} is missing; train the pipeline with: regen train <recipe>")
    try:
        data = yaml.safe_load(path.read_text()) or {}
        task = data.get("task", "image") if isinstance(data, dict) else "image"
        if task != "image":
            command = {"tts": "regen tts", "asr": "regen asr", "melody": "regen melody"}
            raise CheckpointError(
                f"{folder} holds a {task} pipeline, not an image one; "
                f"use {command.get(task, 'the command of that task')} with --run {folder}"
            )
        config = from_dict(RecipeConfig, data)
    except (yaml.YAMLError, UnicodeDecodeError, ConfigError) as exc:
        raise CheckpointError(f"{path} is not a valid regen config ({exc})") from exc
    validate(config)
    return config


def build_pipeline_from_run(folder: Path) -> Pipeline:
    """Rebuild a trained pipeline from its run folder and load every stage's weights."""
    meta = read_meta(folder)
    config = load_run_config(folder)
    image_shape = tuple(meta["image_shape"])
    pipeline = build_pipeline(config, image_shape, meta["class_names"])
    for stage, module in pipeline.modules().items():
        if stage in meta["trained_stages"]:
            ckpt.load_weights(module, Path(folder) / stage)
    return pipeline.eval()


def _check_factor(kind: str, factor: int, image_shape: tuple[int, int, int]) -> None:
    if kind == "identity":
        return
    side = image_shape[-1]
    if factor < 1 or factor & (factor - 1) or side % factor:
        raise ConfigError(
            f"representation.factor={factor} must be a power of two that divides the image "
            f"side {side}"
        )
