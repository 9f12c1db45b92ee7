"""A tensor whose size comes from data, saved with a module's weights.

Counted models (a lexicon, n-gram counts) hold tables whose shape is only known after
fitting, so they cannot be buffers of a module built from the config alone (loading checks
every shape against the freshly built module). A :class:`TableState` keeps its table as
PyTorch *extra state*: it appears in ``state_dict()`` as ``<name>._extra_state``, travels
through safetensors like any weight, and regen's checkpoint loader does not shape-check it
(:func:`regen.training.checkpoint.load_state_checked`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

EXTRA_STATE = "_extra_state"  # the key suffix PyTorch gives extra state


class TableState(nn.Module):
    """One int64 table ([0, 0] until set). ``version`` counts assignments, so a user that
    derives look-up structures from ``table`` knows when to rebuild them (after a load)."""

    def __init__(self) -> None:
        super().__init__()
        self._table = torch.zeros(0, 0, dtype=torch.long)
        self.version = 0

    @property
    def table(self) -> Tensor:
        return self._table

    @table.setter
    def table(self, value: Tensor) -> None:
        self._table = value.to(torch.long).cpu()
        self.version += 1

    def get_extra_state(self) -> Tensor:
        # int32 on disk: ids and counts fit, and a lexicon of 120,000 words halves in size
        return self._table.to(torch.int32)

    def set_extra_state(self, state: Tensor) -> None:
        self.table = state
