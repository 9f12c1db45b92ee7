"""The per-frame VAE Y' of the video task: frames encoded one by one and stacked on the
channel axis, calibrated to unit variance, and the frame order kept on the way back."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from regen.config import load_recipe
from regen.contracts import Calibrated
from regen.errors import ConfigError
from regen.representations.frame_latent import FrameVAE
from regen.tasks.video.build import build_pipeline
from regen.tasks.video.config import VideoRecipeConfig, VideoRepresentationConfig, validate


def small_vae() -> FrameVAE:
    torch.manual_seed(0)
    cfg = VideoRepresentationConfig(kind="frame_vae", space_factor=4, hidden=16, latent_channels=4)
    return FrameVAE((16, 32, 32), cfg)


def test_frame_vae_stacks_frame_latents_on_channels_and_decodes_clips():
    vae = small_vae()
    clips = torch.rand(2, 16, 32, 32) * 2 - 1
    assert vae.spec.shape == (64, 8, 8) and vae.spec.kind == "continuous"
    loss, logs = vae.training_loss({"y": clips})
    loss.backward()
    assert torch.isfinite(loss) and "kl" in logs
    vae.eval()
    latents = vae.encode(clips)
    vae.spec.check(latents, "test")
    rebuilt = vae.decode(latents)
    assert rebuilt.shape == clips.shape and rebuilt.abs().max() <= 1.0


def test_each_frame_is_encoded_alone_into_its_own_channels():
    vae = small_vae().eval()
    clips = torch.rand(1, 16, 32, 32) * 2 - 1
    moved = clips.clone()
    moved[0, 5] = -1.0  # change frame 5 only
    a, b = vae.encode(clips), vae.encode(moved)
    changed = (a - b).abs().amax(dim=(0, 2, 3)) > 0
    assert changed.nonzero().flatten().tolist() == [20, 21, 22, 23]  # channels 5*4 .. 5*4+3
    # decoding keeps the frame order: frame 5's latent decodes to frame 5
    frame5 = vae.vae.decode(a[:, 20:24])
    assert torch.allclose(vae.decode(a)[:, 5], frame5[:, 0], atol=1e-6)


def test_calibration_gives_unit_variance_latents():
    vae = small_vae().eval()
    assert isinstance(vae, Calibrated)
    clips = torch.rand(6, 16, 32, 32) * 2 - 1
    vae.calibrate(clips)
    latents = vae.encode(clips).view(6, 16, 4, 8, 8).permute(2, 0, 1, 3, 4).reshape(4, -1)
    assert torch.allclose(latents.std(1), torch.ones(4), atol=1e-3)
    assert torch.allclose(latents.mean(1), torch.zeros(4), atol=1e-3)


def test_the_latent_diffusion_recipe_builds_the_baselines_unet_over_the_latent_grid():
    config = VideoRecipeConfig()
    config.representation.kind = "frame_vae"
    config.representation.latent_channels = 4
    config.representation.hidden = 16
    config.generator.kind = "diffusion"
    config.generator.hidden = 32
    validate(config)
    pipeline = build_pipeline(config, (16, 32, 32))
    assert pipeline.generator.unet.config.in_channels == 64
    assert tuple(pipeline.generator.unet.config.sample_size) == (8, 8)
    config.generator.kind = "autoregressive"
    with pytest.raises(ConfigError, match="frame_vae"):
        validate(config)


def test_both_diffusion_recipes_share_the_generator_so_they_differ_only_in_y_prime():
    """video/latent_diffusion and its baseline video/direct: the same UNet, prediction type,
    sampler and optimiser settings (only the steps differ: compare sets direct's budget)."""
    regen = load_recipe("recipes/video/latent_diffusion.yaml")
    direct = load_recipe("recipes/video/direct.yaml")
    assert dataclasses.asdict(regen.generator) == dataclasses.asdict(direct.generator)
    assert regen.generator.prediction_type == "v_prediction"  # epsilon's latents blew up
    assert regen.generator.hidden >= 64  # not fewer channels than Y' (16 frames x 4)
    ours, theirs = (
        dataclasses.asdict(regen.train.generator),
        dataclasses.asdict(direct.train.generator),
    )
    ours.pop("steps"), theirs.pop("steps")
    assert ours == theirs
