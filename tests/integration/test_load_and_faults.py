"""Under load with hostile requests mixed in, a worker killed mid-run, a foreign frame on the executors' socket
and then a SIGTERM, good requests keep getting good answers: none a 5xx, only the killed worker's in-flight ones
lost, a clean exit after SIGTERM."""

import itertools
import os
import pickle
import signal
import socket
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest
import requests

from keras_shape_service.executors import wire
from keras_shape_service.schemas.examples import SEED_INPUTS
from tests.forms import SEED_BODY, SEED_LAYERS
from tests.integration.conftest import SLOW_BODY, SLOW_BODY_BUDGET_S, executors, http_workers, live_server

# Serial: it measures how long other clients wait, which a parallel test on the same cores would change.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.serial]

CLIENTS = 6
HOSTILE_BODIES = [
    b'{"model": {"layers": [{"type": "Lambda", "function": "lambda x: x"}]}, "inputs": [[1]]}',
    b'{"model": {"layers": [{"type": "Dense", "units": 50000, "input_shape": [50000]}]}, "inputs": [[1]]}',
    b'{"model": {"layers": [{"type": "Dense", "units": 2, "kernel_initializer": {"module": "os", '
    b'"class_name": "system", "config": {}}}]}, "inputs": [[1]]}',
    b'{"model": ',
    b"[" * 100_000,
]


@dataclass
class Outcome:
    good: bool
    started: float
    ended: float
    status: Optional[int]
    error: Optional[str]


def _good_body(index: int) -> dict:
    layers = [dict(SEED_LAYERS[0], units=8 + index % 5)] + SEED_LAYERS[1:]
    return {"model": {"layers": layers}, "inputs": SEED_INPUTS, "seed": index % 3}


def _client_loop(url: str, stop: threading.Event, counter, outcomes: list) -> None:
    while not stop.is_set():
        index = next(counter)
        good = index % 4 != 0
        started = time.monotonic()
        try:
            if good:
                response = requests.post(f"{url}/v1/predict", json=_good_body(index), timeout=60)
            else:
                response = requests.post(
                    f"{url}/v1/predict",
                    data=HOSTILE_BODIES[index % len(HOSTILE_BODIES)],
                    headers={"Content-Type": "application/json"},
                    timeout=60,
                )
            outcomes.append(Outcome(good, started, time.monotonic(), response.status_code, None))
        except requests.RequestException as error:
            outcomes.append(Outcome(good, started, time.monotonic(), None, type(error).__name__))


class _Command:
    """Unpickled by a plain pickle.loads, this would run `touch marker`."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _executor_socket(pid: int) -> str:
    """The socket executor `pid` accepts on, from its environment (gunicorn_conf.py names it there)."""
    with open(f"/proc/{pid}/environ", "rb") as environ:
        variables = dict(item.split(b"=", 1) for item in environ.read().split(b"\0") if b"=" in item)
    return variables[b"KSS_EXECUTOR_SOCKET"].decode()


def _send_a_foreign_job(master_pid: int, marker: Path) -> int:
    """A job frame whose request is a pickle that would run a command, sent to an executor as an HTTP worker
    would send one; the pid of the executor that took it, once it ended the connection without a reply."""
    payload = pickle.dumps(wire.Job("predict", _Command(marker)), protocol=pickle.HIGHEST_PROTOCOL)  # type: ignore[arg-type]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(30)
        conn.connect(_executor_socket(executors(master_pid)[0]))
        conn.sendall(struct.pack("!I", len(payload)) + payload)
        hello = wire.receive(conn, wire.Hello)
        assert hello is not None, "an executor takes the connection and says so"
        assert wire.receive(conn, *wire.REPLIES) is None, "the connection ends with no reply"
    return hello.pid


def test_load_with_hostile_requests_a_killed_worker_and_a_sigterm(tmp_path):
    log = tmp_path / "gunicorn.log"
    # A generous deadline: this test is about faults, not overload (test_overload.py is).
    with live_server(
        log, WEB_CONCURRENCY="2", KSS_REQUEST_DEADLINE_MS="30000", KSS_COMPUTE_BUDGET_S=SLOW_BODY_BUDGET_S
    ) as (master, url):
        outcomes: list[Outcome] = []
        stop, counter = threading.Event(), itertools.count()
        clients = [threading.Thread(target=_client_loop, args=(url, stop, counter, outcomes)) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        time.sleep(3)
        victim = http_workers(master.pid)[0]
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        time.sleep(3)  # gunicorn notices and starts a fresh HTTP worker
        stop.set()
        for client in clients:
            client.join()

        good = [o for o in outcomes if o.good]
        hostile = [o for o in outcomes if not o.good]
        assert len(good) > 50, "the load must be real"
        assert not [o for o in outcomes if o.status is not None and o.status >= 500], "no 5xx, for anyone"
        assert all(o.status in (400, 413, 422) for o in hostile if o.status is not None)
        lost = [o for o in good if o.status != 200]
        assert all(o.error and o.started <= killed_at <= o.ended for o in lost), "only in-flight ones are lost"
        assert len(lost) <= CLIENTS
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
        assert victim not in http_workers(master.pid) and len(http_workers(master.pid)) == 2

        # A frame on the executors' socket that is no message they read: refused, nothing in it run, logged once,
        # and the executor that took it serves on.
        marker = tmp_path / "ran"
        taker = _send_a_foreign_job(master.pid, marker)
        assert not marker.exists()
        assert taker in executors(master.pid)
        assert requests.post(f"{url}/v1/predict", json=SEED_BODY, timeout=30).status_code == 200
        refusals = [line for line in log.read_text().splitlines() if "refused its job" in line]
        assert len(refusals) == 1 and "posix.system is not part of the executors' wire" in refusals[0], refusals

        # SIGTERM while slow requests are in flight: each is answered, then gunicorn exits cleanly.
        in_flight: list = []

        def slow_request():
            status = requests.post(f"{url}/v1/predict", json=SLOW_BODY, timeout=60).status_code
            in_flight.append((status, time.monotonic()))

        slow = [threading.Thread(target=slow_request) for _ in range(2)]
        for thread in slow:
            thread.start()
        time.sleep(0.5)  # the bodies have arrived and are being computed
        terminated_at = time.monotonic()
        master.send_signal(signal.SIGTERM)
        for thread in slow:
            thread.join()
        assert master.wait(timeout=60) == 0
        assert [status for status, _ in in_flight] == [200, 200]
        assert any(ended > terminated_at for _, ended in in_flight), "SIGTERM came while they were in flight"
    assert "Shutting down: Master" in log.read_text()
