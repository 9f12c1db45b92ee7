"""The sound task's ``generator.text_encoder: words``: the conditioner, padding trim, the LM
and the direct baseline reading hashed word ids, and unknown words still encoding."""

from __future__ import annotations

import pytest
import torch

from regen.config import load_recipe
from regen.contracts import YSpec
from regen.errors import ConfigError
from regen.generators.codes_lm import CaptionCodeLM, trim_captions
from regen.tasks.sound.build import CAPTION_WORDS, CaptionConditioner, build_sound_pipeline
from regen.tasks.sound.config import SoundGeneratorConfig, validate
from tests.tiny_sound import TINY_SOUND, fit_codes

CAPTIONS = ["a lively folk tune in 6/8, D major, played on a flute at 140 bpm", "a slow chorale"]


def test_words_conditioner_gives_word_ids() -> None:
    x = CaptionConditioner("words").encode(CAPTIONS)
    assert x.shape == (2, CAPTION_WORDS, 2) and x.dtype == torch.int64
    assert int((x[1, :, 0] != 0).sum()) == 3  # "a slow chorale"
    bytes_x = CaptionConditioner().encode(CAPTIONS)
    assert bytes_x.dim() == 2  # the default stays byte-level, so old runs load


def test_unknown_text_encoder_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="text_encoder"):
        CaptionConditioner("minilm")
    with pytest.raises(ConfigError, match="text_encoder"):
        validate(load_recipe("sound/codec_tokens", [*TINY_SOUND, "generator.text_encoder=bpe"]))


def test_trim_captions_drops_padding_words_only() -> None:
    x = CaptionConditioner("words").encode(CAPTIONS)
    trimmed = trim_captions(x)
    longest = int((x[..., 0] != 0).sum(1).max())
    assert trimmed.shape == (2, longest, 2)
    assert torch.equal(trimmed, x[:, :longest])


@pytest.mark.parametrize("recipe", ["sound/codec_tokens", "sound/direct"])
def test_pipelines_read_words_and_unknown_words(recipe) -> None:
    config = load_recipe(recipe, [*TINY_SOUND, "generator.text_encoder=words"])
    pipeline = build_sound_pipeline(config).eval()
    x = pipeline.conditioner.encode(["a zyzzyva tune played on a theremin"])  # never seen
    assert x.dim() == 3
    with torch.inference_mode():
        y_prime = pipeline.generate(x, generator=torch.Generator().manual_seed(0), frames=4)
    assert torch.isfinite(y_prime.float()).all()


def test_both_recipes_share_the_caption_encoder() -> None:
    """A fair comparison: the baseline reads captions as the regeneration LM does."""
    regen = load_recipe("sound/codec_tokens", [])
    direct = load_recipe("sound/direct", [])
    assert regen.generator.text_encoder == direct.generator.text_encoder


def _words_lm(caption_sum: bool) -> CaptionCodeLM:
    cfg = SoundGeneratorConfig(
        condition="text", text_encoder="words", hidden=32, depth=2, heads=2, dropout=0.0,
        pattern="delay", cond_drop_prob=0.2, guidance_scale=3.0, temperature=1.0, top_k=8,
        caption_sum=caption_sum,
    )  # fmt: skip
    spec = YSpec("discrete", (2, None), dtype="int64", vocab_size=16)
    torch.manual_seed(0)
    return CaptionCodeLM(spec, cfg, frames=6).eval()


@pytest.mark.parametrize("caption_sum", [False, True])
@pytest.mark.parametrize("guidance", [1.0, 3.0])
def test_words_lm_cache_equals_recomputation(caption_sum, guidance) -> None:
    lm = _words_lm(caption_sum)
    x = CaptionConditioner("words").encode(CAPTIONS)
    draws = [
        lm.sample(x, generator=torch.Generator().manual_seed(3), guidance_scale=guidance,
                  use_cache=use_cache)
        for use_cache in (True, False)
    ]  # fmt: skip
    assert torch.equal(draws[0], draws[1])


def test_caption_sum_only_adds_parameters_when_on() -> None:
    """Runs saved before the option load: with it off the state_dict is unchanged."""
    off, on = _words_lm(False), _words_lm(True)
    assert not any(k.startswith("caption_sum") for k in off.state_dict())
    assert any(k.startswith("caption_sum") for k in on.state_dict())


@pytest.mark.parametrize("caption_sum", [False, True])
def test_words_lm_learns_a_caption_dependent_code(caption_sum) -> None:
    lm = _words_lm(caption_sum).train()
    lm.cfg.cond_drop_prob = 0.0
    x = CaptionConditioner("words").encode(["a low tune", "a high tune"])
    codes = torch.stack([torch.zeros(2, 6), torch.full((2, 6), 9)]).long()
    fit_codes(lm, x, codes, steps=120)
    sampled = lm.eval().sample(x, temperature=0.0, guidance_scale=1.0)
    assert torch.equal(sampled, codes)


def test_input_noise_corrupts_real_codes_in_training_only() -> None:
    lm = _words_lm(False)
    lm.cfg.input_noise = 0.5
    read = torch.randint(0, 16, (4, 50, 2))
    read[:, :3] = lm.pad
    assert torch.equal(lm.corrupt(read), read)  # eval: untouched
    noisy = lm.train().corrupt(read)
    changed = (noisy != read).float().mean().item()
    assert 0.3 < changed < 0.6  # about half of the real codes, less the random repeats
    assert torch.equal(noisy[:, :3], read[:, :3])  # padding stays
    assert int(noisy[:, 3:].max()) < 16  # drawn codes are codes


def test_true_mel_griffin_lim_is_the_recipes_renderer() -> None:
    """The renderer's ceiling ("griffin-lim resynthesis") runs the recipe's iterations, not
    Griffin-Lim's default; beside a vocoder it is the default reference."""
    from regen.renderers.griffin_lim import GriffinLimRenderer
    from regen.tasks.sound.evaluate import true_mel_griffin_lim

    config = load_recipe("sound/codec_tokens", [*TINY_SOUND, "renderer.griffin_lim_iterations=5"])
    renderer = build_sound_pipeline(config).renderer
    assert true_mel_griffin_lim(renderer).iterations == 5
    vocoder = load_recipe("sound/codec_tokens", [*TINY_SOUND, "renderer.kind=vocoder"])
    reference = true_mel_griffin_lim(build_sound_pipeline(vocoder).renderer)
    assert isinstance(reference, GriffinLimRenderer) and reference.iterations == 32
