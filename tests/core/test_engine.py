"""core.engine: input checks, frame-rate resampling, engine choice, progress and cancellation."""
from __future__ import annotations

import numpy as np
import pytest

from core import engine as E
from core.arkit import INDEX, NUM_SHAPES
from core.phones import PhoneSegment


def tone(seconds=1.0, rate=16000, amp=0.3):
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


class RampEngine:
    """A deterministic stand-in engine: jawOpen ramps 0->1 over the clip (tests the wiring only)."""
    name = "ramp"
    label = "ramp (test)"

    def __init__(self):
        self.calls = []

    def motion30(self, samples, *, duration, emotion, intensity, transcript, loudness, seed, step):
        self.calls.append(dict(duration=duration, emotion=emotion, intensity=intensity,
                               transcript=transcript, loudness=loudness, seed=seed))
        step(0.5, "ramping")
        n = E.num_scene_frames(duration, E.MODEL_FPS)
        w = np.zeros((n, NUM_SHAPES), np.float32)
        w[:, INDEX["jawOpen"]] = np.linspace(0, 1, n)
        w[:, INDEX["browInnerUp"]] = 1.7  # out of range on purpose: must be clipped
        return w, []


# ------------------------------------------------------------------------------ resampling
def test_resample_identity_at_model_rate():
    w = np.random.default_rng(0).random((45, NUM_SHAPES), dtype=np.float32)
    np.testing.assert_array_equal(E.resample_motion(w, 30, 30), w)


@pytest.mark.parametrize("fps", [24, 25, 30000 / 1001, 30, 50, 60, 24000 / 1001])
def test_resample_follows_frame_centres(fps):
    # a linear ramp in time stays the same linear function of time at any scene rate
    dur = 3.0
    n30 = E.num_scene_frames(dur, 30)
    t30 = (np.arange(n30) + 0.5) / 30
    w = np.repeat(t30[:, None], 2, axis=1).astype(np.float32)
    out = E.resample_motion(w, 30, fps, E.num_scene_frames(dur, fps))
    assert out.shape == (round(dur * fps), 2)
    t = (np.arange(out.shape[0]) + 0.5) / fps
    inside = (t >= t30[0]) & (t <= t30[-1])
    np.testing.assert_allclose(out[inside, 0], t[inside], atol=1e-5)
    # outside the source range the edge value is held
    assert np.all(out[~inside, 0] >= t30[0] - 1e-6) and np.all(out[~inside, 0] <= t30[-1] + 1e-6)


def test_resample_60_puts_source_frames_between_pairs():
    w = np.array([[0.0], [1.0], [0.0]], np.float32)
    out = E.resample_motion(w, 30, 60, 6)[:, 0]
    # 60 fps centres at 0.25, 0.75, 1.25 ... source frames (clamped at the edges)
    np.testing.assert_allclose(out, [0.0, 0.25, 0.75, 0.75, 0.25, 0.0], atol=1e-6)


def test_resample_rejects_bad_input():
    with pytest.raises(ValueError, match="frames, channels"):
        E.resample_motion(np.zeros(10), 30, 24)
    with pytest.raises(ValueError, match="frame rate"):
        E.resample_motion(np.zeros((3, 2)), 30, 0)


# ---------------------------------------------------------------------------- input checks
@pytest.mark.parametrize("bad, msg", [
    (np.zeros(800, np.float32), "at least"),
    (np.zeros(16000, np.float32), "silent"),
    (np.zeros((16000, 2), np.float32), "mono"),
    (np.ones(16000, np.int16), "floats"),
    (np.full(16000, np.nan, np.float32), "NaN"),
])
def test_bad_audio_is_refused_with_a_reason(bad, msg):
    with pytest.raises(ValueError, match=msg):
        E.generate_take(bad, fps=24, engine=RampEngine())


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="intensity"):
        E.generate_take(tone(), fps=24, intensity=1.5, engine=RampEngine())
    with pytest.raises(ValueError, match="emotion"):
        E.generate_take(tone(), fps=24, emotion="bored", engine=RampEngine())
    with pytest.raises(ValueError, match="frame rate"):
        E.generate_take(tone(), fps=-1, engine=RampEngine())
    with pytest.raises(ValueError, match="engine"):
        E.select_engine("magic")


