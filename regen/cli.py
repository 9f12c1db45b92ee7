"""The ``regen`` command.

    regen demo                          compare the default image recipe with its baseline
    regen train   RECIPE [key=value..]  train one pipeline (works under torchrun)
    regen sample  RUN NAME [NAME..]     sample images for class names / captions
    regen eval    RUN                   metrics of a trained pipeline on held-out data
    regen compare RECIPE [key=value..]  regen vs direct on the same budget, HTML report
    regen report  COMPARE_DIR           rewrite the HTML report of a compare run
    regen data    NAME                  build and cache a built-in dataset
    regen study   NAME RECIPE [k=v..]   a research-question sweep (paired, tradeoff, discrete,
                                        mismatch) with plots in an HTML report
    regen melody  "LYRICS" --run RUN    a melody for lyrics from a trained melody pipeline
    regen asr     AUDIO --run RUN       transcribe speech with a trained asr pipeline
    regen tts     "TEXT" --run RUN      speak text with a trained tts pipeline

Errors a user can cause print one line and exit with status 2; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from regen.cli_checks import check_arguments, os_error_line
from regen.errors import RegenError

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

    sample = sub.add_parser("sample", help="sample a trained pipeline")
    sample.add_argument("run", type=Path, help="run folder written by regen train")
    sample.add_argument("names", nargs="+", help="class names (e.g. A 7) or captions (quoted)")
    sample.add_argument("-n", "--per-name", type=int, default=4, help="samples per name")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", type=Path, default=Path("samples.png"), help="PNG grid to write")
    sample.add_argument("--steps", type=int, help="diffusion sampling steps")
    sample.add_argument("--guidance", type=float, help="classifier-free guidance scale")

    evaluate = sub.add_parser("eval", help="evaluate a trained pipeline on the held-out split")
    evaluate.add_argument("run", type=Path, help="run folder written by regen train")

    compare = sub.add_parser("compare", help="regen vs direct baseline on the same budget")
    compare.add_argument("recipe", help="regeneration recipe (names its baseline)")
    compare.add_argument("overrides", nargs="*", help="key.sub=value overrides for both")
    compare.add_argument("--out", type=Path, help="output folder (default runs/compare-NAME)")
    compare.add_argument("--resume", action="store_true", help="continue an interrupted compare")

    report = sub.add_parser("report", help="rewrite the HTML report of a compare folder")
    report.add_argument("folder", type=Path)

    asr = sub.add_parser("asr", help="transcribe speech with a trained asr pipeline")
    asr.add_argument("audio", type=Path, help="audio file (WAV, FLAC, ...; any length or rate)")
    asr.add_argument("--run", type=Path, default=Path("runs/asr_phonemes"), help="run folder")

    data = sub.add_parser("data", help="build and cache a built-in dataset, print its size")
    data.add_argument("name", choices=sorted(DATASETS))
    data.add_argument("--image-size", type=int, default=32, help="image datasets only")

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
        help="what tradeoff sweeps: factor (default; downsampling), codebook (codebook size, "
        "VQ recipes) or levels (residual VQ levels, representation.kind rvq)",
    )

    melody = sub.add_parser("melody", help="a melody for lyrics (MIDI or MusicXML)")
    melody.add_argument("lyrics", help='the words to set, e.g. "twinkle twinkle little star"')
    melody.add_argument("--run", type=Path, required=True, help="run folder of a melody recipe")
    melody.add_argument("--key", help="minor, major, or e.g. 'D major', 'F# minor'")
    melody.add_argument("--meter", default="4/4", help="time signature, e.g. 3/4 or 6/8")
    melody.add_argument("--like", type=Path, help="take key and meter from this MIDI/MusicXML")
    melody.add_argument("--seed", type=int, default=0)
    melody.add_argument("--out", type=Path, default=Path("song.mid"), help=".mid or .musicxml")

    # --- text-to-speech (regen/tts_pipeline.py) ---
    tts = sub.add_parser("tts", help="speak text with a trained TTS pipeline, write a WAV file")
    tts.add_argument("text", help="text to speak; long text is split into sentences")
    tts.add_argument("--voice", default="en-us", help="a voice the pipeline was trained on")
    tts.add_argument("--out", type=Path, default=Path("tts.wav"), help="WAV file to write")
    tts.add_argument(
        "--run",
        type=Path,
        default=Path("runs/tts_fastspeech_vocos"),
        help="run folder written by regen train tts/... (default runs/tts_fastspeech_vocos)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
    from regen.eval.compare import run_compare
    from regen.training.run_lock import run_lock

    out = args.out or Path("runs/demo")
    with run_lock(out):
        report = run_compare(DEFAULT_RECIPE, args.overrides, out_dir=out, resume=args.resume)
    print(f"report: {report.resolve()}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from regen.config import dump_yaml, load_recipe
    from regen.tasks import get_task
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


def cmd_sample(args: argparse.Namespace) -> int:
    from regen.outputs import check_output_file, write_bytes
    from regen.pipeline import Pipeline
    from regen.report.plots import image_grid_png

    out = check_output_file(args.out, (".png",))
    pipeline = Pipeline.load(args.run)
    sampling = {}
    if args.steps is not None:
        if type(pipeline.generator).__name__ != "DiffusionGenerator":
            raise RegenError("--steps applies to diffusion generators only; drop it")
        sampling["steps"] = args.steps
    if args.guidance is not None:
        sampling["guidance_scale"] = args.guidance
    names = [name for name in args.names for _ in range(args.per_name)]
    images = pipeline.sample(names, seed=args.seed, **sampling)
    grid = images.reshape(len(args.names), args.per_name, *images.shape[1:])
    write_bytes(out, image_grid_png(grid, scale=3))
    print(f"samples: {out.resolve()}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from regen.builders import load_run_config
    from regen.eval.compare import evaluate_pipeline, evaluation_data
    from regen.pipeline import Pipeline

    pipeline = Pipeline.load(args.run)
    config = load_run_config(args.run)
    _, test, classifier = evaluation_data(config)
    metrics, _, _ = evaluate_pipeline(pipeline, test, classifier, config)
    print(json.dumps(metrics, indent=1))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from regen.config import load_recipe
    from regen.tasks import get_task
    from regen.training.run_lock import run_lock

    config = load_recipe(args.recipe, args.overrides)  # also validates before any training
    compare = get_task(config.task).load("compare")
    out = args.out or Path("runs") / f"compare-{config.name}"  # every task's default
    with run_lock(out):
        report = compare(args.recipe, args.overrides, out_dir=out, resume=args.resume)
    print(f"report: {report.resolve()}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from regen.eval.compare import RESULTS_FILE
    from regen.tasks import get_task

    path = args.folder / RESULTS_FILE
    if not path.is_file():
        raise RegenError(f"{args.folder} holds no {RESULTS_FILE}; run regen compare first")
    try:
        task = json.loads(path.read_text()).get("task", "image")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
        raise RegenError(f"{path} is corrupted; run regen compare again") from exc
    print(f"report: {get_task(task).load('report')(args.folder).resolve()}")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    return DATASETS[args.name](args)


def cmd_data_images(args: argparse.Namespace) -> int:
    from regen.config import DataConfig
    from regen.data.images import load_image_dataset

    cfg = DataConfig(name=args.name, image_size=args.image_size)
    for split in ("train", "test"):
        data = load_image_dataset(cfg, split)
        print(
            f"{args.name} {split}: {len(data)} images {list(data.image_shape)}, "
            f"{data.num_classes} classes, {len(set(data.groups))} groups"
        )
    print(f"source: {data.source}")
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


def cmd_data_melody(args: argparse.Namespace) -> int:
    from regen.config import load_recipe
    from regen.data.music import load_corpus, split

    cfg = load_recipe("melody/chorales_template").data  # what the default recipe trains on
    for name, part in split(load_corpus(cfg), cfg).items():
        print(f"melody {name}: {len(part)} segments of {len(set(part.pieces))} pieces")
    print(f"source: {part.source}")
    return 0


def cmd_melody(args: argparse.Namespace) -> int:
    from regen.melody_compose import check_output, compose, write_song
    from regen.music_theory import key_name

    check_output(args.out)
    melody, syllables, key = compose(
        args.lyrics, args.run, key=args.key, meter=args.meter, like=args.like, seed=args.seed
    )
    path = write_song(melody, syllables, args.out)
    print(f"{len(syllables)} syllables in {key_name(key)}: {path.resolve()}")
    return 0


# --- text-to-speech ---------------------------------------------------------------------


def cmd_tts(args: argparse.Namespace) -> int:
    import soundfile

    from regen.data.audio import SAMPLE_RATE
    from regen.data.espeak import check_voice
    from regen.data.text_frontend import normalize_text
    from regen.outputs import atomic_output, check_output_file
    from regen.tts_pipeline import SynthesisTimes, load_tts, synthesize_chunks

    out = check_output_file(args.out, (".wav", ".flac"))
    normalize_text(args.text)
    pipeline, _ = load_tts(args.run)
    pipeline.conditioner.speaker(args.voice)
    check_voice(args.voice)  # espeak-ng loads and speaks this voice: fail before any audio
    times = SynthesisTimes()
    # Sentence by sentence into a file beside --out, renamed over it only when all is spoken.
    with atomic_output(out) as tmp, soundfile.SoundFile(tmp, "w", SAMPLE_RATE, 1, "PCM_16") as sink:
        for chunk in synthesize_chunks(pipeline, args.text, args.voice, times):
            sink.write(chunk.clip(-1, 1))
    speed = times.audio / max(times.compute, 1e-9)
    print(
        f"speech: {out.resolve()} ({times.audio:.1f} s of audio, "
        f"{len(times.sentences)} sentences, {speed:.0f}x faster than real time)"
    )
    return 0


def cmd_data_tts(args: argparse.Namespace) -> int:
    from regen.data.speech import SPLITS, SpeechDataConfig, load_speech_corpus

    cfg = SpeechDataConfig()
    for split in SPLITS:
        corpus = load_speech_corpus(cfg, split)
        print(
            f"tts {split}: {len(corpus)} utterances, {corpus.seconds() / 3600:.2f} h, "
            f"voices {', '.join(sorted(set(corpus.speakers)))}"
        )
    print(f"unpaired sentences (never spoken): {len(corpus.unpaired_texts)}")
    print(f"source: {corpus.source}")
    return 0


def cmd_asr(args: argparse.Namespace) -> int:
    from regen.asr import transcribe

    print(transcribe(args.audio, run_dir=args.run))
    return 0


DATASETS = {
    "glyphs": cmd_data_images,
    "emoji": cmd_data_images,
    "digits": cmd_data_images,
    "melody": cmd_data_melody,
    "tts": cmd_data_tts,  # the espeak-ng corpus that the tts and asr recipes share
}

COMMANDS = {
    "demo": cmd_demo,
    "train": cmd_train,
    "sample": cmd_sample,
    "eval": cmd_eval,
    "compare": cmd_compare,
    "report": cmd_report,
    "data": cmd_data,
    "study": cmd_study,
    "melody": cmd_melody,
    "asr": cmd_asr,
    "tts": cmd_tts,
}

if __name__ == "__main__":
    sys.exit(main())
