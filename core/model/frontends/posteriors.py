"""Fast front end: phone posteriors from PocketSphinx's acoustic model + loudness and pitch.

Like the ``phones`` front end it only shows the network what an acoustic model trained on real
speech hears (phone evidence, relative loudness, relative pitch), never the TTS voice's spectrum,
so what stage 2 learns on synthetic voices carries over to real recordings. Unlike it, there is
no word search: the model's context-independent phone mixtures are scored per 10 ms frame in
numpy (``sphinx_am``), about 100x faster. Per 30 fps frame (44 values):

* 40: log phone posterior averaged over the frame, clipped at e^-8 and mapped to 0..1
* 4: the ``phones`` front end's prosody track (relative loudness, its change, voicing, pitch)
"""
from __future__ import annotations

import numpy as np

from ...phones import NUM_PHONES
from .base import FPS, FrontEnd, check_samples, num_frames_for
from .phones import prosody_track
from .sphinx_am import acoustic_model, log_posterior_features, posteriors_at_fps

POSTERIOR_FEATURES = NUM_PHONES + 4


class PosteriorFrontEnd(FrontEnd):
    kind = "posteriors"
    in_dim = POSTERIOR_FEATURES

    def __init__(self, scale: float = 0.1):
        self.scale = float(scale)
        self.model = acoustic_model()

    def features(self, samples16k, num_frames: int | None = None, **kw) -> np.ndarray:
        x = check_samples(samples16k)
        n = num_frames or num_frames_for(x)
        post = posteriors_at_fps(x, n, FPS, scale=self.scale, model=self.model)
        return np.concatenate([log_posterior_features(post), prosody_track(x, n)], axis=1)

    def cache_key(self) -> str:
        return f"posteriors-s{self.scale:g}"
