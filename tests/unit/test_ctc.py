"""CTC decoding (greedy, prefix beam search) and the Conformer + CTC generator."""

from __future__ import annotations

import itertools
import math
import types

import pytest
import torch

from regen.contracts import XBatch, YSpec
from regen.errors import ConfigError
from regen.generators.ctc import CTCGenerator, normalize_features
from regen.generators.ctc_decoding import greedy_decode, prefix_beam_search
from regen.modules.specaugment import spec_augment
from tests.asr_tiny import one_thread  # noqa: F401  (autouse fixture)

SPEC = YSpec(kind="discrete", shape=(None,), dtype="int64", vocab_size=6)


def _cfg(**kw):
    base = dict(
        dim=32, depth=1, heads=2, subsample=1, kernel=7, dropout=0.0, freq_masks=2,
        freq_width=4, time_masks=2, time_width=0.1, beam_size=1,
    )  # fmt: skip
    return types.SimpleNamespace(**{**base, **kw})


def _collapse(path: tuple[int, ...]) -> tuple[int, ...]:
    out = [t for i, t in enumerate(path) if t != 0 and (i == 0 or t != path[i - 1])]
    return tuple(out)


def test_greedy_collapses_repeats_and_drops_blanks() -> None:
    path = torch.tensor([[1, 1, 0, 1, 2, 2, 0, 0, 3, 3]])
    scores = torch.nn.functional.one_hot(path, 4).float()
    assert greedy_decode(scores, torch.tensor([10])) == [[1, 1, 2, 3]]
    assert greedy_decode(scores, torch.tensor([5])) == [[1, 1, 2]]


def test_prefix_beam_search_finds_the_most_probable_labeling() -> None:
    """Against brute force: sum the probability of every path of each labeling."""
    torch.manual_seed(3)
    frames, vocab = 5, 3
    log_probs = (torch.randn(frames, vocab) * 1.5).log_softmax(-1)
    totals: dict[tuple[int, ...], float] = {}
    for path in itertools.product(range(vocab), repeat=frames):
        p = math.exp(sum(float(log_probs[t, s]) for t, s in enumerate(path)))
        totals[_collapse(path)] = totals.get(_collapse(path), 0.0) + p
    best = max(totals, key=totals.get)
    found, score = prefix_beam_search(log_probs, beam_size=64, prune=-1e9)[0]
    assert tuple(found) == best
    assert math.isclose(math.exp(score), totals[best], rel_tol=1e-6)


def test_padded_batch_decodes_like_single_items() -> None:
    torch.manual_seed(0)
    model = CTCGenerator(SPEC, _cfg(), n_mels=8).eval()
    x = torch.randn(2, 8, 40)
    lengths = torch.tensor([40, 23])
    batch = model.sample(XBatch(x, lengths=lengths))
    alone = model.sample(XBatch(x[1:, :, :23], lengths=lengths[1:]))
    assert batch[1, : alone.shape[1]].tolist() == alone[0].tolist()
    assert int(batch[1, alone.shape[1] :].abs().sum()) == 0


def test_ctc_generator_learns_a_tiny_mapping() -> None:
    torch.manual_seed(0)
    model = CTCGenerator(SPEC, _cfg(dim=16, freq_masks=0, time_masks=0), n_mels=4)
    x = torch.randn(4, 4, 12)
    y = torch.tensor([[1, 2, 3], [4, 5, 0], [2, 2, 0], [5, 0, 0]])
    batch = {
        "x": x,
        "x_len": torch.full((4,), 12),
        "y_prime": y,
        "y_len": torch.tensor([3, 2, 2, 1]),
    }
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    first = float(model.training_loss(batch)[0].detach())
    for _ in range(80):
        loss, _ = model.training_loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss.detach()) < first / 5
    model.eval()
    decoded = model.sample(XBatch(x, lengths=batch["x_len"]), beam_size=4)
    assert decoded[:, :3].tolist() == y.tolist()
    SPEC.check(decoded, "test")


def test_generator_rejects_a_fixed_length_spec() -> None:
    with pytest.raises(ConfigError, match="variable-length"):
        CTCGenerator(YSpec(kind="discrete", shape=(4,), vocab_size=5), _cfg(), 8)


def test_normalisation_ignores_padding_and_level() -> None:
    x = torch.randn(1, 4, 20)
    padded = torch.cat([x, torch.full((1, 4, 5), 7.0)], dim=-1)
    a = normalize_features(x, torch.tensor([20]))
    b = normalize_features(padded, torch.tensor([20]))
    assert torch.allclose(a, b[..., :20], atol=1e-5) and b[..., 20:].abs().max() == 0
    assert torch.allclose(normalize_features(x + 3.0, torch.tensor([20])), a, atol=1e-4)


def test_spec_augment_masks_only_inside_the_utterance() -> None:
    x = torch.ones(3, 16, 50)
    lengths = torch.tensor([50, 30, 10])
    out = spec_augment(x, lengths, freq_masks=0, time_masks=3, time_width=0.3,
                       generator=torch.Generator().manual_seed(0))  # fmt: skip
    assert out[1, :, 30:].eq(1).all() and out[2, :, 10:].eq(1).all()
    masked = spec_augment(x, lengths, freq_masks=2, freq_width=6, time_masks=0)
    assert (masked == 0).any() and (masked == 0).sum() <= 3 * 2 * 6 * 50
