"""The contracts declare what the loop and the tasks rely on: every built-in stage satisfies
the protocols it claims (and no others), X carries its conditions, renderers take a random
generator through the pipeline, and the loop's GAN hook is a no-op without an adversary."""

from __future__ import annotations

import pytest
import torch

from regen.config import TrainConfig, load_recipe
from regen.contracts import (
    Adversarial,
    Calibrated,
    Codebook,
    Counted,
    Generator,
    HasTrunk,
    Renderer,
    RenderLoss,
    Representation,
    Symbolic,
    Trainable,
    WrapsMel,
    XBatch,
    YSpec,
)
from regen.data.text_frontend import PhonemeVocabulary
from regen.generators.lyrics import C_BAR, C_BEAT, C_STRESS, CONDITION_COLUMNS
from regen.modules.dsp import LinearSpectrogram, MelSpectrogram
from regen.pipeline import Pipeline
from regen.renderers.griffin_lim import GriffinLimRenderer
from regen.representations.identity import IdentityRepresentation
from regen.tasks.asr.train import build_asr_pipeline
from regen.tasks.image.build import build_pipeline
from regen.tasks.melody.train import build_melody_pipeline, generate_melodies
from regen.tasks.sound.build import build_sound_pipeline
from regen.tasks.tts.pipeline import PhonemeConditioner, build_tts_pipeline
from regen.training import distributed
from regen.training.gan import GanHook, NoGan
from tests.asr_tiny import TINY_ASR
from tests.melody_tiny import TINY_MELODY
from tests.tiny import TINY
from tests.tiny_sound import TINY_SOUND
from tests.tiny_tts import TINY_TTS
from tests.unit.test_discriminators import tiny_vocoder
from tests.unit.toy_models import ToyGAN, ToyRegressor

CAPABILITIES = {
    "Trainable": Trainable,
    "Adversarial": Adversarial,
    "Calibrated": Calibrated,
    "Counted": Counted,
    "Codebook": Codebook,
    "RenderLoss": RenderLoss,
    "WrapsMel": WrapsMel,
    "HasTrunk": HasTrunk,
    "Symbolic": Symbolic,
}
T, TRUNK, GAN = "Trainable", "HasTrunk", "Adversarial"
AE = {T, "Calibrated", "RenderLoss"}  # the image autoencoders
# recipe -> (representation, generator, renderer): the capabilities each stage has
CLAIMS = {
    "image/glyphs_latent_diffusion": (AE, {T}, set()),
    "image/glyphs_vq_ar": ({T, "Codebook"}, {T}, set()),
    "image/glyphs_downsample_sr": (set(), {T}, {T}),
    "image/glyphs_direct": (set(), {T}, set()),
    "tts/fastspeech_vocos": (set(), {T, TRUNK}, {T, GAN}),
    "tts/fastspeech_griffin_lim": (set(), {T, TRUNK}, set()),
    "tts/fastspeech_flow": (set(), {T, TRUNK}, {T, GAN}),
    "tts/vae_latent": ({T, "Calibrated", "WrapsMel"}, {T, TRUNK}, {T, GAN}),
    "tts/vae_flow": ({T, "Calibrated", "WrapsMel"}, {T, TRUNK}, {T, GAN}),
    "tts/rvq_codes": ({T, "WrapsMel", "Codebook"}, {T, TRUNK}, {T, GAN}),
    "tts/rvq_codes_ar": ({T, "WrapsMel", "Codebook"}, {T, TRUNK}, {T, GAN}),
    "tts/direct_waveform": (set(), {T, TRUNK, GAN}, set()),
    "asr/phonemes": ({"Symbolic"}, {T}, {T, "Counted"}),
    "asr/characters": (set(), {T}, set()),
    "melody/chorales_template": (set(), {T}, {T}),
    "melody/chorales_direct": (set(), {T}, set()),
    "sound/codec_tokens": ({T, "WrapsMel", "Codebook"}, {T}, {T, GAN}),
    "sound/direct": (set(), {T}, set()),
}


def build(recipe: str) -> Pipeline:
    task = recipe.split("/")[0]
    if task == "image":
        names = [str(d) for d in range(10)]
        return build_pipeline(load_recipe(recipe, TINY), (1, 8, 8), names)
    if task == "tts":
        config = load_recipe(recipe, TINY_TTS)
        return build_tts_pipeline(config, PhonemeConditioner(PhonemeVocabulary(), ["a", "b"]))
    if task == "asr":
        return build_asr_pipeline(load_recipe(recipe, TINY_ASR))
    if task == "sound":
        return build_sound_pipeline(load_recipe(recipe, TINY_SOUND))
    return build_melody_pipeline(load_recipe(recipe, TINY_MELODY))


