"""The recipe of the ``asr`` task: speech -> phonemes -> text, and its direct baseline.

A recipe is a dataclass tree loaded from YAML (``task: asr`` at the top), overridable as
``key.sub=value``, saved beside the weights. ``representation.kind`` picks the pipeline:

- ``phonemes``: regeneration. Y' = espeak-ng phonemes of the text (word boundaries and
  stress marks are options: the RQ4 knob). Generator: Conformer + CTC over phonemes.
  Renderer: phoneme-to-text transformer trained on unpaired text only, or
  (``renderer.kind: lexicon_lm``) a lexicon + word n-gram beam search counted on it.
- ``characters``: the direct baseline. Y' = Y = characters; the same Conformer + CTC over
  characters, identity renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from regen.compare.budget import RULES as BUDGET_RULES
from regen.config import (
    CompareConfig,
    RecipeHeader,
    TrainConfig,
    check_choices,
    check_stages,
    to_dict,
)
from regen.data.more_text import SOURCES as TEXT_SOURCES
from regen.data.speech import SpeechDataConfig
from regen.errors import ConfigError

RENDERER_KINDS = ("transformer", "lexicon_lm")


@dataclass
class TextConfig:
    """Unpaired text for the renderer: sentences never spoken, plus CMUdict words."""

    max_sentences: int = 0  # cap on unpaired sentences (0: all of them)
    cmudict_words: int = 4000  # single words from CMUdict added to the unpaired text
    # renderer.kind: lexicon_lm only
    lexicon_words: int = 0  # CMUdict words phonemized alone into the lexicon (-1: all)
    lm_sources: list[str] = field(default_factory=list)  # extra LM text: music21, debian
    # your own unpaired text for the renderer (either kind): .txt files or folders of them,
    # one sentence or paragraph a line (regen/data/text_files.py)
    sources: list[str] = field(default_factory=list)


@dataclass
class PhonemeConfig:
    """Y' for speech: ``phonemes`` (regeneration) or ``characters`` (direct baseline)."""

    kind: str = "phonemes"  # phonemes | characters
    word_boundaries: bool = True  # keep the "|" between words in Y'
    stress: bool = False  # keep primary/secondary stress marks as tokens in Y'
    voice: str = "en-us"  # espeak-ng voice whose pronunciation defines Y'


@dataclass
class AcousticConfig:
    """The Conformer + CTC generator (shared by regeneration and the direct baseline)."""

    n_mels: int = 80
    dim: int = 144
    depth: int = 4
    heads: int = 4
    subsample: int = 1  # stride-2 convolutions in front: 1 -> ~43 frames per second
    kernel: int = 15
    dropout: float = 0.1
    freq_masks: int = 2  # SpecAugment
    freq_width: int = 12
    time_masks: int = 2
    time_width: float = 0.05
    beam_size: int = 1  # CTC decoding: 1 greedy, >1 prefix beam search


@dataclass
class P2GConfig:
    """The phoneme-to-text renderer (regeneration only): a transformer, or a lexicon and
    word n-gram model (``kind: lexicon_lm``, regen/renderers/p2g_lexicon.py)."""

    kind: str = "transformer"  # transformer | lexicon_lm
    unit: str = "word"  # word: each word on its own (needs word boundaries) | sentence
    dim: int = 192
    depth: int = 4
    heads: int = 4
    dropout: float = 0.1
    max_len: int = 64  # positions: phonemes + separator + characters (of a word or sentence;
    # about 450 for unit: sentence)
    input_noise: float = 0.03  # fraction of input phonemes replaced at random in training
    beam_size: int = 1  # 1 greedy, >1 beam search
    length_alpha: float = 0.0  # beam score = log P / length ** alpha
    # kind: lexicon_lm (the transformer settings above then shape the fallback word model)
    fallback: str = "neural"  # unknown pronunciations: neural (word transformer) | nearest
    lm_order: int = 3  # n of the word n-gram model
    lm_weight: float = 1.0  # score = lm_weight * log P(words) + log P(phonemes | words)
    lexicon_beam: int = 16  # partial sentences kept by the beam search


