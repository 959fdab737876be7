"""Who may use Keras now: one request at a time per worker, a bounded wait, and a watchdog.

Keras keeps process-global state (the Python random seed behind initializers, per-thread name counters),
so a worker's threads take turns. A request that cannot get its turn within the deadline is answered 503
with Retry-After at once instead of queueing without end; health and metrics never wait for a turn.
A TensorFlow op cannot be interrupted from Python, so limits.check_work bounds each request's compute
from shapes beforehand, and the watchdog ends a worker whose turn outlives `hard_timeout_s` (gunicorn
then starts a fresh one): the only way to stop a runaway op.
"""
import logging
import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Optional

from ..errors import Overloaded

log = logging.getLogger(__name__)


class Admission:
    """The Keras turn of one worker process."""

    def __init__(self, deadline_ms: int, hard_timeout_s: Optional[float] = None):
        self._lock = threading.Lock()
        self._deadline_s = deadline_ms / 1000
        self._hard_timeout_s = hard_timeout_s
        self._turn_started: Optional[float] = None
        if hard_timeout_s:
            threading.Thread(target=self._watch, name="kss-watchdog", daemon=True).start()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold this worker's Keras turn, waiting for it at most the deadline."""
        asked = time.monotonic()
        if not self._lock.acquire(timeout=self._deadline_s):
            waited_ms = (time.monotonic() - asked) * 1000
            raise Overloaded(f"all of this worker's capacity was busy for {waited_ms:.0f} ms")
        self._turn_started = time.monotonic()
        try:
            yield
        finally:
            self._turn_started = None
            self._lock.release()

    def _watch(self) -> None:
        while True:
            time.sleep(min(1.0, self._hard_timeout_s / 4))
            started = self._turn_started
            if started is not None and time.monotonic() - started > self._hard_timeout_s:
                log.critical("a request held Keras for over %.0f s; ending worker %d so that gunicorn starts a "
                             "fresh one", self._hard_timeout_s, os.getpid())
                logging.shutdown()
                os._exit(70)
