"""Generators X -> Y': sampling helpers, condition encoder, diffusion and autoregressive models."""

from __future__ import annotations

import pytest
import torch
from diffusers import DDIMPipeline, DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler

from regen.contracts import Generator, YSpec
from regen.errors import ConfigError, DataError, SpecMismatchError
from regen.generators.autoregressive import AutoregressiveGenerator
from regen.generators.diffusion import DiffusionGenerator
from regen.generators.sampling import (
    classifier_free_guidance,
    make_scheduler,
    sample_token,
    top_k_filter,
    top_p_filter,
    training_scheduler,
)
from regen.modules.condition import MINILM_DIM, ConditionEncoder
from regen.modules.transformer import Transformer, attention_mask
from regen.tasks.image.config import GeneratorConfig

NUM_CLASSES = 5
INF = float("-inf")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """These models are too small to gain from intra-op threads, and when other processes
    share the cores, spinning OpenMP workers made this file ~10x slower (98 s vs 11 s)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def tiny_cfg(**overrides) -> GeneratorConfig:
    values = {"hidden": 16, "depth": 2, "heads": 2, "sampling_steps": 4, "guidance_scale": 2.0}
    return GeneratorConfig(**{**values, **overrides})


def captions(batch: int, length: int = 10) -> torch.Tensor:
    """Byte tokens of varying caption length (one row empty), zero-padded on the right."""
    x = torch.randint(1, 257, (batch, length))
    for row in range(batch):
        x[row, (row * 3) % (length + 1) :] = 0
    return x


# --------------------------------------------------------------------------- pure helpers


def test_top_k_keeps_the_k_largest():
    logits = torch.tensor([[1.0, 5.0, 3.0, 4.0], [0.0, -1.0, 2.0, 1.0]])
    expected = torch.tensor([[INF, 5.0, INF, 4.0], [INF, INF, 2.0, 1.0]])
    assert torch.equal(top_k_filter(logits, 2), expected)
    assert torch.equal(top_k_filter(logits, 0), logits)
    assert torch.equal(top_k_filter(logits, 9), logits)


def test_top_p_keeps_the_smallest_set_reaching_p():
    probs = torch.tensor([0.05, 0.5, 0.15, 0.3])
    logits = probs.log()[None]
    kept = lambda p: torch.isfinite(top_p_filter(logits, p))[0].tolist()  # noqa: E731
    assert kept(0.5) == [False, True, False, False]
    assert kept(0.8) == [False, True, False, True]
    assert kept(0.81) == [False, True, True, True]
    assert kept(0.01) == [False, True, False, False]
    assert kept(1.0) == [True, True, True, True]
    kept_logits = top_p_filter(logits, 0.8)[0]
    assert torch.equal(kept_logits[[1, 3]], logits[0, [1, 3]])


def test_sample_token_matches_the_filtered_distribution():
    logits = torch.tensor([0.0, 1.0, 2.0, 0.5]).expand(20000, 4)
    draws = sample_token(logits, generator=seeded(0))
    frequency = torch.bincount(draws, minlength=4).float() / len(draws)
    assert torch.allclose(frequency, logits[0].softmax(-1), atol=0.015)
    top2 = sample_token(logits, top_k=2, generator=seeded(0))
    assert set(top2.tolist()) == {1, 2}
    assert torch.equal(sample_token(logits[:3], temperature=0), torch.full((3,), 2))
    hot = sample_token(logits, temperature=0.25, generator=seeded(0))
    assert (hot == 2).float().mean() > 0.95
    assert torch.equal(draws, sample_token(logits, generator=seeded(0)))
    with pytest.raises(ConfigError):
        sample_token(logits, top_p=0.0)


def test_classifier_free_guidance():
    cond, uncond = torch.randn(3, 4), torch.randn(3, 4)
    assert classifier_free_guidance(cond, uncond, 1.0) is cond
    assert torch.equal(classifier_free_guidance(cond, uncond, 0.0), uncond)
    assert torch.allclose(classifier_free_guidance(cond, uncond, 3.0), 3 * cond - 2 * uncond)


def test_scheduler_factory_shares_the_training_schedule():
    base = training_scheduler(100, "v_prediction")
    for name, cls in [
        ("ddpm", DDPMScheduler),
        ("ddim", DDIMScheduler),
        ("dpm", DPMSolverMultistepScheduler),
    ]:
        scheduler = make_scheduler(name, base.config)
        assert isinstance(scheduler, cls)
        assert scheduler.config.num_train_timesteps == 100
        assert scheduler.config.prediction_type == "v_prediction"
    with pytest.raises(ConfigError, match="unknown sampler"):
        make_scheduler("euler", base.config)
    with pytest.raises(ConfigError, match="prediction_type"):
        training_scheduler(100, "sample")


# --------------------------------------------------------------------------- modules


def test_attention_mask_is_causal_with_padding_and_self():
    valid = torch.tensor([[True, False, True, True]])
    mask = attention_mask(valid, 4, causal=True)[0, 0]
    expected = torch.tensor(
        [[1, 0, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 1, 1]], dtype=torch.bool
    )
    assert torch.equal(mask, expected)
    last = attention_mask(valid, 1, causal=True)[0, 0]
    assert torch.equal(last, expected[-1:])


def test_causal_transformer_ignores_the_future():
    model = Transformer(16, 2, 2, causal=True).eval()
    x = torch.randn(2, 6, 16)
    y = x.clone()
    y[:, 4:] = torch.randn(2, 2, 16)
    valid = torch.ones(2, 6, dtype=torch.bool)
    assert torch.allclose(model(x, valid)[:, :4], model(y, valid)[:, :4], atol=1e-6)


@pytest.mark.parametrize(
    "condition, text_encoder, bad",
    [
        ("class", "learned", torch.zeros(3, 2, dtype=torch.long)),
        ("class", "learned", torch.zeros(3)),
        ("class", "learned", torch.tensor([0, NUM_CLASSES])),
        ("text", "learned", torch.zeros(3, dtype=torch.long)),
        ("text", "learned", torch.zeros(3, 8)),
        ("text", "learned", torch.full((3, 8), 300)),
        ("text", "learned", torch.ones(3, 500, dtype=torch.long)),
        ("text", "minilm", torch.zeros(3, 8, dtype=torch.long)),
        ("text", "minilm", torch.zeros(3, 100)),
        ("text", "minilm", torch.zeros(3, MINILM_DIM, dtype=torch.long)),
    ],
)
def test_condition_encoder_rejects_wrong_x(condition, text_encoder, bad):
    encoder = ConditionEncoder(tiny_cfg(condition=condition, text_encoder=text_encoder), 5, 8)
    with pytest.raises(DataError) as info:
        encoder(bad)
    assert "\n" not in str(info.value)


def test_condition_encoder_shapes_null_and_padding():
    cfg = tiny_cfg(condition="text")
    encoder = ConditionEncoder(cfg, NUM_CLASSES, 8).eval()
    x = captions(4)
    tokens, mask = encoder(x)
    assert tokens.shape == (4, 10, 8) and torch.equal(mask, x != 0)
    assert torch.isfinite(tokens).all()  # row 0 is an empty caption
    padded = torch.cat([x, torch.zeros(4, 6, dtype=torch.long)], 1)
    assert torch.allclose(encoder.pooled(x), encoder.pooled(padded), atol=1e-5)
    drop = torch.tensor([False, True, False, True])
    pooled = encoder.pooled(x, drop)
    assert torch.equal(pooled[1], encoder.null) and torch.equal(pooled[3], encoder.null)
    assert torch.equal(pooled[2], encoder.pooled(x)[2])
    minilm = ConditionEncoder(tiny_cfg(condition="text", text_encoder="minilm"), 0, 8)
    assert minilm(torch.randn(3, MINILM_DIM))[0].shape == (3, 1, 8)


# --------------------------------------------------------------------------- diffusion

LATENT = YSpec("continuous", (4, 8, 8), name="latent")


def test_diffusion_samples_satisfy_spec_and_are_reproducible():
    model = DiffusionGenerator(LATENT, tiny_cfg(), NUM_CLASSES).eval()
    assert isinstance(model, Generator)
    x = torch.tensor([0, 1, 2])
    for sampler in ("ddpm", "ddim", "dpm"):
        first = model.sample(x, generator=seeded(1), sampler=sampler)
        LATENT.check(first, sampler)
        assert torch.equal(first, model.sample(x, generator=seeded(1), sampler=sampler))
        assert not torch.allclose(first, model.sample(x, generator=seeded(2), sampler=sampler))


class BoundUNet(torch.nn.Module):
    """The generator's UNet with its condition fixed, callable as ``unet(y, t)`` by pipelines."""

    def __init__(self, unet, cond):
        super().__init__()
        self.unet, self.cond, self.config = unet, cond, unet.config

    dtype = property(lambda self: self.unet.dtype)
    device = property(lambda self: self.unet.device)

    def forward(self, y, t):
        return self.unet(y, t, class_labels=self.cond)


