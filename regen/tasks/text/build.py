"""The text task's shared pieces: the run's codec (texts <-> ids), the data every run of one
compare shares (corpus, vocabulary, templates), and the untrained pipeline of a recipe.

Apart from train.py so that the renderer asset (renderer_asset.py), which train.py uses,
can build and load without importing train.py back.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass

import torch

from regen.contracts import YSpec
from regen.data.cache import cache_dir
from regen.generators.text_seq2seq import TextSeq2Seq
from regen.modules.sequences import pad_rows
from regen.modules.word_pieces import WordPieces
from regen.pipeline import Pipeline
from regen.renderers.template_to_text import TemplateToText
from regen.representations.text_template import RULE_VERSION as TEMPLATE_RULE_VERSION
from regen.representations.text_template import TextTemplate, template
from regen.tasks.text.config import TextRecipe
from regen.tasks.text.data import TextCorpus, load_corpus, x_text


class TextCodec:
    """Texts <-> padded id tensors over the run's vocabulary (the pipeline's conditioner)."""

    def __init__(self, vocab: WordPieces, max_x: int, max_y: int) -> None:
        self.vocab, self.max_x, self.max_y = vocab, max_x, max_y

    def encode(self, texts: list[str]) -> torch.Tensor:
        """X texts -> ids [N, <= max_x]."""
        return self.ids(texts, self.max_x)

    def ids(self, texts: list[str], limit: int) -> torch.Tensor:
        return pad_rows([self.vocab.encode(t)[:limit] or [1] for t in texts])[0]

    def texts(self, ids: torch.Tensor) -> list[str]:
        return [self.vocab.decode(row) for row in ids.tolist()]


@dataclass
class TextData:
    """The corpus and everything every run of one compare shares (vocabulary, templates)."""

    corpus: TextCorpus
    codec: TextCodec
    templates: dict[str, str]  # synopsis -> its template (the recipe's kind)
    paired: list  # the records used (after data.max_paired)
    unpaired: list  # the synopsis-only records used (after data.max_unpaired)

    @property
    def vocab(self) -> WordPieces:
        return self.codec.vocab


def _capped(records: list, limit: int, seed: int) -> list:
    records = list(records)
    random.Random(seed).shuffle(records)
    return records[:limit] if limit else records


def template_kind(config: TextRecipe) -> str:
    """The template kind of a recipe's Y' (a direct run has none: the content one stands in)."""
    return "content" if config.is_direct else config.representation.kind


def load_text_data(config: TextRecipe, corpus: TextCorpus | None = None) -> TextData:
    corpus = corpus or load_corpus(config.data, config.seed)
    paired = _capped(corpus.splits["paired"], config.data.max_paired, config.seed)
    unpaired = _capped(corpus.splits["unpaired"], config.data.max_unpaired, config.seed)
    kind = template_kind(config)
    synopses = sorted({r.synopsis for r in paired + unpaired})
    templates = cached_templates(synopses, kind)
    # the vocabulary is fitted on the content templates whatever the kind: every other kind
    # adds almost no piece they and the synopses lack, and regen of any kind and the direct model
    # of one compare then share one vocabulary
    content = templates if kind == "content" else cached_templates(synopses, "content")
    texts = [x_text(r) for r in paired] + synopses + list(content.values())
    vocab = WordPieces.fit(texts, config.data.vocab_size)
    codec = TextCodec(vocab, config.data.max_x_tokens, config.data.max_y_tokens)
    return TextData(corpus, codec, templates, paired, unpaired)


def cached_templates(synopses: list[str], kind: str) -> dict[str, str]:
    """``{synopsis: template}``, cached under the user cache dir (tagging 40,000 synopses
    takes about a minute); the key covers the texts, the kind and the rule's version."""
    digest = hashlib.sha256(json.dumps([TEMPLATE_RULE_VERSION, kind, synopses]).encode())
    path = cache_dir() / f"text-templates-{digest.hexdigest()[:16]}.json"
    if path.is_file():
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            pass  # damaged: rebuilt below
    templates = {s: template(s, kind) for s in synopses}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(templates))
    tmp.replace(path)
    return templates


def render_texts(
    render: Callable[[torch.Tensor], torch.Tensor],
    codec: TextCodec,
    templates: list[str],
    batch: int = 64,
) -> list[str]:
    """Template texts -> synopsis texts through ``render`` (a pipeline's ``render`` or a
    renderer's), ``batch`` at a time, each template cut to ``codec.max_y`` pieces."""
    out: list[str] = []
    for start in range(0, len(templates), batch):
        out += codec.texts(render(codec.ids(templates[start : start + batch], codec.max_y)))
    return out


def renderer_tensors(data: TextData, limit: int) -> dict[str, torch.Tensor]:
    """The renderer's training data, the synopsis-only split: its templates (``y_prime``)
    and synopses (``y``) as ids of at most ``limit`` pieces (in the run or as an asset)."""
    return {
        "y_prime": data.codec.ids([data.templates[r.synopsis] for r in data.unpaired], limit),
        "y": data.codec.ids([r.synopsis for r in data.unpaired], limit),
    }


def synopsis_spec(vocab_size: int) -> YSpec:
    return YSpec(
        kind="discrete", shape=(None,), dtype="int64", vocab_size=vocab_size, name="synopsis"
    )


def build(config: TextRecipe, meta: dict) -> Pipeline:
    """The untrained pipeline of ``config`` over the vocabulary in ``meta["vocab"]``."""
    vocab = WordPieces(meta["vocab"])
    codec = TextCodec(vocab, config.data.max_x_tokens, config.data.max_y_tokens)
    d = config.data
    if config.is_direct:
        spec = synopsis_spec(len(vocab))
        generator = TextSeq2Seq(
            spec, len(vocab), d.max_x_tokens, d.max_y_tokens, config.generator, vocab.vocab
        )
        return Pipeline.direct(generator, conditioner=codec, name=config.name)
    representation = TextTemplate(vocab, config.representation.kind)
    spec = representation.spec
    generator = TextSeq2Seq(
        spec, len(vocab), d.max_x_tokens, d.max_y_tokens, config.generator, vocab.vocab
    )
    renderer = TemplateToText(spec, len(vocab), d.max_y_tokens, config.renderer, vocab.vocab)
    return Pipeline(representation, generator, renderer, conditioner=codec, name=config.name)
