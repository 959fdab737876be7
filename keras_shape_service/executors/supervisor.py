"""The executors' supervisor, in gunicorn's master (gunicorn_conf.py) or a test: it starts the executor manager
(python -m keras_shape_service.executors.process), starts another should it end unasked, and stops it last.

Nothing here imports Keras: the master forks the HTTP workers, which must stay light.
"""

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Optional

from . import wire

log = logging.getLogger("kss.executors.supervisor")
ROOT = Path(__file__).resolve().parents[2]


class ExecutorSupervisor:
    """Keeps the executor manager process running, from gunicorn's master (or a test)."""

    def __init__(self, socket_path: str, environment: Optional[dict[str, str]] = None):
        self.socket_path = socket_path
        # Two malloc arenas: glibc reserves address space for an arena per thread, which the memory budget
        # (RLIMIT_AS) would charge to requests without their using it.
        self.environment = dict(
            os.environ if environment is None else environment, KSS_EXECUTOR_SOCKET=socket_path, MALLOC_ARENA_MAX="2"
        )
        self.process: Optional[subprocess.Popen] = None
        self._stopping = threading.Event()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="kss-executors", daemon=True)

    def start(self) -> "ExecutorSupervisor":
        self._thread.start()
        self._started.wait()
        return self

    def _supervise(self) -> None:
        """Run the manager; should it ever end unasked, start another (its executors end with it)."""
        while not self._stopping.is_set():
            # Its own session: a terminal's Ctrl-C goes to gunicorn, which stops the executors in order.
            # Our pid goes along: should we be gone before it has imported TensorFlow, its parent is init.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "keras_shape_service.executors.process", str(os.getpid())],
                cwd=ROOT,
                env=self.environment,
                start_new_session=True,
            )
            self._started.set()
            status = self.process.wait()
            if not self._stopping.is_set():
                log.error("the executor manager ended (status %s); starting another", status)
                time.sleep(1)

    def wait_ready(self, seconds: float = 120) -> None:
        """Until an executor has warmed up (for tests and tools; gunicorn's /readyz says the same)."""
        run_dir, deadline = wire.RunDir(self.socket_path), time.monotonic() + seconds
        while not run_dir.any_ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"no executor ready after {seconds} s")
            time.sleep(0.05)

    def stop(self, seconds: float = 30) -> None:
        """SIGTERM the manager (executors finish their request in hand), SIGKILL it past `seconds`."""
        self._stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