def test_diffusion_ddim_matches_diffusers_ddim_pipeline():
    model = DiffusionGenerator(LATENT, tiny_cfg(), NUM_CLASSES).eval()
    x = torch.full((3,), 2)
    bound = BoundUNet(model.unet, model.condition.pooled(x))
    pipe = DDIMPipeline(bound, model.make_scheduler("ddim"))
    pipe.set_progress_bar_config(disable=True)
    reference = pipe(3, generator=seeded(0), num_inference_steps=6, output_type="pt").images
    ours = model.sample(x, generator=seeded(0), steps=6, guidance_scale=1.0, sampler="ddim")
    assert torch.allclose((ours / 2 + 0.5).clamp(0, 1), reference, atol=1e-6)


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_diffusion_training_loss_has_gradients(prediction_type):
    model = DiffusionGenerator(LATENT, tiny_cfg(prediction_type=prediction_type), NUM_CLASSES)
    batch = {"x": torch.randint(0, NUM_CLASSES, (6,)), "y_prime": torch.randn(6, 4, 8, 8)}
    loss, logs = model.training_loss(batch)
    loss.backward()
    assert torch.isfinite(loss) and logs["mse"] == pytest.approx(loss.item())
    assert model.condition.embed.weight.grad.abs().sum() > 0
    assert all(p.grad is not None for p in model.unet.parameters())
    with pytest.raises(SpecMismatchError):
        model.training_loss({"x": batch["x"], "y_prime": torch.randn(6, 4, 4, 4)})


