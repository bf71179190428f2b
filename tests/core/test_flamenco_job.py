"""flamenco/parley_lipsync.js: compile a job with Node and a stand-in of Flamenco's job-compiler API.

No Flamenco Manager runs here; the stand-ins (author.Task/Command, path, frameChunker) follow
Flamenco 3's documented job-compiler API closely enough to check the tasks this job type makes.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
JOB = REPO / "flamenco" / "parley_lipsync.js"

HARNESS = r"""
const fs = require("fs"), vm = require("vm"), nodePath = require("path");
const tasks = [];
global.print = () => {};
global.formatTimestampLocal = () => "2026-01-01_120000";
global.path = { dirname: nodePath.dirname, basename: nodePath.basename, join: nodePath.join,
                stem: (p) => nodePath.basename(p, nodePath.extname(p)) };
global.frameChunker = (frames, size) => {
  const nums = [];
  for (const part of `${frames}`.split(",")) {
    const [a, b] = part.trim().split("-").map(Number);
    for (let f = a; f <= (b === undefined ? a : b); f++) nums.push(f);
  }
  const out = [];
  for (let i = 0; i < nums.length; i += size) {
    const c = nums.slice(i, i + size);
    out.push(c.length > 1 ? `${c[0]}-${c[c.length - 1]}` : `${c[0]}`);
  }
  return out;
};
global.author = {
  Task: (name, type) => { const t = { name, type, commands: [], deps: [],
      addCommand(c) { this.commands.push(c); }, addDependency(d) { this.deps.push(d.name); } };
    return t; },
  Command: (name, params) => ({ name, params }),
};
vm.runInThisContext(fs.readFileSync(process.argv[2], "utf8"));
const job = { created: 0, settings: JSON.parse(process.argv[3]),
              addTask(t) { tasks.push(t); } };
try {
  compileJob(job);
  console.log(JSON.stringify({ tasks, settings: job.settings, type: JOB_TYPE }));
} catch (e) {
  console.log(JSON.stringify({ error: `${e}` }));
}
"""

SETTINGS = {
    "parley_object": "Head", "parley_emotion": "happy", "parley_intensity": 0.7,
    "parley_strip": "Voice", "parley_transcript": "", "parley_extend_scene": True,
    "parley_script": "/farm/parley/scripts/parley_batch.py", "render_engine": "cycles",
    "frames": "1-25", "chunk_size": 10, "render_output_root": "/render",
    "add_path_components": 0, "render_output_path": "/render/shot/{timestamp}/######",
    "blendfile": "/shots/shot010.flamenco.blend", "format": "PNG",
}


def compile_job(tmp_path, **overrides):
    if shutil.which("node") is None:
        pytest.skip("node is not installed (needed to run the Flamenco job compiler script)")
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS)
    settings = dict(SETTINGS, **overrides)
    out = subprocess.run(["node", str(harness), str(JOB), json.dumps(settings)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_job_type_declares_its_settings(tmp_path):
    r = compile_job(tmp_path)
    keys = {s["key"] for s in r["type"]["settings"]}
    assert {"parley_object", "parley_emotion", "parley_intensity", "parley_script", "frames",
            "chunk_size", "blendfile", "render_output_path"} <= keys
    emotions = next(s for s in r["type"]["settings"] if s["key"] == "parley_emotion")["choices"]
    from core.emotions import EMOTIONS
    assert tuple(emotions) == EMOTIONS


def test_generate_then_chunked_render(tmp_path):
    r = compile_job(tmp_path)
    assert "error" not in r, r
    gen, *renders = r["tasks"]
    assert gen["name"] == "parley-generate" and gen["deps"] == []
    cmd = gen["commands"][0]
    assert cmd["name"] == "blender-render" and cmd["params"]["blendfile"] == SETTINGS["blendfile"]
    args = cmd["params"]["args"]
    assert args[:5] == ["--python-exit-code", "1", "--python", SETTINGS["parley_script"], "--"]
    tail = args[5:]
    assert tail[tail.index("--object") + 1] == "Head"
    assert tail[tail.index("--emotion") + 1] == "happy"
    assert tail[tail.index("--intensity") + 1] == "0.7"
    assert tail[tail.index("--strip") + 1] == "Voice"
    assert "--extend-scene" in tail and tail[tail.index("--set-render-engine") + 1] == "cycles"
    generated = tail[tail.index("--save-as") + 1]
    assert generated == "/render/shot/2026-01-01_120000/shot010-parley.blend"
    # chunks of 10 frames render the generated file, each after the generation
    assert [t["name"] for t in renders] == ["render-1-10", "render-11-20", "render-21-25"]
    for t in renders:
        assert t["deps"] == ["parley-generate"]
        p = t["commands"][0]["params"]
        assert p["blendfile"] == generated
        assert p["args"][p["args"].index("--render-frame") + 1] in ("1..10", "11..20", "21..25")
    assert r["settings"]["render_output_path"] == "/render/shot/2026-01-01_120000/######"


def test_bad_jobs_are_refused(tmp_path):
    assert "image sequences" in compile_job(tmp_path, format="FFMPEG")["error"]
    assert "0..1" in compile_job(tmp_path, parley_intensity=1.5)["error"]
    r = compile_job(tmp_path, parley_strip="", render_engine="keep")
    args = r["tasks"][0]["commands"][0]["params"]["args"]
    assert "--strip" not in args and "--set-render-engine" not in args
