"""The text task's ``regen compare`` hooks (see :mod:`regen.compare.harness`).

record -> content template -> synopsis (regen) against record -> synopsis (direct), the
same model family, at equal training samples. With the renderer trained in the run the two
budget views agree (the direct generator gets regen's generator + renderer samples); with
``pretrained_renderer: true`` (regen/tasks/text/renderer_asset.py) the harness trains
``direct`` at equal paired samples and ``direct_total`` at equal total samples.
Two more systems are scored beside them, so a regen win cannot be "it saw more text" or
"it copies the description":

- ``direct_lm``: the direct model whose decoder first learns the synopsis-only text as a
  language model (the renderer's samples), then the paired data (the generator's samples);
  trained here, in :func:`evaluate`, into ``<out>/<direct name>-lm``.
- ``lead``: the first clause of the long description, no learning.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from regen.compare.records import run_record
from regen.eval.text_metrics import (
    SynopsisLM,
    bleu,
    chrf,
    generated_template_f1,
    text_metrics,
)
from regen.pipeline import Pipeline
from regen.representations.text_template import template
from regen.tasks.text.build import TextData, build, load_text_data, render_texts
from regen.tasks.text.config import TextRecipe
from regen.tasks.text.data import lead, x_text
from regen.tasks.text.length_penalty import choose_length_penalty, choose_stage_penalties
from regen.tasks.text.report import write_report  # noqa: F401  (the harness calls it)
from regen.tasks.text.train import synopses, train_text
from regen.training.loop import StageResult
from regen.training.probe import best_step_seconds

METRIC_NOTES = {
    "bleu": "sacreBLEU corpus BLEU against the held-out synopses, higher is better",
    "chrf": "sacreBLEU chrF, higher is better",
    "rouge_l": "mean ROUGE-L F1 (word LCS, lower-cased), higher is better",
    "template_f1": "template adherence: content-lemma F1 of the output vs the reference "
    "synopsis, higher is better",
    "perplexity": "per-word perplexity under a Kneser-Ney n-gram LM of the synopsis-only "
    "split (fluency proxy), lower is better",
    "distinct_1": "distinct word unigrams / all (diversity), higher is better",
    "distinct_2": "distinct word bigrams / all, higher is better",
    "self_bleu": "mean BLEU of each output against the others (repetitiveness), lower is better",
    "copy_rate": "% of outputs equal to a training synopsis",
    "hallucination": "% of generated content lemmas absent from X, lower is better",
    "mean_words": "mean words per output (references: see the data section)",
    "template_f1_generator": "regen only: content-lemma F1 of the generated template vs the "
    "reference's template (X -> Y' alone), higher is better",
    "bleu_from_true_template": "regen only: BLEU of the renderer from the TRUE templates of the "
    "held-out synopses (its floor), higher is better",
    "chrf_from_true_template": "regen only: chrF of the same, higher is better",
    "train_seconds": "wall-clock seconds of training summed over stages",
    "samples_seen": "optimizer steps x batch summed over stages",
}


def load_data(config: TextRecipe) -> TextData:
    return load_text_data(config)


def learned_stages(config: TextRecipe) -> list[str]:
    return ["generator"] if config.is_direct else ["generator", "renderer"]


def train(
    config: TextRecipe, run_dir: Path, *, data: TextData, resume: bool, progress: bool
) -> tuple[Pipeline, list[StageResult]]:
    return train_text(config, run_dir, resume=resume, progress=progress, data=data)


def probe_step_seconds(direct_cfg: TextRecipe, data: TextData) -> float:
    size = direct_cfg.train.generator.batch_size
    records = data.paired[:size]
    batch = {
        "x": data.codec.encode([x_text(r) for r in records]),
        "y_prime": data.codec.ids([r.synopsis for r in records], direct_cfg.data.max_y_tokens),
    }
    generator = build(direct_cfg, {"vocab": data.vocab.vocab}).generator.train()
    return best_step_seconds(generator, lambda: batch)


def describe(label: str, pipeline: Pipeline, cfg: TextRecipe) -> str:
    if pipeline.is_direct:
        pretrained = " (decoder LM-pretrained on synopsis-only text)" if cfg.train.lm.steps else ""
        return f"record -> synopsis{pretrained}"
    return f"record -> {pipeline.spec.name} -> synopsis"


def lm_variant(regen_cfg: TextRecipe, direct_cfg: TextRecipe) -> TextRecipe:
    """The direct recipe with LM pretraining: the renderer's samples as LM steps, then the
    regen generator's samples on the paired data (equal total samples)."""
    cfg = copy.deepcopy(direct_cfg)
    cfg.name = f"{direct_cfg.name}-lm"
    r, g = regen_cfg.train.renderer, regen_cfg.train.generator
    lm_steps = round(r.steps * r.batch_size / cfg.train.lm.batch_size)
    gen_steps = round(g.steps * g.batch_size / cfg.train.generator.batch_size)
    cfg.train = replace(
        cfg.train,
        lm=replace(cfg.train.lm, steps=max(1, lm_steps)),
        generator=replace(cfg.train.generator, steps=max(1, gen_steps)),
    )
    return cfg


