"""Markdown renders in a child process that is stopped at a time and memory limit.

Python-Markdown has super-linear corners (footnote references, emphasis
runs, inline-code runs, wide tables, unclosed tags) and no way to interrupt
it from the outside of a thread. Checking for each bad pattern is a list
that never ends, so every render runs in a separate process instead: the
web worker waits at most ``KB_RENDER_TIMEOUT`` seconds, then kills the
child, starts a fresh one and reports the text as too slow to render. The
child also runs under an address-space limit, so no text can make it use
unbounded memory.

Each web process keeps one child, started on first use (the start-up is not
counted against the budget) and replaced after a kill or every
``RECYCLE_AFTER`` renders. The child is a fresh interpreter (not a fork):
it shares no locks or threads with the web process, does not re-run the
web process's main script, and knows nothing of Django (the renderer and
the link resolver it is handed are pure). It talks to its parent over a
socket pair and exits when its parent is gone.
"""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

# The folder that holds the `topics` package, so the child imports this code.
_PROJECT_DIR = Path(__file__).resolve().parent.parent
# A child that has rendered this many texts is replaced (bounds slow leaks).
RECYCLE_AFTER = 500
# Starting a child imports Python-Markdown, Pygments and nh3: never budgeted.
START_TIMEOUT = 60.0


class RenderTimeout(Exception):
    """The render did not finish within its time budget (the child was stopped)."""


class RenderOutOfMemory(Exception):
    """The render needed more memory than the child may use."""


class RenderTooDeep(Exception):
    """The text is nested too deeply for Python-Markdown's recursive parsers."""


class RenderCrashed(Exception):
    """The child failed in an unexpected way (its message is in the exception)."""


def serve(fd: int, memory_bytes: int) -> None:
    """The child's loop: receive (body, resolver), send back a status and a value."""
    _die_with_parent()
    if memory_bytes:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    connection = Connection(fd)
    from topics.markdown import render_unbounded

    connection.send(("ready", None))
    while True:
        try:
            message = connection.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            body, resolver = pickle.loads(message)  # noqa: S301 - from our own parent process
            reply = ("ok", render_unbounded(body, resolve_link=resolver))
        except RecursionError:
            reply = ("deep", None)
        except MemoryError:
            reply = ("memory", None)
        except Exception as exc:  # reported to the parent, never lost
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            connection.send(reply)
        except MemoryError:
            connection.send(("memory", None))


def _die_with_parent() -> None:
    """Exit as soon as the parent is gone, even in the middle of a slow render.

    (PR_SET_PDEATHSIG would fire when the parent's *thread* ends, which in a
    threaded server is the end of one request.)
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="kb-render-watchdog", daemon=True).start()


@dataclass
class _Child:
    process: Any
    connection: Any
    renders: int = 0
    ready: bool = False


class RenderWorker:
    """One render child for this process; thread-safe (renders are serialised)."""

    def __init__(self, *, memory_bytes: int) -> None:
        self.memory_bytes = memory_bytes
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self._owner = os.getpid()

    def render(self, body: str, resolver, *, timeout: float):
        """Render in the child; raise a Render* exception when it fails or runs over."""
        if not self._lock.acquire(timeout=timeout):
            # Another thread of this process holds the child for its whole budget.
            raise RenderTimeout
        try:
            child = self._ready_child()
            try:
                child.connection.send((body, resolver))
            except OSError:
                # The child died between renders: start another and send again.
                self._stop(start_another=True)
                child = self._ready_child()
                child.connection.send((body, resolver))
            if not child.connection.poll(timeout):
                self._stop(start_another=True)
                raise RenderTimeout
            try:
                status, value = child.connection.recv()
            except (EOFError, OSError):
                self._stop(start_another=True)
                raise RenderCrashed("the render process stopped") from None
            child.renders += 1
            if status == "ok":
                if child.renders >= RECYCLE_AFTER:
                    self._stop(start_another=False)
                return value
            if status == "memory":
                self._stop(start_another=True)
                raise RenderOutOfMemory
            if status == "deep":
                raise RenderTooDeep
            raise RenderCrashed(value)
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            self._stop(start_another=False)

    def _ready_child(self) -> _Child:
        if self._owner != os.getpid():
            # This process was forked from the one that started the child.
            self._child, self._owner = None, os.getpid()
        if self._child is not None and self._child.process.poll() is not None:
            self._stop(start_another=False)
        if self._child is None:
            self._child = self._start()
        child = self._child
        if not child.ready:
            if not child.connection.poll(START_TIMEOUT):
                self._stop(start_another=False)
                raise RenderCrashed("the render process did not start")
            child.connection.recv()
            child.ready = True
        return child

    def _start(self) -> _Child:
        parent_end, child_end = socket.socketpair()
        fd = child_end.fileno()
        code = f"from topics.render_worker import serve; serve({fd}, {self.memory_bytes})"
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code],
            cwd=_PROJECT_DIR,
            pass_fds=[child_end.fileno()],
            stdin=subprocess.DEVNULL,
        )
        child_end.close()
        return _Child(process=process, connection=Connection(parent_end.detach()))

    def _stop(self, *, start_another: bool) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.connection.close()
            if child.process.poll() is None:
                child.process.kill()
            child.process.wait(timeout=5)
        if start_another:
            # The replacement imports while this request answers, ready for the next.
            self._child = self._start()


_worker: RenderWorker | None = None
_worker_lock = threading.Lock()


def render_worker() -> RenderWorker:
    """This process's render worker (created on first use)."""
    global _worker
    from django.conf import settings

    with _worker_lock:
        if _worker is None:
            _worker = RenderWorker(memory_bytes=settings.KB_RENDER_MEMORY_MB * 1024 * 1024)
        return _worker
