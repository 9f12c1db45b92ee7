"""The ``regen`` command.

Core commands, the same for every task:

    regen demo                          compare the default image recipe with its baseline
    regen train   RECIPE [key=value..]  train one pipeline (works under torchrun)
    regen compare RECIPE [key=value..]  regen vs direct on the same budget, HTML report
    regen pretrain RECIPE [key=value..] train a renderer once on unpaired data (cached asset)
    regen report  COMPARE_DIR           rewrite the HTML report of a compare run
    regen data    NAME                  build and cache a built-in dataset
    regen data prepare RECIPE [k=v..]   turn the recipe's data.source (your own data) into
                                        a memory-mapped feature store in the cache
    regen study   NAME RECIPE [k=v..]   a research-question sweep (paired, tradeoff, discrete,
                                        mismatch) with plots in an HTML report

Each task adds its own (``Task.commands``): ``regen sample`` and ``regen eval`` (image),
``regen tts``, ``regen asr``, ``regen melody``, ``regen sound``.

Errors a user can cause print one line and exit with status 2; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from regen.cli_checks import check_arguments, os_error_line
from regen.errors import RegenError
from regen.tasks import get_task, task_names

DEFAULT_RECIPE = "image/glyphs_latent_diffusion"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regen",
        description="Regeneration learning: X -> Y' -> Y, always measured against X -> Y.",
        epilog="Overrides are key.sub=value pairs, e.g. train.generator.steps=200 "
        "generator.sampler=dpm. Recipes are files or names like image/glyphs_vq_ar.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="train the default image recipe and its direct baseline, "
        "write the HTML report (about 10 minutes on 2 cores)",
    )
    demo.add_argument("overrides", nargs="*", help="key.sub=value overrides")
    demo.add_argument("--out", type=Path, help="output folder (default runs/demo)")
    demo.add_argument("--resume", action="store_true", help="continue an interrupted demo")

    train = sub.add_parser("train", help="train one pipeline from a recipe")
    train.add_argument("recipe", help="recipe file or name, e.g. image/glyphs_vq_ar")
    train.add_argument("overrides", nargs="*", help="key.sub=value overrides")
    train.add_argument("--out", type=Path, help="run folder (default: the recipe's output_dir)")
    train.add_argument("--resume", action="store_true", help="continue from the last checkpoint")

    compare = sub.add_parser("compare", help="regen vs direct baseline on the same budget")
    compare.add_argument("recipe", help="regeneration recipe (names its baseline)")
    compare.add_argument("overrides", nargs="*", help="key.sub=value overrides for both")
    compare.add_argument("--out", type=Path, help="output folder (default runs/compare-NAME)")
    compare.add_argument("--resume", action="store_true", help="continue an interrupted compare")

    pretrain = sub.add_parser(
        "pretrain",
        help="train a recipe's renderer once on all unpaired data into the cache (reused by "
        "compare and study when the recipe says pretrained_renderer: true)",
        description="Trains the renderer (Y' -> Y) of a tts, asr or melody recipe on unpaired "
        "data only, caches it by (data, config) and writes its report page. Run again: "
        "reused when nothing changed, resumed when it was interrupted.",
    )
    pretrain.add_argument("recipe", help="regeneration recipe, e.g. tts/fastspeech_vocos")
    pretrain.add_argument("overrides", nargs="*", help="key.sub=value overrides")

    report = sub.add_parser("report", help="rewrite the HTML report of a compare folder")
    report.add_argument("folder", type=Path)

    data = sub.add_parser(
        "data",
        help="build and cache a built-in dataset, print its size; or 'regen data prepare "
        "RECIPE data.source=FOLDER' to prepare your own data once",
    )
    data.add_argument("name", choices=[*sorted(datasets()), "prepare"])
    data.add_argument("args", nargs="*", help="prepare: RECIPE then key.sub=value overrides")
    data.add_argument("--image-size", type=int, default=32, help="image datasets only")
    data.add_argument(
        "--fetch", action="store_true", help="text only: apt-get update regen's own lists first"
    )
    data.add_argument(
        "--out", type=Path, help="prepare: write the store here (then data.source=DIR reads it)"
    )

    study = sub.add_parser(
        "study",
        help="run a research-question sweep (points x seeds), resumable, with an HTML report",
        description="Studies: paired (RQ3 paired-data fraction), tradeoff (RQ4 Y' size), "
        "discrete (RQ6 continuous vs discrete Y'), mismatch (RQ10 oracle vs predicted Y'). "
        "Re-running the same command skips finished points.",
    )
    study.add_argument("name", choices=["paired", "tradeoff", "discrete", "mismatch"])
    study.add_argument("recipe", help="regeneration recipe, e.g. image/digits_latent_diffusion")
    study.add_argument("overrides", nargs="*", help="key.sub=value overrides for every point")
    study.add_argument("--out", type=Path, help="output folder (default runs/study-NAME-RECIPE)")
    study.add_argument("--workers", type=int, default=1, help="points run in parallel processes")
    study.add_argument("--seeds", type=int, default=2, help="seeds per point (spread is shown)")
    study.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    study.add_argument(
        "--axis",
        help="what tradeoff sweeps (default: the task's first): image factor (downsampling), "
        "codebook (VQ recipes) or levels (representation.kind rvq); sound levels (codec RVQ "
        "levels) or codebook; video factor (space) or time_factor",
    )

    for name in task_names():
        commands = get_task(name).commands
        if commands is not None:
            COMMANDS.update(get_task(name).load("commands")(sub))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except RegenError as exc:  # a task package that cannot be imported
        print(f"regen: error: {exc}", file=sys.stderr)
        return 2
    try:
        check_arguments(args)
        return COMMANDS[args.command](args)
    except RegenError as exc:
        if args.debug:
            raise
        print(f"regen: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the machine's answer (disk full, permissions): no traceback
        if args.debug:
            raise
        print(f"regen: error: {os_error_line(exc)} (--debug shows where)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("regen: interrupted; run the same command with --resume to continue", file=sys.stderr)
        return 130


def cmd_demo(args: argparse.Namespace) -> int:
    from regen.compare.harness import run_compare
    from regen.training.run_lock import run_lock

    out = args.out or Path("runs/demo")
    with run_lock(out):
        report = run_compare(DEFAULT_RECIPE, args.overrides, out_dir=out, resume=args.resume)
    print(f"report: {report.resolve()}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from regen.config import dump_yaml, load_recipe
    from regen.training import distributed
    from regen.training.run_lock import run_lock

    config = load_recipe(args.recipe, args.overrides)
    train = get_task(config.task).load("train")
    info = distributed.init_distributed()
    run_dir = args.out or config.run_dir
    try:
        with run_lock(run_dir, enabled=info.is_main):  # before anything is printed or written
            if info.is_main:
                print(dump_yaml(config), file=sys.stderr)
            train(config, run_dir, resume=args.resume)
    finally:
        distributed.shutdown()
    if info.is_main:
        print(f"trained pipeline: {Path(run_dir).resolve()}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from regen.compare.harness import run_compare
    from regen.config import load_recipe
    from regen.training.run_lock import run_lock

    config = load_recipe(args.recipe, args.overrides)  # also validates before any training
    out = args.out or Path("runs") / f"compare-{config.name}"  # every task's default
    with run_lock(out):
        report = run_compare(args.recipe, args.overrides, out_dir=out, resume=args.resume)
    print(f"report: {report.resolve()}")
    return 0


def cmd_pretrain(args: argparse.Namespace) -> int:
    from regen.config import load_recipe
    from regen.errors import ConfigError
    from regen.report.renderer_asset import write_asset_report
    from regen.training.renderer_assets import asset_folder, obtain

    config = load_recipe(args.recipe, args.overrides)
    task = get_task(config.task)
    if task.pretrain is None or config.is_direct:
        raise ConfigError(
            f"{args.recipe} has no renderer to pretrain (direct recipes and task "
            f"'{task.name}' train none apart); pick a tts, asr, melody or text regeneration recipe"
        )
    job = task.load("pretrain")(config)
    print(f"renderer asset: {asset_folder(job)}", file=sys.stderr)
    asset = obtain(job)
    for name, value in asset.record["quality_from_true"].items():
        floor = asset.record["floor"].get(name)
        versus = f" (non-learned floor {floor:.4g})" if floor is not None else ""
        print(f"  {name} from the true Y': {value:.4g}{versus}", file=sys.stderr)
    print(f"report: {write_asset_report(asset.folder).resolve()}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from regen.compare.records import read_results

    task = read_results(args.folder).get("task", "image")
    print(f"report: {get_task(task).load('report')(args.folder).resolve()}")
    return 0


def datasets() -> dict[str, tuple[str, str]]:
    """``regen data NAME`` -> (task, "module:function") over every task."""
    return {
        dataset: (name, reference)
        for name in task_names()
        for dataset, reference in get_task(name).datasets.items()
    }


def cmd_data(args: argparse.Namespace) -> int:
    if args.name == "prepare":
        return cmd_prepare(args)
    if args.args:
        raise RegenError(f"regen data {args.name} takes no arguments; drop {args.args[0]!r}")
    task, reference = datasets()[args.name]
    return get_task(task).resolve(reference, f"Task.datasets[{args.name!r}]")(args)


def cmd_prepare(args: argparse.Namespace) -> int:
    """``regen data prepare RECIPE [overrides]``: the store, its counts and what was skipped."""
    from regen.config import load_recipe
    from regen.errors import ConfigError

    if not args.args:
        raise ConfigError(
            "regen data prepare needs a recipe, e.g. regen data prepare "
            "image/glyphs_latent_diffusion data.source=/path/to/images"
        )
    config = load_recipe(args.args[0], args.args[1:])
    task = get_task(config.task)
    if task.prepare is None:
        raise ConfigError(f"task '{task.name}' has no data.source to prepare yet")
    folder, manifest = task.load("prepare")(config, out=args.out)
    counts = ", ".join(f"{n} {split}" for split, n in manifest["counts"].items())
    print(f"source: {manifest['source']} ({counts} items)", file=sys.stderr)
    for reason, record in manifest["skipped"].items():
        print(f"  skipped {record['count']}: {reason} (e.g. {record['first'][0]})", file=sys.stderr)
    print(f"store: {folder}")
    return 0


def cmd_study(args: argparse.Namespace) -> int:
    from regen.studies.runner import run_study

    report = run_study(
        args.name,
        args.recipe,
        args.overrides,
        out_dir=args.out,
        workers=args.workers,
        seeds=args.seeds,
        torch_threads=args.threads,
        axis=args.axis,
    )
    print(f"report: {report.resolve()}")
    return 0


COMMANDS = {
    "demo": cmd_demo,
    "train": cmd_train,
    "compare": cmd_compare,
    "pretrain": cmd_pretrain,
    "report": cmd_report,
    "data": cmd_data,
    "study": cmd_study,
}

if __name__ == "__main__":
    sys.exit(main())
