"""The untrained pipeline of a toy recipe: regeneration, or the direct baseline."""

from __future__ import annotations

from regen.pipeline import Pipeline
from regen.renderers.decoder import DecoderRenderer
from regen.representations.downsample import DownsampleRepresentation
from regen.representations.identity import pixel_spec

from .config import ToyRecipeConfig
from .model import ClassRegressor


def build(config: ToyRecipeConfig, meta: dict | None = None) -> Pipeline:
    """Every shape comes from the recipe, so ``meta`` (the run's pipeline.json) is unused.

    regen:  class -> ClassRegressor -> Y' (pattern pooled by ``factor``) -> bilinear upsampling
    direct: class -> ClassRegressor -> pattern (Pipeline.direct: identity Y')
    """
    shape = (1, config.data.size, config.data.size)
    classes, hidden = config.data.classes, config.generator.hidden
    if config.is_direct:
        return Pipeline.direct(ClassRegressor(pixel_spec(shape), classes, hidden), name=config.name)
    representation = DownsampleRepresentation(shape, config.representation.factor)
    generator = ClassRegressor(representation.spec, classes, hidden)
    # the representation's own decode is the renderer: nothing to train
    return Pipeline(representation, generator, DecoderRenderer(representation), name=config.name)
