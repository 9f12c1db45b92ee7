"""Train a speech recognition pipeline stage by stage, with the one loop.

The renderer learns from unpaired text alone, so it can also be a cached asset
(:func:`renderer_job`, ``regen pretrain asr/...``, ``pretrained_renderer: true``; see
:mod:`regen.training.renderer_assets`) shared by every compare and every point of
``regen study paired``; its quality is the CER/WER (and, for the lexicon renderer, the
homophone error) from the TRUE phonemes of the held-out test sentences (never in its text).

    1. renderer   phonemes -> text on UNPAIRED text (sentences never spoken + CMUdict words);
                  the lexicon renderer counts its lexicon and n-grams first (text_pool.py)
    2. generator  log-mel -> Y' by CTC on the paired share of the training speech

The representation (phonemes, or characters for the direct baseline) has nothing to learn.
A run folder holds ``config.yaml``, ``pipeline.json`` and one folder per trained stage;
:func:`regen.runs.load_run` rebuilds the pipeline from it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from regen.config import dump_yaml, to_dict
from regen.contracts import Counted
from regen.data.cache import files_fingerprint
from regen.data.espeak import WORD_BOUNDARY
from regen.data.prepare import settings_read
from regen.data.speech import SpeechCorpus, load_speech_corpus
from regen.data.text_files import text_files
from regen.errors import ConfigError
from regen.generators.ctc import CTCGenerator
from regen.modules.dsp import MelSpectrogram
from regen.modules.sequences import pad_rows, unpad_rows
from regen.pipeline import Pipeline
from regen.renderers.p2g import PhonemeToText
from regen.renderers.p2g_lexicon import LexiconPhonemeToText
from regen.renderers.p2g_words import WordwisePhonemeToText, word_pairs
from regen.representations.characters import (
    CHAR_VOCAB_SIZE,
    CharacterRepresentation,
    encode_texts,
)
from regen.representations.phonemes import PhonemeRepresentation
from regen.runs import save_run, write_config
from regen.tasks.asr.config import ASRRecipe
from regen.tasks.asr.data import (
    SpeechTensors,
    encoded,
    normalize_all,
    paired_count,
    speech_tensors,
    unpaired_texts,
)
from regen.tasks.asr.evaluate import from_true_phonemes
from regen.tasks.asr.text_pool import cmudict_words, file_sentences, text_pool
from regen.training import checkpoint as ckpt
from regen.training import distributed
from regen.training.loop import StageResult, train_stage
from regen.training.renderer_assets import (
    RendererAsset,
    RendererJob,
    install,
    obtain,
    renderer_reads,
)


def build_asr_pipeline(config: ASRRecipe) -> Pipeline:
    """Representation, CTC generator and renderer of ``config`` (untrained)."""
    rep_cfg = config.representation
    if config.is_direct:
        spec = CharacterRepresentation().spec
        generator = CTCGenerator(spec, config.generator, config.generator.n_mels)
        return Pipeline.direct(generator, name=config.name)
    else:
        representation = PhonemeRepresentation(
            rep_cfg.word_boundaries, rep_cfg.stress, rep_cfg.voice
        )
        boundary = representation.vocab.encode([WORD_BOUNDARY])[0]
        if config.renderer.kind == "lexicon_lm":
            renderer = LexiconPhonemeToText(
                representation.spec, CHAR_VOCAB_SIZE, boundary, config.renderer
            )
        elif config.renderer.unit == "word":
            renderer = WordwisePhonemeToText(
                representation.spec, CHAR_VOCAB_SIZE, boundary, config.renderer
            )
        else:
            renderer = PhonemeToText(representation.spec, CHAR_VOCAB_SIZE, config.renderer)
    generator = CTCGenerator(representation.spec, config.generator, config.generator.n_mels)
    return Pipeline(representation, generator, renderer, name=config.name)


@dataclass
class ASRData:
    """What training needs besides the recipe, loaded once and shared by many runs."""

    train: SpeechTensors
    source: str
    renderer_text: tuple[list[str], int] | None = None  # (normalized texts, skipped count)
    text_sources: dict[str, int] = field(default_factory=dict)  # LM sentences per source
    text_files: dict = field(default_factory=dict)  # text.sources: files, sentences, skipped


def load_asr_data(config: ASRRecipe, with_text: bool = True) -> ASRData:
    corpus = load_speech_corpus(config.data, "train")
    mel = MelSpectrogram(n_mels=config.generator.n_mels)
    data = ASRData(speech_tensors(corpus, mel), corpus.source)
    if with_text and not config.is_direct:
        data.renderer_text, data.text_files = renderer_texts(config, corpus)
    return data


def renderer_texts(config: ASRRecipe, corpus: SpeechCorpus) -> tuple[tuple[list[str], int], dict]:
    """The renderer's unpaired text (the corpus's unspoken sentences, ``text.sources`` and
    CMUdict words, normalized; with the count skipped), and the record of ``text.sources``."""
    extra, record = file_sentences(config.text.sources, config.data)
    text = unpaired_texts(
        corpus, config.text.max_sentences, config.text.cmudict_words, config.seed, extra
    )
    return text, record


@dataclass
class TrainedRenderer:
    """A renderer trained on unpaired text, and where its stage folder is."""

    module: torch.nn.Module
    result: StageResult
    folder: Path


def train_renderer(
    config: ASRRecipe,
    pipeline: Pipeline,
    data: ASRData,
    folder: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    eval_fn: Callable[[torch.nn.Module], dict[str, float]] | None = None,
) -> TrainedRenderer:
    """Train the phoneme-to-text renderer on unpaired text only (``eval_fn``: measured every
    ``train.renderer.eval_every`` steps, the learning curve of a pretrained asset)."""
    if data.renderer_text is None:
        corpus = load_speech_corpus(config.data, "train")
        data.renderer_text, data.text_files = renderer_texts(config, corpus)
    texts, _ = data.renderer_text
    renderer = pipeline.renderer
    counting = 0.0
    if isinstance(renderer, Counted):
        start = time.perf_counter()
        data.text_sources = fit_counts(config, pipeline, texts)
        counting = time.perf_counter() - start
    if not renderer.trainable:  # counted only: save the tables as the stage's checkpoint
        if distributed.current().is_main:
            ckpt.write_stage(
                folder, model_state=renderer.state_dict(), config_yaml=dump_yaml(config)
            )
        return TrainedRenderer(renderer, StageResult("renderer", 0, 0, counting), folder)
    words = config.renderer.unit == "word" or isinstance(renderer, Counted)
    limit = config.renderer.max_len
    y_prime, _, chars = encoded(pipeline.representation, texts, None if words else limit)
    if words:
        y_prime, chars = word_pairs(y_prime, chars, renderer.boundary)
        fits = (y_prime != 0).sum(1) + (chars != 0).sum(1) + 1 <= limit
        y_prime, chars = y_prime[fits], chars[fits]
    result = train_stage(
        "renderer",
        renderer,
        {"y_prime": y_prime, "y": chars},
        config.train.renderer,
        folder,
        resume=resume,
        config_yaml=dump_yaml(config),
        eval_fn=eval_fn if config.train.renderer.eval_every else None,
        progress=progress,
    )
    result.seconds += counting  # the counting is part of the renderer's cost
    return TrainedRenderer(renderer, result, folder)


def fit_counts(config: ASRRecipe, pipeline: Pipeline, texts: list[str]) -> dict[str, int]:
    """Fit a counted renderer's lexicon and language model; returns LM sentences per source.

    Lexicon pairs: the renderer's unpaired ``texts`` (sentences and single words) and
    ``text.lexicon_words`` more CMUdict words, phonemized; LM: the text pool (text_pool.py).
    Each part is encoded (and cached) on its own, so the transformer's text is reused.
    """
    pool, counts = text_pool([t for t in texts if " " in t], config.text.lm_sources, config.data)
    allowed = set(pool)
    texts = [t for t in texts if t in allowed or " " not in t]  # never a spoken sentence
    words = cmudict_words()
    count = len(words) if config.text.lexicon_words < 0 else config.text.lexicon_words
    words = sorted(random.Random(config.seed).sample(words, min(count, len(words))))
    parts = [encoded(pipeline.representation, part) for part in (texts, words) if part]
    y_prime = pad_rows([row for part in parts for row in unpad_rows(part[0])])[0]
    chars = pad_rows([row for part in parts for row in unpad_rows(part[2])])[0]
    pipeline.renderer.fit(y_prime, chars, text=encode_texts(pool)[0])
    counts["lexicon_words"] = len(words)
    return counts


def text_encoder(pipeline: Pipeline):
    """What turns transcripts into the generator's targets: the phoneme representation, or
    for the direct baseline (whose representation is the identity) the character ids."""
    return CharacterRepresentation() if pipeline.is_direct else pipeline.representation


def build(config: ASRRecipe, meta: dict) -> Pipeline:
    """The untrained pipeline of a saved run (everything it needs is in the recipe)."""
    return build_asr_pipeline(config)


def train_asr(
    config: ASRRecipe,
    run_dir: Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    data: ASRData | None = None,
    renderer: RendererAsset | None = None,
) -> tuple[Pipeline, list[StageResult]]:
    """Train every learned stage of ``config``; returns the pipeline (eval mode) and results.

    ``renderer`` (or, with ``pretrained_renderer: true``, the cached asset) reuses a renderer
    trained on unpaired text (copied into this run folder) instead of training one; its
    training result is listed as a shared stage of this pipeline.
    """
    run_dir = Path(run_dir or config.run_dir)
    shared = renderer is not None or config.pretrained_renderer
    data = data or load_asr_data(config, with_text=not shared)
    config_yaml = write_config(run_dir, config)
    torch.manual_seed(config.seed)  # initial weights follow the recipe seed
    pipeline = build_asr_pipeline(config)
    results: list[StageResult] = []
    learns = pipeline.renderer.trainable or isinstance(pipeline.renderer, Counted)
    if learns and shared:
        renderer = renderer or obtain(renderer_job(config, data), progress=progress)
        results.append(install(renderer, pipeline.renderer, run_dir))
    elif learns:
        trained = train_renderer(
            config, pipeline, data, run_dir / "renderer", resume=resume, progress=progress
        )
        results.append(trained.result)

    paired = data.train.subset(paired_count(len(data.train), config.paired_fraction))
    y_prime, y_len, _ = encoded(text_encoder(pipeline), paired.texts)
    tensors = {"x": paired.x, "x_len": paired.x_len, "y_prime": y_prime, "y_len": y_len}
    if len(y_prime) != len(paired):
        raise ConfigError("some paired transcripts have no phonemes; check the text front end")
    results.insert(
        0,
        train_stage(
            "generator",
            pipeline.generator,
            tensors,
            config.train.generator,
            run_dir / "generator",
            resume=resume,
            config_yaml=config_yaml,
            progress=progress,
        ),
    )
    save_run(
        run_dir,
        config,
        pipeline,
        [r.name for r in results],
        results,
        paired_utterances=len(paired),
        paired_seconds=round(paired.seconds, 1),
        data_source=data.source,
        unpaired_texts=len(data.renderer_text[0]) if data.renderer_text else 0,
        skipped_texts=data.renderer_text[1] if data.renderer_text else 0,
        text_sources=data.text_sources,
        text_files=data.text_files,
    )
    return pipeline.eval(), results


# ------------------------------------------------- the renderer as a cached asset

RENDERER_NOTES = {
    "cer": "lower is better; CER of the renderer alone from the TRUE phonemes of held-out "
    "test sentences",
    "wer": "lower is better; WER of the same",
    "homophone_error": "lower is better; lexicon renderer: share of test words whose "
    "pronunciation has several spellings that it spells wrong",
    "homophone_words": "how many such words the test sentences hold",
}


def renderer_job(config: ASRRecipe, data: ASRData | None = None) -> RendererJob:
    """How to train, load and measure the phoneme-to-text renderer of ``config``."""
    loaded: list[ASRData] = [data] if data is not None else []

    def asr_data() -> ASRData:
        if not loaded:
            loaded.append(load_asr_data(config))
        return loaded[0]

    def build() -> nn.Module:
        torch.manual_seed(config.seed)  # the same initial weights as train_asr would draw
        return build_asr_pipeline(config).renderer

    def quality(module: nn.Module) -> dict[str, float]:
        # the transcripts as the compare scores them: normalized (case and punctuation are
        # not the renderer's job), the first eval.max_utterances
        test = load_speech_corpus(config.data, "test").texts
        _, texts = normalize_all(test[: config.eval.max_utterances or len(test)])
        return from_true_phonemes(build_asr_pipeline(config).representation, module, texts)

    def train(module: nn.Module, folder: Path, progress: bool) -> StageResult:
        pipeline = build_asr_pipeline(config)
        pipeline.renderer = module
        return train_renderer(
            config, pipeline, asr_data(), folder, resume=True, progress=progress, eval_fn=quality
        ).result

    source = asr_data().source
    return RendererJob(
        task="asr",
        reads=renderer_reads(
            config,
            data=settings_read(config.data),
            source=source,
            text={k: v for k, v in to_dict(config.text).items() if k != "sources"},
            # the user's text files by path and stamp: an edited file trains a new renderer
            **(
                {"text_files": files_fingerprint(text_files(config.text.sources))}
                if config.text.sources
                else {}
            ),
            representation=to_dict(config.representation),
            # what the recorded quality was measured on (assets of before it scored the raw
            # transcripts, punctuation and case included)
            quality=["normalized test transcripts", config.eval.max_utterances],
        ),
        build=build,
        train=train,
        quality=quality,
        data=_describe(asr_data()),
        notes=RENDERER_NOTES,
    )


def _describe(data: ASRData) -> str:
    if data.renderer_text is None:
        return "unpaired text"
    texts, skipped = data.renderer_text
    return f"{len(texts):,} unpaired sentences and words ({skipped:,} skipped)"
