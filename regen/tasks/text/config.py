"""The recipe of the ``text`` task: package record -> content template -> one-line synopsis.

``representation.kind`` picks the pipeline:

- ``content`` (or ``words``, ``lemmas``, ``lemmas_cased``, ``skeleton``): regeneration.
  Y' = the synopsis's template by a fixed rule on Y alone
  (regen/representations/text_template.py). Generator: X -> Y' on the paired split;
  renderer: Y' -> Y on the synopsis-only split.
- ``identity``: the direct baseline, X -> Y with the same model family on the paired split;
  ``train.lm.steps > 0`` first trains its decoder as a language model on the synopsis-only
  text (the direct variant that sees as much text as regen).
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
from regen.errors import ConfigError
from regen.representations.text_template import KINDS


@dataclass
class TextDataConfig:
    """Which records, how they are split (by source package) and how they are cut."""

    records_file: str = ""  # a deb822 record file (e.g. /var/lib/dpkg/status); "": apt lists
    lists_dir: str = ""  # apt lists folder ("": $XDG_CACHE_HOME/regen/apt-lists)
    max_per_source: int = 3  # records kept per source package (formulaic families)
    paired: float = 0.2  # shares of the source packages per split; the rest of the four
    unpaired: float = 0.6
    dev: float = 0.1  # (the test split gets 1 - paired - unpaired - dev)
    max_paired: int = 0  # caps on the items used (0: all), for quick runs
    max_unpaired: int = 0
    max_x_tokens: int = 96  # X is cut to this many word pieces
    max_y_tokens: int = 32  # longer synopses / templates are cut
    vocab_size: int = 8000  # word pieces besides single characters


@dataclass
class TemplateConfig:
    # content | words | lemmas | lemmas_cased | skeleton (regeneration) | identity (direct)
    kind: str = "content"


@dataclass
class Seq2SeqConfig:
    """The one model family of every learned stage: a decoder-only prefix transformer."""

    dim: int = 128
    depth: int = 3
    heads: int = 4
    dropout: float = 0.1
    input_noise: float = 0.0  # share of input tokens replaced at random in training
    copy: bool = True  # a pointer-generator copy of source tokens (prefix_seq2seq)
    # decoding (the same for every system of a compare: regen's two stages, direct, direct_lm;
    # chosen on dev records, see benchmarks/text_regen_vs_direct.py)
    beam: int = 4  # beam width (1: greedy)
    no_repeat_ngram: int = 2  # n > 0: never write an n-gram of pieces twice (0: off)
    # n > 0: never write a whole word of n or more letters twice (the piece guard lets
    # "binary object binary AVR" through); 0: off, as runs saved before it decode
    no_repeat_words: int = 0
    # true: a word spelled letter by letter (outside the vocabulary) may only go on along a
    # word of the source spelled the same way (prefix_seq2seq.SpellingGuard), against
    # invented words; false: off, as runs saved before it decode
    spell_from_source: bool = False
    # a > 0: beam hypotheses ranked by summed log-probability / length ** a (a > 1 favours
    # longer texts); 0: by the sum in the search, by the mean at the end. regen compare picks
    # it per system on dev records (eval.length_penalties)
    length_penalty: float = 0.0


@dataclass
class TextStages:
    generator: TrainConfig = field(
        default_factory=lambda: TrainConfig(steps=1000, batch_size=32, lr=1e-3, warmup_steps=50)
    )
    renderer: TrainConfig = field(
        default_factory=lambda: TrainConfig(steps=1000, batch_size=32, lr=1e-3, warmup_steps=50)
    )
    # direct only (regeneration recipes ignore it): decoder language-model pretraining on
    # the synopsis-only text (0: none); regen compare sets it for the direct_lm variant
    lm: TrainConfig = field(
        default_factory=lambda: TrainConfig(steps=0, batch_size=32, lr=1e-3, warmup_steps=50)
    )


@dataclass
class TextEvalConfig:
    max_items: int = 500  # test records scored (0: all)
    examples: int = 10  # example rows in the report
    lm_order: int = 3  # n of the synopsis n-gram LM behind the perplexity metric
    # decoding length penalties tried per system on dev records before the test (empty: the
    # recipe's own); the one with the best dev BLEU is used on every stage of that system
    length_penalties: list[float] = field(default_factory=list)
    dev_items: int = 200  # dev records that choose it
    # true: regen's generator and renderer each get their own value of the grid (the best
    # pair on dev); false: one value for both stages, as before
    length_penalty_per_stage: bool = False


@dataclass
class TextRecipe(RecipeHeader):
    """One text-generation experiment (regeneration or direct)."""

    task: str = "text"
    name: str = "text"
    data: TextDataConfig = field(default_factory=TextDataConfig)
    representation: TemplateConfig = field(default_factory=TemplateConfig)
    generator: Seq2SeqConfig = field(default_factory=Seq2SeqConfig)
    renderer: Seq2SeqConfig = field(default_factory=lambda: Seq2SeqConfig(input_noise=0.05))
    train: TextStages = field(default_factory=TextStages)
    eval: TextEvalConfig = field(default_factory=TextEvalConfig)
    compare: CompareConfig = field(default_factory=CompareConfig)

    @property
    def is_direct(self) -> bool:
        return self.representation.kind == "identity"


def validate(config: TextRecipe) -> None:
    """What the types alone do not pin down; a ConfigError names the fix."""
    check_choices(
        config,
        {"representation.kind": (*KINDS, "identity"), "compare.budget": BUDGET_RULES},
    )
    d = config.data
    shares = (d.paired, d.unpaired, d.dev)
    if any(s <= 0 for s in shares) or sum(shares) >= 1:
        raise ConfigError(
            "data.paired, data.unpaired and data.dev must be positive with a sum below 1 "
            "(the test split gets the rest)"
        )
    if d.max_per_source < 1 or d.max_x_tokens < 8 or d.max_y_tokens < 4 or d.vocab_size < 0:
        raise ConfigError(
            "data.max_per_source >= 1, data.max_x_tokens >= 8, data.max_y_tokens >= 4 "
            "and data.vocab_size >= 0"
        )
    for section in ("generator", "renderer"):
        model = getattr(config, section)
        if model.dim % model.heads:
            raise ConfigError(f"'{section}.dim' {model.dim} must be divisible by its heads")
    check_stages(config.train, ("generator", "renderer", "lm"))
    to_dict(config)
