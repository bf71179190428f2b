"""Generate Lip-Sync in real Blender (bpy 4.5 LTS and 5.0, fresh processes, installed zip).

Real speech from ../shared/speech on the FLAME sample head and on a synthetic ARKit-keyed mesh:
keyframes at the scene rate over the strip's frames, jaw open on vowels and lips sealed on
p/b/m (measured on the evaluated mesh against forced-aligned phones), emotion changes the upper
face but not the lip timing, the artist's data stays byte-for-byte, undo and cancel restore the
scene, and every bad input is refused with a clear message and an untouched scene.
"""
from __future__ import annotations

import functools
import json
import math

import numpy as np
import pytest

from core.arkit import ARKIT_NAMES, UPPER_FACE_SHAPES
from core.phones import BILABIALS, OPEN_VOWELS

from .harness import run_script

CLIP = "en_male_watchingtv.ogg"
TRANSCRIPT = "i was watching tv at home when someone came to the door"
ARKIT_TEST_KEYS = {"jawOpen", "mouthClose", "mouthSmile_L", "MouthSmileRight", "mouthPucker",
                   "mouthFunnel", "browInnerUp", "browDown_L", "browDown_R", "eyeBlink_L",
                   "eye_blink_r", "eyeSquintLeft", "noseSneer_L"}
UPPER_USER_KEYS = {"browInnerUp", "browDown_L", "browDown_R", "eyeBlink_L", "eye_blink_r",
                   "eyeSquintLeft", "noseSneer_L"}


@functools.lru_cache(maxsize=None)
def aligned_phones(path: str):
    """Forced-aligned phones of the clip (PocketSphinx, in this test process)."""
    from core.alignment import align
    from core.audio import load_audio
    clip = load_audio(path)
    return tuple(align(clip.samples, TRANSCRIPT)), clip.duration


def frame_times(frames, strip_start, fps):
    """Audio time (s, into the clip) shown by each scene frame (frame centres)."""
    return (np.asarray(frames, float) - strip_start + 0.5) / fps


def check_lip_timing(aperture_mm, times, segments, fps, *, closed_mm=1.0, open_mm=3.0):
    """Lips sealed at every p/b/m, mouth open on open vowels; returns per-event details."""
    bil = [s for s in segments if s.phone in BILABIALS]
    vow = [s for s in segments if s.phone in OPEN_VOWELS]
    assert len(bil) >= 2 and len(vow) >= 2, f"clip lacks test phones: {segments}"
    closures = []
    for s in bil:
        sel = (times >= s.start - 1.0 / fps) & (times <= s.end)
        assert sel.any(), f"no frame during {s}"
        closures.append(float(aperture_mm[sel].min()))
    openings = []
    for s in vow:
        sel = (times >= s.start) & (times < s.end)
        if sel.any():
            openings.append(float(aperture_mm[sel].max()))
    assert max(closures) <= closed_mm, f"bilabials not sealed: {list(zip(bil, closures))}"
    assert np.median(openings) >= open_mm, f"vowels not open: {list(zip(vow, openings))}"
    lead = [s for s in segments if s.phone == "SIL" and s.start <= 0.0 and s.end >= 0.2]
    if lead:  # the mouth rests during the leading silence
        sel = times < lead[0].end - 0.1
        assert aperture_mm[sel].max() <= closed_mm
    return closures, openings


def run_generate(installed, tmp_path, spec):
    python, profile, _ = installed
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    r = run_script(python, "generate_take.py", tmp_path / "spec.json", tmp_path,
                   user_resources=profile, timeout=600)
    assert "exception" not in r, r.get("exception")
    return r


def common_take_checks(r, *, n_curves, placement):
    fps = r["fps"]
    s0, s1 = r["strip"]
    for tag in ("1", "2"):
        assert r[f"result_{tag}"] == ["FINISHED"]
        take = r[f"take_{tag}"]
        assert take["placement"] == placement
        assert take["interpolation"] == ["LINEAR"]
        assert len(take["curves"]) == n_curves
        # one key per scene frame, from the frame where the sound starts to its last frame
        assert take["frames"] == [float(f) for f in range(s0, s1)]
        info = take["info"]
        assert math.isclose(info["fps"], fps, rel_tol=1e-4) and info["first_frame"] == s0
        assert info["engine"].startswith(("choreography", "learned"))
        assert info["device"] and info["seconds"] > 0 and info["rtf"] > 0
        assert take["fake_user"] and take["action"].startswith("Parley|Voice|")
    assert r["take_1"]["action"].endswith("take 1") and r["take_2"]["action"].endswith("take 2")
    # both takes stay available as actions
    assert {r["take_1"]["action"], r["take_2"]["action"]} <= set(r["actions_after"])
    # the artist's key, actions, parent and modifier are untouched
    assert r["user_after"] == r["user_before"]
    # undo: one step back per Generate
    assert r["after_undo_1"] == r["fingerprint_1"]
    assert r["after_undo_2"] == r["before"]


