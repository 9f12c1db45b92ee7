"""Two "nodes" under torchrun's own rendezvous train on a streamed store like one process does.

Two launchers (``--nnodes 2``, one process each) meet at a c10d rendezvous on 127.0.0.1, as
two machines would at a head node's address, and run ``regen train`` on a prepared store of a
user's image folder; each rank reads only its half of every batch from the memory-mapped
store. The super-resolution renderer's training draws no random numbers, so its weights must
equal a single process's up to float summation order. The diffusion generator draws its
noise per rank (seed + rank), so two ranks and one process draw different noise by design:
for it the test asks only that the two-node run trained and logged the same steps.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from regen.cli import main
from regen.training.logger import read_log
from tests.image_folders import tree_hashes, write_folder
from tests.tiny import TINY

ROOT = Path(__file__).resolve().parents[2]
RECIPE = "image/glyphs_downsample_sr"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launcher(node_rank: int, port: int, args: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nnodes=2",
        f"--node-rank={node_rank}",
        "--nproc-per-node=1",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint=127.0.0.1:{port}",
        "--rdzv-id=regen-two-nodes",
        "-m",
        "regen.cli",
        *args,
    ]


@pytest.mark.slow  # three training runs and two torchrun launchers: about a minute on 2 cores
def test_two_nodes_match_one_process_on_a_streamed_store(tmp_path):
    folder = tmp_path / "my_glyphs"
    write_folder(folder, "csv", per_class=6)
    before = tree_hashes(folder)
    overrides = [o for o in TINY if not o.startswith("data.name")]
    overrides += [f"data.source={folder}", "data.holdout_fraction=0.3"]
    overrides += ["train.renderer.checkpoint_every=6", "train.renderer.ema_decay=0"]
    assert main(["data", "prepare", RECIPE, *overrides]) == 0  # once, before the launchers

    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    one, two = tmp_path / "one", tmp_path / "two"
    single = [sys.executable, "-m", "regen.cli", "train", RECIPE, *overrides, "--out", str(one)]
    done = subprocess.run(single, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    port = free_port()
    args = ["train", RECIPE, *overrides, "--out", str(two)]
    nodes = [
        subprocess.Popen(launcher(rank, port, args), env=env, cwd=ROOT, stderr=subprocess.PIPE)
        for rank in (0, 1)
    ]
    errors = [node.communicate(timeout=400)[1].decode()[-3000:] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], errors

    sizes = [json.loads((run / "renderer" / "trainer.json").read_text()) for run in (one, two)]
    assert [size["world_size"] for size in sizes] == [1, 2]  # one group, not two lone runs
    a = load_file(one / "renderer" / "model.safetensors")
    b = load_file(two / "renderer" / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-5)
    logged = [[r["step"] for r in read_log(run / "logs" / "generator.jsonl")] for run in (one, two)]
    assert logged[0] == logged[1] and logged[0]
    assert tree_hashes(folder) == before
