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

from .errors import ServiceError

log = logging.getLogger(__name__)


class Overloaded(ServiceError):
    """No turn with Keras within the request's deadline."""

    status = 503
    title = "Service overloaded"

    def __init__(self, waited_ms: float, retry_after_s: int):
        super().__init__(f"all of this worker's capacity was busy for {waited_ms:.0f} ms; retry in "
                         f"{retry_after_s} s", error_type="overloaded")
        self.headers = {"Retry-After": str(retry_after_s)}


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
            raise Overloaded((time.monotonic() - asked) * 1000, retry_after_s=1)
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