def test_generate_on_flame_head(installed_with_audio, tmp_path, flame_dir, speech_dir):
    from core.rig import inner_lip_gap, load_ply
    spec = {"head": "flame", "ply": str(flame_dir / "FLAME_sample.ply"),
            "speech": str(speech_dir / CLIP), "fps": 30, "frame_start": 1, "frame_end": 250,
            "strip_frame": 5, "emotion": "neutral", "intensity": 1.0, "emotion2": "surprised",
            "transcript": TRANSCRIPT, "transcript_via": "scene", "render_frames": [30],
            "engine": "BLENDER_WORKBENCH", "size": 256}
    r = run_generate(installed_with_audio, tmp_path, spec)
    common_take_checks(r, n_curves=52, placement="active")
    assert set(r["take_1"]["curves"]) == set(ARKIT_NAMES)
    assert r["take_1"]["slot"] in (None, "KEParley")  # slotted actions get an explicit KEY slot
    # Parley's 52 keys were built once, marked, values 0 and sliders 0..1; user keys kept
    assert r["key_props"]["parley_shapes"] == list(ARKIT_NAMES)
    assert r["keys_1"][:2] == ["Basis", "MyCustomShape"] and r["keys_1"][2:] == list(ARKIT_NAMES)
    assert r["keys_2"] == r["keys_1"]  # reused, not rebuilt
    assert {(lo, hi) for lo, hi, _v in r["parley_key_ranges"]} == {(0.0, 1.0)}

    segments, _dur = aligned_phones(spec["speech"])
    rest, _ = load_ply(spec["ply"])
    s0 = r["strip"][0]
    times = frame_times(r["take_1"]["frames"], s0, r["fps"])
    gaps = []
    for tag in ("1", "2"):
        verts = np.load(tmp_path / f"verts_{tag}.npy")
        gap = inner_lip_gap(verts, rest).max(axis=1)  # mm, widest inner-lip pair per frame
        check_lip_timing(gap, times, segments, r["fps"])
        gaps.append(gap)
    # another emotion: lip timing kept, upper face changed
    assert np.corrcoef(gaps[0], gaps[1])[0, 1] > 0.9
    c1, c2 = r["take_1"]["curves"], r["take_2"]["curves"]
    upper = max(np.abs(np.subtract(c1[n], c2[n])).max() for n in UPPER_FACE_SHAPES)
    assert upper > 0.1, "emotion did not change the upper face"
    # the take's QA figures (core.evaluation on the head's own rig)
    qa = r["take_1"]["info"]["qa"]
    assert qa["bilabial_closure_rate"] >= 0.9 and qa["bilabial_events"] >= 2
    assert qa["silent_rest_rate"] is None or qa["silent_rest_rate"] >= 0.9
    assert abs(qa["av_lag_ms"]) < 100 and 0 <= qa["jitter_hf_ratio_gap"] < 0.1
    # the Take sub-panel shows the take, its engine and QA figures; progress + Cancel while running
    panel = r["take_panel"]
    labels = {e[1]: e[2] for e in panel if e[0] == "label"}
    assert labels[r["take_1"]["action"]] == "ACTION"
    assert "Emotion: neutral @ 1.00" in labels, labels
    # "auto" with a transcript: the built-in learned model (released for transcript takes)
    assert any(t.startswith("Engine: learned model (default) + lip seal") for t in labels), labels
    assert labels["Bilabial closure: 100 %"] == "CHECKMARK"
    # the transcript typed in the panel's Transcript line was used (not recognition)
    assert r["take_1"]["info"]["phones"] == "transcript"
    assert "Phones: aligned to the transcript" in labels
    recognised = {e[1]: e[2] for e in r["take_panel_recognised"] if e[0] == "label"}
    assert recognised.get("Phones: recognised from the audio") == "INFO"
    assert "A transcript seals more P/B/M" in recognised
    assert ["prop", "transcript"] in r["main_panel"] and ["prop", "transcript_text"] in r["main_panel"]
    assert any(t.startswith("A/V lag:") for t in labels) and any(t.startswith("Jitter") for t in labels)
    running = r["take_panel_running"]
    assert ["progress", 0.4000000059604645, "recognising phones"] in running or \
        any(e[0] == "progress" and abs(e[1] - 0.4) < 1e-6 for e in running)
    assert ["operator", "parley.cancel_generation", ""] in running
    # one rendered frame (looked at by hand when the test was written: open mouth on frame 30)
    from matplotlib.image import imread
    img = imread(r["renders"][0])
    assert img.shape[:2] == (256, 256) and img[..., :3].std() > 0.05


