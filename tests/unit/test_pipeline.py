from __future__ import annotations

import pytest
import torch

from regen.config import load_recipe
from regen.contracts import YSpec
from regen.errors import SpecMismatchError
from regen.generators.diffusion import DiffusionGenerator
from regen.pipeline import Pipeline
from regen.renderers.identity import IdentityRenderer
from regen.representations.downsample import DownsampleRepresentation
from regen.tasks.image.build import build_pipeline
from tests.tiny import TINY

SHAPE = (1, 8, 8)
NAMES = [str(d) for d in range(10)]


def _pipeline(recipe: str, *extra: str) -> Pipeline:
    config = load_recipe(recipe, TINY + list(extra))
    return build_pipeline(config, SHAPE, NAMES).eval()


def test_spec_is_checked_at_construction_and_names_both_sides():
    good = _pipeline("image/glyphs_latent_diffusion")
    wrong = DownsampleRepresentation(SHAPE, 4)  # 1x2x2, the generator makes 4x4x4
    with pytest.raises(SpecMismatchError, match="generator gives .*representation expects"):
        Pipeline(wrong, good.generator, IdentityRenderer(wrong.spec))


def test_spec_is_checked_at_every_call():
    pipeline = _pipeline("image/glyphs_latent_diffusion")

    class Broken:
        spec = pipeline.spec
        trainable = True

        def training_loss(self, batch):
            raise NotImplementedError

        def sample(self, x, *, generator=None, **sampling):
            return torch.zeros(len(x), 3, 3, 3)

    broken = Pipeline(pipeline.representation, Broken(), pipeline.renderer)
    with pytest.raises(SpecMismatchError, match="Broken.sample produced Y' that breaks"):
        broken.sample(torch.tensor([1, 2]))
    with pytest.raises(SpecMismatchError, match="input of DecoderRenderer"):
        pipeline.render(torch.zeros(2, 4, 4, 4, dtype=torch.int64))


def test_discrete_spec_rejects_out_of_vocab_tokens():
    spec = YSpec("discrete", (4, 4), "int64", vocab_size=8)
    with pytest.raises(SpecMismatchError, match="outside"):
        spec.check(torch.full((1, 4, 4), 9), "test")


def test_direct_pipeline_is_identity_around_the_generator():
    config = load_recipe("image/glyphs_direct", TINY)
    spec = YSpec("continuous", SHAPE, value_range=(-1.0, 1.0))
    generator = DiffusionGenerator(spec, config.generator, 10)
    direct = Pipeline.direct(generator)
    assert direct.is_direct and direct.spec == spec
    y = torch.rand(2, *SHAPE) * 2 - 1
    assert torch.equal(direct.encode(y), y)


@pytest.mark.parametrize("recipe", ["image/glyphs_latent_diffusion", "image/glyphs_vq_ar"])
def test_same_seed_same_samples(recipe):
    pipeline = _pipeline(recipe)
    a = pipeline.sample(["1", "2", "3"], seed=7)
    b = pipeline.sample(["1", "2", "3"], seed=7)
    c = pipeline.sample(["1", "2", "3"], seed=8)
    assert a.shape == (3, *SHAPE)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_empty_caption_and_empty_name_list_are_one_line_errors():
    from regen.errors import DataError
    from regen.tasks.image.conditioning import Conditioner

    with pytest.raises(DataError, match="empty"):
        Conditioner("text", []).encode(["  "])
    with pytest.raises(DataError, match="no class names"):
        Conditioner("class", NAMES).encode([])


def test_eval_hook_logs_heldout_loss_without_changing_training(tmp_path):
    from regen.tasks.image.train import train_pipeline
    from regen.training.logger import read_log
    from regen.training.loop import log_path

    extra = ["train.generator.eval_every=6", "train.generator.log_every=6"]
    plain = train_pipeline(
        load_recipe("image/glyphs_latent_diffusion", TINY), tmp_path / "a", progress=False
    )[1]
    hooked = train_pipeline(
        load_recipe("image/glyphs_latent_diffusion", TINY + extra), tmp_path / "b", progress=False
    )[1]
    records = read_log(log_path(tmp_path / "b" / "generator"))
    assert [r["step"] for r in records if "eval/heldout_loss" in r] == [6, 12]
    assert plain[-1].final_loss == hooked[-1].final_loss


def test_reconstruction_metrics_report_fid_and_codebook_use():
    from regen.eval.classifier import get_domain_classifier
    from regen.tasks.image.compare import reconstruction_metrics
    from regen.tasks.image.config import DataConfig
    from regen.tasks.image.data import load_image_dataset

    test = load_image_dataset(DataConfig(name="digits", image_size=8), "test")
    classifier = get_domain_classifier(test.images, test.labels, 10, key="t", steps=10)
    metrics = reconstruction_metrics(_pipeline("image/glyphs_vq_ar"), test.images, classifier)
    assert metrics["fid_reconstruction"] > 0
    assert 0 < metrics["codebook_usage"] <= 1
    assert 1 <= metrics["codebook_perplexity"] <= 32
    assert "fid_reconstruction" in reconstruction_metrics(
        _pipeline("image/glyphs_latent_diffusion"), test.images, classifier
    )
