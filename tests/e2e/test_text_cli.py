"""Package record -> synopsis from the command line, on the installed packages' records:
compare (train, save, evaluate) with its report in Chromium, `regen text` on a record file
and on a package name, load_run, and one-line errors for bad inputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from regen.cli import main
from regen.report.browser import find_chromium, render_in_chromium
from regen.runs import load_run
from tests.e2e.test_cli import _error
from tests.text_tiny import TINY_TEXT


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("text") / "compare"
    assert main(["compare", "text/debian_synopsis", *TINY_TEXT, "--out", str(out)]) == 0
    return out


@pytest.mark.skipif(find_chromium() is None, reason="chromium not installed")
def test_compare_report_shows_all_four_systems(compared):
    dom = render_in_chromium(compared / "report.html")
    total = int(re.search(r'data-images-total="(\d+)"', dom).group(1))
    assert f'data-images-loaded="{total}"' in dom and total >= 4  # 3 loss plots + the bars
    table = re.search(r'<table class="metrics">(.*?)</table>', dom, re.S).group(1)
    assert {"bleu", "chrf", "rouge_l", "template_f1", "hallucination"} <= set(
        re.findall(r"<tr><td>([^<]*)</td>", table)
    )
    for label in ("regen template", "direct_lm", "lead", "reference"):
        assert f"<th>{label}</th>" in dom


def test_each_system_gets_the_length_penalty_of_its_best_dev_bleu(compared):
    import json

    chosen = json.loads((compared / "results.json").read_text())["length_penalty"]
    assert chosen["grid"] == [0.0, 2.0] and chosen["dev_records"] == 8
    for label in ("regen", "direct", "direct_lm"):
        scores = chosen[label]["dev_bleu"]
        assert set(scores) == {"0.0", "2.0"}
        assert scores[str(chosen[label]["chosen"])] == max(scores.values())


def test_trained_runs_load_and_write_synopses(compared, tmp_path, capsys):
    run = compared / "text_template"
    pipeline, config = load_run(run, task="text")
    assert config.task == "text" and not pipeline.is_direct
    record = tmp_path / "record"
    record.write_text(
        "Package: demo\nSource: demo\nSection: utils\n"
        "Description: demo tool\n This tool parses the files of the system and prints them.\n"
    )
    assert main(["text", str(record), "--run", str(run), "--template"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("template: ") and len(first.strip().splitlines()) == 2
    assert main(["text", str(record), "--run", str(run), "--template"]) == 0
    assert capsys.readouterr().out == first  # greedy decoding: the same output again
    assert main(["text", "dpkg", "--run", str(compared / "text_direct")]) == 0  # apt-cache show


def test_bad_text_inputs_give_one_line_errors(compared, tmp_path, capsys):
    run = str(compared / "text_template")
    empty = tmp_path / "empty"
    empty.write_text("")
    assert "holds no package record" in _error(capsys, "text", str(empty), "--run", run)
    short = tmp_path / "short"
    short.write_text("Package: a\nDescription: only a synopsis\n")
    assert "no long description" in _error(capsys, "text", str(short), "--run", run)
    assert "apt does not know" in _error(capsys, "text", "no-such-pkg-xyz", "--run", run)
    assert "no trained pipeline" in _error(capsys, "text", str(short), "--run", str(tmp_path))


def test_compare_resume_trains_no_finished_system_again(compared, monkeypatch):
    """--resume after a finished compare takes no optimizer step: regen, direct and the
    LM-pretrained direct variant (trained inside the text task's evaluate) all reload."""
    steps = []
    step = torch.optim.AdamW.step

    def counted(self, *args, **kwargs):
        steps.append(1)
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", counted)
    args = ["compare", "text/debian_synopsis", *TINY_TEXT, "--out", str(compared), "--resume"]
    assert main(args) == 0
    assert steps == []


def test_a_pretrained_renderer_gives_two_budget_views_and_per_stage_penalties(
    tmp_path, monkeypatch
):
    """With the renderer a cached asset (trained on synopsis-only text), the equal-paired
    direct model gets the generator's samples and direct_total regen's generator + renderer
    samples; a second compare reads the asset instead of training it; regen's two stages
    each get a length penalty."""
    import json

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    args = [*TINY_TEXT, "pretrained_renderer=true", "eval.length_penalty_per_stage=true"]
    args += ["generator.no_repeat_words=4", "renderer.no_repeat_words=4"]
    args += ["generator.spell_from_source=true", "renderer.spell_from_source=true"]
    out = tmp_path / "compare"
    assert main(["compare", "text/debian_synopsis", *args, "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    runs = {p["label"]: p for p in results["pipelines"]}
    assert set(runs) == {"regen", "direct", "direct_total"}
    shared = {s["name"]: s.get("shared") for s in runs["regen"]["stages"]}
    assert shared == {"generator": False, "renderer": True}
    samples = {label: runs[label]["metrics"]["samples_seen"] for label in runs}
    assert samples["direct"] == 12 * 8 and samples["direct_total"] == samples["regen"] == 24 * 8
    chosen = results["length_penalty"]["regen"]
    assert len(chosen["chosen"]) == 2 and len(chosen["dev_bleu"]) == 4
    assets = list((tmp_path / "cache" / "regen" / "renderers" / "text").glob("*/asset.json"))
    assert len(assets) == 1
    again = tmp_path / "again"
    assert main(["compare", "text/debian_synopsis", *args, "--out", str(again)]) == 0
    regen = json.loads((again / "results.json").read_text())["pipelines"][0]
    assert regen["stages"][1]["seconds"] == runs["regen"]["stages"][1]["seconds"]  # read