def test_audio_clip_objects_are_accepted_and_rate_checked():
    class Clip:
        def __init__(self, rate):
            self.samples, self.sample_rate = tone(), rate
    take = E.generate_take(Clip(16000), fps=30, engine=RampEngine())
    assert take.num_frames == 30
    with pytest.raises(ValueError, match="16000 Hz"):
        E.generate_take(Clip(44100), fps=30, engine=RampEngine())


# ----------------------------------------------------------------------------- the pipeline
def test_take_at_scene_rate_with_metadata():
    eng = RampEngine()
    seen = []
    take = E.generate_take(tone(2.0), fps=24, emotion="Happy", intensity=0.7, engine=eng,
                           progress=lambda f, m: seen.append((f, m)), start_offset=1.5)
    assert take.weights.shape == (48, NUM_SHAPES) and take.weights.dtype == np.float32
    assert take.fps == 24 and take.start_offset == 1.5
    assert take.emotion == "happy" and take.intensity == pytest.approx(0.7)
    assert take.engine == "ramp" and "ramp" in take.summary()
    assert take.weights.max() <= 1.0 and take.weights.min() >= 0.0  # clipped
    jaw = take.weights[:, INDEX["jawOpen"]]
    assert np.all(np.diff(jaw) >= 0) and jaw[0] < 0.05 and jaw[-1] > 0.95
    assert set(take.timings) >= {"audio", "engine", "qa", "total"}
    fracs = [f for f, _ in seen]
    assert fracs == sorted(fracs) and fracs[0] == 0.0 and fracs[-1] == 1.0
    assert len(eng.calls[0]["loudness"]) == 60  # one loudness value per 30 fps frame
    assert take.versions["engine"] == "ramp (test)"
    # how the phones were found is recorded with the take (the Take panel shows it)
    assert take.phone_source == "recognised (words)" and "phones recognised" in take.summary()
    assert E.generate_take(tone(1.0), fps=24, engine=eng,
                           transcript=" hello ").phone_source == "transcript"
    assert E.generate_take(tone(1.0), fps=24, engine=eng, transcript="  ",
                           recognition="words_fast").phone_source == "recognised (words_fast)"


def test_a_blend_of_emotions_reaches_the_engine_and_is_recorded():
    eng = RampEngine()
    take = E.generate_take(tone(1.0), fps=24, emotion="surprised:1,happy:3", intensity=0.8,
                           engine=eng)
    assert eng.calls[-1]["emotion"] == {"happy": 0.75, "surprised": 0.25}
    assert take.emotion_mix == {"happy": 0.75, "surprised": 0.25}
    assert take.emotion == "happy 75% + surprised 25%" and "happy 75% + surprised 25%@0.80" in take.summary()
    one = E.generate_take(tone(1.0), fps=24, emotion={"sad": 1.0, "angry": 0.0}, engine=eng)
    assert eng.calls[-1]["emotion"] == "sad" and one.emotion == one.emotion_mix == "sad"
    with pytest.raises(ValueError, match="unknown emotion 'joy'"):
        E.generate_take(tone(1.0), fps=24, emotion="happy:0.5,joy:0.5", engine=eng)


def test_learned_blend_and_intensity_move_the_face_in_proportion(monkeypatch):
    """The built-in model: a 25 % blend / intensity 0.25 puts the upper face a quarter of the
    way (measured on the curves, not assumed), the lips sealed on the same P/B/M throughout."""
    from core.arkit import ARKIT_NAMES
    if E.find_checkpoint() is None:
        pytest.skip("no built-in checkpoint in this checkout")
    segs = [PhoneSegment("SIL", 0.0, 0.3), PhoneSegment("M", 0.3, 0.42),
            PhoneSegment("AA", 0.42, 0.8), PhoneSegment("B", 0.8, 0.9),
            PhoneSegment("IY", 0.9, 1.3), PhoneSegment("SIL", 1.3, 1.6)]
    monkeypatch.setattr(E.ChoreographyEngine, "phones",
                        lambda self, x, t, progress=None: list(segs))
    x = tone(1.6)
    upper = [i for i, n in enumerate(ARKIT_NAMES) if n.startswith(("brow", "eye", "cheek"))]

    def w(emotion, intensity=1.0):
        return E.generate_take(x, fps=30, emotion=emotion, intensity=intensity,
                               engine="learned").weights30

    def t(m, a, b):
        v = (b - a)[:, upper].ravel()
        return float(((m - a)[:, upper].ravel() @ v) / (v @ v))
    happy, angry, neutral = w("happy"), w("angry"), w("neutral")
    assert t(w("happy:0.75,angry:0.25"), happy, angry) == pytest.approx(0.25, abs=0.05)
    assert t(w("angry", 0.25), neutral, angry) == pytest.approx(0.25, abs=0.05)
    assert t(w("angry", 0.9), neutral, angry) == pytest.approx(0.9, abs=0.05)
    close, jaw = ARKIT_NAMES.index("mouthClose"), ARKIT_NAMES.index("jawOpen")
    for m in (w("happy:0.5,angry:0.5"), w("angry", 0.25)):
        # the seal still meets the lips (mouthClose = jawOpen) on the M at 0.3-0.42 s
        np.testing.assert_allclose(m[10:12, close], m[10:12, jaw], atol=1e-5)
        assert m[10:12, jaw].max() > 0.0