def test_diffusion_guidance_combines_conditional_and_null_predictions():
    model = DiffusionGenerator(LATENT, tiny_cfg(), NUM_CLASSES).eval()
    x = torch.tensor([0, 3])
    y, t = torch.randn(2, 4, 8, 8), torch.tensor(500)
    cond = model.conditioning(x)
    null = model.conditioning(x, torch.ones(2, dtype=torch.bool))
    both = {k: torch.cat([cond[k], null[k]]) for k in cond}
    with torch.no_grad():
        conditional = model.predict(y, t, cond, 1.0)
        assert torch.equal(conditional, model.unet(y, t, class_labels=cond["class_labels"]).sample)
        unconditional = model.predict(y, t, null, 1.0)
        guided = model.predict(y, t, both, 3.0)
    expected = unconditional + 3.0 * (conditional - unconditional)
    assert torch.allclose(guided, expected, atol=1e-5)


def test_diffusion_text_conditions_and_value_range():
    spec = YSpec("continuous", (1, 4, 4), value_range=(-1.0, 1.0))
    for text_encoder, x in [("learned", captions(3)), ("minilm", torch.randn(3, MINILM_DIM))]:
        cfg = tiny_cfg(condition="text", text_encoder=text_encoder)
        model = DiffusionGenerator(spec, cfg, 0).eval()
        out = model.sample(x, generator=seeded(0), steps=3)
        spec.check(out, text_encoder)
        assert out.abs().max() <= 1.0


def test_diffusion_rejects_unfit_specs():
    with pytest.raises(ConfigError, match="depth"):
        DiffusionGenerator(YSpec("continuous", (1, 4, 4)), tiny_cfg(depth=4), NUM_CLASSES)
    with pytest.raises(ConfigError, match="autoregressive"):
        DiffusionGenerator(YSpec("discrete", (4, 4), "int64", 8), tiny_cfg(), NUM_CLASSES)


def test_diffusion_loss_decreases_on_a_toy_problem():
    spec = YSpec("continuous", (1, 4, 4))
    model = DiffusionGenerator(spec, tiny_cfg(cond_drop_prob=0.0), 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    patterns = torch.stack([torch.ones(1, 4, 4), -torch.ones(1, 4, 4)])
    patterns[1, :, :2] = 1.0
    losses = []
    for _ in range(80):
        x = torch.randint(0, 2, (64,))
        loss, _ = model.training_loss({"x": x, "y_prime": patterns[x]})
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-20:]) / 20 < 0.5 * sum(losses[:20]) / 20


# --------------------------------------------------------------------------- autoregressive

TOKENS = YSpec("discrete", (4, 4), "int64", vocab_size=8, name="tokens")
RVQ = YSpec("discrete", (2, 2, 3), "int64", vocab_size=8, name="rvq")


