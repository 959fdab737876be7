"""Each contender as a gunicorn under the service's own config: start it, wait for /readyz, watch its workers."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

ROOT = Path(__file__).resolve().parents[1]
CONFIG = "keras_shape_service/gunicorn_conf.py"
PEER_CONFIG = "bench/peer_conf.py"  # the service's settings but its executors and gevent worker
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Contender:
    """A column of the table: `app` names a peer's WSGI app (bench/peer_conf.py); None runs `make serve`'s command."""

    name: str
    app: Optional[str] = None

    def command(self) -> list[str]:
        return [GUNICORN, "--config", PEER_CONFIG, self.app] if self.app else [GUNICORN, "--config", CONFIG]


def gunicorn_settings(environment: dict) -> dict:
    """The settings the config file gives under this environment (it reads HOST, PORT, WEB_CONCURRENCY...)."""
    saved = dict(os.environ)
    os.environ.update(environment)
    try:
        namespace: dict = {}
        exec((ROOT / CONFIG).read_text(), namespace)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {key: value for key, value in namespace.items() if not key.startswith("__") and key != "os"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(parent: int) -> list[int]:
    """The processes whose parent is `parent`."""
    pids = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and int(_stat_fields(int(entry))[1]) == parent:
                pids.append(int(entry))
        except (OSError, IndexError):  # gone meanwhile
            continue
    return pids


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read()
    except OSError:
        return b""


def _cpu_seconds(pid: int) -> float:
    try:
        fields = _stat_fields(pid)
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name (the first is the state)."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


class Server:
    """A running gunicorn master and the workers it forked."""

    def __init__(self, process: subprocess.Popen, port: int, log_path: Path):
        self.process, self.port, self.log_path = process, port, log_path
        self.seen_workers: set[int] = set()

    def worker_pids(self) -> list[int]:
        """Every process under the master, read from /proc: the HTTP workers and, for the service, the executor
        manager and its executors, which do the Keras work and hold its memory. The HTTP workers (the master's
        children but the manager) are remembered, so that restarts can be counted."""
        children = _children(self.process.pid)
        self.seen_workers.update(
            pid for pid in children if b"keras_shape_service.executors.process" not in _cmdline(pid)
        )
        tree, stack = [], list(children)
        while stack:
            pid = stack.pop()
            tree.append(pid)
            stack.extend(_children(pid))
        return sorted(tree)

    def rss_mb(self, pids: list[int]) -> float:
        """Memory of these processes, in MB (10^6 bytes, as the memory target counts): the sum of their PSS,
        which splits a page shared by several processes between them (the executors share their manager's
        TensorFlow copy-on-write; RSS would count it once per executor). A process gone meanwhile counts 0."""
        total_kb = 0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/smaps_rollup") as rollup:
                    total_kb += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
            except (OSError, StopIteration):
                continue
        return total_kb * 1024 / 1e6

    def cpu_seconds(self, pids: list[int]) -> list[float]:
        """User plus system CPU each of these processes has used, in seconds (0 for one gone meanwhile)."""
        return [_cpu_seconds(pid) for pid in pids]

    def settle(self, workers: int, seconds: float = 180) -> list[int]:
        """Wait until all HTTP workers are forked and every process is idle (booting imports TensorFlow)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(self.seen_workers) >= workers:
                before = sum(self.cpu_seconds(pids))
                time.sleep(0.5)
                if self.worker_pids() == pids and sum(self.cpu_seconds(pids)) - before <= 0.02 * len(pids):
                    return pids
            else:
                time.sleep(0.2)
        raise RuntimeError(f"workers never settled; see {self.log_path}")


def _ready_seconds(port: int, process: subprocess.Popen, started: float, log_path: Path, seconds: float = 180) -> float:
    """Seconds from `started` to the first 200 on /readyz, polling every 50 ms."""
    while time.perf_counter() - started < seconds:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return time.perf_counter() - started
        except OSError:  # refused while booting, or slow while a worker warms up
            pass
        finally:
            connection.close()
        time.sleep(0.05)
    raise RuntimeError(f"not ready after {seconds}s:\n{log_path.read_text()[-3000:]}")


@contextmanager
def serve(contender: Contender, log_path: Path) -> Iterator[tuple[Server, float]]:
    """Run the contender on a free port until the block ends; yield it and its start-to-/readyz seconds."""
    port = free_port()
    environment = dict(os.environ, HOST="127.0.0.1", PORT=str(port), PYTHONUNBUFFERED="1")
    with open(log_path, "w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(contender.command(), cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        ready = _ready_seconds(port, process, started, log_path)
        yield Server(process, port, log_path), ready
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the master (it stops its workers), SIGKILL it if it outlives the graceful timeout."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
