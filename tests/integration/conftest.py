"""The live server, started the way `make serve` starts it: gunicorn with the project's config, a free port
(keras_shape_service.testing.live_server, which the pytest plugin other projects load uses too)."""

import contextlib
import json
import os
import time
from collections.abc import Iterator
from http.client import HTTPConnection  # a module named `http` would be shadowed by the fixture below
from pathlib import Path

import pytest
import requests

from keras_shape_service.executors import wire
from keras_shape_service.testing import live_server

__all__ = ["live_server"]  # the integration tests import it from here, with the helpers below

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


# Estimate limits a killer passes: a server that tests what the compute and memory budgets stop once a request
# runs raises them, as the estimates would let through whatever cost they do not foresee.
KILLERS_PASS_ESTIMATES = {
    "KSS_MAX_PARAMS": "1000000000",
    "KSS_MAX_MULTIPLY_ADDS": "100000000000000",
    "KSS_MAX_ACTIVATION_ELEMENTS": "100000000",
    # A runaway's answer would be 240 MB (20,000 x 500 numbers): past the default answer limit it would be refused
    # before it runs.
    "KSS_MAX_ANSWER_BYTES": "1000000000",
}


@contextlib.contextmanager
def killer_server(log: Path, compute_budget_s: float, **environment: str) -> Iterator[tuple[int, str, Path]]:
    """A live server whose estimate limits let killers (`runaway`, a bomb of weights) through to its budgets;
    yields (master pid, base URL, log). `environment`: its other settings (executors, memory budget...)."""
    with live_server(log, KSS_COMPUTE_BUDGET_S=str(compute_budget_s), **KILLERS_PASS_ESTIMATES, **environment) as (
        master,
        url,
    ):
        yield master.pid, url, log


def runaway(first_units: int = 500) -> dict:
    """2e11 multiply-adds, minutes of a core, with 10M weights: within every estimate limit `killer_server`
    raises, it runs until its compute budget. Another `first_units` is another, never-seen, model."""
    layers = [{"type": "Dense", "units": first_units, "input_shape": [1]}, {"type": "RepeatVector", "n": 20_000}]
    return {"model": {"layers": layers + [{"type": "Dense", "units": 500}] * 40}, "inputs": [[1.0]]}


def post_from(url: str, source: str, body: dict) -> tuple[int, dict]:
    """POST /v1/predict from another loopback address (Linux routes all of 127/8 to lo): another client."""
    host, port = url.removeprefix("http://").split(":")
    conn = HTTPConnection(host, int(port), timeout=60, source_address=(source, 0))
    try:
        conn.request("POST", "/v1/predict", json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


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


def run_dir(master_pid: int) -> wire.RunDir:
    """The executors' run directory, from an executor's environment (gunicorn_conf.py names its socket there)."""
    with open(f"/proc/{executors(master_pid)[0]}/environ", "rb") as environ:
        variables = dict(item.split(b"=", 1) for item in environ.read().split(b"\0") if b"=" in item)
    return wire.RunDir(variables[b"KSS_EXECUTOR_SOCKET"].decode())


def running(master_pid: int, text: str, other_than: tuple[int, ...] = ()) -> int:
    """The executor whose phase (what it says it is doing, in the run directory) names `text`, as soon as one
    does; none of `other_than`."""
    found, deadline = run_dir(master_pid), time.monotonic() + 30
    while time.monotonic() < deadline:
        for pid in executors(master_pid):
            if pid not in other_than and text in found.phase(pid):
                return pid
        time.sleep(0.005)
    raise AssertionError(f"no executor ever ran {text}")


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:  # an exiting process has no VmRSS line
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1024


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One gunicorn for the whole session (TensorFlow takes seconds to import in each worker)."""
    with live_server(tmp_path_factory.mktemp("server") / "gunicorn.log", WEB_CONCURRENCY="2") as (process, url):
        yield url


@pytest.fixture(scope="session")
def http():
    with requests.Session() as session:
        yield session
