"""Representations Y <-> Y': specs, shapes, exactness, losses, calibration, codebooks."""

from __future__ import annotations

import math

import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from regen.contracts import Representation
from regen.errors import ConfigError
from regen.losses.image_reconstruction import PatchDiscriminator, hinge_losses
from regen.representations.autoencoder import Autoencoder
from regen.representations.downsample import DownsampleRepresentation
from regen.representations.identity import IdentityRepresentation, pixel_spec
from regen.representations.metrics import reconstruction_psnr
from regen.representations.quantized import QuantizedAutoencoder, code_usage
from regen.tasks.image.config import RepresentationConfig

SHAPE = (1, 8, 8)


@pytest.fixture(scope="module")
def digits() -> torch.Tensor:
    """All 1,797 sklearn digits as ``[N, 1, 8, 8]`` in ``[-1, 1]``."""
    return torch.tensor(load_digits().images, dtype=torch.float32)[:, None] / 8.0 - 1.0


def tiny_cfg(**overrides) -> RepresentationConfig:
    values = dict(
        factor=2,
        hidden=16,
        latent_channels=4,
        codebook_size=32,
        num_quantizers=2,
        fsq_levels=[5, 5, 5],
    )
    return RepresentationConfig(**{**values, **overrides})


def build(kind: str, cfg: RepresentationConfig | None = None, **kwargs) -> nn.Module:
    cfg = cfg or tiny_cfg()
    if kind in ("ae", "vae"):
        return Autoencoder(SHAPE, cfg, variational=kind == "vae", **kwargs)
    return QuantizedAutoencoder(SHAPE, cfg, kind, **kwargs)


def small_extractor() -> nn.Module:
    """Stand-in for the domain classifier: images ``[B, 1, 8, 8]`` -> features ``[B, 8]``."""
    return nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.Flatten(), nn.Linear(64, 8))


def train(model: nn.Module, images: torch.Tensor, steps: int, lr: float = 1e-3) -> list[float]:
    """Plain AdamW loop; returns the reconstruction L1 of every step."""
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(0)
    model.train()
    curve = []
    for _ in range(steps):
        batch = {"y": images[torch.randint(len(images), (64,), generator=g)]}
        loss, logs = model.training_loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        curve.append(logs["recon_l1"])
    return curve


def grad_norm(module: nn.Module) -> float:
    return sum(float(p.grad.abs().sum()) for p in module.parameters() if p.grad is not None)


# --------------------------------------------------------------------------- explicit


def test_identity_is_exact_and_untrainable(digits):
    rep = IdentityRepresentation(pixel_spec((1, 8, 8)))
    assert isinstance(rep, Representation) and not rep.trainable
    spec = rep.spec
    assert (spec.kind, spec.shape, spec.dtype) == ("continuous", (1, 8, 8), "float32")
    assert spec.value_range == (-1.0, 1.0) and spec.downsampling == 1
    assert torch.equal(rep.encode(digits), digits) and torch.equal(rep.decode(digits), digits)
    assert math.isinf(reconstruction_psnr(rep, digits))


def test_downsample_averages_blocks_and_upsamples_back():
    rep = DownsampleRepresentation((3, 8, 8), factor=4)
    assert not rep.trainable and isinstance(rep, Representation)
    assert rep.spec.shape == (3, 2, 2) and rep.spec.downsampling == 4
    assert rep.spec.value_range == (-1.0, 1.0)
    constant = torch.full((2, 3, 8, 8), 0.3)
    assert torch.allclose(rep.encode(constant), torch.full((2, 3, 2, 2), 0.3))
    assert torch.allclose(rep.decode(rep.encode(constant)), constant)
    ramp = torch.arange(64.0).view(1, 1, 8, 8).expand(1, 3, 8, 8)
    assert rep.encode(ramp)[0, 0, 0, 0] == ramp[0, 0, :4, :4].mean()
    rep.spec.check(rep.encode(ramp), "downsample")


