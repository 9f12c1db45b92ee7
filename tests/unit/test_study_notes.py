"""Study reports explain the oracle and reconstruction twins of a task's own metrics."""

from __future__ import annotations

from regen.report.html import _direction
from regen.studies.runner import STUDY_METRIC_NOTES, derived_notes, study_notes
from regen.tasks.sound.compare import METRIC_NOTES as SOUND_NOTES


def test_oracle_twin_carries_the_task_note_and_its_direction():
    notes = derived_notes({"local_fad": "lower is better; local FAD"}, ["oracle_local_fad"])
    assert "true Y'" in notes["oracle_local_fad"]
    assert _direction(notes["oracle_local_fad"]) == "lower"


def test_reconstruction_twin_names_its_metric_even_without_a_note():
    notes = derived_notes({}, ["mel_l1_reconstruction", "oracle_unknown"])
    assert "reconstruction" in notes["mel_l1_reconstruction"]
    assert "mel_l1" in notes["mel_l1_reconstruction"]
    assert "oracle_unknown" not in notes  # nothing to say of a metric the task never explains


def test_task_and_study_notes_win_over_derived_ones():
    records = [{"metrics": {"oracle_fid": 1.0, "oracle_adherence": 0.5, "local_fad": 3.0}}]
    notes = study_notes(SOUND_NOTES, records)
    assert notes["oracle_fid"] == STUDY_METRIC_NOTES["oracle_fid"]
    assert notes["local_fad"] == SOUND_NOTES["local_fad"]
    assert _direction(notes["oracle_adherence"]) == "higher"
