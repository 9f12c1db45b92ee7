"""``generator.time_scale_shift``: the UNet's resnets scale and shift their normalised features
by the time + condition embedding (AdaGN) instead of adding it; off by default, so image
recipes and saved runs keep their UNet and its weights."""

from __future__ import annotations

import pytest
import torch

from regen.config import load_recipe
from regen.contracts import YSpec
from regen.errors import ConfigError
from regen.generators.diffusion import DiffusionGenerator
from regen.tasks.image.config import GeneratorConfig as ImageGeneratorConfig
from regen.tasks.video.config import GeneratorConfig
from tests.asr_tiny import one_thread  # noqa: F401  (autouse fixture)

SPEC = YSpec(kind="continuous", shape=(4, 8, 8), value_range=None, name="latents")


def shapes(generator: DiffusionGenerator) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in generator.state_dict().items()}


@pytest.mark.parametrize("cross_attention", [False, True])
def test_scale_shift_doubles_each_resnets_embedding_projection(cross_attention):
    base = {"kind": "diffusion", "hidden": 16, "depth": 2, "heads": 2, "text_encoder": "words"}
    base["cross_attention"] = cross_attention
    off = DiffusionGenerator(SPEC, GeneratorConfig(**base), 0)
    on = DiffusionGenerator(SPEC, GeneratorConfig(**base, time_scale_shift=True), 0)
    projections = [k for k in shapes(off) if k.endswith("time_emb_proj.weight")]
    assert projections
    for key in projections:  # one scale and one shift per channel instead of one bias
        assert shapes(on)[key][0] == 2 * shapes(off)[key][0]
    x = torch.randint(1, 100, (2, 5, 2))
    y = on.sample(x, steps=2, generator=torch.Generator().manual_seed(0))
    assert y.shape == (2, *SPEC.shape) and torch.isfinite(y).all()


def test_off_by_default_so_image_runs_keep_their_weights():
    image = ImageGeneratorConfig(hidden=16, depth=2, heads=2)
    assert image.time_scale_shift is False
    assert (
        load_recipe("recipes/image/glyphs_latent_diffusion.yaml").generator.time_scale_shift
        is False
    )
    torch.manual_seed(0)
    projection = DiffusionGenerator(SPEC, image, 3).unet.down_blocks[0].resnets[0].time_emb_proj
    assert projection.out_features == 16  # one bias per channel, as saved runs hold


def test_video_recipe_refuses_it_where_no_2d_unet_reads_it():
    with pytest.raises(ConfigError, match="time_scale_shift"):
        load_recipe("recipes/video/latent_tokens.yaml", ["generator.time_scale_shift=true"])
    with pytest.raises(ConfigError, match="time_scale_shift"):
        load_recipe(
            "recipes/video/latent_diffusion.yaml",
            ["generator.time_scale_shift=true", "generator.layout=space_time"],
        )


def test_image_recipe_refuses_it_for_a_transformer_generator_as_video_does():
    # the image transformers never read it: accepting it would silently train without it
    with pytest.raises(ConfigError, match="time_scale_shift"):
        load_recipe("recipes/image/glyphs_vq_ar.yaml", ["generator.time_scale_shift=true"])
    on = load_recipe(
        "recipes/image/glyphs_latent_diffusion.yaml", ["generator.time_scale_shift=true"]
    )
    assert on.generator.time_scale_shift is True
