"""Decoding CTC outputs: greedy (best path) and prefix beam search, blank id 0.

Both take per-frame log-probabilities of one utterance or a padded batch and return token
ids with blanks removed and repeats collapsed. The beam search keeps, for every prefix, the
probability of ending in a blank and in a non-blank (Hannun et al. 2014, without a language
model), so different alignments of the same text add up instead of competing.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import torch

BLANK = 0
_NEG_INF = -math.inf


def greedy_decode(log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
    """Best path: argmax per frame, collapse repeats, drop blanks.

    Args:
        log_probs: [B, T, V] frame scores (log-probabilities or logits).
        lengths: [B] valid frames per utterance.
    """
    best = log_probs.argmax(dim=-1).cpu()
    out = []
    for row, length in zip(best, lengths.tolist()):
        path = row[:length]
        keep = torch.ones_like(path, dtype=torch.bool)
        keep[1:] = path[1:] != path[:-1]
        out.append([int(t) for t in path[keep] if t != BLANK])
    return out


def _logsumexp(a: float, b: float) -> float:
    if a == _NEG_INF:
        return b
    if b == _NEG_INF:
        return a
    high, low = (a, b) if a > b else (b, a)
    return high + math.log1p(math.exp(low - high))


def prefix_beam_search(
    log_probs: torch.Tensor, beam_size: int = 8, prune: float = -12.0
) -> list[tuple[list[int], float]]:
    """CTC prefix beam search over one utterance.

    Args:
        log_probs: [T, V] log-probabilities (log-softmax over V, blank = 0).
        beam_size: prefixes kept after every frame.
        prune: tokens whose frame log-probability is below this are not extended (they
            cannot change the result within a beam of a sensible size, and skipping them
            makes the search linear in the few likely tokens instead of the vocabulary).

    Returns:
        up to ``beam_size`` (token ids, log-probability) pairs, best first.
    """
    frames = log_probs.detach().float().cpu().numpy()
    # prefix -> (log P(prefix, ends in blank), log P(prefix, ends in non-blank))
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, _NEG_INF)}
    for frame in frames:
        candidates = np.nonzero(frame >= prune)[0]
        if len(candidates) == 0:
            candidates = np.array([int(frame.argmax())])
        next_beams: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [_NEG_INF, _NEG_INF])
        for prefix, (p_blank, p_token) in beams.items():
            p_total = _logsumexp(p_blank, p_token)
            last = prefix[-1] if prefix else None
            for token in candidates.tolist():
                p = float(frame[token])
                if token == BLANK:
                    entry = next_beams[prefix]
                    entry[0] = _logsumexp(entry[0], p_total + p)
                    continue
                extended = prefix + (token,)
                entry = next_beams[extended]
                if token == last:
                    # a repeat needs a blank in between to count as a new token ...
                    entry[1] = _logsumexp(entry[1], p_blank + p)
                    # ... and without one it merges into the same prefix
                    same = next_beams[prefix]
                    same[1] = _logsumexp(same[1], p_token + p)
                else:
                    entry[1] = _logsumexp(entry[1], p_total + p)
        ranked = sorted(next_beams.items(), key=lambda kv: -_logsumexp(*kv[1]))
        beams = {prefix: (pb, pt) for prefix, (pb, pt) in ranked[:beam_size]}
    scored = [(list(prefix), _logsumexp(pb, pt)) for prefix, (pb, pt) in beams.items()]
    return sorted(scored, key=lambda item: -item[1])


def beam_decode(
    log_probs: torch.Tensor, lengths: torch.Tensor, beam_size: int = 8
) -> list[list[int]]:
    """The best prefix of :func:`prefix_beam_search` for every utterance of a [B, T, V] batch."""
    log_probs = log_probs.log_softmax(dim=-1)
    return [
        prefix_beam_search(row[:length], beam_size)[0][0]
        for row, length in zip(log_probs, lengths.tolist())
    ]
