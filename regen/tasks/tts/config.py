"""The recipe of the ``tts`` task: text -> mel-spectrogram -> waveform, and its direct baseline.

A recipe is a dataclass tree loaded from YAML (``task: tts`` at the top), overridable as
``key.sub=value`` and saved beside the weights. ``representation.kind`` picks the pipeline:

- ``mel``: regeneration. Y' = 80-band log-mel (hop 256). Generator: FastSpeech-style
  (phoneme encoder, duration/pitch/energy predictors, length regulator, speaker embedding,
  mel decoder). Renderer: ``vocoder`` (Vocos-style ConvNeXt + iSTFT, trained on waveforms
  alone) or ``griffin_lim`` (no training).
- ``waveform``: the direct baseline. Y' = Y = the waveform; the same encoder, variance
  adaptor and frame decoder, then an upsampling waveform decoder (the same ConvNeXt + iSTFT
  head as the vocoder), trained end to end on waveform losses; identity renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from regen.compare.budget import RULES as BUDGET_RULES
from regen.config import CompareConfig, RecipeHeader, TrainConfig, check_choices, check_stages
from regen.data.speech import SpeechDataConfig
from regen.errors import ConfigError
from regen.losses.discriminators import DISCRIMINATOR_SETS
from regen.modules.waveform_decoder import PHASE_MODES


@dataclass
class TTSRepresentationConfig:
    """Y' of the pipeline: ``mel`` (regeneration), ``mel_vae`` / ``mel_rvq`` (learned
    continuous / discrete Y' over the log-mel) or ``waveform`` (direct baseline)."""

    kind: str = "mel"  # mel | mel_vae | mel_rvq | waveform
    n_mels: int = 80
    n_fft: int = 1024
    hop: int = 256
    fmax: float = 8000.0
    # learned Y' over the log-mel (mel_vae, mel_rvq): a frame-rate 1-D conv autoencoder
    latent_channels: int = 16
    hidden: int = 128
    layers: int = 2
    kl_weight: float = 1e-3  # mel_vae: weight of the KL term next to the mel L1 (nats)
    codebook_size: int = 256  # mel_rvq: codes per level
    num_quantizers: int = 4  # mel_rvq: residual levels Q
    commitment_weight: float = 0.25  # mel_rvq


@dataclass
class AcousticModelConfig:
    """The FastSpeech-style text -> frames model (shared by regeneration and direct)."""

    kind: str = "fastspeech"
    dim: int = 128
    encoder_layers: int = 2
    decoder_layers: int = 2
    heads: int = 2
    ffn_kernel: int = 3  # FFT block convolution width (FastSpeech used 9; 3 is ~3x cheaper)
    predictor_kernel: int = 3
    dropout: float = 0.1
    duration_weight: float = 1.0
    pitch_weight: float = 0.5
    energy_weight: float = 0.5
    waveform_crop_frames: int = 32  # direct only: frames per item decoded to waveform per step
    # sampling temperature of the stochastic generators: flow = std of the source noise
    # (Matcha-TTS' 0.667); ar = softmax temperature (0 = greedy; its recipe sets 0.7)
    temperature: float = 0.667
    # kind ar (mel_rvq codes only): a causal frame transformer over the trunk's aligned states
    ar_dim: int = 128
    ar_layers: int = 2
    ar_heads: int = 2
    ar_context: int = 256  # frames each step attends to (~3 s): O(1) work per frame at any length
    top_k: int = 16  # keep the k most likely codes per level (0 = all)
    ar_code_noise: float = 0.0  # training: share of previous-frame input codes made random
    # kind flow (regen/generators/flow_matching.py): OT-CFM decoder over continuous Y'
    flow_steps: int = 10  # Euler steps at sampling (the velocity net runs this many times)
    sigma_min: float = 1e-4  # OT-CFM path width at t = 1 (Lipman et al. 2023)
    flow_dim: int = 96  # velocity network width
    flow_layers: int = 4  # velocity network ConvNeXt blocks
    prior_weight: float = 1.0  # L1 of the prior mean mu to Y' next to the flow loss
    flow_from_mu: bool = True  # source N(mu, I) (Grad-TTS) instead of N(0, I) (Matcha)


