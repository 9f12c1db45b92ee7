"""``regen compare``: a regeneration pipeline against its direct baseline, same budget.

The budget is training samples (optimizer steps x batch size) summed over every stage that
learns something. The regeneration recipe's stages set it; the direct baseline's generator
gets as many steps as it takes to see the same number of samples. Wall-clock seconds are
measured and reported beside it, so the reader sees both views of "same budget".
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from regen.config import RecipeConfig, dump_yaml, load_with_baseline
from regen.data.images import ImageDataset, load_image_dataset
from regen.eval.classifier import get_domain_classifier
from regen.eval.image_metrics import FEATURES_DESCRIPTION, evaluate_images, fid_kid
from regen.pipeline import Pipeline
from regen.representations.metrics import reconstruction_psnr
from regen.training.loop import StageResult
from regen.training.probe import best_step_seconds
from regen.training.stages import budget_samples, train_pipeline, trainable_stages

RESULTS_FILE = "results.json"
GRIDS_FILE = "grids.safetensors"
METRIC_NOTES = {
    "fid": "domain-FID vs held-out real images, lower is better",
    "kid": "domain-KID, lower is better",
    "precision": "k-NN manifold precision (fidelity), higher is better",
    "recall": "k-NN manifold recall (diversity), higher is better",
    "accuracy": "domain classifier accuracy on samples of the asked class, higher is better",
    "psnr_reconstruction": "PSNR (dB) of decode(encode(y)) on held-out images, higher is better",
    "fid_reconstruction": "domain-FID of decode(encode(y)) vs held-out images, lower is better",
    "codebook_usage": "fraction of codes used on held-out images, higher is better",
    "codebook_perplexity": "perplexity of code use on held-out images, higher is better",
    "sampling_images_per_s": "images generated per second on this machine, higher is better",
    "train_seconds": "wall-clock seconds of training summed over stages",
    "samples_seen": "training budget: optimizer steps x batch summed over stages",
}


def load_pair(recipe: str | Path, overrides: list[str]) -> tuple[RecipeConfig, RecipeConfig]:
    """The regeneration recipe and its direct baseline, with the baseline's budget matched."""
    regen_cfg, direct_cfg = load_with_baseline(recipe, overrides)
    budget = budget_samples(regen_cfg, trainable_stages(regen_cfg))
    gen = direct_cfg.train.generator
    direct_cfg.train.generator = replace(gen, steps=math.ceil(budget / gen.batch_size))
    return regen_cfg, direct_cfg


def condition_batch(data: ImageDataset, n: int) -> tuple[list[str], torch.Tensor | None]:
    """Names to condition on for ``n`` evaluation samples, and their labels when meaningful.

    Class-conditional data cycles through the classes; captioned data cycles through the
    held-out captions (unseen in training), where class accuracy is undefined.
    """
    if data.name == "emoji":
        captions = [data.captions[i % len(data)] for i in range(n)]
        return captions, None
    labels = torch.arange(n) % data.num_classes
    return [data.class_names[i] for i in labels], labels


def evaluation_data(
    config: RecipeConfig,
) -> tuple[ImageDataset, ImageDataset, torch.nn.Module]:
    """Train and held-out splits, and the (cached) domain classifier trained on the former."""
    train = load_image_dataset(config.data, "train")
    test = load_image_dataset(config.data, "test")
    classifier = get_domain_classifier(
        train.images,
        train.labels,
        train.num_classes,
        key=f"{train.name}-{config.data.image_size}",
        steps=config.eval.classifier_steps,
    )
    return train, test, classifier


def evaluate_pipeline(
    pipeline: Pipeline,
    test: ImageDataset,
    classifier: torch.nn.Module,
    config: RecipeConfig,
) -> tuple[dict[str, float], list[str], torch.Tensor]:
    """Metrics for one trained pipeline on the held-out split, and the samples they used.

    Sampling is timed on this same pass (after a two-image warm-up), so the speed figure is
    the cost of the images that were scored.
    """
    names, labels = condition_batch(test, config.eval.num_samples)
    pipeline.sample(names[:2], seed=config.seed)
    start = time.perf_counter()
    fake = pipeline.sample(names, seed=config.seed, batch_size=config.eval.batch_size)
    seconds = time.perf_counter() - start
    metrics = evaluate_images(test.images, fake, labels, classifier)
    if not pipeline.is_direct:
        metrics.update(reconstruction_metrics(pipeline, test.images, classifier))
    metrics["sampling_images_per_s"] = len(names) / seconds
    return metrics, names, fake


