"""The live server, started the way `make serve` starts it: gunicorn with the project's config, a free port."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
# A request that computes for a second or two within every limit: a recurrent layer steps through 90,000
# time steps one after another, however fast the machine's arithmetic (a big convolution is not slow
# enough on a CPU with AVX-512).
SLOW_BODY = {
    "model": {"layers": [{"type": "SimpleRNN", "units": 1, "input_shape": [90_000, 1]}]},
    "inputs": [[[0.5]] * 90_000],
}
# A compute budget for servers that run SLOW_BODY but test something else: far above its time on a loaded
# machine (on one shared with other work it took past the default 10 s).
SLOW_BODY_BUDGET_S = "60"


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return found


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read()
    except (FileNotFoundError, ProcessLookupError):
        return b""


def http_workers(master_pid: int) -> list[int]:
    """gunicorn's HTTP workers: the master's children but the executor manager."""
    return [pid for pid in _children(master_pid) if b"keras_shape_service.executors.process" not in _cmdline(pid)]


def executors(master_pid: int) -> list[int]:
    """The executor processes (the manager's children)."""
    managers = [pid for pid in _children(master_pid) if b"keras_shape_service.executors.process" in _cmdline(pid)]
    return [pid for manager in managers for pid in _children(manager)]


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:  # an exiting process has no VmRSS line
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(log_path: Path, **environment: str):
    """Run gunicorn until the block ends; wait for /readyz on every worker's behalf."""
    port = free_port()
    env = dict(
        os.environ, HOST="127.0.0.1", PORT=str(port), PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="3", **environment
    )
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [GUNICORN, "--config", "keras_shape_service/gunicorn_conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log_path)
        yield process, url
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(url: str, process: subprocess.Popen, log_path: Path, seconds: float = 120) -> None:
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


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One gunicorn for the whole session (TensorFlow takes seconds to import in each worker)."""
    with live_server(tmp_path_factory.mktemp("server") / "gunicorn.log", WEB_CONCURRENCY="2") as (process, url):
        yield url


@pytest.fixture(scope="session")
def http():
    with requests.Session() as session:
        yield session
