"""benchmarks.video_latent_sampling_check scores epsilon and v_prediction models alike."""

from __future__ import annotations

import pytest
import torch

from benchmarks.video_latent_sampling_check import implied_noise
from regen.contracts import YSpec
from regen.generators.diffusion import DiffusionGenerator
from regen.tasks.video.config import GeneratorConfig


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_a_perfect_prediction_implies_the_true_noise(prediction_type: str) -> None:
    spec = YSpec("continuous", (4, 8, 8))
    cfg = GeneratorConfig(
        kind="diffusion", hidden=16, depth=2, heads=2, prediction_type=prediction_type
    )
    generator = DiffusionGenerator(spec, cfg, 0)
    rng = torch.Generator().manual_seed(0)
    y0, noise = torch.randn(3, 4, 8, 8, generator=rng), torch.randn(3, 4, 8, 8, generator=rng)
    t = torch.tensor([10, 500, 990])
    noisy = generator.noise_scheduler.add_noise(y0, noise, t)
    target = noise
    if prediction_type == "v_prediction":
        target = generator.noise_scheduler.get_velocity(y0, noise, t)
        assert not torch.allclose(target, noise, atol=1e-2)
    torch.testing.assert_close(implied_noise(generator, target, noisy, t), noise, atol=1e-4, rtol=0)