def test_generate_on_arkit_keyed_mesh(installed_with_audio, tmp_path, speech_dir):
    spec = {"head": "arkit", "speech": str(speech_dir / CLIP), "fps": 24, "frame_start": 1,
            "frame_end": 250, "strip_frame": 11, "emotion": "neutral", "intensity": 1.0,
            "emotion2": "angry", "transcript": TRANSCRIPT, "transcript_via": "text"}
    r = run_generate(installed_with_audio, tmp_path, spec)
    # the transcript came from the Text datablock picked in the panel, which hides the line
    assert r["take_1"]["info"]["phones"] == "transcript"
    assert ["prop", "transcript_text"] in r["main_panel"]
    assert ["prop", "transcript"] not in r["main_panel"]
    # the artist's own action on the shape keys stays active; the take plays from NLA under it
    common_take_checks(r, n_curves=len(ARKIT_TEST_KEYS), placement="nla")
    assert set(r["take_1"]["curves"]) == ARKIT_TEST_KEYS  # variants matched, user key not driven
    assert r["user_before"]["key_action"] == "ArtistKeyAction"
    assert "parley_shapes" not in r["key_props"]  # nothing was built on this mesh
    assert r["keys_1"] == r["keys_2"] and len(r["keys_1"]) == len(ARKIT_TEST_KEYS) + 2

    segments, _dur = aligned_phones(spec["speech"])
    times = frame_times(r["take_1"]["frames"], r["strip"][0], r["fps"])
    aps = []
    for tag in ("1", "2"):
        v = np.load(tmp_path / f"verts_{tag}.npy")  # [frames, (lower, upper), xyz]
        aperture = (v[:, 1, 2] - v[:, 0, 2]) * 1000.0  # jawOpen lowers, mouthClose raises the lip
        check_lip_timing(aperture, times, segments, r["fps"])
        aps.append(aperture)
    assert np.corrcoef(aps[0], aps[1])[0, 1] > 0.9
    c1, c2 = r["take_1"]["curves"], r["take_2"]["curves"]
    assert max(np.abs(np.subtract(c1[n], c2[n])).max() for n in UPPER_USER_KEYS) > 0.1


RATES = [[24, 1.0], [25, 1.0], [30, 1.001], [30, 1.0], [50, 1.0], [60, 1.0], [24, 1.001]]


def test_scene_frame_rates(installed_with_audio, tmp_path, speech_dir):
    python, profile, _ = installed_with_audio
    spec = {"speech": str(speech_dir / CLIP), "transcript": TRANSCRIPT, "strip_frame": 11,
            "rates": RATES}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    r = run_script(python, "generate_fps.py", tmp_path / "spec.json", user_resources=profile,
                   timeout=900)
    assert "exception" not in r, r.get("exception")
    ref = next(e for e in r["rates"] if e["fps"] == 30 and e["fps_base"] == 1.0)
    ref_t = frame_times(ref["frames"], ref["strip"][0], 30.0)
    for e in r["rates"]:
        fps = e["fps"] / e["fps_base"]
        s0, s1 = e["strip"]
        assert e["result"] == ["FINISHED"] and e["interpolation"] == ["LINEAR"]
        assert e["frames"] == [float(f) for f in range(s0, s1)], fps
        assert math.isclose(e["info_fps"], fps, rel_tol=1e-5)
        # the same performance in seconds at every rate (frame f shows audio time (f-s0+.5)/fps)
        t = frame_times(e["frames"], s0, fps)
        jaw = np.interp(t, ref_t, ref["jawOpen"])
        diff = np.abs(jaw - np.asarray(e["jawOpen"]))
        assert diff.max() < 0.1 and diff.mean() < 0.01, (fps, diff.max(), diff.mean())
    # benchmark (not a timed assertion): 52 shape keys x 1800 frames in one bulk write
    assert r["bench_keys"] == 52 * 1800
    print(f"bpy {r['blender']}: 52 x 1800 keyframes written in {r['bench_seconds'] * 1000:.0f} ms")


