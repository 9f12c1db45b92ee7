"""Batches read by DataLoader workers are the batches the loop reads itself, in order."""

from __future__ import annotations

import numpy as np
import torch

from regen.config import TrainConfig
from regen.data.speech_features import PaddedRows
from regen.data.store import RaggedArray, ShardWriter
from regen.training.batches import StepBatches, batch_indices, step_batches
from regen.training.distributed import DistInfo
from regen.training.loop import train_stage
from tests.unit.toy_models import ToyRegressor, toy_data


class CountingRows:
    """Rows that record which indices were read: a stand-in for a memory-mapped store."""

    def __init__(self, values: torch.Tensor) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: torch.Tensor) -> torch.Tensor:
        return self.values[index]


def test_worker_batches_equal_in_process_batches_in_step_order():
    data = {"y": CountingRows(torch.arange(100.0))}
    cfg = TrainConfig(steps=12, batch_size=8, seed=3)
    alone = [b["y"] for b in step_batches(data, 100, cfg, DistInfo(), start=4)]
    cfg.workers = 2
    loaded = [b["y"] for b in step_batches(data, 100, cfg, DistInfo(), start=4)]
    assert len(alone) == len(loaded) == 8
    for step, (a, b) in enumerate(zip(alone, loaded), 4):
        assert torch.equal(a, b)
        assert torch.equal(a, batch_indices(100, cfg, step, DistInfo()).float())


def test_each_rank_reads_only_its_share():
    cfg = TrainConfig(steps=3, batch_size=8)
    ranks = [
        StepBatches({"y": torch.arange(50)}, 50, cfg, DistInfo(r, 2), 0)[1]["y"] for r in (0, 1)
    ]
    assert [len(r) for r in ranks] == [4, 4]
    whole = StepBatches({"y": torch.arange(50)}, 50, cfg, DistInfo(), 0)[1]["y"]
    assert torch.equal(torch.cat(ranks), whole)


def test_training_with_workers_gives_the_same_weights():
    weights = []
    for workers in (0, 2):
        torch.manual_seed(0)
        model = ToyRegressor()
        cfg = TrainConfig(steps=20, batch_size=16, lr=1e-2, warmup_steps=2, workers=workers)
        train_stage("toy", model, toy_data(), cfg, None, progress=False)
        weights.append(model.state_dict())
    for key, value in weights[0].items():
        assert torch.equal(value, weights[1][key])


def test_workers_read_ragged_store_rows_like_the_loop(tmp_path):
    """Padded rows of a memory-mapped ragged store (the speech features) through workers."""
    writer = ShardWriter(tmp_path, rows_per_shard=3, ragged=("mel",))
    for n in range(1, 11):
        writer.add({"mel": np.full((n, 2), n, np.float32)})
    writer.flush()
    data = {"y": PaddedRows(RaggedArray.open(tmp_path, "mel"), pad=-1.0, channels_first=True)}
    cfg = TrainConfig(steps=6, batch_size=4, seed=1)
    alone = list(step_batches(data, 10, cfg, DistInfo(), start=0))
    cfg.workers = 2
    loaded = list(step_batches(data, 10, cfg, DistInfo(), start=0))
    assert len(alone) == len(loaded) == 6
    for a, b in zip(alone, loaded):
        assert torch.equal(a["y"], b["y"]) and a["y"].shape[1] == 2