def test_downsample_round_trip_is_lossy_but_close(digits):
    rep = DownsampleRepresentation(SHAPE, factor=2)
    assert rep.decode(rep.encode(digits)).shape == digits.shape
    assert 10.0 < reconstruction_psnr(rep, digits) < 40.0


def test_downsample_factor_must_divide_the_image():
    with pytest.raises(ConfigError, match="divide"):
        DownsampleRepresentation((1, 8, 8), factor=3)


# --------------------------------------------------------------------------- continuous


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_autoencoder_spec_and_shapes(kind, digits):
    rep = build(kind)
    assert rep.trainable and isinstance(rep, Representation)
    spec = rep.spec
    assert (spec.kind, spec.shape, spec.dtype, spec.downsampling) == (
        "continuous",
        (4, 4, 4),
        "float32",
        2,
    )
    z = rep.encode(digits[:5])
    spec.check(z, kind)
    images = rep.decode(z)
    assert images.shape == (5, *SHAPE) and images.dtype == torch.float32
    assert images.min() >= -1.0 and images.max() <= 1.0


@pytest.mark.parametrize("factor", [3, 16])
def test_autoencoder_rejects_bad_factor(factor):
    with pytest.raises(ConfigError, match="power of two"):
        build("vae", tiny_cfg(factor=factor))


def test_perceptual_loss_needs_an_extractor():
    with pytest.raises(ConfigError, match="feature extractor"):
        build("vae", tiny_cfg(perceptual_weight=0.1))


@pytest.mark.parametrize("kind", ["ae", "vae", "vq", "rvq", "fsq"])
def test_training_loss_reaches_every_part(kind, digits):
    torch.manual_seed(0)
    extractor = small_extractor()
    cfg = tiny_cfg(perceptual_weight=0.1, adversarial_weight=0.1, adversarial_start=0)
    rep = build(kind, cfg, feature_extractor=extractor).train()
    loss, logs = rep.training_loss({"y": digits[:32]})
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert all(isinstance(v, float) and math.isfinite(v) for v in logs.values())
    assert {"recon_l1", "perceptual", "gan_generator", "gan_discriminator"} <= logs.keys()
    loss.backward()
    for part in (rep.encoder, rep.decoder, rep.objective.discriminator):
        assert grad_norm(part) > 0, part.__class__.__name__
    # The frozen extractor gets no gradient and is neither a parameter nor in the state_dict.
    assert all(p.grad is None for p in extractor.parameters())
    assert not any(key.startswith("objective._extractor") for key in rep.state_dict())
    assert sum(p.numel() for p in rep.parameters()) == sum(
        p.numel() for name, p in rep.named_parameters() if "_extractor" not in name
    )


def test_gan_terms_update_only_their_own_side():
    torch.manual_seed(0)
    disc = PatchDiscriminator(1, hidden=8)
    generator_weight = torch.ones((), requires_grad=True)
    real = torch.rand(4, *SHAPE) * 2 - 1
    fake = torch.tanh(generator_weight * torch.randn(4, *SHAPE))
    generator_loss, discriminator_loss = hinge_losses(disc, fake, real)
    assert disc(real).shape == (4, 1, 2, 2)
    generator_loss.backward(retain_graph=True)
    assert generator_weight.grad is not None and generator_weight.grad != 0
    assert all(p.grad is None for p in disc.parameters())
    generator_weight.grad = None
    discriminator_loss.backward()
    assert generator_weight.grad is None
    assert grad_norm(disc) > 0


def test_adversarial_terms_start_at_the_configured_step(digits):
    rep = build("ae", tiny_cfg(adversarial_weight=0.5, adversarial_start=2)).train()
    seen = []
    for _ in range(3):
        _, logs = rep.training_loss({"y": digits[:8]})
        seen.append("gan_generator" in logs)
    assert seen == [False, False, True]
    assert int(rep.state_dict()["objective.step"]) == 3


