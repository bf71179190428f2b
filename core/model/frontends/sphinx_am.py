"""PocketSphinx's English acoustic model evaluated directly in numpy: frame phone posteriors, fast.

PocketSphinx's ``en-us`` model (a phonetically-tied-mixture HMM model trained on real speech by
CMU / Alpha Cephei, BSD licence, shipped inside the ``pocketsphinx`` wheel) is the part of
PocketSphinx that knows what real voices sound like. Word recognition on top of it (the
``phones`` front end) is accurate but slow (~17 s per minute of audio on this 2-core CPU). This
module reads the same model files (means, variances, 8-bit mixture weights, binary mdef) and
scores every 10 ms frame against the context-independent (CI) senones with exact Gaussian
mixtures, as matrix products: about 0.1 s per minute of audio. No search, no language model: the
result is a per-frame posterior over the 40 ARPAbet phones (+ silence), which the stage-2 conv
encoder reads with ~1 s of context.

The MFCC pipeline follows the model's ``feat.params`` (25 mel filters 130-6800 Hz, 13 cepstra,
DCT-II, lifter 22, utterance cepstral mean normalisation, ``1s_c_d_dd`` deltas in three
streams). Filter normalisation and signal scale only shift the cepstra by a constant vector,
which CMN removes. PocketSphinx's ``-remove_noise`` spectral noise removal is not reproduced.
"""
from __future__ import annotations

import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...phones import NUM_PHONES, PHONE_INDEX, PhoneError, normalize_phone
from .base import FrontEndError, SAMPLE_RATE

FRAME_SHIFT = 160          # 10 ms at 16 kHz
FRAME_LENGTH = 410         # 25.625 ms (sphinx_fe default -wlen)
NFFT = 512
AM_RATE = 100              # acoustic frames per second
LOG_MIXW_STEP = 1024 * np.log(1.0001)   # sendump stores -log_1.0001(w) >> 10 as uint8
VAR_FLOOR = 1e-4


class AcousticModelError(FrontEndError):
    """The acoustic model files are missing or not in the expected format."""


def default_model_dir() -> Path:
    try:
        import pocketsphinx
    except ImportError as exc:   # pragma: no cover - depends on the install
        raise AcousticModelError("the 'pocketsphinx' package (which ships the en-us acoustic "
                                 "model) is not installed; pip install pocketsphinx>=5") from exc
    return Path(pocketsphinx.get_model_path("en-us/en-us"))


# --- model files -----------------------------------------------------------------------------

def _read_s3_gauden(path: Path) -> np.ndarray:
    """Sphinx-3 ``means``/``variances`` file -> float32 ``[n_mgau, n_feat, n_density, veclen]``."""
    b = path.read_bytes()
    end = b.find(b"endhdr\n")
    if not b.startswith(b"s3\n") or end < 0:
        raise AcousticModelError(f"{path} is not a Sphinx-3 parameter file")
    o = end + len(b"endhdr\n")
    (magic,) = struct.unpack_from("<I", b, o)
    if magic != 0x11223344:
        raise AcousticModelError(f"{path}: unexpected byte order marker {magic:#x}")
    n_mgau, n_feat, n_density = struct.unpack_from("<3i", b, o + 4)
    veclen = struct.unpack_from(f"<{n_feat}i", b, o + 16)
    o += 16 + 4 * n_feat
    (total,) = struct.unpack_from("<i", b, o)
    o += 4
    if len(set(veclen)) != 1 or total != n_mgau * n_density * sum(veclen):
        raise AcousticModelError(f"{path}: unsupported layout (veclen {veclen}, {total} values)")
    vals = np.frombuffer(b, dtype="<f4", count=total, offset=o)
    return vals.reshape(n_mgau, n_feat, n_density, veclen[0]).astype(np.float32)


def _read_sendump(path: Path) -> np.ndarray:
    """8-bit mixture weights -> natural-log weights ``[n_feat, n_codewords, n_senones]``."""
    b = path.read_bytes()
    o, n_feat, clusters = 0, None, None
    while True:
        (n,) = struct.unpack_from("<i", b, o)
        o += 4
        if n == 0:
            break
        line = b[o:o + n].rstrip(b"\0").decode("ascii", "replace")
        o += n
        if line.startswith("feature_count "):
            n_feat = int(line.split()[1])
        elif line.startswith("cluster_count "):
            clusters = int(line.split()[1])
    n_cw, n_sen = struct.unpack_from("<2i", b, o)
    o += 8
    if clusters not in (0, None) or n_feat is None:
        raise AcousticModelError(f"{path}: clustered or unlabelled mixture weights are not supported")
    raw = np.frombuffer(b, dtype=np.uint8, count=n_feat * n_cw * n_sen, offset=o)
    return -raw.reshape(n_feat, n_cw, n_sen).astype(np.float32) * np.float32(LOG_MIXW_STEP)


