"""generator.pool: the attention pool of the caption tokens against their masked mean."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from regen.config import load_recipe
from regen.contracts import YSpec
from regen.data.text import encode_captions
from regen.errors import ConfigError
from regen.generators.diffusion import DiffusionGenerator
from regen.modules.condition import ConditionEncoder, with_null_rows
from regen.tasks.image.config import GeneratorConfig as ImageGeneratorConfig
from regen.tasks.video.config import GeneratorConfig
from tests.asr_tiny import one_thread  # noqa: F401  (autouse fixture)

DIRECTIONS = ["up", "down", "left", "right", "up and to the left", "up and to the right"]
CAPTIONS = [f"the letter K moves {d} slowly" for d in DIRECTIONS]


def encoder(pool: str, seed: int = 0) -> ConditionEncoder:
    torch.manual_seed(seed)
    return ConditionEncoder(GeneratorConfig(kind="diffusion", hidden=32), 0, 128, pool=pool)


def test_mean_pool_keeps_the_old_state_dict_keys():
    """Saved runs (made before the option) load unchanged: mean adds no parameters."""
    old = ConditionEncoder(ImageGeneratorConfig(condition="text", hidden=32), 0, 128).state_dict()
    assert encoder("mean").state_dict().keys() == old.keys()
    assert {k.split(".")[0] for k in old} == {
        "null",
        "position",
        "byte_embed",
        "encoder",
        "project",
    }
    assert "attention_pool" in {k.split(".")[0] for k in encoder("attention").state_dict()}


def test_unknown_pool_is_a_config_error():
    with pytest.raises(ConfigError, match="pool"):
        ConditionEncoder(GeneratorConfig(), 0, 128, pool="max")


def test_attention_pool_ignores_padding():
    model = encoder("attention").eval()
    short = encode_captions(CAPTIONS)
    long = torch.cat([short, torch.zeros(len(short), 40, dtype=short.dtype)], dim=1)
    assert (short == 0).any()  # the short batch already pads its shorter captions
    with torch.no_grad():
        torch.testing.assert_close(model.pooled(short), model.pooled(long), atol=1e-5, rtol=1e-5)


def test_attention_pool_null_rows_for_guidance():
    model = encoder("attention").eval()
    x = encode_captions(CAPTIONS)
    with torch.no_grad():
        pooled = model.pooled(*with_null_rows(x))
    cond, null = pooled[: len(x)], pooled[len(x) :]
    torch.testing.assert_close(null, null[:1].expand_as(null))  # one null, whatever the caption
    assert not torch.allclose(cond, null, atol=1e-3)
    model.train()
    model.pooled(x, torch.ones(len(x), dtype=torch.bool)).sum().backward()
    assert model.null.grad is not None and model.null.grad.abs().sum() > 0


def test_attention_pool_tells_one_word_apart_in_a_few_steps():
    """Captions differing in one or two words: after 20 steps of learning to name the
    direction from the pooled vector, attention pooling separates them, the mean barely."""

    def train(pool: str) -> tuple[float, float]:
        model = encoder(pool)
        head = torch.nn.Linear(128, len(CAPTIONS))
        optimizer = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=1e-3)
        x, y = encode_captions(CAPTIONS), torch.arange(len(CAPTIONS))
        for _ in range(20):
            loss = F.cross_entropy(head(model.pooled(x)), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            unit = F.normalize(model.eval().pooled(x), dim=1)
        cosine = (unit @ unit.T)[~torch.eye(len(x), dtype=torch.bool)].mean()
        return loss.item(), float(cosine)

    mean_loss, mean_cosine = train("mean")
    attention_loss, attention_cosine = train("attention")
    assert attention_loss < 0.2 * mean_loss
    assert attention_cosine < 0.5 < mean_cosine or attention_cosine < mean_cosine - 0.3


def test_diffusion_generator_trains_and_guides_with_attention_pool():
    spec = YSpec("continuous", (4, 8, 8), value_range=(-1.0, 1.0))
    cfg = GeneratorConfig(kind="diffusion", hidden=16, depth=2, heads=2, pool="attention")
    model = DiffusionGenerator(spec, cfg, 0)
    x = encode_captions(CAPTIONS[:3])
    loss, _ = model.training_loss({"x": x, "y_prime": torch.randn(3, 4, 8, 8).clamp(-1, 1)})
    loss.backward()
    assert model.condition.attention_pool.queries.grad is not None
    out = model.eval().sample(x, generator=torch.Generator().manual_seed(0), steps=2)
    spec.check(out, "attention-pooled sample")


def test_video_recipe_rejects_unknown_pool(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("task: video\ngenerator: {kind: diffusion, pool: max}\n")
    with pytest.raises(ConfigError, match="pool"):
        load_recipe(recipe)