@dataclass
class ASRStages:
    """Training of the two learned stages (the representation has nothing to learn)."""

    generator: TrainConfig = field(
        default_factory=lambda: TrainConfig(batch_size=32, lr=1e-3, warmup_steps=100)
    )
    renderer: TrainConfig = field(
        default_factory=lambda: TrainConfig(batch_size=64, lr=1e-3, warmup_steps=100)
    )


@dataclass
class ASREvalConfig:
    """What ``regen compare`` and ``regen study paired`` measure."""

    max_utterances: int = 200  # held-out utterances scored per split (0: all)
    examples: int = 8  # example transcripts shown in the report
    # paired fractions swept by ``regen study paired``
    fractions: list[float] = field(default_factory=lambda: [0.05, 0.1, 0.25, 0.5, 1.0])
    confusions: int = 15  # most frequent phoneme errors shown


@dataclass
class ASRRecipe(RecipeHeader):
    """One speech recognition experiment (regeneration or direct)."""

    task: str = "asr"
    name: str = "asr"
    paired_fraction: float = 1.0  # share of the paired training sentences used (all voices)
    data: SpeechDataConfig = field(default_factory=SpeechDataConfig)
    text: TextConfig = field(default_factory=TextConfig)
    representation: PhonemeConfig = field(default_factory=PhonemeConfig)
    generator: AcousticConfig = field(default_factory=AcousticConfig)
    renderer: P2GConfig = field(default_factory=P2GConfig)
    train: ASRStages = field(default_factory=ASRStages)
    eval: ASREvalConfig = field(default_factory=ASREvalConfig)
    compare: CompareConfig = field(default_factory=lambda: CompareConfig(budget="seconds"))

    @property
    def is_direct(self) -> bool:
        return self.representation.kind == "characters"


def validate(config: ASRRecipe) -> None:
    """Check the values that the types alone do not pin down."""
    if config.representation.kind not in ("phonemes", "characters"):
        raise ConfigError(
            f"'representation.kind' is {config.representation.kind!r}; "
            "choose phonemes (regeneration) or characters (direct)"
        )
    if not 0 < config.paired_fraction <= 1:
        raise ConfigError(f"'paired_fraction' must be in (0, 1], got {config.paired_fraction}")
    if any(not 0 < f <= 1 for f in config.eval.fractions) or not config.eval.fractions:
        raise ConfigError("'eval.fractions' must be a non-empty list of numbers in (0, 1]")
    check_choices(config, {"compare.budget": BUDGET_RULES})
    check_stages(config.train, ("generator", "renderer"))
    for section, model in (("generator", config.generator), ("renderer", config.renderer)):
        if model.dim % model.heads:
            raise ConfigError(f"'{section}.dim' {model.dim} must be divisible by its heads")
        if model.beam_size < 1:
            raise ConfigError(f"'{section}.beam_size' must be at least 1")
    if config.renderer.unit not in ("word", "sentence"):
        raise ConfigError("'renderer.unit' must be word or sentence")
    check_choices(
        config, {"renderer.kind": RENDERER_KINDS, "renderer.fallback": ("neural", "nearest")}
    )
    wordwise = config.renderer.unit == "word" or config.renderer.kind == "lexicon_lm"
    if wordwise and not config.representation.word_boundaries:
        raise ConfigError(
            "renderer.unit: word and renderer.kind: lexicon_lm need "
            "representation.word_boundaries: true (or use a sentence transformer)"
        )
    unknown = [s for s in config.text.lm_sources if s not in TEXT_SOURCES]
    if unknown:
        raise ConfigError(
            f"'text.lm_sources' holds {unknown[0]!r}; choose from: {', '.join(TEXT_SOURCES)}"
        )
    if config.renderer.lm_order < 1 or config.renderer.lexicon_beam < 1:
        raise ConfigError("'renderer.lm_order' and 'renderer.lexicon_beam' must be at least 1")
    if config.generator.kernel % 2 == 0:
        raise ConfigError("'generator.kernel' must be odd (the convolution keeps length)")
    to_dict(config)  # every section must be plain data
