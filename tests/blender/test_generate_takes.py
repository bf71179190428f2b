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
    # the Take panel lists the three takes, newest first; the playing one is marked
    drawn = r["panel"]
    assert ["label", "Takes on Key (3)"] in [e[:2] for e in drawn]
    buttons = [e[2] for e in drawn if e[0] == "operator" and e[1] == "parley.use_take"]
    assert buttons == ["Voice|sad@0.50|take 2", "Voice|neutral@1.00|take 1"]
    assert any(e[0] == "label" and e[1] == "Voice|happy@1.00|take 3 (playing)" for e in drawn)
    # use take 2 while the artist's action is active: it replaces take 3 on the "Parley" track,
    # the artist's action stays active with its keys untouched
    assert r["use_t2"] == ["FINISHED"]
    active, playing, brow, tracks = r["after_use_t2"]
    assert active == "ArtistKeyAction" and playing == t2[0] and brow == 0.5
    assert tracks == [["Parley", [t2[0]]]]
    assert r["artist_unchanged"]
    # with no action of the artist's, the earlier take becomes the active action again
    assert r["use_t1"] == "active" and r["after_use_t1"] == [t1[0], 0.0]
    assert "no Parley take named 'ArtistKeyAction'" in r["use_foreign"]