def _read_bmdf(path: Path) -> tuple[list[str], int, int]:
    """Binary model definition header -> (CI phone names, emitting states per phone, n CI senones)."""
    b = path.read_bytes()
    if not b.startswith(b"BMDF"):
        raise AcousticModelError(f"{path} is not a binary model definition (BMDF)")
    (desc_len,) = struct.unpack_from("<i", b, 8)
    o = 12 + desc_len
    n_ciphone, _n_phone, n_emit, n_ci_sen, _n_sen, _n_tmat, _n_sseq, _n_ctx, _n_tree, _sil = \
        struct.unpack_from("<10i", b, o)
    o += 40
    names = b[o:].split(b"\0", n_ciphone)[:n_ciphone]
    return [n.decode("ascii") for n in names], n_emit, n_ci_sen


@dataclass
class SphinxAcousticModel:
    """CI-senone Gaussian mixtures of a PTM model, laid out for one matrix product per frame block."""
    ciphones: list[str]
    weights: np.ndarray     # [2*D+1, n_feat*n_mgau*n_density] float32: [x^2, x, 1] -> log N
    mixw: np.ndarray        # [n_feat, n_mgau, n_density, n_emit]: linear mixture weights per CI state
    n_feat: int
    n_mgau: int
    n_density: int
    veclen: int
    phone_of_state: np.ndarray   # [n_states] index into ``ciphones``

    @classmethod
    def load(cls, model_dir: str | Path | None = None) -> "SphinxAcousticModel":
        d = Path(model_dir) if model_dir else default_model_dir()
        for f in ("means", "variances", "sendump", "mdef"):
            if not (d / f).is_file():
                raise AcousticModelError(f"acoustic model file {d / f} is missing")
        means = _read_s3_gauden(d / "means")
        var = np.maximum(_read_s3_gauden(d / "variances"), VAR_FLOOR)
        logw = _read_sendump(d / "sendump")
        ciphones, n_emit, n_ci_sen = _read_bmdf(d / "mdef")
        n_mgau, n_feat, n_density, veclen = means.shape
        if n_mgau != len(ciphones) or n_ci_sen != n_emit * len(ciphones) or \
                logw.shape[:2] != (n_feat, n_density):
            raise AcousticModelError(f"{d}: model files disagree (codebooks {n_mgau}, CI phones "
                                     f"{len(ciphones)}, CI senones {n_ci_sen}, weights {logw.shape})")
        # log N(x; m, v) = -0.5 sum (x^2/v) + sum (x m / v) - 0.5 sum (m^2/v + log 2 pi v)
        inv = 1.0 / var                                                  # [G, F, K, D]
        a = (-0.5 * inv).transpose(1, 3, 0, 2)                           # [F, D, G, K]
        bb = (means * inv).transpose(1, 3, 0, 2)
        c = (-0.5 * (means ** 2 * inv + np.log(2 * np.pi * var)).sum(-1)).transpose(1, 0, 2)  # [F, G, K]
        w = np.zeros((n_feat, 2 * veclen + 1, n_mgau, n_density), dtype=np.float32)
        w[:, :veclen], w[:, veclen:2 * veclen], w[:, -1] = a, bb, c
        # CI senone s (phone s // n_emit) mixes its own phone's codebook only (PTM)
        states = np.arange(n_ci_sen)
        phone = states // n_emit
        mixw = np.exp(logw[:, :, :n_ci_sen]).reshape(n_feat, n_density, n_mgau, n_emit)
        mixw = mixw.transpose(0, 2, 1, 3)                                # [F, G, K, E]
        return cls(ciphones=ciphones, weights=w, mixw=np.ascontiguousarray(mixw),
                   n_feat=n_feat, n_mgau=n_mgau, n_density=n_density, veclen=veclen,
                   phone_of_state=phone)

    def state_loglik(self, feats: np.ndarray, block: int = 256) -> np.ndarray:
        """``[N, n_feat*veclen]`` features -> ``[N, n_ci_senones]`` log-likelihoods (exact mixtures).

        Blocks of ``block`` frames keep the ``[block, codebooks, densities]`` temporaries in cache.
        """
        feats = np.asarray(feats, dtype=np.float32)
        n = len(feats)
        out = np.zeros((n, len(self.phone_of_state)), dtype=np.float32)
        w = [self.weights[f].reshape(2 * self.veclen + 1, -1) for f in range(self.n_feat)]
        for lo in range(0, n, block):
            hi = min(n, lo + block)
            for f in range(self.n_feat):
                x = feats[lo:hi, f * self.veclen:(f + 1) * self.veclen]
                z = np.concatenate([x * x, x, np.ones((hi - lo, 1), np.float32)], axis=1)
                g = (z @ w[f]).reshape(hi - lo, self.n_mgau, self.n_density)      # log N per density
                # state s of phone p: log sum_k w[s,k] N_pk = m_p + log sum_k w[s,k] exp(g_pk - m_p)
                m = g.max(axis=2, keepdims=True)
                np.subtract(g, m, out=g)
                np.exp(g, out=g)
                mix = np.matmul(g.transpose(1, 0, 2), self.mixw[f])               # [G, n, E]
                np.maximum(mix, 1e-30, out=mix)
                out[lo:hi] += (np.log(mix).transpose(1, 0, 2) + m).reshape(hi - lo, -1)
        return out


