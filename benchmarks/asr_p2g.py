"""The ASR renderer alone: CER from TRUE phonemes on the held-out test sentences.

Fits the lexicon + n-gram renderer (``renderer.kind: lexicon_lm``) on the unpaired text of
``recipes/asr/phonemes.yaml`` (its data settings: the same test sentences), renders the test
sentences' true phonemes and scores CER, WER and the homophone error (words whose
pronunciation has several spellings in the lexicon). With ``--neural`` the fallback word
transformer is trained with the recipe's renderer settings; that transformer on its own is
exactly the recipe's default renderer (``renderer.unit: word``), scored as the baseline.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.asr_p2g [--neural] [--sources music21,debian]
    # -> benchmarks/results/asr_p2g.json, one section per setting
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.common import update_results
from regen.config import load_recipe
from regen.data.speech import load_speech_corpus
from regen.eval.asr_metrics import error_rates
from regen.tasks.asr.data import normalize_all, unpaired_texts
from regen.tasks.asr.evaluate import homophone_error, render_true
from regen.tasks.asr.train import ASRData, build_asr_pipeline, train_renderer

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "asr" / "phonemes.yaml"


def score(name, representation, renderer, lexicon, texts) -> dict[str, float]:
    render_true(representation, renderer, texts[:1])  # warm-up: builds the look-up tables
    start = time.perf_counter()
    rendered = render_true(representation, renderer, texts)
    seconds = time.perf_counter() - start
    out = {
        **error_rates(texts, rendered),
        **homophone_error(lexicon, representation, texts, rendered),
    }
    out["decode_seconds_per_sentence"] = seconds / len(texts)
    print(name, {k: round(v, 4) for k, v in out.items()}, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neural", action="store_true", help="train the fallback transformer")
    parser.add_argument("--sources", default="", help="extra LM text: music21,debian")
    parser.add_argument("--lexicon-words", type=int, default=-1, help="CMUdict words (-1 all)")
    parser.add_argument("--lm-weight", type=float, default=1.0)
    args = parser.parse_args()
    sources = [s for s in args.sources.split(",") if s]
    overrides = [
        "renderer.kind=lexicon_lm",
        f"renderer.fallback={'neural' if args.neural else 'nearest'}",
        f"renderer.lm_weight={args.lm_weight}",
        f"text.lexicon_words={args.lexicon_words}",
        f"text.lm_sources=[{', '.join(sources)}]",
    ]
    config = load_recipe(RECIPE, overrides)
    torch.manual_seed(config.seed)
    pipeline = build_asr_pipeline(config)
    corpus = load_speech_corpus(config.data, "train")
    text = unpaired_texts(corpus, config.text.max_sentences, config.text.cmudict_words, config.seed)
    data = ASRData(train=None, source=corpus.source, renderer_text=text)
    _, tests = normalize_all(load_speech_corpus(config.data, "test").texts)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        shared = train_renderer(config, pipeline, data, Path(folder) / "renderer", progress=False)
        build = time.perf_counter() - start
    renderer = pipeline.renderer.eval()
    results = {
        "settings": overrides,
        "test_sentences": len(tests),
        "text_sources": data.text_sources,
        "renderer_seconds": build,
        "renderer_train_seconds": shared.result.seconds,
        "lexicon_entries": len(renderer.lexicon.table),
        "vocabulary": len(renderer.vocabulary.table),
        "trigrams": len(renderer.ngrams.table),
        "lexicon_lm": score("lexicon_lm", pipeline.representation, renderer, renderer, tests),
    }
    if renderer.words is not None:  # the recipe's default renderer, trained the same way
        results["words_transformer"] = score(
            "words", pipeline.representation, renderer.words, renderer, tests
        )
    section = (
        "lexicon_"
        + ("neural" if args.neural else "nearest")
        + "_"
        + ("+".join(sources) or "fortunes")
    )
    summary = {f"{section}_cer": results["lexicon_lm"]["cer"]}
    path = update_results("asr_p2g", section, results, summary)
    print("wrote", path)


if __name__ == "__main__":
    main()
