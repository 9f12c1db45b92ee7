"""The one output-writing helper every command uses (issue 15, cases 2 and 6)."""

from __future__ import annotations

import pytest

from regen.errors import OutputError
from regen.outputs import atomic_output, check_output_file, check_output_folder, write_bytes


def test_check_output_file_refuses_folders_suffixes_and_files_in_the_way(tmp_path):
    (tmp_path / "dir.png").mkdir()
    (tmp_path / "file").write_text("x")
    cases = {
        tmp_path: "is a folder",
        tmp_path / "dir.png": "is a folder",
        tmp_path / "x.jpg": "ending in .png",
        tmp_path / "x": "ending in .png",
        tmp_path / "file" / "x.png": "is a file",
    }
    for path, message in cases.items():
        with pytest.raises(OutputError, match=message) as info:
            check_output_file(path, (".png",))
        assert "\n" not in str(info.value) and "--out" in str(info.value)


def test_check_output_file_creates_missing_parents_and_accepts_any_case(tmp_path):
    out = tmp_path / "ünï" / "çødé 🎵" / "GRID.PNG"
    assert check_output_file(out, (".png",)) == out
    assert out.parent.is_dir() and not out.exists()


def test_check_output_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    assert check_output_folder(tmp_path / "new" / "run") == tmp_path / "new" / "run"
    assert not (tmp_path / "new").exists()
    for bad in (tmp_path / "file", tmp_path / "file" / "run"):
        with pytest.raises(OutputError, match="not a folder"):
            check_output_folder(bad)


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, failure):
    out = tmp_path / "keep.wav"
    out.write_bytes(b"old contents")
    with pytest.raises(type(failure)):
        with atomic_output(out) as tmp:
            assert tmp.parent == out.parent and tmp.suffix == ".wav"
            tmp.write_bytes(b"half")
            raise failure
    assert out.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.wav"]


def test_a_successful_write_replaces_the_file(tmp_path):
    out = tmp_path / "keep.png"
    out.write_bytes(b"old")
    write_bytes(out, b"new")
    assert out.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]


def test_an_os_error_while_writing_is_one_line(tmp_path):
    out = tmp_path / "keep.png"
    out.write_bytes(b"old")
    with pytest.raises(OutputError, match="No space left on device.*unchanged") as info:
        with atomic_output(out) as tmp:
            tmp.write_bytes(b"half")
            raise OSError(28, "No space left on device")
    assert "\n" not in str(info.value) and out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]
