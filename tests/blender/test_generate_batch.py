"""Headless batch: scripts/parley_batch.py in real bpy (4.5, 5.0): exit codes, logs, determinism,
saving, rendering and the ``parley`` extension command."""
from __future__ import annotations

import json
import os
import subprocess

import numpy as np

from .harness import REPO, SCRIPTS, run_script

CLIP = "en_male_watchingtv.ogg"
BATCH = str(REPO / "scripts" / "parley_batch.py")


def batch(installed, cwd, *args, timeout=600):
    python, profile, _ = installed
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(profile), PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    return subprocess.run([str(python), str(SCRIPTS / "batch_shot.py"), "run", *map(str, args)],
                          env=env, capture_output=True, text=True, timeout=timeout, cwd=str(cwd))


def test_batch_script(installed_with_audio, tmp_path, speech_dir):
    python, profile, _ = installed_with_audio
    shot = tmp_path / "shot.blend"
    r = run_script(python, "batch_shot.py", "make", shot, speech_dir / CLIP, user_resources=profile)
    assert "exception" not in r, r.get("exception")

    outs = []
    for name in ("a", "b"):
        p = batch(installed_with_audio, tmp_path, shot, BATCH, "--object", "Head", "--emotion", "happy",
                  "--intensity", "0.7", "--strip", "Voice", "--save-as", tmp_path / f"{name}.blend",
                  "--report", tmp_path / f"{name}.json")
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
        outs.append(p.stdout)
    log = outs[0]
    assert "parley_batch: Blender " in log and "Parley 0.1.0" in log
    # "auto" = the built-in learned model (released by its release.json)
    assert "engine: learned model (default) + lip seal" in log
    assert "phones: recognised (words)" in log  # no transcript in the shot or the arguments
    report = json.loads((tmp_path / "a.json").read_text())
    assert report["emotion"] == "happy" and report["intensity"] == 0.7
    assert report["object"] == "Head" and report["versions"]["parley"] == "0.1.0"
    assert report["phones"] == "recognised (words)"
    # the take's notes travel with the report; a clean real recording is not called noisy
    assert not any("noisy" in w for w in report["warnings"]), report["warnings"]
    # deterministic: two runs give identical keyframes
    dumps = [run_script(python, "batch_shot.py", "dump", tmp_path / f"{n}.blend",
                        user_resources=profile) for n in ("a", "b")]
    assert "exception" not in dumps[0], dumps[0].get("exception")
    assert dumps[0] == dumps[1]
    assert dumps[0]["frames"][0] == 3.0 and dumps[0]["emotion"] == "happy"

    # a blend of two emotions: stored in the scene's settings, labelled on the take
    p = batch(installed_with_audio, tmp_path, shot, BATCH, "--object", "Head", "--emotion",
              "happy:0.6,surprised:0.4", "--strip", "Voice", "--save-as", tmp_path / "m.blend",
              "--report", tmp_path / "m.json")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    report = json.loads((tmp_path / "m.json").read_text())
    assert report["emotion"] == "happy 60% + surprised 40%"
    assert report["emotion_mix"] == {"happy": 0.6, "surprised": 0.4}
    d = run_script(python, "batch_shot.py", "dump", tmp_path / "m.blend", user_resources=profile)
    assert "|happy60+surprised40@1.00|" in d["action"]
    assert d["settings_emotion"] == ["happy", "surprised", 0.4]
    assert d["curves"] != dumps[0]["curves"]
    p = batch(installed_with_audio, tmp_path, shot, BATCH, "--object", "Head", "--emotion",
              "happy:0.5,joy:0.5")
    assert p.returncode == 2 and "unknown emotion 'joy'" in p.stderr + p.stdout

    # Intensity keyframed in the shot (0 -> 1 over the take): followed unless --intensity is given
    r = run_script(python, "batch_shot.py", "key_intensity", shot, tmp_path / "k.blend",
                   "3:0,10:0,60:1", user_resources=profile)
    assert "exception" not in r, r.get("exception")
    runs = (("ka", []), ("kc", ["--intensity", "1"]), ("kn", ["--intensity", "0"]))
    for name, extra in runs:
        p = batch(installed_with_audio, tmp_path, tmp_path / "k.blend", BATCH, "--object", "Head",
                  "--emotion", "surprised", "--strip", "Voice", *extra,
                  "--save-as", tmp_path / f"{name}.blend")
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    ka, kc, kn = (run_script(python, "batch_shot.py", "upper_face", tmp_path / f"{n}.blend",
                             user_resources=profile) for n, _ in runs)
    assert "|surprised@anim|" in ka["action"] and ka["info"]["intensity_range"] == [0.0, 1.0]
    assert "|surprised@1.00|" in kc["action"] and "intensity_range" not in kc["info"]
    a, c, n = (np.array(k["values"]) for k in (ka, kc, kn))      # [shapes, frames from frame 3]
    assert a.shape == c.shape == n.shape and a.shape[1] > 60
    # the surprise grows in with the keys: neutral on frames 3-10 (keys 0), full from 60 (key 1)
    np.testing.assert_allclose(a[:, :6], n[:, :6], atol=1e-4)
    np.testing.assert_allclose(a[:, 59:], c[:, 59:], atol=1e-4)
    assert np.abs(c - n).max() > 0.05                             # surprise shows on the face
    mid = np.abs(a[:, 20:40] - n[:, 20:40]).max(), np.abs(a[:, 20:40] - c[:, 20:40]).max()
    assert min(mid) > 1e-3, "half-way through the ramp the face is neither neutral nor full"

    # failures: non-zero exit with a clear message
    p = batch(installed_with_audio, tmp_path, shot, BATCH, "--object", "Nobody")
    assert p.returncode == 1 and "no object named 'Nobody'" in p.stdout
    p = batch(installed_with_audio, tmp_path, shot, BATCH, "--object", "Head", "--strip", "Missing")
    assert p.returncode == 1 and "Missing" in p.stdout
    p = batch(installed_with_audio, tmp_path, shot, BATCH, "--object", "Head", "--intensity", "3")
    assert p.returncode == 2 and "intensity" in p.stdout
    p = batch(installed_with_audio, tmp_path, shot, BATCH, "--emotion", "happy")  # --object missing
    assert p.returncode == 2

    # an audio file instead of a strip, a shorter scene extended, two frames rendered
    p = batch(installed_with_audio, tmp_path, shot, BATCH, "--object", "Head", "--audio",
              speech_dir / CLIP, "--render", tmp_path / "frames", "--frames", "20-21",
              "--save-as", tmp_path / "c.blend")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    pngs = sorted(f.name for f in (tmp_path / "frames").glob("*.png"))
    assert pngs == ["0020.png", "0021.png"] and "rendered with" in p.stdout
    d = run_script(python, "batch_shot.py", "dump", tmp_path / "c.blend", user_resources=profile)
    assert d["frames"][0] == 1.0 and d["frame_end"] == 120  # file audio starts at frame_start


