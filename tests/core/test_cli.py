"""core.cli: subcommand registry, audio-info, demo, and the user-error contract (exit 2, no traceback)."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from core import cli


def run(argv, capsys):
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_registry_lists_my_subcommands():
    parser, broken = cli.build_parser()
    assert not any(b.startswith(("core.audio:", "core.demo:")) for b in broken), broken
    assert {"audio-info", "demo"} <= cli._known(parser)


def test_audio_info_text_and_json(tmp_path, capsys):
    p = tmp_path / "st.wav"
    t = np.arange(22050) / 22050
    sf.write(p, np.stack([0.3 * np.sin(2 * np.pi * 200 * t)] * 2, 1), 22050, subtype="PCM_24")
    code, out, err = run(["audio-info", str(p)], capsys)
    assert code == 0 and err == ""
    assert "WAV/PCM_24, 22050 Hz, 2 ch" in out and "1.000 s" in out and "LUFS" in out
    code, out, _ = run(["audio-info", "--json", str(p)], capsys)
    d = json.loads(out)
    assert code == 0 and d["source_channels"] == 2 and d["source_rate"] == 22050 and d["duration"] == 1.0


def test_audio_info_reports_errors_and_continues(tmp_path, capsys):
    good = tmp_path / "g.flac"
    sf.write(good, np.zeros(8000, np.float32), 16000, format="FLAC")  # silent: a warning, not an error
    code, out, err = run(["audio-info", "--json", str(tmp_path / "missing.wav"), str(good)], capsys)
    assert code == 2
    lines = [json.loads(x) for x in out.splitlines()]
    assert lines[0]["kind"] == "AudioFileNotFound" and lines[1]["silent"] is True
    assert "does not exist" in err and "Traceback" not in err
    assert any("silent" in w for w in lines[1]["warnings"])


def test_demo_writes_png(tmp_path, capsys):
    code, out, err = run(["demo", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    png = tmp_path / "demo_audio.png"
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "demo_en.flac" in out and "speech" in out
    # the main job also generates a take with the default engine and writes it
    import numpy as np

    from core.arkit import ARKIT_NAMES
    from core.model.export import read_curves
    weights, fps = read_curves(tmp_path / "take.npz")
    assert fps == 30.0 and weights.shape == (150, len(ARKIT_NAMES))  # 5.0 s demo clip
    jaw = weights[:, ARKIT_NAMES.index("jawOpen")]
    assert jaw.max() > 0.2 and jaw[:3].max() < 0.1  # speaks, starts at rest
    assert (tmp_path / "take.png").is_file() and "take " in out


def test_demo_with_head_reports_qa_and_renders_frames(tmp_path, capsys, flame_dir):
    code, out, err = run(["demo", "--out", str(tmp_path), "--head",
                          str(flame_dir / "FLAME_sample.ply"), "--emotion", "sad"], capsys)
    assert code == 0, err
    assert "QA bilabial_closure_rate" in out
    assert (tmp_path / "take_frames.png").read_bytes()[:4] == b"\x89PNG"


def test_demo_bad_audio_is_user_error(tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF1234WAVEjunk" * 4)
    code, _, err = run(["demo", "--audio", str(bad), "--out", str(tmp_path)], capsys)
    assert code == 2 and "parley demo: error:" in err and "could not decode" in err


def test_no_subcommand_prints_help(capsys):
    code, _, err = run([], capsys)
    assert code == 2 and "audio-info" in err


def test_python_dash_m_core_exit_code(repo_root, tmp_path):
    r = subprocess.run([sys.executable, "-m", "core", "audio-info", str(tmp_path / "nope.ogg")],
                       cwd=repo_root, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.startswith("parley audio-info: error: audio file") and "Traceback" not in r.stderr


def test_broken_module_does_not_hide_others(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("audio", "no_such_feature"))
    code, _, err = run(["audio-info", str(tmp_path / "x.wav")], capsys)
    assert code == 2 and "does not exist" in err
    with pytest.raises(SystemExit):
        cli.main(["-h"])
    err = capsys.readouterr().err
    assert "core.no_such_feature" in err and "unavailable" in err


def test_debug_flag_shows_traceback(tmp_path):
    with pytest.raises(FileNotFoundError):
        cli.main(["--debug", "demo", "--audio", str(tmp_path / "x.wav"), "--out", str(tmp_path)])
