"""Train a whole pipeline, stage by stage, with the one loop.

    1. representation  on unpaired Y                 (skipped when it has nothing to learn)
                       or, with train.mode: joint, on paired + unpaired data by Eq. 1
    2. generator       on paired (X, Y' = encode(Y))
    3. renderer        on unpaired (encode(Y), Y)    (skipped when it is the decoder)

``data.paired_fraction`` below 1 keeps X for only that fraction of the training items (a
fixed random subset per recipe seed): the generator and the joint terms that need X see
those; the representation and the renderer still see every Y.

Every stage writes its folder under the run directory; ``resume`` picks up each stage where
it stopped, and finished stages are not retrained.
"""

from __future__ import annotations

from pathlib import Path

import torch

from regen.contracts import Calibrated
from regen.eval.classifier import get_domain_classifier
from regen.pipeline import Pipeline
from regen.runs import save_run, write_config
from regen.tasks.image.build import build_pipeline
from regen.tasks.image.config import RecipeConfig
from regen.tasks.image.data import ImageDataset, load_image_dataset
from regen.tasks.image.joint import JointObjective
from regen.tasks.image.source import check_condition
from regen.training import checkpoint as ckpt
from regen.training import distributed
from regen.training.heldout import heldout_loss
from regen.training.loop import StageResult, train_stage


def encode_in_batches(pipeline: Pipeline, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
    return torch.cat([pipeline.encode(images[i : i + batch]) for i in range(0, len(images), batch)])


def paired_mask(n: int, fraction: float, seed: int) -> torch.Tensor:
    """bool [n]: the items whose X is kept, ``max(1, round(fraction * n))`` of them.

    Depends only on (n, fraction, seed), so a resumed or repeated run keeps the same pairs.
    """
    keep = max(1, round(fraction * n))
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 7919))
    mask = torch.zeros(n, dtype=torch.bool)
    mask[order[:keep]] = True
    return mask


def train_pipeline(
    config: RecipeConfig,
    run_dir: Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    data: ImageDataset | None = None,
) -> tuple[Pipeline, list[StageResult]]:
    """Train every stage of ``config``'s pipeline; returns it (in eval mode) and stage results."""
    run_dir = Path(run_dir or config.run_dir)
    main = distributed.current().is_main
    data = data or load_image_dataset(config.data, "train")
    check_condition(data, config.generator.condition)
    config_yaml = write_config(run_dir, config)
    feature_extractor = None
    if config.representation.perceptual_weight > 0:
        feature_extractor = get_domain_classifier(
            data.images,
            data.labels,
            data.num_classes,
            key=f"{data.name}-{config.data.image_size}",  # the same cache entry as evaluation
            steps=config.eval.classifier_steps,
        ).features
    torch.manual_seed(config.seed)  # initial weights follow the recipe seed, not call history
    pipeline = build_pipeline(config, data.image_shape, data.class_names, feature_extractor)
    results: list[StageResult] = []
    trained: list[str] = []

    def fit(
        stage: str,
        module: torch.nn.Module,
        tensors: dict[str, torch.Tensor],
        heldout,
        settings: str | None = None,
    ) -> None:
        train_cfg = getattr(config.train, settings or stage)
        result = train_stage(
            stage,
            module,
            tensors,
            train_cfg,
            run_dir / stage,
            resume=resume,
            config_yaml=config_yaml,
            progress=progress,
            eval_fn=heldout_loss(heldout()) if train_cfg.eval_every else None,
        )
        results.append(result)
        trained.append(stage)

    def heldout_batch(keys: tuple[str, ...]):
        def make() -> dict[str, torch.Tensor]:  # built only when a stage asks for evaluation
            test = load_image_dataset(config.data, "test")
            tensors = {"y": test.images[:256]}
            if "x" in keys:
                tensors["x"] = pipeline.conditioner.for_items(test.labels, test.captions)[:256]
            if "y_prime" in keys:
                tensors["y_prime"] = encode_in_batches(pipeline, tensors["y"])
            return {k: tensors[k] for k in keys}

        return make

    rep = pipeline.representation
    x = pipeline.conditioner.for_items(data.labels, data.captions)
    paired = paired_mask(len(data), config.data.paired_fraction, config.seed)
    if rep.trainable and config.train.mode == "joint":
        joint = JointObjective(rep, config.train.joint, config.generator, data.num_classes)
        tensors = {"y": data.images, "x": x, "paired": paired.float()}
        fit("joint", joint, tensors, heldout_batch(("y", "x")), settings="representation")
        if main:  # the pipeline loads the representation alone; the mappings stay in joint/
            ckpt.write_stage(
                run_dir / "representation", model_state=rep.state_dict(), config_yaml=config_yaml
            )
        trained.append("representation")
    elif rep.trainable:
        fit("representation", rep, {"y": data.images}, heldout_batch(("y",)))
    if rep.trainable and isinstance(rep, Calibrated):
        # latent scale (as in latent diffusion): unit-variance Y' for the generator
        with torch.no_grad():
            rep.calibrate(data.images)
        if main:
            ckpt.replace_model_file(run_dir / "representation", rep.state_dict())
    y_prime = encode_in_batches(pipeline, data.images)
    fit(
        "generator",
        pipeline.generator,
        {"x": x[paired], "y_prime": y_prime[paired]},
        heldout_batch(("x", "y_prime")),
    )
    if pipeline.renderer.trainable:
        fit(
            "renderer",
            pipeline.renderer,
            {"y_prime": y_prime, "y": data.images},
            heldout_batch(("y_prime", "y")),
        )
    save_run(
        run_dir,
        config,
        pipeline,
        trained,
        results,
        image_shape=list(data.image_shape),
        class_names=data.class_names,
        condition=config.generator.condition,
        paired_items=int(paired.sum()),
        data_source=data.source,
    )
    return pipeline.eval(), results
