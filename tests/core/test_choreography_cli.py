"""``python -m core choreograph``: phones JSON -> take file, clear errors."""
from __future__ import annotations

import json

import numpy as np

from core.cli import main

PHONES = {"segments": [["SIL", 0, 0.2], ["B", 0.2, 0.28], ["AA1", 0.28, 0.45], ["B", 0.45, 0.52],
                       ["SIL", 0.52, 0.9]]}


def test_choreograph_writes_npz_and_json(tmp_path):
    ph = tmp_path / "p.json"
    ph.write_text(json.dumps(PHONES))
    out = tmp_path / "take.npz"
    assert main(["choreograph", "--phones", str(ph), "--out", str(out), "--fps", "24",
                 "--emotion", "happy:0.6,surprised:0.4"]) == 0
    with np.load(out) as z:
        assert z["weights"].shape == (round(0.9 * 24), 52) and float(z["fps"]) == 24.0
        assert str(z["names"][17]) == "jawOpen"
    js = tmp_path / "take.json"
    assert main(["choreograph", "--phones", str(ph), "--out", str(js), "--emotion", "sad"]) == 0
    data = json.loads(js.read_text())
    assert len(data["weights"]) == 27 and len(data["names"]) == 52


def test_choreograph_reports_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"segments": [["XX", 0, 0.2]]}))
    assert main(["choreograph", "--phones", str(bad), "--out", str(tmp_path / "t.npz")]) == 2
    assert "unknown phone symbol 'XX'" in capsys.readouterr().err
    ph = tmp_path / "p.json"
    ph.write_text(json.dumps(PHONES))
    assert main(["choreograph", "--phones", str(ph), "--out", str(tmp_path / "t.npz"),
                 "--emotion", "happy:lots"]) == 2
    assert "bad emotion blend" in capsys.readouterr().err