EXPECTED_ERRORS = {
    "no_sound_strip": "no sound strips",
    "all_muted": "muted",
    "missing_file": "not found",
    "relative_unsaved": "not saved",
    "wrong_vertex_count": "5023 vertices",
    "not_a_mesh": "not a mesh",
    "linked_object": "linked from",
    "range_too_short": "Extend Scene & Generate",
    "second_generate": "already generating",
}


def test_bad_input_cancel_and_busy(installed_with_audio, tmp_path, speech_dir):
    python, profile, _ = installed_with_audio
    spec = {"speech": str(speech_dir / CLIP), "transcript": TRANSCRIPT}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    r = run_script(python, "generate_errors.py", tmp_path / "spec.json", tmp_path,
                   user_resources=profile, timeout=900)
    assert "exception" not in r, r.get("exception")
    cases = r["cases"]
    for case, text in EXPECTED_ERRORS.items():
        c = cases[case]
        assert "error" in c, f"{case} did not fail: {c}"
        assert text.lower() in c["error"].lower(), (case, c["error"])
        assert c["unchanged"], f"{case} changed the scene"
    if "library_override" in cases:
        c = cases["library_override"]
        assert "override" in c["error"] and c["unchanged"]
    # non-ASCII paths just work
    assert cases["non_ascii_path"]["result"] == ["FINISHED"]
    assert cases["non_ascii_path"]["action"].startswith("Parley|Voice|")
    # the scene range is extended when asked (the panel offers it after the range error)
    assert ["operator", "parley.generate_lipsync", "Extend Scene & Generate"] in r["panel_range_error"]
    assert cases["range_extended"]["result"] == ["FINISHED"]
    assert cases["range_extended"]["frame_end"] == r["strip_end"] - 1
    assert r["active_after_release"] is False
    # errors reach the panel, not only the console
    first_error = next(e for e in r["panel_after_error"] if e[0] == "label" and e[2] == "ERROR")
    assert first_error[1].startswith("Error") is False and "sound" in first_error[1]
    # "keep previous take on NLA": take 2 active, take 1 on a muted "Parley takes" track
    keep = r["nla_keep"]
    assert keep["active"].endswith("sad@1.00|take 2")
    assert [t[:2] for t in keep["tracks"]] == [["Parley takes", True]]
    assert keep["tracks"][0][2] == ["Parley|Voice|neutral@1.00|take 1"]
    # ARKit spellings and VRM presets
    assert r["arkit_names"] == {
        "jawOpen": "jawOpen", "JawOpen": "jawOpen", "jaw_open": "jawOpen",
        "eyeBlink_L": "eyeBlinkLeft", "EyeBlinkLeft": "eyeBlinkLeft", "eyeBlink.R": "eyeBlinkRight",
        "blendShape1.mouthClose": "mouthClose", "ARKit_mouthFunnel": "mouthFunnel",
        "A01_Brow_Inner_Up": "browInnerUp", "jawOpen.001": None, "Smile": None, "aa": None,
        "Fcl_MTH_A": None, "blink_l": None, "Fcl_EYE_Close_R": None, "ou": None}
    vrm_names = {k: v for k, v in r["vrm_names"].items() if v is not None}
    assert vrm_names == {"aa": "aa", "Fcl_MTH_A": "aa", "blink_l": "blinkleft",
                         "Fcl_EYE_Close_R": "blinkright", "ou": "ou"}
    v = r["vrm"]
    assert v["mode"] == "vrm" and v["result"] == ["FINISHED"]
    assert v["curves"] == ["Fcl_EYE_Close_L", "Fcl_EYE_Close_R", "Fcl_MTH_A", "Fcl_MTH_E",
                           "Fcl_MTH_I", "Fcl_MTH_O", "Fcl_MTH_U"]  # Fcl_BRW_Angry not driven
    assert v["aa_max"] > 0.3 and v["aa_min"] < 0.05
    # half a transcript: a take is made and the artist is told that words are missing
    pt = r["partial_transcript"]
    assert pt["result"] == ["FINISHED"]
    assert any("missing words" in w for w in pt["warnings"]), pt["warnings"]
    warned = [e for e in pt["panel"] if e[0] == "label" and e[2] in ("ERROR", "BLANK1")]
    assert "missing words" in " ".join(e[1] for e in warned)       # wrapped over several lines
    assert all(len(e[1]) <= 48 for e in warned)
    # a transcript that cannot be aligned: the take is made from recognised phones, with the reason
    wt = r["wrong_transcript"]
    assert wt["result"] == ["FINISHED"]
    assert any("could not be aligned" in w for w in wt["warnings"]), wt["warnings"]
    assert ["label", "Phones: recognised from the audio", "INFO"] in wt["panel"]
    # the modal path: progress moves on timer ticks, the take is written at the end; Esc and the
    # Cancel button stop it with the scene untouched
    m = r["modal"]
    done = m["done"]
    assert done["result"] == ["FINISHED"] and done["take"] and not done["running_after"]
    fracs = [p for p, _s in done["progress"]]
    assert fracs == sorted(fracs) and fracs[-1] == 1.0 and done["ticks"] > 2
    for how in ("esc", "button"):
        c = m[how]
        assert c["result"] == ["CANCELLED"] and c["unchanged"] and c["take"] is None, (how, c)
        assert not c["running_after"] and not c["active"]
        assert ["INFO", "Parley: generation cancelled, the scene is unchanged"] in c["reports"]
    # cancel: the worker stops at its first check; nothing written either way
    c = cases["cancel"]
    assert c["early"] == {"error": "Cancelled", "result": False}
    assert c["late_done"] and c["unchanged"] and not c["active"]


