"""One training process per run folder (issue 15, case 3)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from regen.cli import main
from regen.errors import RegenError
from regen.training.run_lock import LOCK_FILE, run_lock
from tests.tiny import TINY

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from regen.training.run_lock import run_lock
with run_lock(Path({folder!r})):
    print("locked", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def held(tmp_path):
    """A second process holding the lock of ``tmp_path / 'run'`` until the test ends."""
    folder = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER.format(root=str(ROOT), folder=str(folder))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    yield folder, holder.pid
    holder.stdin.close()
    holder.wait(timeout=30)


def test_a_second_training_into_a_held_run_folder_is_refused(held, capsys):
    folder, pid = held
    assert main(["train", "image/digits_latent_diffusion", *TINY, "--out", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("regen: error: ") and "\n" not in err
    assert f"pid {pid}" in err and str(folder) in err
    assert sorted(p.name for p in folder.iterdir()) == [LOCK_FILE]  # nothing was trained


def test_a_compare_into_a_held_folder_is_refused(held, capsys):
    folder, pid = held
    assert main(["compare", "image/digits_latent_diffusion", *TINY, "--out", str(folder)]) == 2
    assert f"pid {pid}" in capsys.readouterr().err


def test_run_lock_refuses_while_another_process_holds_it(held):
    folder, _ = held
    with pytest.raises(RegenError, match="in use"):
        with run_lock(folder):
            pass


def test_released_and_reentrant_in_one_process(tmp_path):
    folder = tmp_path / "run"
    with run_lock(folder):
        assert (folder / LOCK_FILE).is_file()
        with run_lock(folder):  # a compare trains its pipelines under its own lock
            pass
        assert (folder / LOCK_FILE).is_file()
    assert not (folder / LOCK_FILE).exists()
    with run_lock(folder):
        pass


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_note(tmp_path, capsys):
    folder = tmp_path / "run"
    folder.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / LOCK_FILE).write_text(f"{dead.pid}\n")
    with run_lock(folder):
        pass
    err = capsys.readouterr().err
    assert f"pid {dead.pid}" in err and "stale" in err and len(err.strip().splitlines()) == 1
    assert not (folder / LOCK_FILE).exists()


def test_a_file_where_the_run_folder_should_be_is_one_line(tmp_path):
    path = tmp_path / "run"
    path.write_text("keep me")
    with pytest.raises(RegenError, match="not a folder") as info:
        with run_lock(path):
            pass
    assert "\n" not in str(info.value) and path.read_text() == "keep me"


def test_disabled_lock_touches_nothing(tmp_path):
    with run_lock(tmp_path / "run", enabled=False):
        pass
    assert not (tmp_path / "run").exists()
