"""Takes on every supported Blender incl. 4.2 (legacy actions; no audio needed)."""
from __future__ import annotations

from .harness import run_script


def test_takes_on_all_versions(installed_any):
    python, profile, _ = installed_any
    r = run_script(python, "takes_only.py", user_resources=profile)
    assert "exception" not in r, r.get("exception")
    t1, t2 = r["written"]
    assert t1[:3] == ["Parley|Voice|neutral@1.00|take 1", "active", 13] and t1[3] == [5.0, 44.0]
    assert t2[:2] == ["Parley|Voice|sad@0.50|take 2", "active"]
    assert r["active"] == t2[0]
    assert r["tracks"] == [["Parley takes", True, [t1[0]]]]
    # the active take animates the keys (legacy id_root=KEY or an explicit slot)
    assert r["values"] == [[0.0, 0.5], [round(19 / 39, 4), 0.5], [1.0, 0.5]]
    # the artist's action stays active and untouched; the take plays from the "Parley" track
    assert r["artist"] == ["ArtistKeyAction", "nla", "ArtistKeyAction"]
    assert ["Parley", False, ["Parley|Voice|happy@1.00|take 3"]] in r["tracks_after"]
    assert r["jaw_via_nla"] == 1.0
    assert r["takes"] == [t1[0], t2[0], "Parley|Voice|happy@1.00|take 3"]
