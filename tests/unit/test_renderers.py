"""Renderers Y' -> Y: identity, the representation's decoder, learned super-resolution."""

from __future__ import annotations

import pytest
import torch
from sklearn.datasets import load_digits
from torch.nn import functional as F

from regen.contracts import Renderer
from regen.errors import ConfigError
from regen.renderers.decoder import DecoderRenderer
from regen.renderers.identity import IdentityRenderer
from regen.renderers.super_resolution import SuperResolutionRenderer
from regen.representations.autoencoder import Autoencoder
from regen.representations.downsample import DownsampleRepresentation
from regen.representations.quantized import QuantizedAutoencoder
from regen.tasks.image.config import RepresentationConfig


@pytest.fixture(scope="module")
def digits() -> torch.Tensor:
    """All 1,797 sklearn digits as ``[N, 1, 8, 8]`` in ``[-1, 1]``."""
    return torch.tensor(load_digits().images, dtype=torch.float32)[:, None] / 8.0 - 1.0


def test_identity_renderer_passes_through(digits):
    spec = DownsampleRepresentation((1, 8, 8), 2).spec
    renderer = IdentityRenderer(spec)
    assert isinstance(renderer, Renderer) and not renderer.trainable
    assert renderer.spec == spec
    assert torch.equal(renderer.render(digits), digits)


@pytest.mark.parametrize("quantized", [False, True])
def test_decoder_renderer_reuses_the_representation_without_owning_it(quantized, digits):
    cfg = RepresentationConfig(factor=2, hidden=16, codebook_size=16)
    shape = (1, 8, 8)
    rep = QuantizedAutoencoder(shape, cfg, "vq") if quantized else Autoencoder(shape, cfg, True)
    renderer = DecoderRenderer(rep)
    assert isinstance(renderer, Renderer) and not renderer.trainable
    assert renderer.spec == rep.spec
    assert renderer.state_dict() == {} and not list(renderer.parameters())
    with torch.no_grad():
        y_prime = rep.encode(digits[:8])
        assert torch.equal(renderer.render(y_prime), rep.decode(y_prime))


def test_super_resolution_spec_matches_downsampling():
    for shape, factor in [((1, 32, 32), 4), ((3, 32, 32), 2), ((1, 8, 8), 2)]:
        renderer = SuperResolutionRenderer(shape, factor, hidden=16)
        assert renderer.spec == DownsampleRepresentation(shape, factor).spec
        assert renderer.trainable and isinstance(renderer, Renderer)


def test_super_resolution_rejects_bad_factor():
    with pytest.raises(ConfigError):
        SuperResolutionRenderer((1, 8, 8), 3, hidden=16)


def test_untrained_super_resolution_is_bilinear_upsampling(digits):
    renderer = SuperResolutionRenderer((1, 8, 8), 2, hidden=16)
    low = F.avg_pool2d(digits[:16], 2)
    bilinear = F.interpolate(low, scale_factor=2.0, mode="bilinear", align_corners=False)
    with torch.no_grad():
        assert torch.allclose(renderer.render(low), bilinear)
        assert torch.equal(renderer.render(low), DownsampleRepresentation((1, 8, 8), 2).decode(low))


def test_super_resolution_learns_detail_beyond_bilinear(digits):
    torch.manual_seed(0)
    rep = DownsampleRepresentation((1, 8, 8), 2)
    renderer = SuperResolutionRenderer((1, 8, 8), 2, hidden=32)
    pairs = {"y_prime": rep.encode(digits), "y": digits}
    baseline = F.l1_loss(rep.decode(pairs["y_prime"]), digits).item()
    optimizer = torch.optim.AdamW(renderer.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(150):
        idx = torch.randint(len(digits), (64,), generator=g)
        loss, logs = renderer.training_loss({k: v[idx] for k, v in pairs.items()})
        assert loss.ndim == 0 and torch.isfinite(loss) and set(logs) == {"l1"}
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        rendered = renderer.render(pairs["y_prime"])
    assert rendered.shape == digits.shape and rendered.abs().max() <= 1.0
    assert F.l1_loss(rendered, digits).item() < 0.6 * baseline
