"""The real service for tests: gunicorn with the service's one configuration on a free port, ready when
/readyz answers 200, stopped when the block ends. Used by this project's integration tests and by the pytest
plugin (keras_shape_service.pytest_plugin) other projects load.
"""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests

PACKAGE = Path(__file__).resolve().parent
GUNICORN_CONF = PACKAGE / "gunicorn_conf.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command() -> list[str]:
    """gunicorn of this interpreter's environment, with the service's configuration."""
    return [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)]


def server_environment(port: int, **environment: str) -> dict[str, str]:
    """This process's environment for a server on `port`: the package imported here is the one served
    (its folder first on PYTHONPATH, installed or not), TensorFlow's C++ chatter off, output unbuffered."""
    root = str(PACKAGE.parent)
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    return dict(
        os.environ,
        HOST="127.0.0.1",
        PORT=str(port),
        PYTHONPATH=path,
        PYTHONUNBUFFERED="1",
        TF_CPP_MIN_LOG_LEVEL="3",
        **environment,
    )


@contextmanager
def live_server(log_path: Path, ready_within_s: float = 120, **environment: str) -> Iterator[tuple]:
    """Run gunicorn until the block ends, its output in `log_path`; yields (process, base URL) once /readyz
    answers 200. `environment`: KSS_* settings, WEB_CONCURRENCY, ... for the server."""
    port = free_port()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            gunicorn_command(),
            cwd=PACKAGE.parent,
            env=server_environment(port, **environment),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, log_path, ready_within_s)
        yield process, url
    finally:
        stop(process)


def stop(process: subprocess.Popen, grace_s: float = 60) -> None:
    """SIGTERM (in-flight requests finish), then SIGKILL past the grace time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(url: str, process: subprocess.Popen, log_path: Path, seconds: float = 120) -> None:
    """Until /readyz answers 200; RuntimeError with the log's end if gunicorn exits or takes longer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except requests.RequestException:  # refused while booting, or slow while a worker warms up
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not ready after {seconds}s:\n{log_path.read_text()[-3000:]}")