def test_level_weights_interpolate_between_the_levels_around_each_value():
    curve = np.array([0.0, 0.1, 0.5, 0.7, 1.0, 0.25])
    w = E.level_weights(curve, (0.5, 1.0))
    assert list(w) == [0.0, 0.5, 1.0]
    total = sum(w.values())
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    np.testing.assert_allclose(sum(lv * x for lv, x in w.items()), curve, atol=1e-6)
    np.testing.assert_allclose(w[0.5][[1, 3]], [0.2, 0.6], atol=1e-6)    # only its neighbours
    assert w[1.0][1] == 0.0 and w[0.0][3] == 0.0
    assert list(E.level_weights(np.full(4, 0.5), (0.5, 1.0))) == [0.5]   # levels in use only


def test_an_animated_intensity_mixes_runs_at_the_levels_frame_by_frame():
    """Intensity keyed over the take: one engine run per level the curve passes, mixed per
    frame; a flat curve is a plain intensity; bad curves are refused with the reason."""
    class LevelEngine(RampEngine):
        intensity_levels = (0.0, 0.5, 1.0)

        def motion30(self, samples, **kw):
            w, segs = super().motion30(samples, **kw)
            w[:, INDEX["mouthSmileLeft"]] = kw["intensity"] ** 2     # not linear: shows mixing
            return w, segs
    eng = LevelEngine()
    n = E.num_scene_frames(1.0, 30)
    curve = np.linspace(0.0, 1.0, n)
    take = E.generate_take(tone(1.0), fps=30, emotion="happy", intensity=curve, engine=eng)
    assert sorted(c["intensity"] for c in eng.calls) == [0.0, 0.5, 1.0]
    smile = take.weights[:, INDEX["mouthSmileLeft"]]
    expect = np.where(curve <= 0.5, curve / 0.5 * 0.25, 0.25 + (curve - 0.5) / 0.5 * 0.75)
    np.testing.assert_allclose(smile, expect, atol=1e-5)
    np.testing.assert_allclose(take.weights[:, INDEX["jawOpen"]], np.linspace(0, 1, n), atol=1e-5)
    assert take.intensity == 1.0 and np.allclose(take.intensity_curve, curve)
    assert "happy@0.00-1.00 (keyed)" in take.summary()
    # at another scene rate the curve is given per scene frame and resampled to the model's 30
    t24 = E.generate_take(tone(1.0), fps=24, intensity=np.linspace(0, 1, 24), engine=eng,
                          emotion="happy")
    assert t24.weights.shape[0] == 24 and np.all(np.diff(t24.weights[:, INDEX["mouthSmileLeft"]]) >= 0)
    eng.calls.clear()
    flat = E.generate_take(tone(1.0), fps=30, intensity=np.full(n, 0.3), engine=eng)
    assert [c["intensity"] for c in eng.calls] == [pytest.approx(0.3)] and flat.intensity_curve is None
    with pytest.raises(ValueError, match="one value per frame of the take"):
        E.generate_take(tone(1.0), fps=30, intensity=np.zeros(n - 1), engine=eng)
    with pytest.raises(ValueError, match="within 0..1 on every frame"):
        E.generate_take(tone(1.0), fps=30, intensity=np.linspace(0, 1.5, n), engine=eng)