def test_extension_command(installed_with_audio, tmp_path, speech_dir):
    python, profile, _ = installed_with_audio
    shot = tmp_path / "shot.blend"
    r = run_script(python, "batch_shot.py", "make", shot, speech_dir / CLIP, user_resources=profile)
    assert "exception" not in r, r.get("exception")
    r = run_script(python, "batch_shot.py", "command", shot, "--object", "Head", "--emotion",
                   "sad", "--save", user_resources=profile)
    assert "exception" not in r, r.get("exception")
    assert r == {"registered": True, "code": 0}
    d = run_script(python, "batch_shot.py", "dump", shot, user_resources=profile)
    assert d["emotion"] == "sad"


def test_batch_installs_from_addon_path(installed_with_audio, extension_zip, tmp_path, speech_dir):
    """In a profile without Parley the script says so (exit 2); --addon-path ZIP installs it."""
    python, profile, _ = installed_with_audio
    shot = tmp_path / "shot.blend"
    r = run_script(python, "batch_shot.py", "make", shot, speech_dir / CLIP, user_resources=profile)
    assert "exception" not in r, r.get("exception")
    bare = tmp_path / "bare_profile"
    bare.mkdir()
    bare_install = (python, bare, {})
    p = batch(bare_install, tmp_path, shot, BATCH, "--object", "Head")
    assert p.returncode == 2 and "not enabled" in p.stdout
    p = batch(bare_install, tmp_path, shot, BATCH, "--addon-path", extension_zip, "--object",
              "Head", "--emotion", "sad", "--save")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    d = run_script(python, "batch_shot.py", "dump", shot, user_resources=profile)
    assert d["emotion"] == "sad"
