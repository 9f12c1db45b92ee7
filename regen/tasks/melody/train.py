"""Train a lyric-to-melody pipeline, stage by stage, with the one loop.

    regen:  generator  lyrics -> template   on the paired chorales (template = encode(melody))
            renderer   template -> melody   on every unpaired melody (folk + training chorales)
    direct: generator  lyrics -> melody     on the paired chorales

Training sets are transposed by each shift in ``data.transpose``; the held-out chorales
never are. The run folder holds ``config.yaml``, ``pipeline.json`` and one folder per
trained stage, so :func:`regen.runs.load_run` rebuilds exactly what was trained.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from regen.data.music import MelodySet, load_corpus, split, transpose
from regen.generators.lyrics import LyricsGenerator, condition_from_data
from regen.pipeline import Pipeline
from regen.renderers.decoder import DecoderRenderer
from regen.renderers.template_to_melody import TemplateToMelody
from regen.representations.music_template import MusicTemplate
from regen.runs import save_run, write_config
from regen.tasks.melody.config import MelodyRecipeConfig
from regen.training import checkpoint as ckpt
from regen.training import distributed
from regen.training.heldout import heldout_loss
from regen.training.loop import StageResult, train_stage


def melody_splits(config: MelodyRecipeConfig) -> dict[str, MelodySet]:
    """``paired``, ``unpaired`` (both transposed) and ``test`` segments for ``config``."""
    parts = split(load_corpus(config.data), config.data)
    for name in ("paired", "unpaired"):
        parts[name] = transpose(parts[name], config.data.transpose or [0])
    return parts


def build_melody_pipeline(config: MelodyRecipeConfig) -> Pipeline:
    """Untrained modules for ``config``; the direct baseline when representation is identity."""
    max_len = config.data.max_notes
    if config.is_direct:
        generator = LyricsGenerator("melody", config.generator, max_len)
        return Pipeline.direct(generator, name=config.name)
    representation = MusicTemplate(config.representation.extras)
    generator = LyricsGenerator("template", config.generator, max_len)
    if config.renderer.kind == "rule":
        renderer = DecoderRenderer(representation)
    else:
        renderer = TemplateToMelody(config.renderer, max_len)
    return Pipeline(representation, generator, renderer, name=config.name)


def generator_tensors(pipeline: Pipeline, data: MelodySet) -> dict[str, torch.Tensor]:
    return {
        "x": condition_from_data(data.syllables, data.melodies, data.lengths),
        "y_prime": pipeline.encode(data.melodies),
    }


def train_melody(
    config: MelodyRecipeConfig,
    run_dir: Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    data: dict[str, MelodySet] | None = None,
    renderer_from: Path | None = None,
) -> tuple[Pipeline, list[StageResult]]:
    """Train every stage of ``config``'s pipeline; returns it (eval mode) and stage results.

    ``renderer_from`` (a run folder of the same renderer config) reuses its trained renderer
    instead of training one: the renderer never sees pairs, so runs that differ only in the
    paired data (the paired-data-efficiency study) can share it. It is copied into
    ``run_dir``, so the run still loads on its own.
    """
    run_dir = Path(run_dir or config.run_dir)
    main = distributed.current().is_main
    data = data or melody_splits(config)
    config_yaml = write_config(run_dir, config)
    torch.manual_seed(config.seed)
    pipeline = build_melody_pipeline(config)
    heldout = generator_tensors(pipeline, data["test"])
    results: list[StageResult] = []
    reused: list[str] = []

    def fit(stage: str, module: torch.nn.Module, tensors, held) -> None:
        cfg = getattr(config.train, stage)
        results.append(
            train_stage(
                stage,
                module,
                tensors,
                cfg,
                run_dir / stage,
                resume=resume,
                config_yaml=config_yaml,
                progress=progress,
                eval_fn=heldout_loss(held) if cfg.eval_every else None,
            )
        )

    fit("generator", pipeline.generator, generator_tensors(pipeline, data["paired"]), heldout)
    if pipeline.renderer.trainable and renderer_from is not None:
        ckpt.load_weights(pipeline.renderer, Path(renderer_from) / "renderer")
        if main:
            shutil.copytree(
                Path(renderer_from) / "renderer", run_dir / "renderer", dirs_exist_ok=True
            )
        reused = ["renderer"]
    elif pipeline.renderer.trainable:
        unpaired = data["unpaired"].melodies
        tensors = {"y_prime": pipeline.encode(unpaired), "y": unpaired}
        test_y = data["test"].melodies
        fit("renderer", pipeline.renderer, tensors, {"y_prime": heldout["y_prime"], "y": test_y})
    save_run(
        run_dir,
        config,
        pipeline,
        [r.name for r in results] + reused,
        results,
        data={k: len(v) for k, v in data.items()},
        data_source=data["test"].source,
    )
    return pipeline.eval(), results


def build(config: MelodyRecipeConfig, meta: dict) -> Pipeline:
    """The untrained pipeline of a saved run (everything it needs is in the recipe)."""
    return build_melody_pipeline(config)


@torch.no_grad()
def generate_melodies(
    pipeline: Pipeline, x: torch.Tensor, *, seed: int = 0, batch_size: int = 64
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Melodies [N, T, 8] for lyrics conditions ``x`` [N, T, 7], and the templates they were
    rendered from (None for the direct baseline). The same seed gives the same melodies."""
    rng = torch.Generator().manual_seed(seed)
    melodies, templates = [], []
    for start in range(0, len(x), batch_size):
        chunk = x[start : start + batch_size]
        y_prime = pipeline.generate(chunk, generator=rng)
        melodies.append(pipeline.render(y_prime, generator=rng))
        templates.append(y_prime)
    return torch.cat(melodies), None if pipeline.is_direct else torch.cat(templates)
