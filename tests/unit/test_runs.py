"""The one run loader (regen/runs.py): every built-in task's folder, and its one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from regen.config import load_recipe
from regen.errors import CheckpointError
from regen.runs import load_run, read_meta, save_run, write_config
from regen.tasks import get_task
from regen.training import distributed
from regen.training.loop import StageResult
from tests.asr_tiny import TINY_ASR
from tests.melody_tiny import TINY_MELODY
from tests.tiny import TINY
from tests.tiny_tts import TINY_TTS


def two_steps(*stages: str) -> list[str]:
    return [f"train.{s}.{key}=2" for s in stages for key in ("steps", "checkpoint_every")]


# one recipe per built-in task with its learned stages, cut to two steps (a few seconds each)
RECIPES = {
    "image": ("image/digits_latent_diffusion", TINY + two_steps("representation", "generator")),
    "tts": ("tts/fastspeech_griffin_lim", TINY_TTS + two_steps("generator")),
    "asr": ("asr/phonemes", TINY_ASR + two_steps("generator", "renderer")),
    "melody": ("melody/chorales_template", TINY_MELODY + two_steps("generator", "renderer")),
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``trained(task) -> (folder, pipeline)``: each task trained once per module, on one
    thread (tiny models on a busy 2-core machine run much faster so)."""
    cache: dict[str, tuple[Path, object]] = {}

    def get(task: str) -> tuple[Path, object]:
        if task not in cache:
            recipe, overrides = RECIPES[task]
            config = load_recipe(recipe, overrides)
            folder = tmp_path_factory.mktemp(f"run-{task}")
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                pipeline, _ = get_task(task).load("train")(config, folder, progress=False)
            finally:
                torch.set_num_threads(threads)
            cache[task] = folder, pipeline
        return cache[task]

    return get


def copy_of(trained, task: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(trained(task)[0], tmp_path / task))


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("task", list(RECIPES))
def test_load_run_rebuilds_the_trained_pipeline_of_every_task(trained, task) -> None:
    folder, pipeline = trained(task)
    meta = read_meta(folder)
    assert meta["task"] == task and meta["trained_stages"]
    loaded, config = load_run(folder, task=task)
    assert config.task == task and loaded.spec.equal_to(pipeline.spec)
    assert set(loaded.modules()) == set(pipeline.modules())
    for stage, module in pipeline.modules().items():
        state = loaded.modules()[stage].state_dict()
        assert state.keys() == module.state_dict().keys(), stage
        for key, value in module.state_dict().items():
            torch.testing.assert_close(state[key], value, msg=f"{task} {stage}.{key}")
        assert not loaded.modules()[stage].training


def test_a_folder_without_pipeline_json_names_regen_train(tmp_path) -> None:
    with pytest.raises(CheckpointError) as info:
        load_run(tmp_path)
    assert "missing pipeline.json" in one_line(info) and "regen train <recipe>" in str(info.value)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", ""])
def test_a_corrupted_pipeline_json_is_one_line(trained, tmp_path, text) -> None:
    folder = copy_of(trained, "image", tmp_path)
    (folder / "pipeline.json").write_text(text)
    with pytest.raises(CheckpointError, match="pipeline.json is corrupted; train the") as info:
        load_run(folder)
    one_line(info)


def test_a_corrupted_config_is_one_line(trained, tmp_path) -> None:
    folder = copy_of(trained, "image", tmp_path)
    (folder / "config.yaml").write_text("data: [unclosed\n")
    with pytest.raises(CheckpointError, match="config.yaml is not a valid regen config") as info:
        load_run(folder)
    one_line(info)


@pytest.mark.parametrize(
    "held, asked, message",
    [
        ("image", "tts", "holds an image pipeline, not a tts one; use regen sample with --run"),
        ("tts", "asr", "holds a tts pipeline, not an asr one; use regen tts with --run"),
        ("melody", "image", "holds a melody pipeline, not an image one; use regen melody"),
    ],
)
def test_a_folder_of_another_task_names_the_command_for_it(trained, held, asked, message):
    folder = trained(held)[0]
    with pytest.raises(CheckpointError, match=message) as info:
        load_run(folder, task=asked)
    assert str(folder) in one_line(info)


def test_a_listed_stage_without_checkpoint_names_the_resume(trained, tmp_path) -> None:
    folder = copy_of(trained, "asr", tmp_path)
    assert "renderer" in read_meta(folder)["trained_stages"]
    shutil.rmtree(folder / "renderer")
    with pytest.raises(CheckpointError, match="stage 'renderer' of .* was never trained") as info:
        load_run(folder)
    assert f"--out {folder} --resume" in one_line(info)


def test_a_truncated_checkpoint_is_one_line(trained, tmp_path) -> None:
    folder = copy_of(trained, "melody", tmp_path)
    weights = folder / "generator" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:64])
    with pytest.raises(CheckpointError) as info:
        load_run(folder)
    assert "generator" in one_line(info)


def test_save_run_and_write_config_write_nothing_on_other_ranks(monkeypatch, trained, tmp_path):
    folder, pipeline = trained("image")
    _, config = load_run(folder)
    result = StageResult("generator", 2, 32, 0.1, [(2, 0.5)])
    worker = distributed.DistInfo(rank=1, world_size=2)
    monkeypatch.setattr(distributed, "current", lambda: worker)
    out = tmp_path / "rank1"
    assert "task: image" in write_config(out, config)  # the text still comes back
    save_run(out, config, pipeline, ["generator"], [result])
    assert not out.exists()
    monkeypatch.setattr(distributed, "current", lambda: distributed.DistInfo())
    save_run(out, config, pipeline, ["generator"], [result], extra_field=3)
    meta = json.loads((out / "pipeline.json").read_text())
    assert meta["trained_stages"] == ["generator"] and meta["extra_field"] == 3
    assert meta["stages"][0]["final_loss"] == 0.5
