"""``generator.timestep_sampling``: uniform training timesteps (the default, drawn exactly as
before the option, so old runs retrain the same) or logit-normal ones that weight the middle
noise levels."""

from __future__ import annotations

import pytest
import torch

from regen.config import load_recipe
from regen.contracts import YSpec
from regen.errors import ConfigError
from regen.generators.diffusion import DiffusionGenerator, training_timesteps
from regen.tasks.video.config import GeneratorConfig
from tests.asr_tiny import one_thread  # noqa: F401  (autouse fixture)

CPU = torch.device("cpu")


def test_uniform_draws_what_the_generator_drew_before_the_option():
    torch.manual_seed(3)
    before = torch.randint(0, 1000, (64,))
    torch.manual_seed(3)
    assert torch.equal(training_timesteps(64, 1000, "uniform", CPU), before)


def test_logit_normal_weights_the_middle_and_stays_in_range():
    torch.manual_seed(0)
    uniform = training_timesteps(20000, 1000, "uniform", CPU)
    logit = training_timesteps(20000, 1000, "logit_normal", CPU)
    assert logit.dtype == torch.int64 and 0 <= int(logit.min()) and int(logit.max()) <= 999
    middle = lambda t: ((t >= 250) & (t < 750)).float().mean()  # noqa: E731
    assert middle(uniform) < 0.52 and middle(logit) > 0.7
    with pytest.raises(ConfigError, match="timestep_sampling"):
        training_timesteps(4, 1000, "cosine", CPU)


@pytest.mark.parametrize(
    "recipe", ["recipes/image/glyphs_latent_diffusion.yaml", "recipes/video/latent_diffusion.yaml"]
)
def test_recipes_default_to_uniform_and_refuse_an_unknown_sampling_when_loaded(recipe):
    assert load_recipe(recipe).generator.timestep_sampling == "uniform"
    chosen = load_recipe(recipe, ["generator.timestep_sampling=logit_normal"])
    assert chosen.generator.timestep_sampling == "logit_normal"
    # at load, not after the representation has trained for minutes
    with pytest.raises(ConfigError, match="timestep_sampling"):
        load_recipe(recipe, ["generator.timestep_sampling=cosine"])


def test_the_generator_trains_with_logit_normal_timesteps():
    spec = YSpec(kind="continuous", shape=(4, 8, 8), value_range=None, name="latents")
    cfg = GeneratorConfig(
        kind="diffusion",
        hidden=16,
        depth=2,
        heads=2,
        text_encoder="words",
        timestep_sampling="logit_normal",
    )
    generator = DiffusionGenerator(spec, cfg, 0)
    batch = {"y_prime": torch.randn(3, 4, 8, 8), "x": torch.randint(1, 50, (3, 4, 2))}
    loss, logs = generator.training_loss(batch)
    loss.backward()
    assert torch.isfinite(loss) and logs["mse"] > 0
