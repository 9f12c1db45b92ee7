"""Joint training (the paper's Eq. 1): terms, masks, collapse guards, and the training mode."""

from __future__ import annotations

import pytest
import torch

from regen.config import load_recipe
from regen.errors import ConfigError
from regen.representations.autoencoder import Autoencoder
from regen.runs import load_run
from regen.tasks.image.config import GeneratorConfig, JointConfig, RepresentationConfig
from regen.tasks.image.joint import JointObjective
from regen.tasks.image.train import paired_mask, train_pipeline
from tests.tiny import TINY

TERMS = ("reconstruction", "x_from_y", "y_from_x", "render_from_x")


def _joint(**weights: float) -> JointObjective:
    torch.manual_seed(0)
    rep = Autoencoder((1, 8, 8), RepresentationConfig(factor=2, hidden=16), variational=True)
    cfg = JointConfig(source_dim=8, mapping_hidden=16, **weights)
    return JointObjective(rep, cfg, GeneratorConfig(hidden=16), num_classes=10)


def _batch(paired: list[float]) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    n = len(paired)
    return {
        "y": torch.rand(n, 1, 8, 8, generator=g) * 2 - 1,
        "x": torch.randint(0, 10, (n,), generator=g),
        "paired": torch.tensor(paired),
    }


def test_unpaired_items_contribute_the_reconstruction_term_only() -> None:
    model = _joint()
    _, logs = model.training_loss(_batch([0.0, 0.0, 0.0, 0.0]))
    assert "reconstruction" in logs
    assert not any(term in logs for term in TERMS[1:])
    _, logs = model.training_loss(_batch([1.0, 0.0, 1.0, 0.0]))
    assert all(term in logs for term in TERMS)
    assert logs["paired_in_batch"] == 0.5


def test_loss_is_the_weighted_sum_of_the_logged_terms() -> None:
    model = _joint(x_from_y_weight=0.5, render_from_x_weight=2.0)
    torch.manual_seed(3)
    loss, logs = model.training_loss(_batch([1.0, 1.0, 0.0, 1.0]))
    assert float(loss.detach()) == pytest.approx(sum(logs[t] for t in TERMS), rel=1e-5)
    torch.manual_seed(3)
    _, unweighted = _joint().training_loss(_batch([1.0, 1.0, 0.0, 1.0]))
    assert logs["x_from_y"] == pytest.approx(0.5 * unweighted["x_from_y"], rel=1e-5)


def test_x_prime_is_a_stop_gradient_target_of_the_x_from_y_term() -> None:
    """The source encoder must not learn from ||X' - f_Y'(Y')||^2 (it would collapse X')."""
    model = _joint(reconstruction_weight=0.0, y_from_x_weight=0.0, render_from_x_weight=0.0)
    loss, _ = model.training_loss(_batch([1.0, 1.0, 1.0, 1.0]))
    loss.backward()
    source_grads = [p.grad for p in model.source.parameters() if p.grad is not None]
    assert all(float(g.abs().sum()) == 0 for g in source_grads)
    encoder_grad = sum(float(p.grad.abs().sum()) for p in model.representation.encoder.parameters())
    assert encoder_grad > 0  # Y' itself is pushed to carry X's information


def test_alignment_terms_do_not_reward_shrinking_y_prime() -> None:
    """Scaling the encoder output leaves the Y'-from-X term unchanged (batch-std normalised)."""
    model = _joint()
    batch = _batch([1.0] * 6)
    torch.manual_seed(5)
    _, before = model.training_loss(batch)
    with torch.no_grad():
        last = model.representation.encoder.head[-1]
        last.weight.mul_(0.1)
        last.bias.mul_(0.1)
    torch.manual_seed(5)
    _, after = model.training_loss(batch)
    assert after["y_from_x"] == pytest.approx(before["y_from_x"], rel=1e-3)
    assert after["y_prime_std"] < 0.5 * before["y_prime_std"]


def test_paired_mask_keeps_the_asked_fraction_and_is_reproducible() -> None:
    mask = paired_mask(200, 0.1, seed=3)
    assert mask.dtype == torch.bool and int(mask.sum()) == 20
    assert torch.equal(mask, paired_mask(200, 0.1, seed=3))
    assert not torch.equal(mask, paired_mask(200, 0.1, seed=4))
    assert int(paired_mask(10, 0.01, seed=0).sum()) == 1


def test_joint_mode_trains_on_paired_and_unpaired_data_saves_loads_and_samples(tmp_path) -> None:
    config = load_recipe(
        "image/digits_latent_diffusion",
        TINY + ["train.mode=joint", "data.paired_fraction=0.25"],
    )
    pipeline, results = train_pipeline(config, tmp_path / "run", progress=False)
    joint = results[0]
    assert joint.name == "joint"
    assert all(term in joint.last_logs for term in TERMS)
    assert 0 < joint.last_logs["paired_in_batch"] < 1
    before = pipeline.sample(["3", "5"], seed=1)
    after = load_run(tmp_path / "run")[0].sample(["3", "5"], seed=1)
    torch.testing.assert_close(before, after)


@pytest.mark.parametrize(
    "override, message",
    [
        (
            ["train.mode=joint", "representation.kind=vq", "generator.kind=autoregressive"],
            "ae or vae",
        ),
        (["train.mode=both"], "train.mode"),
        (["data.paired_fraction=0"], "paired_fraction"),
    ],
)
def test_bad_joint_settings_name_the_fix(override, message) -> None:
    with pytest.raises(ConfigError, match=message):
        load_recipe("image/digits_latent_diffusion", override)
