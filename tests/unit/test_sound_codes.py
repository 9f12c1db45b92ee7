"""The pieces of the sound task that need no corpus: code patterns (delay round trip), the
caption LM's KV cache against full recomputation, codebook-collapse warnings, audio metrics."""

from __future__ import annotations

import warnings

import pytest
import torch

from regen.contracts import YSpec
from regen.data.text import encode_captions
from regen.eval.audio_metrics import frechet_distance, low_pass, si_snr
from regen.generators.code_patterns import DelayPattern, FlattenPattern
from regen.generators.codes_lm import CaptionCodeLM
from regen.representations.codebook_usage import (
    CodebookCollapseWarning,
    collapse_message,
    level_usage,
    warn_if_collapsed,
)
from regen.tasks.sound.config import SoundGeneratorConfig
from regen.tasks.sound.corpus import caption, held_out_pieces, meter_name, tempo_band
from tests.tiny_sound import fit_codes

PAD = 99


@pytest.mark.parametrize("pattern", [DelayPattern(4), FlattenPattern(2), DelayPattern(1)])
def test_patterns_round_trip(pattern) -> None:
    codes = torch.randint(0, 16, (3, pattern.levels, 7))
    steps = pattern.build(codes, PAD)
    assert steps.shape == (3, pattern.steps(7), pattern.slots)
    assert torch.equal(pattern.undo(steps, 7), codes)


def test_delay_pattern_staggers_levels() -> None:
    codes = torch.arange(6).view(1, 2, 3)  # level 0: 0 1 2, level 1: 3 4 5
    steps = DelayPattern(2).build(codes, PAD)[0]
    assert steps.tolist() == [[0, PAD], [1, 3], [2, 4], [PAD, 5]]
    flat = FlattenPattern(2).build(codes, PAD)[0, :, 0]
    assert flat.tolist() == [0, 3, 1, 4, 2, 5]


def _lm(pattern: str, levels: int = 3) -> CaptionCodeLM:
    cfg = SoundGeneratorConfig(
        condition="text", text_encoder="learned", hidden=32, depth=2, heads=2, dropout=0.0,
        pattern=pattern, cond_drop_prob=0.2, guidance_scale=3.0, temperature=1.0, top_k=8,
    )  # fmt: skip
    spec = YSpec("discrete", (levels, None), dtype="int64", vocab_size=16)
    torch.manual_seed(0)
    return CaptionCodeLM(spec, cfg, frames=5).eval()


@pytest.mark.parametrize("pattern", ["delay", "flatten"])
@pytest.mark.parametrize("guidance", [1.0, 3.0])
def test_kv_cache_equals_recomputation(pattern, guidance) -> None:
    lm = _lm(pattern, levels=3 if pattern == "delay" else 2)
    x = encode_captions(["a lively folk tune", "a slow chorale on an organ"], max_len=24)
    draws = []
    for use_cache in (True, False):
        g = torch.Generator().manual_seed(7)
        draws.append(lm.sample(x, generator=g, guidance_scale=guidance, use_cache=use_cache))
    assert draws[0].shape == (2, lm.levels, 5)
    assert torch.equal(draws[0], draws[1])


def test_lm_learns_a_caption_dependent_code() -> None:
    lm = _lm("delay", levels=2).train()
    x = encode_captions(["low", "high"], max_len=8)
    codes = torch.stack([torch.zeros(2, 5), torch.full((2, 5), 9)]).long()
    fit_codes(lm, x, codes, steps=150)
    sampled = lm.eval().sample(x, temperature=0.0, guidance_scale=1.0)
    assert torch.equal(sampled, codes)


def test_collapse_warning_fires_on_a_collapsed_codebook() -> None:
    healthy = torch.randint(0, 64, (8, 2, 50))
    collapsed = healthy.clone()
    collapsed[:, 1] = 3  # level 1 always uses code 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert warn_if_collapsed(level_usage(healthy, 64), "codec") == []
    with pytest.warns(CodebookCollapseWarning, match="level 1: 1.6% of codes"):
        assert warn_if_collapsed(level_usage(collapsed, 64), "codec") == [1]
    assert collapse_message(level_usage(healthy, 64), "codec") is None
    assert "level 1" in collapse_message(level_usage(collapsed, 64), "codec")


def test_frechet_distance_and_degradations() -> None:
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(400, 4, generator=g), torch.randn(400, 4, generator=g)
    assert frechet_distance(a, b) < 0.2 < frechet_distance(a, b + 1.0)
    tone = torch.sin(torch.arange(16000) * 2 * torch.pi * 3000 / 16000)[None]
    assert low_pass(tone, 16000, 1000.0).abs().max() < 1e-2
    assert si_snr(tone, 0.5 * tone)[0] > 60  # scale-invariant


def test_caption_fields() -> None:
    assert meter_name(12, 6) == "6/8" and meter_name(12, 4) == "3/4" and meter_name(8, 4) == "2/4"
    assert [tempo_band(b) for b in (60, 90, 129, 130)] == ["slow", "moderate", "moderate", "fast"]
    text = caption("lively", "folk tune", "6/8", "D", "major", "flute", "winds", 140)
    assert text == "a lively folk tune in 6/8, D major, played on a flute at 140 bpm"
    held = held_out_pieces([f"tune{i}" for i in range(10)] * 2, 0.3)
    assert len(held) == 3 and held == held_out_pieces([f"tune{i}" for i in range(10)], 0.3)
