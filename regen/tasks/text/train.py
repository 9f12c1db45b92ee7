"""Build and train the text task's pipelines with the one loop.

    regen:   1. generator  record -> template on the paired split
             2. renderer   template -> synopsis on the synopsis-only split (unpaired Y); with
                           ``pretrained_renderer: true`` the cached asset instead
                           (regen/tasks/text/renderer_asset.py), listed as a shared stage
    direct:  (lm)          the generator's decoder as a synopsis language model on the
                           synopsis-only split, when ``train.lm.steps > 0``
             generator     record -> synopsis on the paired split

The codec, the shared data and the untrained pipeline are in build.py. Every stage is a :class:`regen.modules.prefix_seq2seq.PrefixSeq2Seq` over one word-piece
vocabulary fitted on the training text (paired records and synopses, synopsis-only text and
their templates), saved in the run's ``pipeline.json``; the run's ``conditioner`` turns record
texts into X ids and ids back into text.
"""

from __future__ import annotations

from pathlib import Path

import torch

from regen.pipeline import Pipeline
from regen.runs import save_run, write_config
from regen.tasks.text.build import TextCodec, TextData, build, load_text_data, renderer_tensors
from regen.tasks.text.config import TextRecipe
from regen.tasks.text.data import x_text
from regen.tasks.text.renderer_asset import renderer_job
from regen.training.loop import StageResult
from regen.training.renderer_assets import install, obtain
from regen.training.run_stages import RunStages


def train_text(
    config: TextRecipe,
    run_dir: Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    data: TextData | None = None,
) -> tuple[Pipeline, list[StageResult]]:
    """Train every learned stage of ``config``; returns the pipeline (eval mode) and results."""
    run_dir = Path(run_dir or config.run_dir)
    data = data or load_text_data(config)
    stages = RunStages(config.train, run_dir, write_config(run_dir, config), resume, progress)
    torch.manual_seed(config.seed)
    pipeline = build(config, {"vocab": data.vocab.vocab})
    codec, limit = data.codec, config.data.max_y_tokens

    x = codec.encode([x_text(r) for r in data.paired])
    if config.is_direct:
        paired_y = codec.ids([r.synopsis for r in data.paired], limit)
        if config.train.lm.steps:  # the decoder first learns the synopsis-only text
            unpaired_y = codec.ids([r.synopsis for r in data.unpaired], limit)
            no_source = torch.zeros(len(unpaired_y), 1, dtype=torch.long)
            stages.fit("lm", pipeline.generator, {"x": no_source, "y_prime": unpaired_y})
        stages.fit("generator", pipeline.generator, {"x": x, "y_prime": paired_y})
        trained = ["generator"]  # the lm stage's weights are the generator's starting point
    else:
        paired_t = codec.ids([data.templates[r.synopsis] for r in data.paired], limit)
        stages.fit("generator", pipeline.generator, {"x": x, "y_prime": paired_t})
        if config.pretrained_renderer:
            asset = obtain(renderer_job(config, data), progress=progress)
            stages.results.append(install(asset, pipeline.renderer, run_dir))
        else:
            stages.fit("renderer", pipeline.renderer, renderer_tensors(data, limit))
        trained = ["generator", "renderer"]
    save_run(
        run_dir,
        config,
        pipeline,
        trained,
        stages.results,
        vocab=data.vocab.vocab,
        paired_records=len(data.paired),
        unpaired_synopses=len(data.unpaired),
        data_manifest=data.corpus.manifest,
    )
    return pipeline.eval(), stages.results


@torch.no_grad()
def synopses(
    pipeline: Pipeline, x_texts: list[str], batch: int = 64
) -> tuple[list[str], list[str] | None]:
    """Generated synopses for record texts, and (regen) the generated templates."""
    codec: TextCodec = pipeline.conditioner
    outputs, templates = [], []
    for start in range(0, len(x_texts), batch):
        x = codec.encode(x_texts[start : start + batch])
        y_prime = pipeline.generate(x)
        if pipeline.is_direct:
            outputs += codec.texts(y_prime)
            continue
        templates += codec.texts(y_prime)
        outputs += codec.texts(pipeline.render(y_prime))
    return outputs, (None if pipeline.is_direct else templates)
