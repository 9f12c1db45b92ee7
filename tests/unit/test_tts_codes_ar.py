"""The autoregressive generator over residual-VQ speech codes (generator.kind ar)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from regen.contracts import XBatch, YSpec
from regen.generators.codes_ar import AutoregressiveCodeGenerator, draw, gumbel_noise
from regen.modules.transformer import Transformer
from regen.modules.window_cache import RingKVCache, run_windowed, step_blocks, window_mask
from regen.tasks.tts.config import AcousticModelConfig
from tests.tiny_tts import phoneme_batch

LEVELS, SIZE = 3, 16
SPEC = YSpec("discrete", (LEVELS, None), dtype="int64", vocab_size=SIZE, name="codes")
SMALL = AcousticModelConfig(
    dim=32, encoder_layers=1, decoder_layers=1, dropout=0.0, ar_dim=32, ar_heads=2, ar_context=8
)


def _model(seed: int = 0, **changes) -> AutoregressiveCodeGenerator:
    torch.manual_seed(seed)
    cfg = dataclasses.replace(SMALL, **changes)
    return AutoregressiveCodeGenerator(SPEC, cfg, vocab_size=12, num_speakers=2).eval()


def _batch(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.tensor([[5, 6, 7, 0], [9, 10, 11, 3]])
    durations = torch.tensor([[4, 5, 6, 0], [3, 4, 4, 5]])
    return phoneme_batch(x, durations, torch.randint(0, SIZE, (2, LEVELS, 16), generator=g))


def _states(model: AutoregressiveCodeGenerator, batch: dict) -> tuple[torch.Tensor, ...]:
    with torch.no_grad():
        states, valid, _ = model.trunk(batch["x"], batch["speakers"], batch)
    return states, valid


def test_window_mask_is_banded_causal() -> None:
    mask = window_mask(6, 3)[0, 0]
    for t in range(6):
        assert mask[t].nonzero().flatten().tolist() == list(range(max(0, t - 2), t + 1))


def test_ring_cache_steps_equal_windowed_full_pass_past_the_window() -> None:
    torch.manual_seed(0)
    decoder = Transformer(16, 2, 2, 0.0).eval()
    x = torch.randn(2, 11, 16)
    with torch.no_grad():
        full = run_windowed(decoder, x, 4)
        cache = RingKVCache(2, 2, 2, 4, 8, like=x)
        steps = torch.stack([step_blocks(decoder, x[:, t], cache) for t in range(11)], 1)
    assert torch.allclose(full, steps, atol=1e-5)


def test_logits_are_causal_over_frames_and_coarse_to_fine_within_a_frame() -> None:
    model = _model()
    batch = _batch()
    states, _ = _states(model, batch)
    codes = batch["y_prime"].transpose(1, 2)  # [B, F, Q]
    t = 7
    changed = codes.clone()
    changed[:, t] = (changed[:, t] + 1) % SIZE
    finest = codes.clone()
    finest[:, t, -1] = (finest[:, t, -1] + 1) % SIZE
    with torch.no_grad():
        base, other, fine = (model.logits(states, c) for c in (codes, changed, finest))
    assert torch.allclose(base[:, :t], other[:, :t], atol=1e-6)  # earlier frames: unchanged
    assert torch.allclose(base[:, t, 0], other[:, t, 0], atol=1e-6)  # level 0 sees no frame-t code
    assert not torch.allclose(base[:, t, 1:], other[:, t, 1:])  # finer levels see coarser ones
    assert torch.allclose(base[:, t], fine[:, t], atol=1e-6)  # nothing sees the finest level
    assert not torch.allclose(base[:, t + 1 :], other[:, t + 1 :])  # later frames do


def test_cached_greedy_generation_equals_full_recompute() -> None:
    model = _model()
    states, valid = _states(model, _batch())  # 16 frames, window 8: the ring buffer wraps
    cached = model.generate_codes(states, valid, temperature=0)
    uncached = model.generate_codes(states, valid, temperature=0, use_cache=False)
    assert torch.equal(cached, uncached)
    # and greedy generation picks the argmax of the teacher-forced logits of its own codes
    argmax = model.logits(states, cached.transpose(1, 2)).argmax(-1).transpose(1, 2)
    assert torch.equal(argmax * valid[:, None], cached)


def test_greedy_codes_have_shape_range_and_zeros_past_the_end() -> None:
    model = _model()
    batch = _batch()
    codes = model.sample(XBatch(batch["x"], speakers=batch["speakers"]), temperature=0)
    assert codes.dtype == torch.int64 and codes.shape[:2] == (2, LEVELS)
    assert int(codes.min()) >= 0 and int(codes.max()) < SIZE
    SPEC.check(codes, "test")
    frames = model.trunk(batch["x"], batch["speakers"])[1].sum(1)
    assert codes.shape[2] == int(frames.max())
    assert codes[0, :, int(frames[0]) :].eq(0).all()


def test_sampling_is_deterministic_under_a_seed_and_varies_across_seeds() -> None:
    model = _model()
    states, valid = _states(model, _batch())

    def sample(seed: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        return model.generate_codes(states, valid, generator=gen, temperature=1.0, top_k=0)

    assert torch.equal(sample(3), sample(3))
    assert not torch.equal(sample(3), sample(4))
    # no generator given: a fixed default seed, so synthesis is repeatable
    assert torch.equal(model.generate_codes(states, valid), model.generate_codes(states, valid))


def test_draw_follows_temperature_and_top_k() -> None:
    logits = torch.tensor([[0.0, 1.0, 3.0, 2.0]]).expand(4000, -1)
    gen = torch.Generator().manual_seed(0)
    assert draw(logits, 0.0, 0, None).eq(2).all()
    top2 = draw(logits, 1.0, 2, gumbel_noise((4000, 2), gen))
    assert set(top2.tolist()) == {2, 3}
    share = top2.eq(2).float().mean()  # softmax([3, 2])[0] = 0.731
    assert abs(float(share) - 0.731) < 0.03
    full = draw(logits, 2.0, 0, gumbel_noise((4000, 4), gen))
    assert set(full.tolist()) == {0, 1, 2, 3}  # no top-k: every code can be drawn


def test_teacher_forced_loss_drops_on_a_tiny_batch() -> None:
    model = _model().train()
    batch = _batch()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
    first = None
    for _ in range(40):
        loss, logs = model.training_loss(batch)
        first = logs["code_ce"] if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert logs["code_ce"] < 0.5 * first
    assert {f"code_accuracy_l{q}" for q in range(LEVELS)} <= set(logs)
    assert logs["code_accuracy"] > 0.5


def test_code_noise_corrupts_inputs_in_training_only() -> None:
    model = _model(ar_code_noise=0.5)
    batch = _batch()
    states, _ = _states(model, batch)
    codes = batch["y_prime"].transpose(1, 2)
    with torch.no_grad():
        clean = [model.frame_inputs(states, codes) for _ in range(2)]
        model.train()
        noisy = [model.frame_inputs(states, codes) for _ in range(2)]
    assert torch.equal(*clean)
    assert not torch.allclose(*noisy)


@pytest.mark.parametrize(
    "override, message",
    [
        ("representation.kind=mel", "needs representation.kind mel_rvq"),
        ("representation.kind=mel_vae", "needs representation.kind mel_rvq"),
        ("generator.ar_heads=3", "divisible"),
        ("generator.ar_context=0", "ar_context"),
        ("generator.temperature=-1", "temperature"),
        ("generator.ar_code_noise=1", "ar_code_noise"),
    ],
)
def test_bad_ar_settings_are_one_line_config_errors(override: str, message: str) -> None:
    from regen.config import load_recipe
    from regen.errors import ConfigError

    with pytest.raises(ConfigError, match=message) as info:
        load_recipe("tts/rvq_codes_ar", [override])
    assert "\n" not in str(info.value)
