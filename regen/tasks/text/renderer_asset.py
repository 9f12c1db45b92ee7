"""The text task's renderer (template -> synopsis) as a cached asset
(:mod:`regen.training.renderer_assets`): ``pretrained_renderer: true`` or
``regen pretrain text/debian_synopsis``.

The renderer learns from the synopsis-only split alone (its templates are a fixed rule on Y),
so one trained renderer serves every compare whose record -> template side changes, like the
TTS vocoder and the ASR speller. A compare then states two budgets (regen/compare/budget.py):
equal paired compute (the asset is shared infrastructure; the direct model gets the
generator's samples) and equal total compute (the asset's samples counted too).

The cache key covers the renderer's settings and training, the seed, the data settings, the
lists' SHA-256, the template kind and the vocabulary's hash: the vocabulary is fitted on the
training text of a compare (paired records included), so a renderer only fits runs that share
it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from torch import nn

from regen.config import to_dict
from regen.eval.text_metrics import bleu, chrf
from regen.representations.text_template import RULE_VERSION, template
from regen.runs import write_config
from regen.tasks.text.build import build, load_text_data, render_texts, renderer_tensors
from regen.tasks.text.config import TextRecipe
from regen.training.loop import StageResult, train_stage
from regen.training.renderer_assets import RendererJob, renderer_reads

DECODING = ("beam", "no_repeat_ngram", "no_repeat_words", "spell_from_source", "length_penalty")
NOTES = {
    "bleu": "higher is better; BLEU of the renderer alone from the TRUE templates of the first "
    "eval.dev_items dev synopses",
    "chrf": "higher is better; chrF of the same",
}


def renderer_job(config: TextRecipe, data=None) -> RendererJob:  # data: TextData
    """How to train, load and measure the template -> synopsis renderer of ``config``."""
    data = data or load_text_data(config)
    codec, limit = data.codec, config.data.max_y_tokens
    meta = {"vocab": data.vocab.vocab}

    def make() -> nn.Module:
        torch.manual_seed(config.seed)
        return build(config, meta).renderer

    def train(module: nn.Module, folder: Path, progress: bool) -> StageResult:
        return train_stage(
            "renderer",
            module,
            renderer_tensors(data, limit),
            config.train.renderer,
            folder,
            resume=True,
            config_yaml=write_config(folder.parent, config),
            progress=progress,
        )

    def quality(module: nn.Module) -> dict[str, float]:
        dev = [r.synopsis for r in data.corpus.splits["dev"][: config.eval.dev_items]]
        true = [template(s, config.representation.kind) for s in dev]
        written = render_texts(module.render, codec, true)
        return {"bleu": bleu(written, dev), "chrf": chrf(written, dev)}

    vocab_hash = hashlib.sha256(json.dumps(data.vocab.vocab).encode()).hexdigest()[:16]
    reads = renderer_reads(
        config,
        data=to_dict(config.data),
        corpus=data.corpus.manifest,  # the lists' SHA-256 (or the record file)
        representation=to_dict(config.representation),
        template_rule=RULE_VERSION,
        vocab=vocab_hash,
        quality=["dev synopses", config.eval.dev_items],
    )
    # decoding settings change no weight: a compare that decodes otherwise reuses the asset
    reads["renderer"] = {k: v for k, v in reads["renderer"].items() if k not in DECODING}
    return RendererJob(
        task="text",
        reads=reads,
        build=make,
        train=train,
        quality=quality,
        data=f"{len(data.unpaired):,} synopsis-only synopses and their templates",
        notes=NOTES,
    )