def test_phone_timings_are_reused_from_the_blend(installed_with_audio, tmp_path, speech_dir):
    """A take keeps its phone timings in the .blend; the next take of the same audio (after a
    reload too) skips recognition and, with the same emotion, reproduces the take exactly. Also:
    a strip turned right down gets a note on the take (the choreography reads level as effort)."""
    python, profile, _ = installed_with_audio
    spec = {"speech": str(speech_dir / CLIP), "transcript": TRANSCRIPT, "strip_frame": 11}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    r = run_script(python, "reuse_phones.py", tmp_path / "spec.json", tmp_path,
                   user_resources=profile, timeout=600)
    assert "exception" not in r, r.get("exception")
    first, reopened, sad = r["first"], r["reopened"], r["sad"]
    assert first["result"] == reopened["result"] == ["FINISHED"]
    assert "phones_reused_from" not in first["info"] and first["stored"]["recognition"] == "words"
    assert len(first["stored"]["segments"]) > 20 and first["stored"]["transcript"] == ""
    assert reopened["info"]["phones_reused_from"].endswith("take 1")
    assert reopened["cache_hits"] >= 1
    labels = [e[1] for e in r["panel_reopened"] if e[0] == "label"]
    assert any(t.startswith("Phone timings reused from 'Parley|") for t in labels), labels
    assert reopened["jaw"] == first["jaw"]                       # same phones, same take
    assert reopened["stored"]["segments"] == first["stored"]["segments"]
    assert sad["info"]["phones_reused_from"].endswith("take 1") and sad["jaw"] != first["jaw"]
    # a transcript is another phone source: aligned once, then reused
    tr, tr2 = r["transcript"], r["transcript_again"]
    assert "phones_reused_from" not in tr["info"] and tr["info"]["phones"] == "transcript"
    assert tr["stored"]["transcript"] and tr["stored"]["recognition"] == ""
    assert tr2["info"]["phones_reused_from"].endswith("take 4")
    # other audio (the strip turned down) is never given another clip's phones
    assert "phones_reused_from" not in r["quieter"]["info"]
    assert r["quieter"]["stored"]["audio"] != first["stored"]["audio"]
    # the strip turned down by 30 dB: a note on the take, none at full volume
    down, full = r["turned_down"], r["full_volume"]
    assert down["result"] == ["FINISHED"] and down["info"]["engine"].startswith("choreography")
    assert any("quiet speech" in w and "raise the strip's volume" in w for w in down["warnings"])
    assert not any("quiet speech" in w for w in full["warnings"])
    assert max(down["jaw"]) < 0.8 * max(full["jaw"])
