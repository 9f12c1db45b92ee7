"""The tradeoff and discrete summaries read what a task measures from its backend."""

from __future__ import annotations

import pytest

from regen.errors import ConfigError
from regen.studies import discrete, tradeoff
from regen.studies.measures import Metric


def test_a_metric_ranks_by_its_direction_and_refuses_an_unknown_one():
    values = {"a": 3.0, "b": 1.0, "c": 2.0}
    assert Metric("fad", "FAD", "lower").best(values) == "b"
    assert Metric("adherence", "adherence", "higher").best(values) == "a"
    with pytest.raises(ConfigError, match="lower or higher"):
        Metric("x", "x", "sideways")


def _sound_record(levels: int, fad: float) -> dict:
    return {
        "task": "sound",
        "key": f"levels{levels}",
        "params": {"axis": "levels", "num_quantizers": levels},
        "seed": 0,
        "metrics": {
            "local_fad": fad,
            "oracle_local_fad": fad / 2,
            "mel_l1_reconstruction": 1.0 / levels,
            "generator_heldout_loss": 2.0,
            "generator_loss_over_uniform": 0.5,
            "adherence": 0.5,
            "train_seconds": 1.0,
        },
    }


def test_tradeoff_summary_ranks_by_the_tasks_headline_in_its_own_names():
    records = [_sound_record(1, 9.0), _sound_record(2, 4.0), _sound_record(4, 6.0)]
    summary = tradeoff.summarize(records)
    assert summary.values["best_num_quantizers"] == 2  # local FAD: lower is better
    assert "local FAD" in summary.text and "fid" not in summary.text.lower()
    rows = summary.values["rows"]
    assert {"local_fad", "oracle_local_fad", "mel_l1_reconstruction"} <= set(rows[0])


def test_discrete_summary_names_its_ratio_after_the_headline():
    records = [
        {
            "task": "sound",
            "key": name,
            "params": {"y_prime": name},
            "seed": 0,
            "metrics": {"local_fad": fad, "oracle_local_fad": 1.0, "mel_l1_reconstruction": 1.0},
        }
        for name, fad in (("continuous", 6.0), ("discrete", 3.0))
    ]
    summary = discrete.summarize(records)
    assert summary.values["continuous_over_discrete_local_fad"] == pytest.approx(2.0)


@pytest.mark.parametrize("task", ["image", "asr", "sound", "video"])
def test_each_backend_defines_what_every_study_it_serves_reads(task):
    from regen.studies.runner import STUDIES, backend_for, check_backend, get_study

    backend = backend_for(task)
    served = getattr(backend, "STUDIES", tuple(STUDIES))
    assert all(callable(getattr(backend, n)) for n in ("prepare", "train", "evaluate"))
    for name in served:
        study = get_study(name)
        check_backend(study, backend, task)
        if study.axes:
            assert set(backend.AXES[name]) <= set(study.axes)


def test_a_backend_lacking_a_name_a_study_reads_is_a_one_line_error():
    from types import ModuleType

    from regen.studies.runner import check_backend, get_study

    bare = ModuleType("bare_backend")
    with pytest.raises(ConfigError, match="lacks MEASURES, AXES, tradeoff_points") as error:
        check_backend(get_study("tradeoff"), bare, "toy")
    assert "\n" not in str(error.value)
