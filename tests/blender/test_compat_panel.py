"""compat.py gives the same results on bpy 4.2, 4.5 and 5.0; the panel draws every mode without errors."""
from __future__ import annotations

from .harness import run_script


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split()[0].split(".")[:2]
    return int(major), int(minor)


def test_compat_and_panel(installed_any, tmp_path):
    python, profile, _rep = installed_any
    r = run_script(python, "compat_and_panel.py", tmp_path, user_resources=profile)
    assert "exception" not in r, r["exception"]
    assert r["compat_value"] == 0.0
    v = _version(r["blender"])
    # the 5.0 change compat.add_shape_key exists for
    assert r["raw_default_value"] == (1.0 if v >= (5, 0) else 0.0)
    assert r["slotted"] is (v >= (4, 4))  # slotted actions since 4.4
    assert abs(r["animated_value"] - 0.5) < 1e-6  # frame 6 between keys (1, 0) and (11, 1)
    assert r["same_fcurve"]
    expected_eevee = "BLENDER_EEVEE" if v >= (5, 0) else "BLENDER_EEVEE_NEXT"
    assert r["eevee"] == expected_eevee and r["engine_set"] == expected_eevee
    assert r["strips_attr"] == ("strips" if v >= (4, 4) else "sequences")
    assert r["sound_strips"] == (["Voice"] if r["has_audio"] else [])
    props = {mode: [e[1] for e in log if e[0] == "prop"] for mode, log in r["drawn"].items()}
    tail = ["transcript", "transcript_text", "emotion", "emotion_blend", "intensity", "lip_seal"]
    assert props["AUTO"] == ["target", "audio_source", *tail]
    assert props["STRIP"] == ["target", "audio_source", "strip_name", *tail]
    assert props["FILE"] == ["target", "audio_source", "audio_file", *tail]
    assert props["BLEND"] == ["target", "audio_source", "transcript", "transcript_text", "emotion",
                              "emotion_blend", "emotion_blend_share", "intensity", "lip_seal"]
    assert r["blend_spec"] == {"happy": 0.75, "surprised": 0.25}
    assert r["blend_all_second"] == "surprised" and r["blend_none"] == "happy"
    assert r["intensity_plain"] == 1.0
    assert r["intensity_keyed"][0] == 0.0 and r["intensity_keyed"][4:] == [1.0, 1.0]
    assert 0.0 < r["intensity_keyed"][2] < 1.0
    keyed = [e[1] for e in r["drawn"]["KEYED"] if e[0] == "label"]
    assert "Keyframed: the take follows it" in keyed
    assert "Keyframed: the take follows it" not in [e[1] for e in r["drawn"]["AUTO"] if e[0] == "label"]
    ops = [e[1] for e in r["drawn"]["AUTO"] if e[0] == "operator"]
    assert "parley.check_audio" in ops
    labels = " ".join(e[1] for e in r["drawn"]["AUTO"] if e[0] == "label")
    n = 1 if r["has_audio"] else 0
    assert f"{n} sound strip{'' if n == 1 else 's'} in the scene" in labels
    if "parley.generate_lipsync" not in ops:  # until Generate is registered the panel says why
        assert "not installed yet" in labels