def reconstruction_metrics(
    pipeline: Pipeline, images: torch.Tensor, classifier: torch.nn.Module
) -> dict[str, float]:
    """How well Y' -> Y works from true Y': PSNR and domain-FID of decode(encode(y)).

    Quantized representations add codebook usage and perplexity on the same images.
    """
    rep = pipeline.representation
    with torch.no_grad():
        rebuilt = torch.cat([pipeline.render(pipeline.encode(c)) for c in images.split(256)])
    metrics = {
        "psnr_reconstruction": reconstruction_psnr(rep, images),
        "fid_reconstruction": fid_kid(images, rebuilt.clamp(-1, 1), classifier.features)["fid"],
    }
    if hasattr(rep, "codebook_stats"):
        stats = rep.codebook_stats(images)
        metrics.update({f"codebook_{k}": v for k, v in stats.items() if "level" not in k})
    return metrics


def grid_from_samples(
    names: list[str], images: torch.Tensor, per_class: int, max_rows: int = 36
) -> tuple[list[str], torch.Tensor]:
    """[rows, per_class, C, H, W] of samples grouped by the name they were asked for."""
    rows: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        if name in rows or len(rows) < max_rows:
            rows.setdefault(name, []).append(index)
    picked = [[idx[i % len(idx)] for i in range(per_class)] for idx in rows.values()]
    return list(rows), images[torch.tensor(picked)]


def real_grid(test: ImageDataset, names: list[str], per_class: int) -> torch.Tensor:
    rows = []
    for name in names:
        if test.name == "emoji":
            index = [i for i, c in enumerate(test.captions) if c == name]
        else:
            index = (test.labels == test.class_names.index(name)).nonzero().flatten().tolist()
        picked = [index[i % len(index)] for i in range(per_class)]
        rows.append(test.images[picked])
    return torch.stack(rows)


def match_wall_clock(direct_cfg: RecipeConfig, seconds: float, data: ImageDataset) -> int:
    """Generator steps the direct baseline can take in ``seconds``, from a timed probe."""
    from regen.builders import build_pipeline

    pipeline = build_pipeline(direct_cfg, data.image_shape, data.class_names)
    generator = pipeline.generator
    batch = direct_cfg.train.generator.batch_size
    x = pipeline.conditioner.for_items(data.labels[:batch], data.captions[:batch])
    tensors = {"x": x, "y_prime": data.images[:batch]}
    return max(1, int(seconds / best_step_seconds(generator, lambda: tensors)))


def direct_budget(out_dir: Path, direct_cfg, regen_seconds: float, data) -> int:
    """Steps for the direct generator under a wall-clock budget, kept for ``--resume``."""
    path = out_dir / "budget.json"
    if path.is_file():
        return int(json.loads(path.read_text())["direct_generator_steps"])
    steps = match_wall_clock(direct_cfg, regen_seconds, data)
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"regen_seconds": regen_seconds, "direct_generator_steps": steps}))
    return steps


def run_compare(
    recipe: str | Path,
    overrides: list[str] | None = None,
    *,
    out_dir: Path | None = None,
    resume: bool = False,
    progress: bool = True,
) -> Path:
    """Train regen and direct on the same budget, evaluate both, write the report."""
    regen_cfg, direct_cfg = load_pair(recipe, overrides or [])
    out_dir = Path(out_dir or Path("runs") / f"compare-{regen_cfg.name}")
    train, test, classifier = evaluation_data(regen_cfg)
    pipelines: list[dict[str, Any]] = []
    grids: dict[str, torch.Tensor] = {}
    per_class = regen_cfg.eval.samples_per_class_in_grid
    regen_seconds = 0.0
    for label, cfg in (("regen", regen_cfg), ("direct", direct_cfg)):
        if label == "direct" and regen_cfg.compare.budget == "seconds":
            steps = direct_budget(out_dir, cfg, regen_seconds, train)
            cfg.train.generator = replace(cfg.train.generator, steps=steps)
        pipeline, results = train_pipeline(
            cfg, out_dir / cfg.name, resume=resume, progress=progress, data=train
        )
        regen_seconds = sum(r.seconds for r in results)
        metrics, asked, fake = evaluate_pipeline(pipeline, test, classifier, cfg)
        metrics["train_seconds"] = sum(r.seconds for r in results)
        metrics["samples_seen"] = float(sum(r.samples_seen for r in results))
        names, grids[label] = grid_from_samples(asked, fake, per_class)
        pipelines.append(pipeline_record(label, cfg, pipeline, results, metrics))
    grids["real"] = real_grid(test, names, per_class)
    results = {
        "task": "image",
        "recipe": regen_cfg.name,
        "baseline": direct_cfg.name,
        "grid_names": names,
        "pipelines": pipelines,
        "budget": budget_statement(pipelines, regen_cfg.compare.budget),
        "features": FEATURES_DESCRIPTION,
        "data": {"train": len(train), "test": len(test), "source": train.source},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / RESULTS_FILE).write_text(json.dumps(results, indent=1))
    save_file({k: v.contiguous() for k, v in grids.items()}, out_dir / GRIDS_FILE)
    return write_compare_report(out_dir)


