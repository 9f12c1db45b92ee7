"""The speech, music and text sources of data.source: listing, the ragged store, what a
prepared store holds, and reading a store prepared with other settings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from regen.data.audio import read_audio
from regen.data.music import MelodyDataConfig
from regen.data.music_folder import load_source_melodies, parse_piece
from regen.data.speech import SpeechDataConfig, corpus_voices, load_speech_corpus
from regen.data.speech_folder import list_speech
from regen.data.speech_source import prepare_speech
from regen.data.store import RaggedArray, ShardWriter, SkipLog
from regen.data.text_files import read_sentences, text_files
from regen.errors import ConfigError, DataError
from tests.music_folders import write_score_folder
from tests.speech_folders import write_audiofolder, write_ljspeech, write_recording


def test_ragged_rows_round_trip_across_shards(tmp_path):
    rows = [np.arange(n, dtype=np.int16) + n for n in (3, 0, 5, 1, 4)]
    writer = ShardWriter(tmp_path, rows_per_shard=2, ragged=("wav",))
    for row in rows:
        writer.add({"wav": row})
    writer.flush()
    ragged = RaggedArray.open(tmp_path, "wav")
    assert len(ragged) == 5 and writer.shards == 3
    for got, want in zip(ragged[:], rows):
        assert np.array_equal(got, want)
    assert np.array_equal(ragged[-1], rows[-1])
    with pytest.raises(IndexError):
        ragged[5]


def test_ljspeech_prefers_the_normalized_text(tmp_path):
    write_ljspeech(tmp_path, count=2)
    with open(tmp_path / "metadata.csv", "a") as metadata:
        metadata.write('LJ001-0001|Dr. "Who" said 42|Doctor Who said forty two\n')
        metadata.write("LJ001-0002|Only two fields\n")
    skipped = SkipLog()
    items = list(list_speech(tmp_path, skipped))
    assert [i.text for i in items[2:]] == ["Doctor Who said forty two", "Only two fields"]
    assert items[0].name == "wavs/LJ001-0001.wav" and items[0].speaker is None
    assert skipped.total == 0


def test_audiofolder_reads_split_and_speaker_columns(tmp_path):
    write_recording(tmp_path / "a.wav", "One two three.", "en-us", odd_format=False)
    rows = [
        {"file_name": "a.wav", "text": "One two three.", "speaker": "ann", "split": "test"},
        {"file_name": "a.wav", "sentence": "Again.", "split": "validation"},
        {"file_name": "a.wav", "transcription": "Third."},
    ]
    (tmp_path / "metadata.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    items = list(list_speech(tmp_path, SkipLog()))
    assert [(i.text, i.speaker, i.split) for i in items] == [
        ("One two three.", "ann", "test"),
        ("Again.", None, "test"),
        ("Third.", None, None),
    ]


def test_a_prepared_store_holds_the_resampled_audio_and_aligned_durations(tmp_path):
    folder = tmp_path / "clips"
    names = write_audiofolder(folder, count=8)
    cfg = SpeechDataConfig(source=str(folder), test_fraction=0.25)
    _, manifest = prepare_speech(cfg, progress=False)
    assert manifest["counts"] == {"train": 6, "test": 2}
    assert manifest["converted"] == {"downmixed from 2 channels": 2, "resampled from 16000 Hz": 2}
    train = load_speech_corpus(cfg, "train")
    listed = json.loads((Path(_store(cfg)) / "train" / "items.json").read_text())
    for i, name in enumerate(listed["names"]):
        want = read_audio(folder / name)  # downmixed and resampled the same way
        assert np.abs(train.wavs[i] - want).max() <= 1 / 32767 + 1e-6
        assert sum(train.durations[i]) == 1 + len(want) // 256
        assert len(train.durations[i]) == len(train.phonemes[i])
    assert set(listed["names"]) < set(names)
    assert corpus_voices(cfg) == ["own:speaker0", "own:speaker1"]
    assert train.unpaired_texts == train.texts  # the training transcripts, never the test ones
    assert len(load_speech_corpus(cfg, "test_speaker")) == 0


def _store(cfg) -> Path:
    return prepare_speech(cfg, progress=False)[0]


def test_a_store_given_as_source_must_match_the_settings(tmp_path):
    folder = tmp_path / "lj"
    write_ljspeech(folder, count=4)
    out = tmp_path / "store"
    prepare_speech(SpeechDataConfig(source=str(folder), test_fraction=0.25), out=out)
    same = SpeechDataConfig(source=str(out), test_fraction=0.25)
    assert len(load_speech_corpus(same, "train")) == 3
    with pytest.raises(ConfigError, match="data.test_fraction=0.25, not 0.5"):
        load_speech_corpus(SpeechDataConfig(source=str(out), test_fraction=0.5), "train")
    with pytest.raises(ConfigError, match="inside data.source"):
        prepare_speech(SpeechDataConfig(source=str(folder)), out=folder / "store")


def test_a_chorale_with_lyrics_gives_one_syllable_per_note(tmp_path):
    (name,) = write_score_folder(tmp_path, with_lyrics=1, without_lyrics=0)
    parsed, reason = parse_piece(tmp_path / name)
    assert reason is None
    assert len(parsed["texts"]) == len(parsed["matrix"]) == len(parsed["syllables"])
    with pytest.raises(DataError, match="has 1 pieces with lyrics"):
        load_source_melodies(MelodyDataConfig(source=str(tmp_path)))


def test_text_files_split_paragraphs_and_name_lines(tmp_path):
    (tmp_path / "a.txt").write_text("First one. Second one!\n\nThird \u2603 one.\n")
    skipped = SkipLog()
    found = list(read_sentences(text_files([str(tmp_path)]), skipped))
    assert found == [("First one.", "a.txt line 1"), ("Second one!", "a.txt line 1")]
    assert skipped.examples == {
        "text has characters the front end cannot speak": ["a.txt line 3 [\u2603]"]
    }
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no .txt files"):
        text_files([str(tmp_path / "empty")])
    with pytest.raises(ConfigError, match="does not exist"):
        text_files([str(tmp_path / "nowhere.txt")])


def test_stored_features_are_the_in_memory_training_tensors(tmp_path):
    from regen.data.text_frontend import PhonemeVocabulary
    from regen.modules.dsp import MelSpectrogram
    from regen.tasks.tts.data import (
        acoustic_tensors,
        stored_acoustic_tensors,
        stored_segments,
        waveform_segments,
    )

    folder = tmp_path / "clips"
    write_audiofolder(folder, count=6)
    cfg = SpeechDataConfig(source=str(folder), test_fraction=0.2)
    corpus = load_speech_corpus(cfg, "train")
    vocab, voices = PhonemeVocabulary(), corpus_voices(cfg)
    memory = acoustic_tensors(corpus, vocab, voices, MelSpectrogram(), with_waveforms=True)
    stored = stored_acoustic_tensors(corpus, vocab, voices, with_waveforms=True)
    index = torch.tensor([3, 0, 3])
    for key in ("x", "durations", "speakers", "frames", "pitch", "energy"):
        assert torch.allclose(stored[key][index].float(), memory[key][index].float(), atol=1e-4)
    width = int(memory["frames"][index].max())  # stored rows pad to the batch's longest
    mel = stored["y_prime"][index]
    assert mel.shape == (3, 80, width)
    assert torch.allclose(mel, memory["y_prime"][index][..., :width], atol=2e-2)
    samples = int(stored["wav"][index].shape[1])
    assert torch.allclose(stored["wav"][index], memory["wav"][index][:, :samples], atol=1e-7)
    crops = stored_segments(corpus, 4096, 3, seed=7)["wav"]
    expected = waveform_segments(list(corpus.wavs), 4096, 3, seed=7)["wav"]
    assert len(crops) == len(expected)
    assert torch.equal(crops[torch.arange(len(crops))], expected)


def test_tts_streams_a_source_from_its_store_unless_the_mel_differs(tmp_path):
    from regen.config import load_recipe
    from regen.data.speech_features import CropRows, PaddedRows
    from regen.data.text_frontend import PhonemeVocabulary
    from regen.tasks.tts.pipeline import PhonemeConditioner
    from regen.tasks.tts.pretrain import crops
    from regen.tasks.tts.train import generator_tensors, streams_from_store

    write_ljspeech(tmp_path / "lj", count=4)
    source = [f"data.source={tmp_path / 'lj'}", "data.test_fraction=0.25"]
    config = load_recipe("tts/fastspeech_vocos", source)
    corpus = load_speech_corpus(config.data, "train")
    conditioner = PhonemeConditioner(PhonemeVocabulary(), corpus_voices(config.data))
    assert isinstance(generator_tensors(config, corpus, conditioner)["y_prime"], PaddedRows)
    assert isinstance(crops(config, corpus)["wav"], CropRows)
    other_mel = load_recipe("tts/fastspeech_vocos", [*source, "representation.fmax=7000"])
    assert not streams_from_store(other_mel, corpus)  # the stored mel is not its Y'
    learned = load_recipe("tts/vae_latent", source)
    assert streams_from_store(learned, corpus)  # a learned Y' over the stored mel streams too
    assert isinstance(crops(learned, corpus)["wav"], CropRows)
    direct = load_recipe("tts/direct_waveform", source)
    assert isinstance(generator_tensors(direct, corpus, conditioner)["y_prime"], PaddedRows)


@pytest.mark.parametrize("recipe", ["tts/vae_latent", "tts/rvq_codes"])
def test_a_learned_tts_representation_trains_on_a_store_without_holding_it(recipe, tmp_path):
    """Representation, calibration and generator read the store batch by batch; the
    generator's Y' is the representation's encoding of each batch's stored log-mels."""
    from regen.config import load_recipe
    from regen.data.speech_features import CropRows, PaddedRows
    from regen.tasks.tts import train as tts_train
    from regen.tasks.tts.data import EncodedRows
    from tests.tiny_tts import TINY_TTS

    write_ljspeech(tmp_path / "lj", count=8)
    own = [o for o in TINY_TTS if not o.startswith("data.")]
    config = load_recipe(recipe, [*own, f"data.source={tmp_path / 'lj'}"])
    seen: dict[str, object] = {}
    fit = tts_train.RunStages.fit

    def record(self, stage, module, tensors, *args, **kwargs):
        seen[stage] = next(v for k, v in tensors.items() if k in ("y_prime", "wav"))
        return fit(self, stage, module, tensors, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tts_train.RunStages, "fit", record)
        pipeline, _ = tts_train.train_tts(config, tmp_path / "run", progress=False)
    assert isinstance(seen["representation"], CropRows)
    encoded = seen["generator"]
    assert isinstance(encoded, EncodedRows) and isinstance(encoded.mels, PaddedRows)
    index = torch.tensor([1, 0])
    with torch.no_grad():
        expected = pipeline.representation.encode_mel(encoded.mels[index])
    assert torch.equal(encoded[index], expected)


def test_asr_reads_a_source_from_its_store(tmp_path):
    from regen.modules.dsp import MelSpectrogram
    from regen.tasks.asr.data import log_mels, speech_tensors

    write_audiofolder(tmp_path / "clips", count=6)
    cfg = SpeechDataConfig(source=str(tmp_path / "clips"), test_fraction=0.2)
    corpus = load_speech_corpus(cfg, "train")
    mel = MelSpectrogram(n_mels=80)
    stored = speech_tensors(corpus, mel)
    paired = stored.subset(3)
    x, x_len = log_mels([np.asarray(w) for w in paired.wavs], mel)  # the in-memory features
    assert torch.equal(paired.x_len, x_len) and len(paired.wavs) == 3
    batch = paired.x[torch.tensor([2, 0])]
    assert batch.shape == (2, 80, int(x_len[[2, 0]].max()))
    assert torch.allclose(batch, x[[2, 0]].float()[..., : batch.shape[-1]], atol=2e-2)
    assert stored.seconds == pytest.approx(corpus.seconds())
    # another mel (40 bands) is computed in memory, as for the built-in corpus
    assert isinstance(speech_tensors(corpus, MelSpectrogram(n_mels=40)).x, torch.Tensor)


def test_training_on_a_store_resumes_exactly(tmp_path, monkeypatch):
    from regen.config import TrainConfig, load_recipe
    from regen.data.text_frontend import PhonemeVocabulary
    from regen.tasks.tts.pipeline import PhonemeConditioner, build_tts_pipeline
    from regen.tasks.tts.train import generator_tensors
    from regen.training.logger import read_log
    from regen.training.loop import log_path, train_stage
    from tests.tiny_tts import TINY_TTS
    from tests.unit.toy_models import killed_after

    write_ljspeech(tmp_path / "lj", count=8)
    own = [o for o in TINY_TTS if not o.startswith("data.")]
    config = load_recipe("tts/fastspeech_vocos", [*own, f"data.source={tmp_path / 'lj'}"])
    corpus = load_speech_corpus(config.data, "train")
    conditioner = PhonemeConditioner(PhonemeVocabulary(), corpus_voices(config.data))
    tensors = generator_tensors(config, corpus, conditioner)
    cfg = TrainConfig(
        steps=6, batch_size=3, lr=1e-3, warmup_steps=2, log_every=1, checkpoint_every=3
    )

    def generator():
        return build_tts_pipeline(config, conditioner).generator  # seeded: same weights

    whole = generator()
    train_stage("generator", whole, tensors, cfg, tmp_path / "a", progress=False)
    killed = generator()
    with killed_after(monkeypatch, type(killed), 4):
        train_stage("generator", killed, tensors, cfg, tmp_path / "b", progress=False)
    resumed = generator()
    train_stage("generator", resumed, tensors, cfg, tmp_path / "b", resume=True, progress=False)
    losses = [[r["loss"] for r in read_log(log_path(tmp_path / run))] for run in "ab"]
    assert losses[0] == losses[1] and len(losses[0]) == 6
    for key, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key


def test_a_saved_hf_audio_dataset_is_a_source(tmp_path):
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "clips"
    names = write_audiofolder(folder, count=6)
    rows = [line.split(",") for line in (folder / "metadata.csv").read_text().splitlines()[1:]]
    table = {
        "audio": [{"bytes": None, "path": str(folder / name)} for name in names],
        "text": [text for _, text, _ in rows[:-1]] + [None],  # the last transcript is null
    }
    # built as the Audio feature's storage: encoding through datasets.Audio needs torchcodec
    storage = {"bytes": datasets.Value("binary"), "path": datasets.Value("string")}
    features = datasets.Features({"audio": storage, "text": datasets.Value("string")})
    audio = datasets.Audio(decode=False)
    dataset = datasets.Dataset.from_dict(table, features=features).cast_column("audio", audio)
    dataset.save_to_disk(str(tmp_path / "saved"))  # paths to the files
    table["audio"] = [{"bytes": (folder / n).read_bytes(), "path": n} for n in names]
    dataset = datasets.Dataset.from_dict(table, features=features).cast_column("audio", audio)
    dataset.to_parquet(str(tmp_path / "parquet" / "train-00000.parquet"))  # the files' bytes
    for source in ("parquet", "saved"):
        cfg = SpeechDataConfig(source=str(tmp_path / source), test_fraction=0.2)
        _, manifest = prepare_speech(cfg, progress=False)
        assert sum(manifest["counts"].values()) == 5, source
        assert manifest["skipped"]["empty transcript"]["count"] == 1
        assert manifest["converted"]["resampled from 16000 Hz"] == 1  # file 1 (5: skipped)
        assert load_speech_corpus(cfg, "train").texts[0]