def test_calibration_gives_unit_latents_and_keeps_decoding(digits):
    rep = build("vae")
    train(rep, digits, steps=5)
    rep.eval()
    with torch.no_grad():
        before = rep.decode(rep.encode(digits[:16]))
        rep.calibrate(digits)
        z = rep.encode(digits)
        after = rep.decode(rep.encode(digits[:16]))
    assert torch.allclose(z.mean(dim=(0, 2, 3)), torch.zeros(4), atol=1e-4)
    assert torch.allclose(z.std(dim=(0, 2, 3)), torch.ones(4), atol=1e-3)
    assert torch.allclose(before, after, atol=1e-5)
    state = rep.state_dict()
    restored = build("vae")
    restored.load_state_dict(state)
    assert torch.equal(restored.scale, rep.scale) and torch.equal(restored.shift, rep.shift)


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_short_training_reconstructs_digits(kind, digits):
    rep = build(kind, tiny_cfg(hidden=32))
    psnr_before = reconstruction_psnr(rep, digits)
    curve = train(rep, digits, steps=150)
    psnr_after = reconstruction_psnr(rep.eval(), digits)
    assert sum(curve[-10:]) / 10 < 0.3 * sum(curve[:10]) / 10
    assert psnr_after > psnr_before + 10.0 and psnr_after > 18.0


# --------------------------------------------------------------------------- discrete


@pytest.mark.parametrize(
    ("kind", "shape", "vocab"),
    [("vq", (4, 4), 32), ("rvq", (2, 4, 4), 32), ("fsq", (4, 4), 125)],
)
def test_quantized_spec_ids_and_decode(kind, shape, vocab, digits):
    rep = build(kind)
    spec = rep.spec
    assert (spec.kind, spec.dtype, spec.shape, spec.vocab_size, spec.downsampling) == (
        "discrete",
        "int64",
        shape,
        vocab,
        2,
    )
    ids = rep.encode(digits[:64])
    spec.check(ids, kind)
    images = rep.decode(ids)
    assert images.shape == (64, *SHAPE) and images.min() >= -1 and images.max() <= 1


@pytest.mark.parametrize("kind", ["vq", "rvq"])
def test_encode_leaves_the_codebook_alone(kind, digits):
    rep = build(kind).train()
    before = {k: v.clone() for k, v in rep.quantizer.state_dict().items()}
    rep.encode(digits[:64])
    after = rep.quantizer.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    rep.training_loss({"y": digits[:64]})
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_unknown_quantizer_is_a_config_error():
    with pytest.raises(ConfigError, match="quantizer"):
        QuantizedAutoencoder(SHAPE, tiny_cfg(), "pq")


def test_code_usage_extremes():
    assert code_usage(torch.zeros(100, dtype=torch.long), 10) == pytest.approx((0.1, 1.0))
    used, perplexity = code_usage(torch.arange(10).repeat(5), 10)
    assert used == 1.0 and perplexity == pytest.approx(10.0)


@pytest.mark.parametrize("kind", ["vq", "rvq", "fsq"])
def test_codebook_stats_after_short_training(kind, digits):
    rep = build(kind, tiny_cfg(hidden=32))
    psnr_before = reconstruction_psnr(rep, digits)
    curve = train(rep, digits, steps=100)
    rep.eval()
    stats = rep.codebook_stats(digits)
    vocab = rep.spec.vocab_size
    # Dead-code replacement keeps most VQ codes alive; FSQ's implicit grid is only partly
    # reached by an encoder this young.
    floor = 0.1 if kind == "fsq" else 0.5
    assert floor < stats["usage"] <= 1.0
    assert floor * 0.5 * vocab < stats["perplexity"] <= vocab
    if kind == "rvq":
        assert {"usage_level0", "usage_level1", "perplexity_level1"} <= stats.keys()
    assert sum(curve[-10:]) < 0.5 * sum(curve[:10])
    assert reconstruction_psnr(rep, digits) > psnr_before + 8.0
