"""Train a lyric-to-melody pipeline, stage by stage, with the one loop.

    regen:  generator  lyrics -> template   on the paired chorales (template = encode(melody))
            renderer   template -> melody   on every unpaired melody (folk + training chorales)
    direct: generator  lyrics -> melody     on the paired chorales

Training sets are transposed by each shift in ``data.transpose``; the held-out chorales
never are. The run folder holds ``config.yaml``, ``pipeline.json`` and one folder per
trained stage, so :func:`regen.runs.load_run` rebuilds exactly what was trained.
"""

from __future__ import annotations

from pathlib import Path

import torch

from regen.config import dump_yaml, to_dict
from regen.data.music import MelodySet, load_corpus, split, transpose
from regen.data.music_folder import load_source_melodies
from regen.data.prepare import settings_read
from regen.generators.lyrics import LyricsGenerator, condition_from_data
from regen.pipeline import Pipeline
from regen.renderers.decoder import DecoderRenderer
from regen.renderers.template_to_melody import TemplateToMelody
from regen.representations.music_template import MusicTemplate
from regen.runs import save_run, write_config
from regen.tasks.melody.config import MelodyRecipeConfig
from regen.tasks.melody.stages import renderer_from_true
from regen.training.heldout import heldout_loss
from regen.training.loop import StageResult, train_stage
from regen.training.renderer_assets import RendererJob, install, obtain, renderer_reads
from regen.training.run_stages import RunStages


def melody_splits(config: MelodyRecipeConfig) -> dict[str, MelodySet]:
    """``paired``, ``unpaired`` (both transposed) and ``test`` segments for ``config``."""
    cfg = config.data
    parts = split(load_source_melodies(cfg) if cfg.source else load_corpus(cfg), cfg)
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
) -> tuple[Pipeline, list[StageResult]]:
    """Train every stage of ``config``'s pipeline; returns it (eval mode) and stage results.

    With ``pretrained_renderer: true`` the renderer is the cached asset (:func:`renderer_job`)
    instead of trained here: it never sees pairs, so runs that differ only in the paired
    data share it. It is copied into ``run_dir``, so the run still loads on its own.
    """
    run_dir = Path(run_dir or config.run_dir)
    data = data or melody_splits(config)
    stages = RunStages(config.train, run_dir, write_config(run_dir, config), resume, progress)
    torch.manual_seed(config.seed)
    pipeline = build_melody_pipeline(config)
    heldout = generator_tensors(pipeline, data["test"])

    def fit(stage: str, module: torch.nn.Module, tensors, held) -> None:
        periodic = getattr(config.train, stage).eval_every  # held-out loss in the log
        stages.fit(stage, module, tensors, eval_fn=heldout_loss(held) if periodic else None)

    fit("generator", pipeline.generator, generator_tensors(pipeline, data["paired"]), heldout)
    if pipeline.renderer.trainable and config.pretrained_renderer:
        asset = obtain(renderer_job(config, data), progress=progress)
        stages.results.append(install(asset, pipeline.renderer, run_dir))
    elif pipeline.renderer.trainable:
        unpaired = data["unpaired"].melodies
        tensors = {"y_prime": pipeline.encode(unpaired), "y": unpaired}
        test_y = data["test"].melodies
        fit("renderer", pipeline.renderer, tensors, {"y_prime": heldout["y_prime"], "y": test_y})
    save_run(
        run_dir,
        config,
        pipeline,
        stages.names,
        stages.results,
        data={k: len(v) for k, v in data.items()},
        data_source=data["test"].source,
    )
    return pipeline.eval(), stages.results


RENDERER_NOTES = {
    "pd": "higher is better; pitch-distribution overlap (%) with the real held-out melody, "
    "rendered from its TRUE template",
    "dd": "higher is better; duration-distribution overlap (%), same",
    "md": "lower is better; melody distance (semitones, DTW of contours), same",
}


def renderer_job(
    config: MelodyRecipeConfig, data: dict[str, MelodySet] | None = None
) -> RendererJob:
    """How to train, load and measure the template -> melody renderer as a cached asset.

    It learns from the unpaired melodies (folk tunes + training chorale sopranos, which do
    not depend on ``data.paired_fraction``); its quality is PD/DD/MD from the TRUE template
    of the held-out chorales, against the rule-based decoder of the template (no learning).
    """
    parts = data or melody_splits(config)
    test = parts["test"]

    template = build_melody_pipeline(config).representation

    def build() -> torch.nn.Module:
        torch.manual_seed(config.seed)  # the same initial weights as train_melody would draw
        return build_melody_pipeline(config).renderer

    def from_true(renderer: torch.nn.Module) -> dict[str, float]:
        pipeline = Pipeline(template, build_melody_pipeline(config).generator, renderer)
        return renderer_from_true(pipeline, test, seed=config.seed)

    def floor() -> dict[str, float]:
        return from_true(DecoderRenderer(template))

    def train(module: torch.nn.Module, folder: Path, progress: bool) -> StageResult:
        unpaired = parts["unpaired"].melodies
        return train_stage(
            "renderer",
            module,
            {"y_prime": template.encode(unpaired), "y": unpaired},
            config.train.renderer,
            folder,
            resume=True,
            config_yaml=dump_yaml(config),
            progress=progress,
            eval_fn=from_true if config.train.renderer.eval_every else None,
        )

    reads_data = settings_read(config.data, "paired_fraction")
    return RendererJob(
        task="melody",
        reads=renderer_reads(
            config,
            data=reads_data,
            source=test.source,
            representation=to_dict(config.representation),
        ),
        build=build,
        train=train,
        quality=from_true,
        floor=floor,
        data=f"{len(parts['unpaired']):,} unpaired melody segments (folk tunes and training "
        "chorale sopranos, transposed)",
        notes=RENDERER_NOTES,
    )


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