@dataclass
class VocoderConfig:
    """The waveform decoder: the Vocos-style vocoder, and the direct baseline's head."""

    kind: str = "vocoder"  # vocoder | griffin_lim | identity (direct baseline)
    dim: int = 128
    layers: int = 4
    intermediate: int = 384
    segment_frames: int = 32  # vocoder training crops, in frames of hop 256
    # absolute (Vocos: the head predicts each frame's phase) | accumulated (it predicts the
    # advance from the previous frame; see regen/modules/waveform_decoder.py)
    phase: str = "absolute"
    # predict a correction to the log of the mel's pseudo-inverse magnitude (the magnitude
    # Griffin-Lim uses) instead of the whole log-magnitude
    magnitude_prior: bool = False
    # render only: Griffin-Lim iterations from the vocoder's phase (0: the network's output
    # as is); training never runs them, so the same weights serve any value
    refine_iterations: int = 0
    griffin_lim_iterations: int = 32
    mel_weight: float = 5.0  # mel L1 (nats) next to the STFT terms
    stft_weight: float = 1.0
    # GAN (regen/losses/adversarial.py): multi-period + multi-resolution STFT
    # discriminators, LSGAN + feature matching; also used by the direct baseline's decoder
    adversarial_weight: float = 0.0  # LSGAN generator term; 0 = no discriminators at all
    feature_weight: float = 0.1  # feature-matching L1 (used only when the GAN is on)
    adversarial_start: int = 0  # steps of spectral-only warm-up (vocoder; direct: its generator)
    discriminator_channels: int = 8  # base width of every sub-discriminator (CPU-small)
    discriminator_lr: float = 2e-4
    discriminators: str = "mpd+mrd"  # mpd+mrd (Vocos) | mpd+msd (HiFi-GAN's original pair)


@dataclass
class TTSStages:
    """Training of the learned stages (the mel representation has nothing to learn)."""

    representation: TrainConfig = field(
        default_factory=lambda: TrainConfig(batch_size=16, lr=1e-3, warmup_steps=100)
    )
    generator: TrainConfig = field(
        default_factory=lambda: TrainConfig(batch_size=16, lr=1e-3, warmup_steps=100)
    )
    renderer: TrainConfig = field(
        default_factory=lambda: TrainConfig(batch_size=16, lr=5e-4, warmup_steps=100)
    )


@dataclass
class TTSEvalConfig:
    """What ``regen compare`` measures on held-out sentences."""

    num_utterances: int = 16  # held-out test utterances scored (MCD, F0, durations, RTF)
    report_utterances: int = 4  # of those, shown with audio players in the report
    mcd_order: int = 24  # mel-cepstrum order (c1..c24; c0 excluded)
    mcd_alpha: float = 0.455  # all-pass constant for 22,050 Hz
    asr_run: str = "runs/asr_phonemes"  # regen's recognizer for intelligibility (if trained)


@dataclass
class TTSRecipeConfig(RecipeHeader):
    """One runnable TTS experiment."""

    task: str = "tts"
    name: str = "tts"
    data: SpeechDataConfig = field(default_factory=SpeechDataConfig)
    representation: TTSRepresentationConfig = field(default_factory=TTSRepresentationConfig)
    generator: AcousticModelConfig = field(default_factory=AcousticModelConfig)
    renderer: VocoderConfig = field(default_factory=VocoderConfig)
    train: TTSStages = field(default_factory=TTSStages)
    eval: TTSEvalConfig = field(default_factory=TTSEvalConfig)
    compare: CompareConfig = field(default_factory=lambda: CompareConfig(budget="seconds"))

    @property
    def is_direct(self) -> bool:
        return self.representation.kind == "waveform"

    @property
    def is_learned(self) -> bool:
        """Y' is a learned code over the log-mel (a trained representation stage)."""
        return self.representation.kind in LEARNED_KINDS


LEARNED_KINDS = ("mel_vae", "mel_rvq")