_lock = threading.Lock()
_models: dict[str, SphinxAcousticModel] = {}


def acoustic_model(model_dir: str | Path | None = None) -> SphinxAcousticModel:
    """Cached :class:`SphinxAcousticModel` (loading takes ~0.1 s)."""
    key = str(model_dir or "")
    with _lock:
        if key not in _models:
            _models[key] = SphinxAcousticModel.load(model_dir)
        return _models[key]


# --- MFCC (sphinx_fe) ------------------------------------------------------------------------

def _mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)


def _mel_inv(m):
    return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)


def _mel_filters(nfilt=25, lowerf=130.0, upperf=6800.0) -> np.ndarray:
    """Triangular filters evenly spaced on the mel scale, ``[NFFT//2+1, nfilt]``."""
    edges = _mel_inv(np.linspace(_mel(lowerf), _mel(upperf), nfilt + 2))
    freqs = np.arange(NFFT // 2 + 1) * SAMPLE_RATE / NFFT
    fb = np.zeros((len(freqs), nfilt), dtype=np.float32)
    for i in range(nfilt):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        up = (freqs - lo) / (mid - lo)
        down = (hi - freqs) / (hi - mid)
        fb[:, i] = np.clip(np.minimum(up, down), 0.0, None) * (2.0 / (hi - lo))
    return fb


_FB = _mel_filters()
_WINDOW = np.hamming(FRAME_LENGTH).astype(np.float32)
_NCEP = 13
_DCT = (np.cos(np.pi * np.arange(_NCEP)[:, None] * (np.arange(25)[None] + 0.5) / 25)
        * np.sqrt(2.0 / 25)).astype(np.float32)
_DCT[0] *= np.sqrt(0.5)
_LIFTER = (1.0 + 11.0 * np.sin(np.pi * np.arange(_NCEP) / 22.0)).astype(np.float32)


def mfcc(samples16k: np.ndarray, block: int = 4096) -> np.ndarray:
    """``[N, 13]`` liftered cepstra at 100 frames/s (frame ``i`` centred at ``(160 i + 205)/16000`` s)."""
    x = np.asarray(samples16k, dtype=np.float32) * 32768.0
    x = np.concatenate([x[:1], x[1:] - 0.97 * x[:-1]])
    if len(x) < FRAME_LENGTH:
        x = np.pad(x, (0, FRAME_LENGTH - len(x)))
    n = 1 + (len(x) - FRAME_LENGTH) // FRAME_SHIFT
    out = np.empty((n, _NCEP), dtype=np.float32)
    idx = np.arange(FRAME_LENGTH)
    for lo in range(0, n, block):                  # bounded memory for long audio
        hi = min(n, lo + block)
        frames = x[(np.arange(lo, hi) * FRAME_SHIFT)[:, None] + idx[None]] * _WINDOW
        spec = np.fft.rfft(frames, NFFT)
        power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)
        logmel = np.log(np.maximum(power @ _FB, 1e-5))
        out[lo:hi] = (logmel @ _DCT.T) * _LIFTER
    return out


SILENT_DBFS = -60.0   # frames quieter than this are silence, whatever the model says


def frame_levels(samples16k: np.ndarray) -> np.ndarray:
    """RMS level (dBFS) of every 10 ms analysis frame, aligned with :func:`mfcc`."""
    x = np.asarray(samples16k, dtype=np.float64)
    if len(x) < FRAME_LENGTH:
        x = np.pad(x, (0, FRAME_LENGTH - len(x)))
    n = 1 + (len(x) - FRAME_LENGTH) // FRAME_SHIFT
    c = np.concatenate([[0.0], np.cumsum(x * x)])
    lo = np.arange(n) * FRAME_SHIFT
    ms = (c[lo + FRAME_LENGTH] - c[lo]) / FRAME_LENGTH
    return (10.0 * np.log10(np.maximum(ms, 1e-12))).astype(np.float32)