def evaluate(
    runs: dict[str, tuple[Pipeline, TextRecipe]],
    data: TextData,
    config: TextRecipe,
    out_dir: Path,
    progress: bool,
    *,
    resume: bool = False,
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Every metric for regen, direct, the LM-pretrained direct variant and the lead baseline;
    with ``resume`` the variant continues from (or reloads) its checkpoints."""
    test = _test_records(data, config)
    x_texts = [x_text(r) for r in test]
    references = [r.synopsis for r in test]
    lm = SynopsisLM([r.synopsis for r in data.unpaired], config.eval.lm_order)
    training = {r.synopsis for r in data.paired + data.unpaired}

    direct_cfg = runs["direct"][1]
    lm_cfg = lm_variant(config, direct_cfg)
    if progress:
        print(f"training {lm_cfg.name} (the direct variant with LM pretraining)", file=sys.stderr)
    lm_pipeline, lm_results = train_text(
        lm_cfg, Path(out_dir) / lm_cfg.name, resume=resume, progress=progress, data=data
    )

    outputs: dict[str, list[str]] = {}
    templates = None
    systems = {**{k: v[0] for k, v in runs.items()}, "direct_lm": lm_pipeline}
    penalties = _choose_length_penalties(systems, data, config, progress)
    for label, pipeline in systems.items():
        texts, made = synopses(pipeline, x_texts)
        outputs[label] = texts
        if made is not None:
            templates = made
    outputs["lead"] = [lead(r) for r in test]
    metrics = {
        label: text_metrics(texts, references, x_texts, lm, training)
        for label, texts in outputs.items()
    }
    regen_pipeline = runs["regen"][0]
    metrics["regen"].update(_regen_only(regen_pipeline, data, references, templates))
    lm_scores = {
        **metrics["direct_lm"],
        "train_seconds": sum(r.seconds for r in lm_results),
        "samples_seen": float(sum(r.samples_seen for r in lm_results)),
    }
    more = [
        run_record(
            "direct_lm", describe("direct_lm", lm_pipeline, lm_cfg), lm_cfg, lm_results, lm_scores
        ),
        {
            "label": "lead",
            "name": "lead: first clause of the long description (no learning)",
            "recipe_name": "lead",
            "config_yaml": "",
            "metrics": metrics["lead"],
            "stages": [],
            "curves": {},
        },
    ]
    reference_stats = text_metrics(references, references, x_texts, lm, training)
    extra = {
        "more_pipelines": more,
        "data": {
            **data.corpus.manifest,
            "paired_used": len(data.paired),
            "unpaired_used": len(data.unpaired),
            "test_scored": len(test),
            "vocab_size": len(data.vocab),
        },
        "reference_stats": reference_stats,
        "length_penalty": penalties,
        "examples": _examples(test, x_texts, outputs, templates, data, config.eval.examples),
    }
    return {k: metrics[k] for k in runs}, extra


def _test_records(data: TextData, config: TextRecipe) -> list:
    test = data.corpus.splits["test"]
    return test[: config.eval.max_items] if config.eval.max_items else test


def score_regen_variant(
    pipeline: Pipeline, data: TextData, config: TextRecipe, progress: bool = False
) -> tuple[dict[str, float], dict[str, Any]]:
    """The metrics of one more regen pipeline (an ablation such as the skeleton template) on
    the test records of :func:`evaluate`, its length penalty chosen on dev the same way;
    returns the metrics and the length-penalty choice."""
    test = _test_records(data, config)
    x_texts, references = [x_text(r) for r in test], [r.synopsis for r in test]
    penalty = _choose_length_penalties({"regen": pipeline}, data, config, progress)
    texts, templates = synopses(pipeline, x_texts)
    lm = SynopsisLM([r.synopsis for r in data.unpaired], config.eval.lm_order)
    training = {r.synopsis for r in data.paired + data.unpaired}
    metrics = text_metrics(texts, references, x_texts, lm, training)
    metrics.update(_regen_only(pipeline, data, references, templates))
    return metrics, penalty


def _choose_length_penalties(
    systems: dict[str, Pipeline], data: TextData, config: TextRecipe, progress: bool
) -> dict[str, Any]:
    """Each system's decoding length penalty, picked on the same dev records by BLEU
    (:mod:`regen.tasks.text.length_penalty`); ``{}`` when the recipe lists no grid."""
    grid = list(config.eval.length_penalties)
    if not grid:
        return {}
    dev = data.corpus.splits["dev"][: config.eval.dev_items]
    x_dev, references = [x_text(r) for r in dev], [r.synopsis for r in dev]
    chosen: dict[str, Any] = {"grid": grid, "dev_records": len(dev)}
    for label, pipeline in systems.items():
        if config.eval.length_penalty_per_stage and not pipeline.is_direct:
            best, scores = choose_stage_penalties(
                pipeline, lambda p: _templates(p, x_dev), _render, references, grid
            )
        else:
            best, scores = choose_length_penalty(
                pipeline, lambda p: synopses(p, x_dev)[0], references, grid
            )
        chosen[label] = {"chosen": best, "dev_bleu": scores}
        if progress:
            print(f"{label}: length penalty {best} (dev BLEU {scores})", file=sys.stderr)
    return chosen


def _templates(pipeline: Pipeline, x_texts: list[str], batch: int = 64) -> list:
    """The generator's template ids for record texts, in batches (rendered by :func:`_render`)."""
    codec = pipeline.conditioner
    return [
        pipeline.generate(codec.encode(x_texts[start : start + batch]))
        for start in range(0, len(x_texts), batch)
    ]


def _render(pipeline: Pipeline, templates: list) -> list[str]:
    return [text for ids in templates for text in pipeline.conditioner.texts(pipeline.render(ids))]


def _regen_only(
    pipeline: Pipeline, data: TextData, references: list[str], templates: list[str] | None
) -> dict[str, float]:
    """The generator's template F1 and the renderer from the true templates."""
    kind = pipeline.representation.kind
    true = [template(r, kind) for r in references]
    rendered = render_texts(pipeline.render, pipeline.conditioner, true)
    return {
        "template_f1_generator": generated_template_f1(templates or [], true, kind),
        "bleu_from_true_template": bleu(rendered, references),
        "chrf_from_true_template": chrf(rendered, references),
    }


def _examples(test, x_texts, outputs, templates, data, count: int) -> list[dict[str, str]]:
    rows = []
    step = max(1, len(test) // max(1, count))
    for i in range(0, len(test), step)[:count]:
        rows.append(
            {
                "package": test[i].package,
                "x": x_texts[i][:300],
                "reference": test[i].synopsis,
                "template": templates[i] if templates else "",
                **{label: texts[i] for label, texts in outputs.items()},
            }
        )
    return rows
