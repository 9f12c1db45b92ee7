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

import json
from dataclasses import asdict
from pathlib import Path

import torch

from regen.builders import CONFIG_FILE, build_pipeline
from regen.config import RecipeConfig, dump_yaml
from regen.data.images import ImageDataset, load_image_dataset
from regen.pipeline import META_FILE, Pipeline
from regen.training import checkpoint as ckpt
from regen.training import distributed
from regen.training.loop import StageResult, train_stage


def encode_in_batches(pipeline: Pipeline, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
    return torch.cat([pipeline.encode(images[i : i + batch]) for i in range(0, len(images), batch)])


def heldout_loss(tensors: dict[str, torch.Tensor], seed: int = 0):
    """An evaluation hook: the stage's own loss on held-out tensors, with a fixed RNG.

    The RNG is forked, so evaluating does not change the training run's random stream.
    """

    def evaluate(model: torch.nn.Module) -> dict[str, float]:
        was_training = model.training
        model.eval()
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(seed)
            loss, _ = model.training_loss(tensors)
        model.train(was_training)
        return {"heldout_loss": float(loss)}

    return evaluate


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
    config_yaml = dump_yaml(config)
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / CONFIG_FILE).write_text(config_yaml)
    feature_extractor = None
    if config.representation.perceptual_weight > 0:
        from regen.eval.classifier import get_domain_classifier

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
        from regen.training.joint import JointObjective

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
    if rep.trainable:
        if hasattr(rep, "calibrate"):
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
    if main:
        meta = {
            "name": config.name,
            "image_shape": list(data.image_shape),
            "class_names": data.class_names,
            "condition": config.generator.condition,
            "spec": pipeline.spec.to_dict(),
            "trained_stages": trained,
            "paired_items": int(paired.sum()),
            "data_source": data.source,
            "stages": [
                {k: v for k, v in asdict(r).items() if k != "curve"} | {"final_loss": r.final_loss}
                for r in results
            ],
        }
        (run_dir / META_FILE).write_text(json.dumps(meta, indent=1))
    return pipeline.eval(), results


def budget_samples(config: RecipeConfig, trainable_stages: list[str]) -> int:
    """Training budget of a pipeline: optimizer steps x batch size summed over its stages."""
    return sum(
        getattr(config.train, s).steps * getattr(config.train, s).batch_size
        for s in trainable_stages
    )


def trainable_stages(config: RecipeConfig) -> list[str]:
    """Which stages learn something for this recipe (without building the models)."""
    stages = []
    if config.representation.kind not in ("identity", "downsample"):
        stages.append("representation")
    stages.append("generator")
    if config.renderer.kind == "super_resolution":
        stages.append("renderer")
    return stages