@pytest.mark.parametrize("recipe", sorted(CLAIMS))
def test_every_stage_satisfies_exactly_the_capabilities_it_claims(recipe: str) -> None:
    pipeline = build(recipe)
    stages = (pipeline.representation, pipeline.generator, pipeline.renderer)
    for stage, contract, claimed in zip(
        stages, (Representation, Generator, Renderer), CLAIMS[recipe]
    ):
        assert isinstance(stage, contract)
        has = {name for name, protocol in CAPABILITIES.items() if isinstance(stage, protocol)}
        assert has == claimed, f"{recipe}: {type(stage).__name__}"
        # what the loop relies on: a stage that learns can be trained
        assert not stage.trainable or isinstance(stage, Trainable), type(stage).__name__


class _Echo:
    """A generator whose Y' is its X; records nothing."""

    trainable = True

    def __init__(self, spec: YSpec) -> None:
        self.spec = spec

    def training_loss(self, batch):
        raise NotImplementedError

    def sample(self, x, *, generator=None, **sampling):
        return XBatch.of(x).x.float()


class _Recorder:
    """A renderer that remembers the random generator each call was given."""

    trainable = False

    def __init__(self, spec: YSpec) -> None:
        self.spec, self.seen = spec, []

    def render(self, y_prime, *, generator=None):
        self.seen.append(generator)
        return y_prime


def test_pipeline_render_and_sample_forward_the_random_generator() -> None:
    spec = YSpec("continuous", (3,))
    recorder = _Recorder(spec)
    pipeline = Pipeline(IdentityRepresentation(spec), _Echo(spec), recorder)
    rng = torch.Generator().manual_seed(0)
    pipeline.render(torch.zeros(2, 3), generator=rng)
    assert recorder.seen == [rng]
    pipeline.sample(torch.zeros(5, 3), seed=1, batch_size=2)
    assert len(recorder.seen) == 4 and all(isinstance(g, torch.Generator) for g in recorder.seen)


def test_xbatch_indexes_every_condition_and_generate_refuses_them_as_options() -> None:
    batch = XBatch(torch.arange(12).view(4, 3), speakers=torch.tensor([0, 1, 2, 3]))
    part = batch[1:3]
    assert len(part) == 2 and part.speakers.tolist() == [1, 2] and part.lengths is None
    assert torch.equal(part.x, batch.x[1:3]) and XBatch.of(part) is part
    spec = YSpec("continuous", (3,))
    pipeline = Pipeline(IdentityRepresentation(spec), _Echo(spec), _Recorder(spec))
    with pytest.raises(TypeError, match="speakers is part of X"):
        pipeline.generate(batch.x, speakers=batch.speakers)


def test_tts_speakers_travel_in_x() -> None:
    torch.manual_seed(0)
    pipeline = build("tts/fastspeech_griffin_lim").eval()
    ids = torch.tensor([[3, 5, 7, 9, 11]])
    spoken = {s: pipeline.generate(XBatch(ids, speakers=torch.tensor([s]))) for s in (0, 1)}
    assert torch.equal(spoken[0], pipeline.generate(ids))  # no speakers: speaker 0
    expected = pipeline.generator.predict(ids, torch.tensor([1]))[0]
    assert torch.equal(spoken[1], expected) and not torch.equal(spoken[0], spoken[1])


def test_melody_renderer_draws_from_the_seed_through_the_pipeline() -> None:
    torch.manual_seed(0)
    pipeline = build("melody/chorales_template").eval()
    x = torch.zeros(3, 10, len(CONDITION_COLUMNS), dtype=torch.long)  # key C, start 0
    x[..., C_STRESS], x[..., C_BAR], x[..., C_BEAT] = 1, 16, 4  # unstressed syllables in 4/4
    torch.manual_seed(1)  # the global RNG must not matter: the seed alone decides
    first, templates = generate_melodies(pipeline, x, seed=5)
    torch.manual_seed(2)
    again, _ = generate_melodies(pipeline, x, seed=5)
    other, _ = generate_melodies(pipeline, x, seed=6)
    assert templates is not None and torch.equal(first, again)
    assert not torch.equal(first, other)


@pytest.mark.parametrize("rep", [MelSpectrogram(), LinearSpectrogram()], ids=["mel", "linear"])
def test_griffin_lim_renders_mel_and_linear_spectrograms_like_their_decode(rep) -> None:
    wav = 0.3 * torch.sin(torch.arange(4096) / 10.0)[None]
    y_prime = rep.encode(wav)
    assert torch.equal(GriffinLimRenderer(rep, 32).render(y_prime), rep.decode(y_prime))


def test_gan_hook_is_a_no_op_without_an_adversary() -> None:
    cfg, dist = TrainConfig(steps=4), distributed.current()
    assert isinstance(GanHook.maybe(ToyGAN(), cfg, dist), GanHook)
    for model in (ToyRegressor(), tiny_vocoder(adversarial_weight=0.0)):
        hook = GanHook.maybe(model, cfg, dist)
        assert isinstance(hook, NoGan)
        assert hook.step({}, 0, False) == (0.0, {}) and hook.state() == ({}, {})