def test_ar_sequence_order_is_position_major():
    model = AutoregressiveGenerator(RVQ, tiny_cfg(), NUM_CLASSES)
    codes = torch.arange(12).view(1, 2, 2, 3)  # level 0: 0..5, level 1: 6..11
    sequence = model.to_sequence(codes)
    assert sequence[0, :4].tolist() == [0, 6, 1, 7]
    assert torch.equal(model.from_sequence(sequence), codes)


@pytest.mark.parametrize("spec", [TOKENS, RVQ])
def test_ar_samples_satisfy_spec_and_are_reproducible(spec):
    model = AutoregressiveGenerator(spec, tiny_cfg(), NUM_CLASSES).eval()
    assert isinstance(model, Generator)
    x = torch.arange(4) % NUM_CLASSES
    first = model.sample(x, generator=seeded(1), top_k=5, top_p=0.9)
    spec.check(first, "autoregressive")
    assert torch.equal(first, model.sample(x, generator=seeded(1), top_k=5, top_p=0.9))
    assert not torch.equal(first, model.sample(x, generator=seeded(2), top_k=5, top_p=0.9))


@pytest.mark.parametrize("condition", ["class", "text"])
def test_ar_kv_cache_matches_full_recompute(condition):
    model = AutoregressiveGenerator(TOKENS, tiny_cfg(condition=condition), NUM_CLASSES).eval()
    x = torch.arange(4) % NUM_CLASSES if condition == "class" else captions(4)
    for options in [{"temperature": 0.0}, {"guidance_scale": 3.0}, {"guidance_scale": 1.0}]:
        cached = model.sample(x, generator=seeded(3), **options)
        full = model.sample(x, generator=seeded(3), use_cache=False, **options)
        assert torch.equal(cached, full), options


def test_ar_caption_padding_does_not_change_samples():
    model = AutoregressiveGenerator(TOKENS, tiny_cfg(condition="text"), NUM_CLASSES).eval()
    x = captions(4)
    padded = torch.cat([x, torch.zeros(4, 5, dtype=torch.long)], 1)
    assert torch.equal(model.sample(x, temperature=0.0), model.sample(padded, temperature=0.0))


def test_ar_training_loss_has_gradients_and_checks_spec():
    model = AutoregressiveGenerator(RVQ, tiny_cfg(condition="text"), NUM_CLASSES)
    batch = {"x": captions(6), "y_prime": torch.randint(0, 8, (6, 2, 2, 3))}
    loss, logs = model.training_loss(batch)
    loss.backward()
    assert torch.isfinite(loss) and 0 <= logs["token_accuracy"] <= 1
    assert model.condition.byte_embed.weight.grad.abs().sum() > 0
    assert model.position.grad.abs().sum() > 0
    with pytest.raises(SpecMismatchError):
        model.training_loss({"x": batch["x"], "y_prime": torch.full((6, 2, 2, 3), 8)})
    with pytest.raises(ConfigError, match="discrete"):
        AutoregressiveGenerator(LATENT, tiny_cfg(), NUM_CLASSES)


def test_ar_learns_tokens_that_are_a_function_of_the_class():
    torch.manual_seed(0)
    model = AutoregressiveGenerator(TOKENS, tiny_cfg(hidden=32, cond_drop_prob=0.0), NUM_CLASSES)
    targets = torch.randint(0, 8, (NUM_CLASSES, 4, 4))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(200):
        x = torch.randint(0, NUM_CLASSES, (32,))
        loss, _ = model.training_loss({"x": x, "y_prime": targets[x]})
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    x = torch.arange(NUM_CLASSES)
    samples = model.sample(x, generator=seeded(0), temperature=0.5, guidance_scale=1.0)
    assert (samples == targets).float().mean() > 0.95
    unconditional = model.sample(x, temperature=0.0, guidance_scale=0.0)
    assert (unconditional == unconditional[:1]).all()  # guidance 0 ignores the class


def test_diffusion_guidance_zero_ignores_the_condition():
    model = DiffusionGenerator(LATENT, tiny_cfg(), NUM_CLASSES).eval()

    def draw(label: int, scale: float) -> torch.Tensor:
        return model.sample(torch.tensor([label]), generator=seeded(0), guidance_scale=scale)

    assert torch.equal(draw(0, 0.0), draw(3, 0.0))
    assert not torch.equal(draw(0, 1.0), draw(3, 1.0))
