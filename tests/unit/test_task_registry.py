"""The task registry: tasks from packages outside regen, and one-line errors when one is wrong."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from regen import tasks
from regen.cli import main
from regen.errors import ConfigError
from regen.tasks import BUILT_IN, Task, get_task, register, task_names


@pytest.fixture
def registry(monkeypatch, tmp_path):
    """An empty run-time registry and a folder on sys.path for packages; both restored after,
    and the packages written here are dropped from sys.modules."""
    monkeypatch.setattr(tasks, "_EXTRA", {})
    monkeypatch.delenv(tasks.ENV_VAR, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("fake_task")]:
        del sys.modules[name]


def write_package(root: Path, name: str, init: str, **modules: str) -> None:
    folder = root / name
    folder.mkdir()
    (folder / "__init__.py").write_text(textwrap.dedent(init))
    for module, text in modules.items():
        (folder / f"{module}.py").write_text(textwrap.dedent(text))


TASK_INIT = """
from regen.tasks import Task
TASK = Task(name="fake", package=__name__, description="a test task")
"""


def test_register_adds_a_task_from_any_package(registry) -> None:
    write_package(registry, "fake_task_a", TASK_INIT)
    register("fake", "fake_task_a")
    assert get_task("fake").package == "fake_task_a"
    assert task_names() == [*BUILT_IN, "fake"]


def test_environment_registers_a_task_for_every_process(registry, monkeypatch) -> None:
    """torchrun workers and `regen` started from a shell see REGEN_TASKS, not register()."""
    write_package(registry, "fake_task_b", TASK_INIT)
    monkeypatch.setenv(tasks.ENV_VAR, " fake = fake_task_b ,")
    assert get_task("fake").package == "fake_task_b"
    assert "fake" in task_names()


@pytest.mark.parametrize("value", ["fake", "fake=", "=pkg"])
def test_a_malformed_environment_entry_names_the_form(registry, monkeypatch, value) -> None:
    monkeypatch.setenv(tasks.ENV_VAR, value)
    with pytest.raises(ConfigError, match="name=package") as info:
        task_names()
    assert "\n" not in str(info.value)


def test_a_built_in_name_cannot_be_taken(registry, monkeypatch) -> None:
    with pytest.raises(ConfigError, match="'image' is a built-in task"):
        register("image", "fake_task_c")
    monkeypatch.setenv(tasks.ENV_VAR, "tts=fake_task_c")
    with pytest.raises(ConfigError, match="'tts' is a built-in task"):
        get_task("tts")


def test_unknown_task_says_how_to_register_one(registry) -> None:
    with pytest.raises(ConfigError, match=f"known tasks: .*melody.*{tasks.ENV_VAR}=weather="):
        get_task("weather")


def test_a_missing_package_is_one_line(registry) -> None:
    register("fake", "fake_task_missing")
    with pytest.raises(ConfigError, match="cannot import fake_task_missing") as info:
        get_task("fake")
    assert "PYTHONPATH" in str(info.value) and "\n" not in str(info.value)


def test_a_package_without_task_is_one_line(registry) -> None:
    write_package(registry, "fake_task_d", "X = 1\n")
    register("fake", "fake_task_d")
    with pytest.raises(ConfigError, match="fake_task_d defines no TASK"):
        get_task("fake")


def test_a_wrong_reference_names_the_task_field(registry) -> None:
    write_package(registry, "fake_task_e", TASK_INIT, config="class Other:\n    pass\n")
    register("fake", "fake_task_e")
    task = get_task("fake")
    with pytest.raises(ConfigError, match=r"fake_task_e\.config has no RecipeConfig") as info:
        task.load("config")
    assert "Task.config" in str(info.value)
    with pytest.raises(ConfigError, match=r"no module fake_task_e\.build") as info:
        task.load("build")
    assert "Task.build" in str(info.value)


def test_an_import_error_inside_a_task_module_is_not_hidden(registry) -> None:
    """Only a reference that names nothing is the user's one-line error; a module that
    exists but fails to import is a bug whose traceback must stay."""
    write_package(registry, "fake_task_f", TASK_INIT, build="import no_such_dependency_xyz\n")
    register("fake", "fake_task_f")
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        get_task("fake").load("build")


def test_the_cli_reports_a_broken_registration_in_one_line(registry, monkeypatch, capsys) -> None:
    monkeypatch.setenv(tasks.ENV_VAR, "fake=fake_task_missing")
    assert main(["report", str(registry)]) == 2
    err = capsys.readouterr().err
    assert "cannot import fake_task_missing" in err and len(err.strip().splitlines()) == 1


def test_task_load_reads_module_and_attribute() -> None:
    task = Task(name="image", package="regen.tasks.image", description="")
    assert task.load("compare").__name__ == "regen.tasks.image.compare"
    assert task.load("validate").__name__ == "validate"
