"""``Transformer.decode_step``: the module-call-free one-position cache path equals
``forward`` through the cache, padding and all."""

from __future__ import annotations

import torch

from regen.modules.transformer import Transformer


def test_decode_step_equals_forward_through_the_cache() -> None:
    torch.manual_seed(0)
    net = Transformer(32, depth=3, heads=4, dropout=0.1, causal=True).eval()
    prefix = torch.randn(2, 5, 32)
    valid = torch.ones(2, 5 + 6, dtype=torch.bool)
    valid[1, 2:5] = False  # the second row's prefix is padded
    steps = torch.randn(2, 6, 32)
    outputs = []
    for fast in (False, True):
        cache = net.new_cache(2, 11, like=prefix)
        out = [net(prefix, valid[:, :5], cache)[:, -1]]
        for s in range(6):
            mask = valid[:, : 5 + s + 1]
            if fast:
                out.append(net.decode_step(steps[:, s], mask, cache))
            else:
                out.append(net(steps[:, s : s + 1], mask, cache)[:, 0])
        assert cache.length == 11
        outputs.append(torch.stack(out, 1))
    torch.testing.assert_close(outputs[1], outputs[0], rtol=1e-5, atol=1e-5)
    full = net(torch.cat([prefix, steps], 1), valid)[:, 4:]  # and the cache-free reference
    torch.testing.assert_close(outputs[1], full, rtol=1e-5, atol=1e-5)


def test_decode_step_in_training_defers_to_forward() -> None:
    torch.manual_seed(0)
    net = Transformer(16, depth=1, heads=2, dropout=0.0).train()
    cache = net.new_cache(1, 2, like=torch.zeros(1))
    x = torch.randn(1, 16)
    out = net.decode_step(x, torch.ones(1, 1, dtype=torch.bool), cache)
    assert out.shape == (1, 16) and cache.length == 1