def sphinx_features(samples16k: np.ndarray, active: np.ndarray | None = None) -> np.ndarray:
    """``1s_c_d_dd`` features ``[N, 39]``: CMN cepstra, deltas (t±2), double deltas.

    The cepstral mean is taken over ``active`` frames (default: those above ``SILENT_DBFS``), so
    long silences or digital zeros do not drag it away from the speech.
    """
    c = mfcc(samples16k)
    if active is None:
        active = frame_levels(samples16k)[:len(c)] > SILENT_DBFS
    ref = c[active] if np.count_nonzero(active) >= 10 else c
    c = c - ref.mean(axis=0, keepdims=True)
    p = np.pad(c, ((3, 3), (0, 0)), mode="edge")
    n = len(c)
    s = lambda k: p[3 + k:3 + k + n]    # noqa: E731 - c[t+k] with edge padding
    d = s(2) - s(-2)
    dd = (s(3) - s(-1)) - (s(1) - s(-3))
    return np.concatenate([c, d, dd], axis=1).astype(np.float32)


# --- phone posteriors at the motion rate --------------------------------------------------------

def _phone_columns(ciphones: list[str]) -> np.ndarray:
    """Column in Parley's phone set for every model CI phone (fillers -> SIL)."""
    cols = []
    for p in ciphones:
        try:
            cols.append(PHONE_INDEX[normalize_phone(p)])
        except PhoneError:
            cols.append(PHONE_INDEX["SIL"])
    return np.asarray(cols)


def frame_phone_logpost(samples16k: np.ndarray, scale: float = 0.1,
                        model: SphinxAcousticModel | None = None, block: int = 2000) -> np.ndarray:
    """``[N, 40]`` log posteriors over Parley's phones per 10 ms frame.

    Per model phone: log-sum-exp of its three state likelihoods; then a softmax at acoustic
    ``scale`` (GMM frame likelihoods are far too peaked to be probabilities; 0.1 is a usual
    acoustic weight). Filler phones and SIL pool into SIL; frames below ``SILENT_DBFS`` are SIL.
    """
    am = model or acoustic_model()
    silent = frame_levels(samples16k) <= SILENT_DBFS
    feats = sphinx_features(samples16k, ~silent)
    cols = _phone_columns(am.ciphones)
    n_ph = len(am.ciphones)
    out = np.empty((len(feats), NUM_PHONES), dtype=np.float32)
    for lo in range(0, len(feats), block):
        ll = am.state_loglik(feats[lo:lo + block]) * scale                     # [n, S]
        ll = ll.reshape(len(ll), n_ph, -1)
        m = ll.max(axis=(1, 2), keepdims=True)
        ph = np.log(np.exp(ll - m).sum(axis=2)) + m[:, :, 0]                   # [n, P]
        pooled = np.full((len(ph), NUM_PHONES), -np.inf, dtype=np.float32)
        for j, col in enumerate(cols):
            pooled[:, col] = np.logaddexp(pooled[:, col], ph[:, j])
        pooled -= np.logaddexp.reduce(pooled, axis=1, keepdims=True)
        out[lo:lo + block] = pooled
    out[silent[:len(out)]] = np.log(np.float32(1e-30))
    out[silent[:len(out)], PHONE_INDEX["SIL"]] = 0.0
    return out


def posteriors_at_fps(samples16k: np.ndarray, num_frames: int, fps: float = 30.0,
                      scale: float = 0.1, model: SphinxAcousticModel | None = None) -> np.ndarray:
    """``[num_frames, 40]`` phone posteriors averaged over each motion frame's interval."""
    lp = frame_phone_logpost(samples16k, scale=scale, model=model)
    post = np.exp(lp)
    centres = (np.arange(len(post)) * FRAME_SHIFT + FRAME_LENGTH / 2) / SAMPLE_RATE
    which = np.clip(np.floor(centres * fps).astype(np.int64), 0, num_frames - 1)
    out = np.zeros((num_frames, NUM_PHONES), dtype=np.float64)
    np.add.at(out, which, post)
    count = np.bincount(which, minlength=num_frames).astype(np.float64)
    empty = count == 0
    out[~empty] /= count[~empty, None]
    if empty.any():            # frames past the last 10 ms frame: carry the nearest one
        filled = np.nonzero(~empty)[0]
        nearest = filled[np.clip(np.searchsorted(filled, np.nonzero(empty)[0]), 0, len(filled) - 1)]
        out[empty] = out[nearest]
    return out.astype(np.float32)


def log_posterior_features(post: np.ndarray, floor: float = 8.0) -> np.ndarray:
    """Posteriors -> ``log(p)`` clipped at ``-floor``, mapped to 0..1 (network input range)."""
    return (np.maximum(np.log(np.maximum(post, 1e-30)), -floor) / floor + 1.0).astype(np.float32)