def test_learned_animated_intensity_equals_the_fixed_one_where_they_meet(monkeypatch):
    """The built-in model: frames of an animated Intensity show exactly the take at that fixed
    intensity (both mix the model's trained levels over the same phones)."""
    if E.find_checkpoint() is None:
        pytest.skip("no built-in checkpoint in this checkout")
    segs = [PhoneSegment("SIL", 0.0, 0.3), PhoneSegment("M", 0.3, 0.42),
            PhoneSegment("AA", 0.42, 0.8), PhoneSegment("SIL", 0.8, 1.2)]
    monkeypatch.setattr(E.ChoreographyEngine, "phones",
                        lambda self, x, t, progress=None: list(segs))
    x = tone(1.2)
    n = E.num_scene_frames(1.2, 30)
    curve = np.where(np.arange(n) < n // 2, 0.2, 0.8)
    anim = E.generate_take(x, fps=30, emotion="surprised", intensity=curve, engine="learned")
    for value in (0.2, 0.8):
        fixed = E.generate_take(x, fps=30, emotion="surprised", intensity=value, engine="learned")
        rows = curve == value
        np.testing.assert_allclose(anim.weights[rows], fixed.weights[rows], atol=1e-5)


def test_cancel_stops_before_anything_is_returned():
    eng = RampEngine()
    with pytest.raises(E.Cancelled):
        E.generate_take(tone(), fps=30, engine=eng, should_cancel=lambda: True)
    assert eng.calls == []  # stopped before the engine ran

    state = {"n": 0}

    def cancel_after_engine_started():
        state["n"] += 1
        return state["n"] > 2

    with pytest.raises(E.Cancelled):
        E.generate_take(tone(), fps=30, engine=eng, should_cancel=cancel_after_engine_started)


def test_engine_output_is_validated():
    class Broken(RampEngine):
        def motion30(self, samples, **kw):
            return np.zeros((10, 3), np.float32), []
    with pytest.raises(E.EngineError, match="shape"):
        E.generate_take(tone(), fps=30, engine=Broken())


# ------------------------------------------------------------------------------- engine choice
def test_choreography_is_picked_without_a_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr(E, "DEFAULT_MODEL_DIR", tmp_path / "nothing")
    eng = E.select_engine()
    assert eng.name == E.ENGINE_CHOREOGRAPHY and "no learned model installed" in eng.label
    with pytest.raises(E.EngineError, match="no learned model"):
        E.select_engine(E.ENGINE_LEARNED)
    assert E.select_engine(E.ENGINE_CHOREOGRAPHY).name == E.ENGINE_CHOREOGRAPHY


def test_learned_engine_is_picked_when_a_checkpoint_exists(tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text("{}")
    monkeypatch.setattr(E, "DEFAULT_MODEL_DIR", tmp_path)
    eng = E.select_engine()
    assert eng.name == E.ENGINE_LEARNED and eng.checkpoint == tmp_path


def test_built_in_checkpoint_held_back_by_release_file(tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "release.json").write_text('{"auto": false, "reason": "closure 80% on real speech"}')
    monkeypatch.setattr(E, "DEFAULT_MODEL_DIR", tmp_path)
    eng = E.select_engine()
    assert eng.name == E.ENGINE_CHOREOGRAPHY and "closure 80% on real speech" in eng.label
    assert E.select_engine(E.ENGINE_LEARNED).name == E.ENGINE_LEARNED  # still there on request
    assert E.select_engine(model_path=tmp_path).name == E.ENGINE_LEARNED
    (tmp_path / "release.json").write_text('{"auto": true}')
    assert E.select_engine().name == E.ENGINE_LEARNED
    assert E.select_engine(with_transcript=True).name == E.ENGINE_LEARNED


def test_release_file_can_release_the_model_for_transcript_takes_only(tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "release.json").write_text(
        '{"auto": false, "auto_with_transcript": true, "reason": "audio-only closure 84%"}')
    monkeypatch.setattr(E, "DEFAULT_MODEL_DIR", tmp_path)
    assert E.select_engine().name == E.ENGINE_CHOREOGRAPHY
    assert E.select_engine(with_transcript=True).name == E.ENGINE_LEARNED
    assert E.release_hold(tmp_path) == "audio-only closure 84%"
    assert E.release_hold(tmp_path, with_transcript=True) is None
    # an explicit choice always wins
    assert E.select_engine(E.ENGINE_CHOREOGRAPHY, with_transcript=True).name == E.ENGINE_CHOREOGRAPHY
    (tmp_path / "release.json").write_text('{"auto": false}')      # default: same as "auto"
    assert E.select_engine(with_transcript=True).name == E.ENGINE_CHOREOGRAPHY


def test_without_torch_the_cpu_is_used_and_gpu_is_a_clear_error(monkeypatch):
    real = E.importlib.util.find_spec
    monkeypatch.setattr(E.importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    assert E.resolve_device("auto") == "cpu"
    with pytest.raises(E.EngineError, match="PyTorch"):
        E.resolve_device("gpu")


def test_missing_model_override_is_an_error(tmp_path):
    with pytest.raises(E.EngineError, match="does not exist"):
        E.select_engine(model_path=tmp_path / "missing")


def test_missing_pocketsphinx_gives_a_clear_engine_error(monkeypatch):
    """Whether or not core.alignment was imported earlier in the session (test order)."""
    import sys

    import core
    monkeypatch.setitem(sys.modules, "core.alignment", None)  # the import itself fails
    monkeypatch.delattr(core, "alignment", raising=False)
    with pytest.raises(E.EngineError, match="(?i)pocketsphinx"):
        E.ChoreographyEngine().phones(tone(), None)


def test_pocketsphinx_failing_at_call_time_gives_a_clear_engine_error(monkeypatch):
    from core import alignment

    def broken(*args, **kwargs):
        raise ImportError("No module named 'pocketsphinx'")

    monkeypatch.setattr(alignment, "recognize_phones", broken)
    with pytest.raises(E.EngineError, match="(?i)pocketsphinx"):
        E.ChoreographyEngine().phones(tone(), None)


def test_learned_engine_runs_an_installed_checkpoint(tmp_path, monkeypatch):
    """Wiring only: an untrained tiny checkpoint is loaded and its output becomes the take."""
    torch = pytest.importorskip("torch")
    from core.model import checkpoint as ckpt
    from core.model.config import tiny_config
    from core.model.frontends.base import build_frontend
    from core.model.transformer import SpeechToCodes
    from core.model.vqvae import MotionVQVAE

    torch.manual_seed(0)
    cfg = tiny_config(kind="logmel")
    build_frontend(cfg.frontend)  # fills in the feature size
    ckpt.save_config(tmp_path, cfg)
    ckpt.save_component(tmp_path, "s2c", SpeechToCodes(cfg.s2c, cfg.vq, cfg.frontend))
    ckpt.save_component(tmp_path, "vqvae", MotionVQVAE(cfg.vq))
    monkeypatch.setattr(E, "DEFAULT_MODEL_DIR", tmp_path)
    monkeypatch.setattr(E.ChoreographyEngine, "phones", lambda self, x, t, progress=None: [])
    take = E.generate_take(tone(1.0), fps=24, emotion="sad", intensity=0.5)
    assert take.engine == E.ENGINE_LEARNED and tmp_path.name in take.engine_label
    assert take.weights.shape == (24, NUM_SHAPES) and np.all(np.isfinite(take.weights))
    assert take.versions["model"] == str(tmp_path) and take.versions["device"] == "CPU"
    # on the CPU the torch-free numpy runtime runs it (as inside Blender), matching torch
    from core.model import Parley
    from core.model.numpy_runtime import NumpyParley
    assert isinstance(E.select_engine().load(), NumpyParley)
    ref = Parley.from_pretrained(tmp_path, device="cpu").generate(
        tone(1.0), emotion="sad", intensity=0.5, fps=30)
    np.testing.assert_allclose(take.weights30, ref, atol=1e-4)


def test_compute_device_choice():
    torch = pytest.importorskip("torch")
    assert E.resolve_device("cpu") == "cpu"
    assert E.resolve_device("auto") in ("cpu", "cuda", "mps")
    mps = getattr(torch.backends, "mps", None)
    if torch.cuda.is_available():
        assert E.resolve_device("gpu") == "cuda"
    elif not (mps is not None and mps.is_available()):
        with pytest.raises(E.EngineError, match="no usable GPU"):
            E.resolve_device("gpu")
    with pytest.raises(ValueError, match="compute device"):
        E.resolve_device("tpu")


def test_retakes_reuse_recognised_phones_of_the_same_audio(monkeypatch):
    """Generate again on the same clip (another emotion) does not recognise it again; any change
    to the audio or the transcript does."""
    from core import alignment
    calls = []

    def fake_recognise(x, *a, **k):
        calls.append(len(x))
        return [PhoneSegment("SIL", 0.0, 0.2), PhoneSegment("M", 0.2, 0.3),
                PhoneSegment("AA", 0.3, len(x) / 16000)]

    monkeypatch.setattr(alignment, "recognize_phones", fake_recognise)
    eng = E.ChoreographyEngine()
    x = tone()
    first = eng.phones(x, None)
    again = eng.phones(x.copy(), None)
    assert again == first and len(calls) == 1
    again.append("mutated")                       # callers get copies, never the cached list
    assert eng.phones(x, None) == first
    eng.phones(x * 0.5, None)                     # different audio -> recognised again
    assert len(calls) == 2
    E.PHONE_CACHE.clear()
    eng.phones(x, None)
    assert len(calls) == 3
    take_a = E.generate_take(x, fps=24, emotion="happy", engine="choreography")
    take_b = E.generate_take(x, fps=24, emotion="sad", engine="choreography")
    assert len(calls) == 3 and take_a.segments == take_b.segments


def test_phone_cache_is_bounded():
    cache = E.PhoneCache(size=2)
    keys = [cache.key(np.full(100, i, np.float32), None) for i in range(3)]
    for i, k in enumerate(keys):
        cache.put(k, [i])
    assert cache.get(keys[0]) is None and cache.get(keys[2]) == [2] and cache.get(keys[1]) == [1]
    assert cache.key(np.zeros(10, np.float32), "a b") != cache.key(np.zeros(10, np.float32), "a")


def test_learned_engine_seals_bilabials_unless_told_not_to(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from core.model import checkpoint as ckpt
    from core.model.config import tiny_config
    from core.model.frontends.base import build_frontend
    from core.model.transformer import SpeechToCodes
    from core.model.vqvae import MotionVQVAE
    import torch
    torch.manual_seed(1)
    cfg = tiny_config(kind="logmel")
    build_frontend(cfg.frontend)
    ckpt.save_config(tmp_path, cfg)
    ckpt.save_component(tmp_path, "s2c", SpeechToCodes(cfg.s2c, cfg.vq, cfg.frontend))
    ckpt.save_component(tmp_path, "vqvae", MotionVQVAE(cfg.vq))
    segs = [PhoneSegment("SIL", 0.0, 0.3), PhoneSegment("M", 0.3, 0.5), PhoneSegment("AA", 0.5, 1.0)]
    monkeypatch.setattr(E.ChoreographyEngine, "phones", lambda self, x, t, progress=None: list(segs))
    kw = dict(fps=30, engine="learned", model_path=tmp_path)
    sealed = E.generate_take(tone(1.0), **kw)
    raw = E.generate_take(tone(1.0), lip_seal=False, **kw)
    assert "lip seal" in sealed.engine_label and "lip seal" not in raw.engine_label
    m = slice(10, 14)                              # frames inside the M
    np.testing.assert_allclose(sealed.weights30[m, INDEX["mouthClose"]], sealed.weights30[m, INDEX["jawOpen"]])
    np.testing.assert_array_equal(sealed.weights30[25:], raw.weights30[25:])


def test_recognition_method_reaches_the_recogniser_and_the_cache(monkeypatch):
    from core import alignment
    seen = []
    monkeypatch.setattr(alignment, "recognize_phones",
                        lambda x, method="words", progress=None: seen.append(method) or [PhoneSegment("AA", 0, len(x) / 16000)])
    x = tone()
    E.generate_take(x, fps=24, engine="choreography")
    E.generate_take(x, fps=24, engine="choreography", recognition="words_fast")
    E.generate_take(x, fps=24, engine="choreography", recognition="words_fast", emotion="sad")
    assert seen == ["words", "words_fast"]               # one recognition per (clip, method)
    with pytest.raises(ValueError, match="phone recognition"):
        E.generate_take(x, fps=24, engine="choreography", recognition="guess")
