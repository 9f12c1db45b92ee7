"""Video captions as words and the diffusion UNet's cross-attention over the caption tokens."""

from __future__ import annotations

import pytest
import torch
from diffusers import UNet2DConditionModel, UNet2DModel

from regen.config import load_recipe
from regen.contracts import YSpec
from regen.errors import ConfigError
from regen.generators.diffusion import DiffusionGenerator
from regen.modules.condition import with_null_rows
from regen.tasks.image.config import GeneratorConfig as ImageGeneratorConfig
from regen.tasks.video.config import GeneratorConfig
from regen.tasks.video.data import CaptionConditioner
from tests.asr_tiny import one_thread  # noqa: F401  (autouse fixture)

CAPTIONS = ["the letter K moves up and to the left quickly, bouncing", "the digit 3 moves down"]
SPEC = YSpec(kind="continuous", shape=(4, 8, 8), value_range=(-4.0, 4.0), name="latents")


def cfg(**overrides) -> GeneratorConfig:
    values = {"kind": "diffusion", "hidden": 16, "depth": 2, "heads": 2, "sampling_steps": 2}
    return GeneratorConfig(**{**values, **overrides})


def test_conditioner_encodes_words_or_bytes_as_the_recipe_asks():
    words = CaptionConditioner(2, "words").encode(CAPTIONS)
    assert words.dtype == torch.int64 and words.shape == (2, 32, 2)
    assert (words[0, :12] > 0).all() and (words[0, 12:] == 0).all()  # 12 tokens, then padding
    assert CaptionConditioner(1).encode(CAPTIONS).shape == (2, 64)  # bytes stay the default
    with pytest.raises(ConfigError, match="text_encoder"):
        CaptionConditioner(1, "minilm")


def test_video_recipe_accepts_words_and_cross_attention_only_for_diffusion(tmp_path):
    recipe = "recipes/video/latent_diffusion.yaml"
    config = load_recipe(recipe, ["generator.text_encoder=words", "generator.cross_attention=true"])
    assert config.generator.text_encoder == "words" and config.generator.cross_attention
    with pytest.raises(ConfigError, match="text_encoder"):
        load_recipe(recipe, ["generator.text_encoder=minilm"])
    with pytest.raises(ConfigError, match="cross_attention"):
        load_recipe("recipes/video/latent_tokens.yaml", ["generator.cross_attention=true"])


def test_image_recipes_declare_cross_attention_for_diffusion_only():
    """The option is a declared field of the image config too (off), refused where no UNet
    reads it, as for video."""
    assert load_recipe("recipes/image/glyphs_vq_ar.yaml").generator.cross_attention is False
    with pytest.raises(ConfigError, match="cross_attention"):
        load_recipe("recipes/image/glyphs_vq_ar.yaml", ["generator.cross_attention=true"])


def test_cross_attention_is_opt_in_so_old_runs_keep_their_unet():
    """Configs that leave it off (image's default, saved runs) build the UNet2DModel they
    saved."""
    torch.manual_seed(0)
    old = DiffusionGenerator(SPEC, ImageGeneratorConfig(hidden=16, depth=2, heads=2), 3)
    assert isinstance(old.unet, UNet2DModel)
    torch.manual_seed(0)
    plain = DiffusionGenerator(SPEC, ImageGeneratorConfig(hidden=16, depth=2, heads=2), 3)
    assert plain.state_dict().keys() == old.state_dict().keys()
    crossed = DiffusionGenerator(SPEC, cfg(cross_attention=True), 0)
    assert isinstance(crossed.unet, UNet2DConditionModel)


def test_cross_attention_prediction_reads_the_tokens_not_only_their_pool():
    torch.manual_seed(0)
    model = DiffusionGenerator(SPEC, cfg(text_encoder="words", cross_attention=True), 0).eval()
    x = CaptionConditioner(1, "words").encode(CAPTIONS)
    y, t = torch.randn(2, *SPEC.shape), torch.tensor(500)
    with torch.no_grad():
        cond = model.conditioning(x)
        assert cond["encoder_hidden_states"].shape == (2, 16, 64)  # 4 x hidden
        base = model.predict(y, t, cond, 1.0)
        # same pooled vector, the tokens of the other caption: a different prediction
        swapped = {**cond, "encoder_hidden_states": cond["encoder_hidden_states"].flip(0)}
        swapped["encoder_attention_mask"] = cond["encoder_attention_mask"].flip(0)
        assert not torch.allclose(model.predict(y, t, swapped, 1.0), base, atol=1e-4)


def test_cross_attention_guidance_and_training_reach_the_word_table():
    torch.manual_seed(0)
    model = DiffusionGenerator(SPEC, cfg(text_encoder="words", cross_attention=True), 0)
    x = CaptionConditioner(1, "words").encode(CAPTIONS)
    loss, _ = model.training_loss({"x": x, "y_prime": torch.randn(2, *SPEC.shape)})
    loss.backward()
    assert model.condition.word_embed.weight.grad.abs().sum() > 0
    model.eval()
    y, t = torch.randn(2, *SPEC.shape), torch.tensor(300)
    with torch.no_grad():
        conditional = model.predict(y, t, model.conditioning(x), 1.0)
        null = model.predict(y, t, model.conditioning(x, torch.ones(2, dtype=torch.bool)), 1.0)
        guided = model.predict(y, t, model.conditioning(*with_null_rows(x)), 3.0)
    torch.testing.assert_close(guided, null + 3.0 * (conditional - null), atol=1e-5, rtol=1e-4)
    assert model.sample(x, generator=torch.Generator().manual_seed(0)).shape == (2, *SPEC.shape)
