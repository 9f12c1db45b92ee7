"""generator.layout: space_time, the video diffusion UNet that shares its 2-D layers across
frames (regen/generators/space_time_unet.py), and its config checks."""

from __future__ import annotations

import pytest
import torch
from diffusers import UNet2DConditionModel, UNet3DConditionModel

from regen.config import load_recipe
from regen.contracts import YSpec
from regen.errors import ConfigError
from regen.generators.diffusion import DiffusionGenerator
from regen.generators.space_time_unet import SpaceTimeUNet
from regen.tasks.video.config import GeneratorConfig
from regen.tasks.video.data import CaptionConditioner
from regen.training.checkpoint import load_weights, write_stage
from tests.asr_tiny import one_thread  # noqa: F401  (autouse fixture)

CAPTIONS = ["the letter K moves up and to the left quickly", "the digit 3 moves down"]
FRAMES = 4
SPEC = YSpec(kind="continuous", shape=(FRAMES * 2, 8, 8), value_range=None, name="latents")


def cfg(**overrides) -> GeneratorConfig:
    values = {
        "kind": "diffusion",
        "text_encoder": "words",
        "cross_attention": True,
        "layout": "space_time",
        "hidden": 16,
        "depth": 2,
        "heads": 2,
        "sampling_steps": 2,
        "prediction_type": "v_prediction",
    }
    return GeneratorConfig(**{**values, **overrides})


def model(**overrides) -> DiffusionGenerator:
    torch.manual_seed(0)
    return DiffusionGenerator(SPEC, cfg(**overrides), 0, frames=FRAMES)


def captions() -> torch.Tensor:
    return CaptionConditioner(1, "words").encode(CAPTIONS)


def test_space_time_runs_a_3d_unet_over_frames_with_the_generators_shapes():
    generator = model()
    assert isinstance(generator.unet, SpaceTimeUNet)
    assert isinstance(generator.unet.unet, UNet3DConditionModel)
    # frames as batch: the first convolution reads one frame's 2 channels, not all 8
    assert generator.unet.unet.conv_in.in_channels == 2
    loss, logs = generator.training_loss({"x": captions(), "y_prime": torch.randn(2, *SPEC.shape)})
    loss.backward()
    assert torch.isfinite(loss) and logs["mse"] > 0
    assert generator.condition.word_embed.weight.grad.abs().sum() > 0
    sample = generator.eval().sample(captions(), generator=torch.Generator().manual_seed(0))
    assert sample.shape == (2, *SPEC.shape) and torch.isfinite(sample).all()


def test_channels_stays_the_default_2d_unet():
    generator = DiffusionGenerator(SPEC, cfg(layout="channels"), 0, frames=FRAMES)
    assert isinstance(generator.unet, UNet2DConditionModel)
    assert GeneratorConfig().layout == "channels"


def test_frames_are_a_time_axis_not_channels():
    """The same 2-D weights draw every frame: a clip whose frames are all the same picture,
    at the first noise level the temporal layers start from (identity at init in diffusers),
    gives the same output in every frame."""
    generator = model().eval()
    frame = torch.randn(1, 1, 2, 8, 8)
    clip = frame.expand(1, FRAMES, 2, 8, 8).reshape(1, *SPEC.shape)
    with torch.no_grad():
        out = generator.predict(
            clip, torch.tensor(500), generator.conditioning(captions()[:1]), 1.0
        )
    per_frame = out.reshape(1, FRAMES, 2, 8, 8)
    torch.testing.assert_close(per_frame, per_frame[:, :1].expand_as(per_frame), atol=1e-5, rtol=0)


def test_sampling_is_deterministic_and_padding_tokens_are_ignored():
    generator = model().eval()
    x = captions()
    first = generator.sample(x, generator=torch.Generator().manual_seed(3))
    again = generator.sample(x, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(first, again, atol=0, rtol=0)
    with torch.no_grad():
        cond = generator.conditioning(x)
        y, t = torch.randn(2, *SPEC.shape), torch.tensor(200)
        base = generator.predict(y, t, cond, 1.0)
        mask = cond["encoder_attention_mask"]
        noisy_padding = cond["encoder_hidden_states"] + 5 * (~mask)[..., None]
        moved = generator.predict(y, t, {**cond, "encoder_hidden_states": noisy_padding}, 1.0)
    torch.testing.assert_close(moved, base)


def test_save_and_load_through_safetensors_give_the_same_samples(tmp_path):
    generator = model().eval()
    write_stage(tmp_path / "gen", model_state=generator.state_dict(), config_yaml="{}")
    torch.manual_seed(1)  # different initial weights, then the saved ones
    loaded = DiffusionGenerator(SPEC, cfg(), 0, frames=FRAMES).eval()
    load_weights(loaded, tmp_path / "gen")
    seed = torch.Generator().manual_seed(0)
    expected = generator.sample(captions(), generator=seed)
    torch.testing.assert_close(
        loaded.sample(captions(), generator=torch.Generator().manual_seed(0)), expected
    )


def test_space_time_refuses_what_it_cannot_build():
    with pytest.raises(ConfigError, match="frames"):
        DiffusionGenerator(SPEC, cfg(), 0, frames=3)
    with pytest.raises(ConfigError, match="frames"):
        DiffusionGenerator(SPEC, cfg(), 0)  # an image: one frame
    with pytest.raises(ConfigError, match="cross_attention"):
        DiffusionGenerator(SPEC, cfg(cross_attention=False), 0, frames=FRAMES)


def test_recipes_declare_layout_for_video_diffusion_only():
    recipe = "recipes/video/latent_diffusion.yaml"
    assert load_recipe(recipe).generator.layout == "channels"
    for direct_or_regen in (recipe, "recipes/video/direct.yaml"):
        assert load_recipe(direct_or_regen, ["generator.layout=space_time"]).generator.layout == (
            "space_time"
        )
    with pytest.raises(ConfigError, match="layout"):
        load_recipe(recipe, ["generator.layout=frames"])
    with pytest.raises(ConfigError, match="cross_attention"):
        load_recipe(recipe, ["generator.layout=space_time", "generator.cross_attention=false"])
    with pytest.raises(ConfigError, match="layout"):
        load_recipe("recipes/video/latent_tokens.yaml", ["generator.layout=space_time"])
    with pytest.raises(ConfigError, match="layout"):
        load_recipe("recipes/image/glyphs_vq_ar.yaml", ["generator.layout=space_time"])
    assert load_recipe("recipes/image/glyphs_vq_ar.yaml").generator.layout == "channels"