CHOICES = {
    "representation.kind": ("mel", "waveform", "mel_vae", "mel_rvq"),
    "generator.kind": ("fastspeech", "ar", "flow"),
    "renderer.kind": ("vocoder", "griffin_lim", "identity"),
    "renderer.discriminators": DISCRIMINATOR_SETS,
    "renderer.phase": PHASE_MODES,
    "compare.budget": BUDGET_RULES,
}


def check_pretrainable(config: TTSRecipeConfig) -> None:
    """Only a vocoder on the plain log-mel is trained apart from the other stages."""
    if config.renderer.kind != "vocoder" or config.representation.kind != "mel":
        raise ConfigError(
            "pretrained_renderer needs representation.kind: mel and renderer.kind: vocoder "
            f"(got {config.representation.kind} / {config.renderer.kind}); a learned Y' "
            "trains its renderer with the representation"
        )


def validate(config: TTSRecipeConfig) -> None:
    """Check the values that the types alone do not pin down."""
    check_choices(config, CHOICES)
    if config.pretrained_renderer and not config.is_direct:
        check_pretrainable(config)
    if config.is_direct != (config.renderer.kind == "identity"):
        raise ConfigError(
            "representation.kind waveform (the direct baseline) goes with renderer.kind "
            "identity, and mel, mel_vae or mel_rvq with vocoder or griffin_lim"
        )
    if config.generator.kind == "flow" and config.representation.kind not in ("mel", "mel_vae"):
        raise ConfigError(
            f"generator.kind flow needs a continuous Y' (representation.kind mel or mel_vae), "
            f"not {config.representation.kind}; use generator.kind fastspeech for it"
        )
    rep = config.representation
    if rep.hop * 4 != rep.n_fft:
        raise ConfigError("representation.n_fft must be 4 x representation.hop (1024 and 256)")
    if (
        config.is_learned
        and min(rep.latent_channels, rep.hidden, rep.layers, rep.num_quantizers) < 1
    ):
        raise ConfigError(
            "representation.latent_channels, hidden, layers and num_quantizers must be >= 1"
        )
    if config.is_learned and rep.codebook_size < 2:
        raise ConfigError("representation.codebook_size must be at least 2")
    if config.generator.kind == "ar":
        check_ar(config)
    if config.data.num_sentences < 4:
        raise ConfigError("data.num_sentences must be at least 4")
    voc = config.renderer
    if min(voc.adversarial_weight, voc.feature_weight, voc.adversarial_start) < 0:
        raise ConfigError(
            "renderer.adversarial_weight, feature_weight and adversarial_start must be >= 0"
        )
    if voc.discriminator_channels < 1 or voc.discriminator_lr <= 0:
        raise ConfigError("renderer.discriminator_channels must be >= 1, discriminator_lr > 0")
    check_stages(config.train, ("representation", "generator", "renderer"))
    if config.eval.num_utterances < 1 or config.eval.report_utterances < 1:
        raise ConfigError("eval.num_utterances and eval.report_utterances must be at least 1")


def check_ar(config: TTSRecipeConfig) -> None:
    """The autoregressive generator's settings; it predicts residual-VQ codes only."""
    gen = config.generator
    if config.representation.kind != "mel_rvq":
        raise ConfigError(
            f"generator.kind ar predicts discrete codes: it needs representation.kind mel_rvq, "
            f"not {config.representation.kind} (or use generator.kind fastspeech)"
        )
    if (
        min(gen.ar_dim, gen.ar_layers, gen.ar_heads, gen.ar_context) < 1
        or gen.ar_dim % gen.ar_heads
    ):
        raise ConfigError(
            "generator.ar_dim, ar_layers, ar_heads and ar_context must be >= 1, "
            "and ar_dim divisible by ar_heads"
        )
    if not 0 <= gen.ar_code_noise < 1:
        raise ConfigError("generator.ar_code_noise must be in [0, 1)")
    if gen.temperature < 0 or gen.top_k < 0:
        raise ConfigError(
            "generator.temperature and generator.top_k must be >= 0 (0 = greedy / all)"
        )
