"""Variable-length id sequences as padded tensors (0 = padding), the form the loop batches."""

from __future__ import annotations

import torch
from torch import Tensor

PAD = 0


def pad_rows(rows: list[list[int]], max_len: int | None = None) -> tuple[Tensor, Tensor]:
    """Lists of ids -> (int64 [N, L] right-padded with 0, int64 lengths [N]).

    ``max_len`` truncates longer rows; L is the longest row (at least 1).
    """
    if max_len is not None:
        rows = [row[:max_len] for row in rows]
    lengths = torch.tensor([len(row) for row in rows], dtype=torch.long)
    width = max(1, int(lengths.max())) if len(rows) else 1
    out = torch.zeros(len(rows), width, dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out, lengths


def unpad_rows(ids: Tensor) -> list[list[int]]:
    """Right-padded ids [N, L] -> lists without the padding zeros."""
    return [[i for i in row if i != PAD] for row in ids.tolist()]


def lengths_of(ids: Tensor) -> Tensor:
    """Lengths of right-padded id rows [N, L]: the position after the last non-zero id."""
    positions = torch.arange(1, ids.shape[1] + 1, device=ids.device)
    return ((ids != PAD) * positions).amax(dim=1)


def split_at(row: list, separator) -> list[list]:
    """Non-empty runs of ``row`` between ``separator`` items: ``[3, 4, 3, 3, 5] -> [[4], [5]]``."""
    groups: list[list] = [[]]
    for token in row:
        if token == separator:
            groups.append([])
        else:
            groups[-1].append(token)
    return [g for g in groups if g]
