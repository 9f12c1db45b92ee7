"""Your own images end to end: a folder -> regen data prepare -> train -> compare -> Chromium."""

from __future__ import annotations

from pathlib import Path

from regen.cli import main
from regen.data.cache import cache_dir
from tests.image_folders import tree_hashes, write_folder
from tests.report_check import rendered_report
from tests.tiny import TINY

OWN = [o for o in TINY if not o.startswith("data.name")]


def test_prepare_train_compare_on_a_folder(tmp_path, capsys):
    folder = tmp_path / "my_glyphs"
    write_folder(folder, "csv", per_class=6)
    before = tree_hashes(folder)
    source = [f"data.source={folder}", "data.holdout_fraction=0.3"]
    recipe = "image/glyphs_latent_diffusion"

    assert main(["data", "prepare", recipe, *OWN, *source]) == 0
    store = capsys.readouterr().out.strip().removeprefix("store: ")
    stores = sorted(cache_dir().glob("stores/image-*"))  # other tests' stores may be there
    assert Path(store) in stores and (Path(store) / "manifest.json").is_file()

    run = tmp_path / "run"
    assert main(["train", recipe, *OWN, *source, "--out", str(run)]) == 0
    assert (run / "generator" / "model.safetensors").is_file()
    out = tmp_path / "compare"
    assert main(["compare", recipe, *OWN, *source, "--out", str(out)]) == 0
    assert sorted(cache_dir().glob("stores/image-*")) == stores  # prepared once, reused
    assert tree_hashes(folder) == before  # nothing written into the user's folder
    report = out / "report.html"
    assert str(report.resolve()) in capsys.readouterr().out
    dom = rendered_report(report, tmp_path / "shot.png")
    assert str(folder.resolve()) in dom  # the report says where the data came from


def test_prepare_errors_are_one_line(tmp_path, capsys):
    def error(*argv: str) -> str:
        assert main(list(argv)) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("regen: error: ") and "\n" not in err
        return err

    recipe = "image/glyphs_latent_diffusion"
    assert "needs data.source" in error("data", "prepare", recipe)
    assert "needs a recipe" in error("data", "prepare")
    folder = tmp_path / "broken"
    write_folder(folder, "csv", per_class=1)
    (folder / "C_0.png").write_bytes(b"garbage")
    err = error("data", "prepare", recipe, f"data.source={folder}", "data.strict=true")
    assert "C_0.png (metadata.csv line 4): not a readable image" in err
    (tmp_path / "empty" / "cats").mkdir(parents=True)
    (tmp_path / "empty" / "cats" / "notes.txt").write_text("no images here")
    empty = f"data.source={tmp_path / 'empty'}"
    assert "no usable images" in error("data", "prepare", recipe, empty)
