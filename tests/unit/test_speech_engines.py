"""flite and festival beside espeak-ng: voice names, DTW duration transfer, missing engines,
and a small real multi-engine corpus (skipped where the engines are not installed)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from regen.config import load_with_baseline
from regen.data import festival, flite, speech_engines
from regen.data.duration_transfer import transfer_durations
from regen.data.speech import SpeechDataConfig, load_speech_corpus
from regen.data.speech_engines import (
    MULTI_ENGINE_HELDOUT,
    MULTI_ENGINE_VOICES,
    engine_of,
    heldout_engine_split,
    parse_voice,
    phoneme_voice,
)
from regen.data.text_frontend import PHONEME_SET, phonemize
from regen.errors import DataError
from regen.modules.dsp import SAMPLE_RATE
from regen.representations.mel import MelSpectrogram

HOP = 256
needs_engines = pytest.mark.skipif(
    shutil.which("flite") is None or shutil.which("festival") is None,
    reason="flite or festival not installed (apt-get install flite festival festvox-kallpc16k)",
)


def one_line_error(call, match: str) -> str:
    with pytest.raises(DataError, match=match) as info:
        call()
    assert "\n" not in str(info.value)
    return str(info.value)


def test_voice_names_carry_their_engine() -> None:
    assert parse_voice("en-gb-scotland+m3") == ("espeak", "en-gb-scotland+m3")
    assert parse_voice("flite:slt") == ("flite", "slt")
    assert parse_voice("festival:ked_diphone") == ("festival", "ked_diphone")
    assert phoneme_voice("en-gb") == "en-gb" and phoneme_voice("flite:awb") == "en-us"
    assert phoneme_voice("flite:slt").startswith("en-us")  # a female en-us variant
    one_line_error(lambda: parse_voice("mbrola:us1"), "engine one of espeak, flite, festival")
    one_line_error(lambda: parse_voice("flite:"), "engine:name")


def test_multi_engine_voices_and_a_heldout_engine() -> None:
    engines = {engine_of(v) for v in MULTI_ENGINE_VOICES}
    assert engines == {"espeak", "flite", "festival"} and len(MULTI_ENGINE_VOICES) >= 8
    assert MULTI_ENGINE_HELDOUT not in MULTI_ENGINE_VOICES
    train, heldout = heldout_engine_split("flite")
    assert heldout == MULTI_ENGINE_HELDOUT and engine_of(heldout) == "flite"
    assert {engine_of(v) for v in train} == {"espeak", "festival"}
    one_line_error(lambda: heldout_engine_split("festival"), "not a festival voice")


@pytest.mark.parametrize("recipe", ["tts/fastspeech_vocos_multi", "asr/phonemes_multi"])
def test_multi_engine_recipes_and_their_baselines_share_one_data_section(recipe: str) -> None:
    regen_cfg, direct_cfg = load_with_baseline(recipe, [])
    assert regen_cfg.data == direct_cfg.data
    voices, heldout = regen_cfg.data.voices, regen_cfg.data.heldout_voice
    if regen_cfg.task == "tts":
        assert (tuple(voices), heldout) == (MULTI_ENGINE_VOICES, MULTI_ENGINE_HELDOUT)
    else:  # ASR evaluates on an engine it never heard
        assert (voices, heldout) == heldout_engine_split(engine_of(heldout))


def test_engine_voices_are_phonemized_as_their_espeak_reference() -> None:
    text = ["The quick brown fox."]
    assert phonemize(text, "festival:kal_diphone") == phonemize(text, "en-us")


def _segments(lengths: list[int]) -> np.ndarray:
    """Phoneme-like segments: silence, then tones and noise bands of distinct spectra."""
    rng = np.random.default_rng(0)
    parts = [np.zeros(lengths[0] * HOP, np.float32)]
    for k, n in enumerate(lengths[1:]):
        t = np.arange(n * HOP) / SAMPLE_RATE
        if k % 2:
            band = np.convolve(
                rng.standard_normal(n * HOP), np.ones(4 + 6 * k) / (4 + 6 * k), "same"
            )
            parts.append((0.3 * band / np.abs(band).max()).astype(np.float32))
        else:
            parts.append((0.3 * np.sin(2 * np.pi * (200 + 350 * k) * t)).astype(np.float32))
    return np.concatenate(parts)


def test_dtw_transfer_follows_a_time_stretch() -> None:
    lengths = [6, 10, 8, 12, 7, 9, 11, 8]
    reference = _segments(lengths)
    stretched = _segments([2 * n for n in lengths])  # the same "utterance" said twice as slowly
    ref_durations = [*lengths]
    ref_durations[-1] += 1 + len(reference) // HOP - sum(lengths)
    got = transfer_durations(reference, ref_durations, stretched, HOP)
    assert sum(got) == 1 + len(stretched) // HOP and min(got) >= 0
    # each segment's length about doubles (boundaries land within two frames of the truth)
    truth = np.cumsum([2 * n for n in lengths])[:-1]
    assert np.abs(np.cumsum(got)[:-1] - truth).max() <= 2
    # and a uniform scaling is not what it does: a stretch of one segment only moves the rest
    one_long = _segments([lengths[0], 3 * lengths[1], *lengths[2:]])
    got = transfer_durations(reference, ref_durations, one_long, HOP)
    assert abs(got[1] - 3 * lengths[1]) <= 2 and abs(got[3] - lengths[3]) <= 2


def test_dtw_transfer_keeps_empty_phonemes_empty_and_checks_its_input() -> None:
    reference = _segments([5, 8, 8])
    frames = 1 + len(reference) // HOP
    durations = [5, 0, 8, frames - 13, 0]
    got = transfer_durations(reference, durations, _segments([7, 12, 9]), HOP)
    assert got[1] == 0 and got[-1] == 0 and len(got) == len(durations)
    with pytest.raises(ValueError, match="reference durations sum"):
        transfer_durations(reference, [1, 2], reference, HOP)


def test_missing_flite_names_the_package(monkeypatch) -> None:
    monkeypatch.setattr(flite.shutil, "which", lambda name: None)
    one_line_error(lambda: speech_engines.check_voice("flite:slt"), "apt-get install flite")
    cfg = SpeechDataConfig(num_sentences=8, voices=["en-us", "flite:slt"])
    one_line_error(lambda: load_speech_corpus(cfg, "train"), "apt-get install flite")


def test_missing_festival_or_voice_names_the_packages(monkeypatch) -> None:
    monkeypatch.setattr(festival, "installed_voices", lambda: ("kal_diphone",))
    message = one_line_error(
        lambda: speech_engines.check_voice("festival:ked_diphone"), "is not installed"
    )
    assert "apt-get install festival festvox-kdlpc16k" in message
    one_line_error(lambda: speech_engines.check_voice("festival:nobody"), "no voice 'nobody'")
    monkeypatch.undo()  # installed_voices is real again, now without the binary:
    monkeypatch.setattr(festival.shutil, "which", lambda name: None)
    one_line_error(lambda: festival.check_voice("kal_diphone"), "apt-get install festival")


@needs_engines
def test_flite_rejects_a_voice_it_would_silently_replace() -> None:
    one_line_error(lambda: speech_engines.check_voice("flite:nobody"), "flite has no voice")


@needs_engines
def test_small_flite_and_festival_corpus_has_espeak_phonemes_and_mel_durations() -> None:
    cfg = SpeechDataConfig(
        num_sentences=6,
        test_fraction=0.34,
        voices=["flite:slt", "festival:kal_diphone"],
        heldout_voice="festival:cmu_us_slt_arctic_hts",
    )
    mel = MelSpectrogram()
    speakers = set()
    for split in ("train", "test", "test_speaker"):
        corpus = load_speech_corpus(cfg, split)
        assert corpus.sample_rate == SAMPLE_RATE and len(corpus) > 0
        speakers |= set(corpus.speakers)
        for text, wav, phonemes, durations, voice in zip(
            corpus.texts, corpus.wavs, corpus.phonemes, corpus.durations, corpus.speakers
        ):
            # espeak-ng's word event can land either side of a clause pause, depending on
            # what it spoke before; the phoneme symbols are its own
            expected = phonemize([text], voice)[0]
            assert [p for p in phonemes if p != "|"] == [p for p in expected if p != "|"]
            assert sum(durations) == mel.encode(torch.from_numpy(wav)[None]).shape[-1]
            assert len(durations) == len(phonemes) and min(durations) >= 0
            assert set(phonemes) <= set(PHONEME_SET)  # the one inventory TTS and ASR read
    assert speakers == {*cfg.voices, cfg.heldout_voice}
    assert "flite 2" in corpus.source and "festvox-us-slt-hts" in corpus.source
