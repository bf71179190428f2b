"""Chunked phone recognition with helper processes, run by the *installed* extension in bpy.

argv: speech.wav. Emits whether the helpers ran from the extension's own folder and whether
their phones equal those recognised in this process.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import enable_addon, run  # noqa: E402


def main():
    mod = enable_addon()
    import importlib
    alignment = importlib.import_module(mod.__name__ + ".core.alignment")
    workers = importlib.import_module(mod.__name__ + ".core.alignment.workers")
    audio = importlib.import_module(mod.__name__ + ".core.audio")
    x = audio.load_audio(sys.argv[1]).samples
    x = __import__("numpy").concatenate([x, x, x])           # > 3 chunks of 5 s
    parts = []
    spread = alignment.recognize_phones(x, chunk_s=5.0, workers=2,
                                        progress=lambda d, n: parts.append((d, n)))
    helpers = [w.proc.pid for w in workers.pool()._workers if w.alive()]
    here = alignment.recognize_phones(x, chunk_s=5.0, workers=1)
    workers.pool().close()
    return {"module": workers.__name__, "package_parent": str(workers._PACKAGE_PARENT),
            "helpers": len(helpers), "identical": spread == here, "phones": len(here),
            "parts": parts[-1] if parts else None, "can_spawn": workers.can_spawn()}


run(main)
