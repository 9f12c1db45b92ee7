"""The batches of a stage: which rows each step reads, and who reads them.

Rows depend only on (seed, step), never on state carried between steps, so a resumed run
reads exactly the batches an uninterrupted one would have, and N processes together read the
global batch one process would. With ``train.<stage>.workers > 0`` a ``DataLoader`` with that
many worker processes reads the coming batches while the model trains on the current one
(useful when the data are a memory-mapped store on disk); the batches and their order are
the same as with 0 workers, so the choice never changes the weights.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from regen.config import TrainConfig
from regen.training.distributed import DistInfo


def batch_indices(n: int, cfg: TrainConfig, step: int, dist: DistInfo) -> torch.Tensor:
    """This rank's share of the global batch of ``step`` (rows of data of length ``n``)."""
    g = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
    indices = torch.randint(n, (cfg.batch_size,), generator=g)
    share = cfg.batch_size // dist.world_size
    return indices[dist.rank * share : (dist.rank + 1) * share]


class StepBatches(Dataset):
    """Item ``i`` is this rank's batch of step ``start + i``: a dict of the data's rows."""

    def __init__(
        self, data: Mapping[str, Any], n: int, cfg: TrainConfig, dist: DistInfo, start: int
    ) -> None:
        self.data, self.n, self.cfg, self.dist, self.start = data, n, cfg, dist, start

    def __len__(self) -> int:
        return max(0, self.cfg.steps - self.start)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        idx = batch_indices(self.n, self.cfg, self.start + i, self.dist)
        return {key: rows[idx] for key, rows in self.data.items()}


def step_batches(
    data: Mapping[str, Any], n: int, cfg: TrainConfig, dist: DistInfo, start: int
) -> Iterator[dict[str, torch.Tensor]]:
    """The batches of steps ``start .. cfg.steps - 1`` in order, on this rank's device."""
    dataset = StepBatches(data, n, cfg, dist, start)
    if cfg.workers <= 0:
        source: Any = (dataset[i] for i in range(len(dataset)))
    else:
        # batch_size=None: each item already is a batch; workers take items round-robin and
        # the loader hands them back in item order, so the steps see the same rows
        source = DataLoader(dataset, batch_size=None, shuffle=False, num_workers=cfg.workers)
    for batch in source:
        yield {key: value.to(dist.device) for key, value in batch.items()}
