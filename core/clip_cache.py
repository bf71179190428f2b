"""A small thread-safe LRU of per-clip results, keyed by the clip's exact samples.

The artist's usual loop is to press Generate again on the *same* line with another emotion or
intensity. Everything that depends on the audio alone (recognised phone timings, front-end
features) is the same for those re-takes, so it is kept for the last few clips instead of being
computed again. Keys are SHA-1 digests of the float32 samples, so any edit to the audio (trim,
gain, another strip) misses the cache.
"""
from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from typing import Any, Hashable, Optional

import numpy as np


def clip_digest(samples) -> tuple:
    """``(sha1 hex, length)`` of the samples as contiguous float32."""
    x = np.ascontiguousarray(samples, dtype=np.float32)
    return hashlib.sha1(x.tobytes()).hexdigest(), int(x.size)


class ClipCache:
    """LRU of ``size`` entries; :meth:`get` returns copies, so callers may modify what they get."""

    def __init__(self, size: int = 8):
        self.size = int(size)
        self._items: "OrderedDict[Hashable, Any]" = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def key(self, samples, *extra: Hashable) -> tuple:
        return clip_digest(samples) + tuple(extra)

    def get(self, key: Hashable) -> Optional[Any]:
        with self._lock:
            if key not in self._items:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return copy.deepcopy(self._items[key])

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = copy.deepcopy(value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0
