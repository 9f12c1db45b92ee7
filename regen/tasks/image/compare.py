"""The image task's ``regen compare`` hooks (see :mod:`regen.compare.harness`).

Both pipelines are scored on the held-out fonts / emoji with the same domain classifier
(trained here on the training split and cached): domain-FID/KID, k-NN precision/recall and
class accuracy of the samples; regeneration pipelines add reconstruction metrics from true
Y'. Samples are grouped into grids (saved beside results.json) for the report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from regen.compare.records import by_label, read_results
from regen.contracts import Codebook
from regen.eval.classifier import get_domain_classifier
from regen.eval.image_metrics import FEATURES_DESCRIPTION, evaluate_images, fid_kid
from regen.pipeline import Pipeline
from regen.report.html import machine_info
from regen.report.html import write_report as write_html
from regen.representations.metrics import reconstruction_psnr
from regen.tasks.image.build import build_pipeline
from regen.tasks.image.config import RecipeConfig
from regen.tasks.image.data import ImageDataset, load_image_dataset
from regen.tasks.image.source import check_condition
from regen.tasks.image.train import train_pipeline
from regen.training.logger import progress_bar
from regen.training.loop import StageResult
from regen.training.probe import best_step_seconds

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


def condition_batch(data: ImageDataset, n: int) -> tuple[list[str], torch.Tensor | None]:
    """Names to condition on for ``n`` evaluation samples, and their labels when meaningful.

    Class-conditional data cycles through the classes present in ``data``; captioned data cycles through the
    held-out captions (unseen in training), where class accuracy is undefined.
    """
    if data.captioned:
        captions = [data.captions[i % len(data)] for i in range(n)]
        return captions, None
    present = torch.unique(data.labels)  # all classes, unless a small held-out set lacks some
    labels = present[torch.arange(n) % len(present)]
    return [data.class_names[i] for i in labels], labels


def evaluation_data(
    config: RecipeConfig,
) -> tuple[ImageDataset, ImageDataset, torch.nn.Module]:
    """Train and held-out splits, and the (cached) domain classifier trained on the former."""
    train = load_image_dataset(config.data, "train")
    check_condition(train, config.generator.condition)
    test = load_image_dataset(config.data, "test")
    classifier = get_domain_classifier(
        train.images,  # a memory-mapped source split is streamed, never read whole
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
    *,
    progress: bool = False,
    label: str = "",
) -> tuple[dict[str, float], list[str], torch.Tensor]:
    """Metrics for one trained pipeline on the held-out split, and the samples they used.

    Sampling is timed on this same pass (after a two-image warm-up), so the speed figure is
    the cost of the images that were scored.
    """
    names, labels = condition_batch(test, config.eval.num_samples)
    pipeline.sample(names[:2], seed=config.seed)
    bar = progress_bar(f"sampling {label}".strip(), len(names), 0, progress, unit="image")
    start = time.perf_counter()
    fake = pipeline.sample(
        names, seed=config.seed, batch_size=config.eval.batch_size, on_batch=bar.update
    )
    seconds = time.perf_counter() - start
    bar.close()
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
    if isinstance(rep, Codebook):
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
        if test.captioned:
            index = [i for i, c in enumerate(test.captions) if c == name]
        else:
            index = (test.labels == test.class_names.index(name)).nonzero().flatten().tolist()
        picked = [index[i % len(index)] for i in range(per_class)]
        rows.append(test.images[picked])
    return torch.stack(rows)


def learned_stages(config: RecipeConfig) -> list[str]:
    """Which stages learn something for this recipe (without building the models)."""
    stages = []
    if config.representation.kind not in ("identity", "downsample"):
        stages.append("representation")
    stages.append("generator")
    if config.renderer.kind == "super_resolution":
        stages.append("renderer")
    return stages


@dataclass
class ImageData:
    """Train and held-out splits and the domain classifier, loaded once per compare."""

    train: ImageDataset
    test: ImageDataset
    classifier: torch.nn.Module


def load_data(config: RecipeConfig) -> ImageData:
    return ImageData(*evaluation_data(config))


def train(
    config: RecipeConfig, run_dir: Path, *, data: ImageData, resume: bool, progress: bool
) -> tuple[Pipeline, list[StageResult]]:
    return train_pipeline(config, run_dir, resume=resume, progress=progress, data=data.train)


def probe_step_seconds(config: RecipeConfig, data: ImageData, stage: str = "generator") -> float:
    """Seconds of one optimizer step of ``stage`` of ``config``'s pipeline (timed probe).

    The harness probes the direct baseline's generator; ``benchmarks/calibrate_budget.py``
    probes every learned stage of the regeneration recipe too. Weights are untrained (the
    step's cost does not depend on them).
    """
    pipeline = build_pipeline(config, data.train.image_shape, data.train.class_names)
    batch = getattr(config.train, stage).batch_size
    images = data.train.images[:batch]
    with torch.no_grad():
        y_prime = pipeline.encode(images)
    x = pipeline.conditioner.for_items(data.train.labels[:batch], data.train.captions[:batch])
    batches = {
        "representation": {"y": images},
        "generator": {"x": x, "y_prime": y_prime},
        "renderer": {"y_prime": y_prime, "y": images},
    }
    module = {"representation": pipeline.representation, "renderer": pipeline.renderer}.get(
        stage, pipeline.generator
    )
    return best_step_seconds(module.train(), lambda: batches[stage])


def describe(label: str, pipeline: Pipeline, cfg: RecipeConfig) -> str:
    """Short name for tables: 'vae latent 4x8x8 + diffusion' or 'diffusion on pixels 1x32x32'."""
    if pipeline.is_direct:
        dims = "x".join(str(d) for d in pipeline.spec.shape)
        return f"{cfg.generator.kind} on pixels {dims}"
    return f"{pipeline.spec.name or cfg.representation.kind} + {cfg.generator.kind}"


def evaluate(
    runs: dict[str, tuple[Pipeline, RecipeConfig]],
    data: ImageData,
    config: RecipeConfig,
    out_dir: Path,
    progress: bool,
    *,
    resume: bool = False,  # only a task whose evaluate trains (text) reads it
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Metrics of both pipelines; the sample grids go to ``grids.safetensors``."""
    per_class = config.eval.samples_per_class_in_grid
    metrics, grids = {}, {}
    for label, (pipeline, cfg) in runs.items():
        metrics[label], asked, fake = evaluate_pipeline(
            pipeline, data.test, data.classifier, cfg, progress=progress, label=label
        )
        names, grids[label] = grid_from_samples(asked, fake, per_class)
    grids["real"] = real_grid(data.test, names, per_class)
    save_file({k: v.contiguous() for k, v in grids.items()}, Path(out_dir) / GRIDS_FILE)
    extra = {
        "grid_names": names,
        "features": FEATURES_DESCRIPTION,
        "data": {"train": len(data.train), "test": len(data.test), "source": data.train.source},
    }
    return metrics, extra


def write_report(out_dir: Path) -> Path:
    """(Re)write ``report.html`` from the saved results of a compare run."""
    out_dir = Path(out_dir)
    results = read_results(out_dir)
    grids = load_file(str(out_dir / GRIDS_FILE))
    names = results["grid_names"]
    pipelines = []
    for record in results["pipelines"]:
        pipelines.append(
            {**record, "grid": {"class_names": names, "images": grids[record["label"]]}}
        )
    runs = by_label(results)
    regen_m, direct_m = runs["regen"]["metrics"], runs["direct"]["metrics"]
    summary = (
        f"Regeneration ({runs['regen']['name']}) vs direct "
        f"({runs['direct']['name']}) on {results['data']['train']} training and "
        f"{results['data']['test']} held-out images. Domain-FID {regen_m['fid']:.2f} vs "
        f"{direct_m['fid']:.2f}; sampling {regen_m['sampling_images_per_s']:.1f} vs "
        f"{direct_m['sampling_images_per_s']:.1f} images/s."
    )
    report = {
        "title": f"regen compare: {results['recipe']} vs {results['baseline']}",
        "summary": summary,
        "budget": results["budget"],
        "views": results.get("views"),
        "features": results["features"],
        "machine": machine_info(),
        "pipelines": pipelines,
        "real_grid": {"class_names": names, "images": grids["real"]},
        "metric_notes": results["metric_notes"],
    }
    return write_html(report, out_dir / "report.html")
