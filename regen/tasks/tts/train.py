"""Train a TTS pipeline stage by stage with the one loop.

    0. representation  (``mel_vae`` / ``mel_rvq`` only) on unpaired speech crops, then the
                  VAE latent is calibrated to unit variance
    1. generator  on paired (phonemes, Y' = encode(speech))  FastSpeech -> log-mel, or the
                  direct baseline's phonemes -> waveform
    2. renderer   on unpaired speech crops (the vocoder; Griffin-Lim has nothing to learn)

The mel representation has no parameters, so it has no representation stage. Each stage
writes its folder under the run directory; ``resume`` continues where a stage stopped.
"""

from __future__ import annotations

from pathlib import Path

import torch

from regen.contracts import Calibrated, WrapsMel
from regen.data.speech import SpeechCorpus, corpus_voices, load_speech_corpus
from regen.data.speech_features import MEL as STORE_MEL
from regen.data.speech_features import PaddedRows
from regen.data.text_frontend import PhonemeVocabulary
from regen.pipeline import Pipeline
from regen.runs import save_run, write_config
from regen.tasks.tts.config import TTSRecipeConfig
from regen.tasks.tts.data import EncodedRows, acoustic_tensors, stored_acoustic_tensors
from regen.tasks.tts.pipeline import PhonemeConditioner, build_tts_pipeline, mel_of
from regen.tasks.tts.pretrain import crops, renderer_job
from regen.training import checkpoint as ckpt
from regen.training import distributed
from regen.training.loop import StageResult
from regen.training.renderer_assets import install, obtain
from regen.training.run_stages import RunStages


def streams_from_store(config: TTSRecipeConfig, corpus: SpeechCorpus) -> bool:
    """A prepared ``data.source`` whose stored log-mels are this recipe's Y', or the log-mel
    its learned Y' encodes (then encoded a batch at a time, :class:`EncodedRows`)."""
    rep = config.representation
    settings = {"n_fft": rep.n_fft, "hop": rep.hop, "n_mels": rep.n_mels, "fmax": rep.fmax}
    return corpus.store is not None and settings == STORE_MEL


def generator_tensors(config: TTSRecipeConfig, corpus: SpeechCorpus, conditioner) -> dict:
    """What the generator stage trains on; the direct baseline's target is the waveform."""
    if streams_from_store(config, corpus):
        tensors = stored_acoustic_tensors(
            corpus, conditioner.vocab, conditioner.voices, with_waveforms=config.is_direct
        )
    else:
        tensors = acoustic_tensors(
            corpus,
            conditioner.vocab,
            conditioner.voices,
            mel_of(config),
            with_waveforms=config.is_direct,
        )
    if config.is_direct:
        tensors["y_prime"] = tensors.pop("wav")
    return tensors


def encode_log_mels(
    representation: WrapsMel, log_mels: torch.Tensor | PaddedRows, batch_size: int = 32
) -> torch.Tensor | EncodedRows:
    """Padded log-mels [N, n_mels, F] -> the learned Y' [N, C or Q, F], in batches; stored
    log-mels (a ``data.source``) are encoded when a training batch reads them."""
    if isinstance(log_mels, PaddedRows):
        return EncodedRows(log_mels, representation)
    with torch.no_grad():
        return torch.cat([representation.encode_mel(m) for m in log_mels.split(batch_size)])


def train_tts(
    config: TTSRecipeConfig,
    run_dir: Path | None = None,
    *,
    resume: bool = False,
    progress: bool = True,
    data: SpeechCorpus | None = None,
) -> tuple[Pipeline, list[StageResult]]:
    """Train every learned stage of ``config``; returns the pipeline (eval mode) and results."""
    run_dir = Path(run_dir or config.run_dir)
    corpus = data if data is not None else load_speech_corpus(config.data, "train")
    conditioner = PhonemeConditioner(PhonemeVocabulary(), corpus_voices(config.data))
    pipeline = build_tts_pipeline(config, conditioner)
    stages = RunStages(config.train, run_dir, write_config(run_dir, config), resume, progress)

    unpaired = crops(config, corpus)
    tensors = generator_tensors(config, corpus, conditioner)
    if config.is_learned:
        rep = pipeline.representation
        stages.fit("representation", rep, unpaired)
        rep.eval()
        if isinstance(rep, Calibrated):
            # latent scale (as in latent diffusion): unit-variance Y' for the generator
            rep.calibrate(unpaired["wav"])
            if distributed.current().is_main:  # under torchrun only rank 0 writes files
                ckpt.replace_model_file(run_dir / "representation", rep.state_dict())
        tensors["y_prime"] = encode_log_mels(rep, tensors["y_prime"])
    stages.fit("generator", pipeline.generator, tensors)
    if pipeline.renderer.trainable and config.pretrained_renderer:
        asset = obtain(renderer_job(config, corpus), progress=progress)
        stages.results.append(install(asset, pipeline.renderer, run_dir))
    elif pipeline.renderer.trainable:
        stages.fit("renderer", pipeline.renderer, unpaired)
    save_run(
        run_dir,
        config,
        pipeline,
        stages.names,
        stages.results,
        **conditioner.to_dict(),
        data_source=corpus.source,
    )
    return pipeline.eval(), stages.results
