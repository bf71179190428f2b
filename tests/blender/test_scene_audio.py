"""Scene audio in real Blender: the mixdown matches a numpy reference built from the strip settings.

Each strip plays a tone of its own frequency, so its contribution to the mix can be measured
separately: onset/offset within one frame (1/30 s), level within 1 dB; muted and trimmed-away
parts must be absent. Covers trims, offsets (a strip starting before frame_start), volume, mute,
packed sounds (source file deleted), //relative paths, several source sample rates, soloing one
strip (also a muted one) with mute flags restored, and the Check Audio operator.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from .harness import run_script

FPS, FRAME_START, FRAME_END = 30, 10, 100
FRAME = 1.0 / FPS
RATE = 16000

# name: channel, start frame, source rate, [(freq, amp, t0, t1) in file seconds], strip settings
STRIPS = {
    "A": dict(channel=1, frame=20, rate=22050, tones=[(440, .3, 0.0, 0.9)]),
    "B": dict(channel=2, frame=45, rate=44100, tones=[(660, .3, 0.0, 0.5)], pack=True),
    "C": dict(channel=3, frame=60, rate=16000, tones=[(990, .3, 0.0, 0.3), (1320, .3, 0.3, 0.9)],
              trim_start=9, trim_end=3),
    "D": dict(channel=4, frame=2, rate=48000, tones=[(550, .4, 0.0, 0.5)], volume=0.5),
    "E": dict(channel=5, frame=30, rate=22050, tones=[(880, .3, 0.0, 1.0)], mute=True),
}
SOLO = ["C", "E"]


def _tone_file(path, rate, tones):
    n = int(round(max(t1 for *_x, t1 in tones) * rate))
    x = np.zeros(n)
    t = np.arange(n) / rate
    for f, a, t0, t1 in tones:
        seg = (t >= t0) & (t < t1)
        ramp = np.clip(np.minimum(t - t0, t1 - t) / 0.004, 0, 1)  # 4 ms fades: no clicks
        x += np.where(seg, a * ramp * np.sin(2 * np.pi * f * t), 0.0)
    sf.write(path, x.astype(np.float32), rate, subtype="PCM_16")


def expected_tones(names, strips_report):
    """Per frequency: (scene-time onset, offset, amplitude) or None when it must be absent."""
    out = {}
    for name, spec in STRIPS.items():
        rep = strips_report[name]
        audible = name in names
        t_content = (rep["frame_start"] - FRAME_START) / FPS
        t_on = (max(rep["final_start"], FRAME_START) - FRAME_START) / FPS
        t_off = (min(rep["final_end"], FRAME_END + 1) - FRAME_START) / FPS
        for f, a, t0, t1 in spec["tones"]:
            lo, hi = max(t_content + t0, t_on), min(t_content + t1, t_off)
            out[f] = (lo, hi, a * spec.get("volume", 1.0)) if audible and hi - lo > 2 * FRAME else None
    return out


def tone_envelope(x, freq, win=0.04, hop=0.0025):
    """Amplitude of ``freq`` in a Hann window centred on each hop (times in seconds)."""
    n = int(win * RATE)
    w = np.hanning(n)
    centres = np.arange(0, len(x), int(hop * RATE))
    pad = np.pad(x, (n // 2, n))
    k = np.exp(-2j * np.pi * freq * np.arange(n) / RATE)
    env = np.array([2 * abs(np.sum(pad[c:c + n] * w * k)) / w.sum() for c in centres])
    return centres / RATE, env


def check_mix(path, expected, label):
    x, rate = sf.read(path, dtype="float64")
    assert rate == RATE and x.ndim == 1, f"{label}: want 16 kHz mono, got {rate} Hz shape {x.shape}"
    duration = (FRAME_END - FRAME_START + 1) / FPS
    assert abs(len(x) / RATE - duration) <= FRAME, f"{label}: length {len(x) / RATE:.3f}s != {duration:.3f}s"
    for f, exp in expected.items():
        if exp is None:  # a longer window: sharper in frequency, so neighbours leak less
            t, env = tone_envelope(x, f, win=0.08)
            assert env.max() < 0.03, f"{label}: {f} Hz must be absent, peak amplitude {env.max():.3f}"
            continue
        t, env = tone_envelope(x, f)
        lo, hi, amp = exp
        above = np.flatnonzero(env > amp / 2)
        assert above.size, f"{label}: {f} Hz missing (expected {lo:.3f}-{hi:.3f}s at {amp})"
        on, off = t[above[0]], t[above[-1]]
        assert abs(on - lo) <= FRAME, f"{label}: {f} Hz starts at {on:.3f}s, expected {lo:.3f}s"
        assert abs(off - hi) <= FRAME, f"{label}: {f} Hz ends at {off:.3f}s, expected {hi:.3f}s"
        inner = env[(t > lo + 0.05) & (t < hi - 0.05)]
        level_db = 20 * np.log10(np.median(inner) / amp)
        assert abs(level_db) <= 1.0, f"{label}: {f} Hz level off by {level_db:+.2f} dB"


@pytest.fixture()
def audio_run(installed_with_audio, tmp_path):
    python, profile, rep = installed_with_audio
    assert "exception" not in rep, rep.get("exception")
    src = tmp_path / "src"
    src.mkdir()
    strips = []
    for name, s in STRIPS.items():
        path = src / f"tone_{name}.wav"
        _tone_file(path, s["rate"], s["tones"])
        strips.append({"name": name, "file": str(path), **{k: v for k, v in s.items()
                                                          if k not in ("rate", "tones")}})
    spec = {"fps": FPS, "frame_start": FRAME_START, "frame_end": FRAME_END, "strips": strips,
            "solo": SOLO, "relative": {"strip": "A", "file": str(src / "tone_A.wav")}}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    out = tmp_path / "out"
    out.mkdir()
    res = run_script(python, "audio_scene.py", tmp_path / "spec.json", out, user_resources=profile)
    assert "exception" not in res, res["exception"]
    return res


def test_scene_mixdown_matches_reference(audio_run):
    rep = audio_run["strips"]
    assert rep["B"]["packed"] and rep["C"]["final_start"] == 60 + 9
    assert sorted(audio_run["audible"]) == ["A", "B", "C", "D"]
    check_mix(audio_run["mix"], expected_tones({"A", "B", "C", "D"}, rep), "scene mix")


def test_single_strip_solo(audio_run):
    rep = audio_run["strips"]
    for name in SOLO:
        check_mix(audio_run[f"solo_{name}"], expected_tones({name}, rep), f"solo {name}")
    assert audio_run["mutes_restored"]


def test_relative_path_after_save(audio_run):
    assert audio_run["relative_path"].startswith("//")
    check_mix(audio_run["relative_mix"], expected_tones({"A", "B", "C", "D"}, audio_run["strips"]),
              "relative mix")


def test_check_audio_operator(audio_run):
    assert audio_run["operator"] == ["FINISHED"], audio_run
    assert audio_run["op_message"].startswith("Audio: 3.0"), audio_run["op_message"]
    assert abs(audio_run["op_duration"] - (FRAME_END - FRAME_START + 1) / FPS) <= FRAME
    assert audio_run["temp_path"].startswith(audio_run["user_dir"])
    assert audio_run["operator_strip"] == ["FINISHED"] and audio_run["op_strip_message"]


def test_audio_errors(installed_with_audio, tmp_path):
    python, profile, _rep = installed_with_audio
    r = run_script(python, "audio_errors.py", tmp_path, user_resources=profile)
    assert "exception" not in r, r["exception"]
    assert r["ok"] is None and r["strip_ok"] is None and r["file_ok"] is None
    expect = {
        "no_sequencer": "no sequencer data", "no_strips": "no sound strips",
        "all_muted": "are muted", "out_of_range": "overlaps the scene range",
        "missing_file": "not found", "unsaved_relative": "not saved",
        "strip_unset": "Choose a sound strip", "strip_unknown": "No sound strip named 'Nope'",
        "file_unset": "no file chosen", "file_missing": "not found",
    }
    for tag, words in expect.items():
        assert r[tag] and words in r[tag], f"{tag}: {r[tag]!r}"
        assert r[tag + "_op"] and words in r[tag + "_op"], f"{tag} poll message: {r[tag + '_op']!r}"
    assert "not saved" in r["unsaved_relative_render"]
    assert r["solo_failure"] == "simulated mixdown failure"
    assert r["mutes_after_failure_equal"] and r["mutes_before"]["Music"] is True


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not on PATH (needed to make the M4A)")
def test_m4a_and_video_files_load_with_or_without_ffmpeg(installed_with_audio, tmp_path):
    python, profile, _rep = installed_with_audio
    rate = 48000
    x = 1e-3 * np.random.default_rng(0).standard_normal(2 * rate).astype(np.float32)
    x[int(0.75 * rate):int(0.75 * rate) + 48] = 0.8
    sf.write(tmp_path / "click.wav", x, rate, subtype="FLOAT")
    memo = tmp_path / "memo.m4a"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(tmp_path / "click.wav"),
                    "-c:a", "aac", str(memo)], check=True)
    broken = tmp_path / "broken.m4a"
    broken.write_bytes(b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 100)
    r = run_script(python, "audio_containers.py", memo, broken, user_resources=profile)
    assert "exception" not in r, r["exception"]
    assert "ffmpeg" in r["ffmpeg"]["format"] and "audaspace" in r["audaspace"]["format"]
    for tag in ("ffmpeg", "audaspace"):
        assert r[tag]["rate"] == RATE and abs(r[tag]["duration"] - 2.0) < 0.03, r[tag]
        assert abs(r[tag]["click_s"] - 0.75) < 0.003, r[tag]        # timing kept either way
    assert r["check_audio"] == ["FINISHED"] and abs(r["check_audio_duration"] - 2.0) < 0.03
    assert r["broken"] and "AudioDecodeError" in r["broken"] and "install ffmpeg" in r["broken"], r