def pipeline_record(label, cfg, pipeline, results: list[StageResult], metrics) -> dict[str, Any]:
    return run_record(label, describe(pipeline, cfg), cfg, results, metrics)


def run_record(
    label: str, what: str, cfg: Any, results: list[StageResult], metrics: dict[str, Any]
) -> dict[str, Any]:
    """What a compare report shows of one trained pipeline (every task uses this shape)."""
    return {
        "label": label,
        "name": f"{label}: {what}",
        "recipe_name": cfg.name,
        "config_yaml": dump_yaml(cfg),
        "metrics": metrics,
        "stages": stage_records(results),
        "curves": {r.name: r.curve for r in results},
    }


def stage_records(results: list[StageResult]) -> list[dict[str, Any]]:
    """Steps, samples, seconds and final loss of each trained stage."""
    return [
        {
            "name": r.name,
            "steps": r.steps,
            "samples_seen": r.samples_seen,
            "seconds": round(r.seconds, 2),
            "final_loss": r.final_loss,
        }
        for r in results
    ]


def describe(pipeline: Pipeline, cfg: RecipeConfig) -> str:
    """Short name for tables: 'vae latent 4x8x8 + diffusion' or 'diffusion on pixels 1x32x32'."""
    if pipeline.is_direct:
        dims = "x".join(str(d) for d in pipeline.spec.shape)
        return f"{cfg.generator.kind} on pixels {dims}"
    return f"{pipeline.spec.name or cfg.representation.kind} + {cfg.generator.kind}"


def budget_statement(pipelines: list[dict[str, Any]], mode: str) -> str:
    parts = [
        f"{p['label']}: {int(p['metrics']['samples_seen']):,} samples in "
        f"{p['metrics']['train_seconds']:.0f} s ("
        + ", ".join(f"{s['name']} {s['steps']} steps" for s in p["stages"])
        + ")"
        for p in pipelines
    ]
    rule = {
        "samples": "equal training samples (optimizer steps x batch size summed over the "
        "stages that learn); wall-clock is shown too",
        "seconds": "equal training wall-clock (the baseline's steps were set from a timed "
        "probe of its step time); samples seen are shown too",
    }[mode]
    return f"Equal budget = {rule}. " + "; ".join(parts) + "."


def write_compare_report(out_dir: Path) -> Path:
    """(Re)write ``report.html`` from the saved results of a compare run."""
    from regen.report.html import machine_info, write_report

    out_dir = Path(out_dir)
    results = json.loads((out_dir / RESULTS_FILE).read_text())
    grids = load_file(str(out_dir / GRIDS_FILE))
    names = results["grid_names"]
    pipelines = []
    for record in results["pipelines"]:
        pipelines.append(
            {**record, "grid": {"class_names": names, "images": grids[record["label"]]}}
        )
    regen_m, direct_m = (p["metrics"] for p in results["pipelines"])
    summary = (
        f"Regeneration ({results['pipelines'][0]['name']}) vs direct "
        f"({results['pipelines'][1]['name']}) on {results['data']['train']} training and "
        f"{results['data']['test']} held-out images. Domain-FID {regen_m['fid']:.2f} vs "
        f"{direct_m['fid']:.2f}; sampling {regen_m['sampling_images_per_s']:.1f} vs "
        f"{direct_m['sampling_images_per_s']:.1f} images/s."
    )
    report = {
        "title": f"regen compare: {results['recipe']} vs {results['baseline']}",
        "summary": summary,
        "budget": results["budget"],
        "features": results["features"],
        "machine": machine_info(),
        "pipelines": pipelines,
        "real_grid": {"class_names": names, "images": grids["real"]},
        "metric_notes": METRIC_NOTES,
    }
    return write_report(report, out_dir / "report.html")
