"""PocketSphinx in helper processes, so that long recordings use every CPU core.

PocketSphinx's Python binding holds the GIL while it decodes (two threads take twice as long as
one, BENCHMARKS.md), so parallel decoding needs processes. ``multiprocessing`` cannot be used
inside Blender: its spawned children must re-import this module by its qualified name, which
under Blender is ``bl_ext.<repo>.parley.core...``, a package only Blender can create. The pool
here starts ``sys.executable`` with a two-line bootstrap that puts the directory above ``core``
first on the path and imports ``core`` as a top-level package (``core`` uses only relative
imports), with the parent's ``sys.path`` so that the bundled wheels are found. Jobs and replies
are length-prefixed pickles over the child's stdin and a duplicate of its stdout (stray writes
to fd 1 go to stderr). A child exits when its stdin closes, so none outlives its parent.
"""
from __future__ import annotations

import atexit
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable, Optional

log = logging.getLogger(__name__)

#: Upper bound of helper processes (each holds its own decoders, ~250 MB peak).
MAX_WORKERS = 4

_HEADER = struct.Struct("<Q")
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]     # the directory that holds core/
_BOOTSTRAP = ("import sys; sys.path.insert(0, {parent!r}); "
              "from core.alignment.workers import serve; serve()")


class WorkerError(RuntimeError):
    """A helper process died or could not be started."""


def default_workers() -> int:
    """Helper processes to use by default: one per core, at most ``MAX_WORKERS``."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_WORKERS))


def can_spawn() -> bool:
    """Whether ``sys.executable`` is a Python interpreter we can start (not a Blender binary)."""
    exe = Path(sys.executable or "")
    return exe.is_file() and "blender" not in exe.name.lower()


# --- wire format ------------------------------------------------------------------------------

def _send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _recv(stream):
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (n,) = _HEADER.unpack(head)
    data = stream.read(n)
    if len(data) < n:
        return None
    return pickle.loads(data)


def serve() -> None:
    """Child side: answer ``(function name, kwargs)`` jobs until stdin closes."""
    inp = sys.stdin.buffer
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)                       # keep the reply stream clean of anything printed
    from . import sphinx
    functions = {"recognize_chunk": sphinx.recognize_chunk}
    while True:
        job = _recv(inp)
        if job is None:
            return
        name, kwargs = job
        try:
            reply = (True, functions[name](**kwargs))
        except Exception as exc:            # reported to the parent, which decides
            reply = (False, f"{type(exc).__name__}: {exc}")
        _send(out, reply)


# --- parent side ------------------------------------------------------------------------------

class _Worker:
    def __init__(self):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(_PACKAGE_PARENT)] + [p for p in sys.path if p])
        env.setdefault("OMP_NUM_THREADS", "1")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _BOOTSTRAP.format(parent=str(_PACKAGE_PARENT))],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        except OSError as exc:
            raise WorkerError(f"could not start a helper process ({sys.executable}): {exc}") from exc

    def call(self, name: str, kwargs: dict):
        try:
            _send(self.proc.stdin, (name, kwargs))
            reply = _recv(self.proc.stdout)
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise WorkerError(f"helper process failed: {exc}") from exc
        if reply is None:
            raise WorkerError(f"helper process exited (code {self.proc.poll()})")
        return reply

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, kill: bool = False) -> None:
        try:
            if kill:
                self.proc.kill()
            else:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except Exception:                   # pragma: no cover - best effort at shutdown
            try:
                self.proc.kill()
            except Exception:
                pass


class WorkerPool:
    """A few long-lived helper processes; ``run`` spreads jobs over them.

    Kept alive between calls (a decoder takes ~1 s to load); ``close`` or interpreter exit
    ends them. Not re-entrant: one ``run`` at a time (guarded by a lock).
    """

    def __init__(self):
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()

    def _ensure(self, n: int) -> list[_Worker]:
        self._workers = [w for w in self._workers if w.alive()]
        while len(self._workers) < n:
            self._workers.append(_Worker())
        return self._workers[:n]

    def run(self, name: str, jobs: list[dict], workers: int,
            on_done: Optional[Callable[[int, int], None]] = None) -> list:
        """Results of ``name(**job)`` for every job, in order.

        ``on_done(done, total)`` is called on this thread after each job and about every
        0.2 s; an exception it raises (a cancel) stops the run, kills the helpers and
        propagates. A job the function itself failed on comes back as ``WorkerError``'s
        message in a ``(False, message)`` pair; the caller decides what to do with it.
        """
        with self._lock:
            procs = self._ensure(max(1, min(workers, len(jobs))))
            results: list = [None] * len(jobs)
            queue = list(range(len(jobs)))[::-1]
            qlock = threading.Lock()
            stop = threading.Event()

            def drain(worker: _Worker) -> None:
                while not stop.is_set():
                    with qlock:
                        if not queue:
                            return
                        i = queue.pop()
                    results[i] = worker.call(name, jobs[i])

            ex = ThreadPoolExecutor(len(procs), thread_name_prefix="parley-recognize")
            futures = [ex.submit(drain, w) for w in procs]
            try:
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    for f in done:
                        f.result()          # a WorkerError from a helper
                    if on_done is not None:
                        on_done(sum(r is not None for r in results), len(jobs))
            except BaseException:
                stop.set()
                self.close(kill=True)
                raise
            finally:
                ex.shutdown(wait=True)
            return results

    def close(self, kill: bool = False) -> None:
        for w in self._workers:
            w.close(kill=kill)
        self._workers = []


_POOL: Optional[WorkerPool] = None


def pool() -> WorkerPool:
    """The process-wide helper pool (started on first use, closed at exit)."""
    global _POOL
    if _POOL is None:
        _POOL = WorkerPool()
        atexit.register(_POOL.close)
    return _POOL
