"""Under torchrun only rank 0 writes: a 2-process `regen train` of TTS, every write recorded.

tests/write_log/sitecustomize.py records each rank's file writes (opens for writing, renames,
mkdir, rmtree, safetensors saves); rank 1 must write nothing in the run folder. The mel-VAE
recipe also re-saves the representation's calibrated weights after its stage, which once
happened on every rank.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from regen.config import load_recipe
from regen.data.speech import load_speech_corpus
from tests.tiny_tts import TINY_TTS

ROOT = Path(__file__).resolve().parents[2]
RECORDER = ROOT / "tests" / "write_log"
# two steps per stage and a checkpoint at each: every kind of write, on a 2-process budget
SHORT = [
    f"train.{stage}.{key}={value}"
    for stage in ("representation", "generator", "renderer")
    for key, value in (("steps", 2), ("checkpoint_every", 1), ("log_every", 1))
]


def writes(log: Path, under: Path) -> list[tuple[str, Path]]:
    """(event, path) of the recorded writes inside ``under``; the log must show the recorder
    ran in that process (its first line)."""
    lines = log.read_text().splitlines()
    assert lines and lines[0].startswith("start\t"), f"{log.name}: the recorder did not run"
    events = [line.split("\t", 1) for line in lines[1:]]
    return [(event, Path(path)) for event, path in events if Path(path).is_relative_to(under)]


@pytest.mark.slow  # two torchrun launches of about 30 s each on 2 cores
@pytest.mark.parametrize("recipe", ["tts/fastspeech_griffin_lim", "tts/vae_latent"])
def test_only_rank_zero_writes_under_torchrun(recipe, tmp_path):
    overrides = TINY_TTS + SHORT
    load_speech_corpus(load_recipe(recipe, overrides).data, "train")  # cached once, not per rank
    out, log = (tmp_path / "run").resolve(), tmp_path / "writes"
    log.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(RECORDER), str(ROOT)]),
        "REGEN_WRITE_LOG": str(log),
        "OMP_NUM_THREADS": "1",
    }
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--rdzv-backend=c10d",
        "--rdzv-endpoint=localhost:0",
        "-m",
        "regen.cli",
        "train",
        recipe,
        *overrides,
        "--out",
        str(out),
    ]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]

    rank0, rank1 = writes(log / "rank0.log", out), writes(log / "rank1.log", out)
    assert rank1 == [], f"rank 1 wrote in the run folder: {rank1}"
    written = {path.relative_to(out).as_posix() for _, path in rank0}
    assert {"config.yaml", "pipeline.json", "logs/generator.jsonl"} <= written
    assert any(name.startswith("generator") and "model.safetensors" in name for name in written)
    if recipe == "tts/vae_latent":  # the calibrated latent scale, re-saved after the stage
        assert ("os.rename", out / "representation" / "model.safetensors") in rank0
