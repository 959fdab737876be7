"""Bounded by the operating system: whatever a request makes Keras do, it gets at most its compute and memory
budgets, its executor is replaced, and no other client's request fails meanwhile. Through the real gunicorn.

No timed assertions: each property is an order of events (the short request was answered while the long
ones were still running) or an outcome (status, the budget named, the executor replaced).
"""

import os
import signal
import threading
import time

import pytest
import requests

from keras_shape_service.schemas import PredictResponse, Problem
from tests.forms import SEED_BODY
from tests.integration.conftest import (
    SLOW_BODY,
    SLOW_BODY_BUDGET_S,
    executors,
    killer_server,
    live_server,
    post_from,
    rss_mb,
    runaway,
    running,
)

# Serial: it measures how long other clients wait, which a parallel test on the same cores would change.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.serial]

COMPUTE_BUDGET_S = 4.0
MEMORY_BUDGET_MB = 1500
# Many seconds of a core with 10M weights (well within the memory budget): the servers below let the estimates
# pass it, and the compute budget holds.
RUNAWAY = runaway()
# 3.6 GB of weights, allowed by the raised params limit: only the memory budget stands in the way.
MEMORY_BOMB = {
    "model": {"layers": [{"type": "Dense", "units": 30_000, "input_shape": [30_000]}]},
    "inputs": [[0.0] * 30_000],
}


@pytest.fixture(scope="module")
def budgeted(tmp_path_factory):
    """Two executors (one reserved for known-good requests) and two spares at most, small budgets, params and
    answer limits the bombs pass."""
    with killer_server(
        tmp_path_factory.mktemp("budgets") / "gunicorn.log",
        COMPUTE_BUDGET_S,
        WEB_CONCURRENCY="2",
        KSS_EXECUTORS="2",
        KSS_MAX_EXECUTORS="4",
        KSS_MEMORY_BUDGET_MB=str(MEMORY_BUDGET_MB),
        # These tests send the same runaway body again and again, from one address: each must run to its budget.
        KSS_KNOWN_KILLERS="0",
        KSS_MAX_KILLS_PER_CLIENT="1000",
    ) as server:
        yield server


def _distinct(index: int) -> dict:
    """A small never-seen model: no cache anywhere can answer it."""
    return {"model": {"layers": [{"type": "Dense", "units": 3 + index, "input_shape": [3]}]}, "inputs": [[1, 2, 3]]}


class Background:
    """Requests in threads, their answers kept, and whether each is still running."""

    def __init__(self, url: str, bodies: list[dict]):
        self.results: list = [None] * len(bodies)
        self.threads = [threading.Thread(target=self._post, args=(url, i, body)) for i, body in enumerate(bodies)]
        for thread in self.threads:
            thread.start()

    def _post(self, url: str, index: int, body: dict) -> None:
        try:
            self.results[index] = requests.post(f"{url}/v1/predict", json=body, timeout=120)
        except requests.RequestException as error:
            self.results[index] = error

    def running(self) -> bool:
        return all(thread.is_alive() for thread in self.threads)

    def join(self) -> list:
        for thread in self.threads:
            thread.join()
        return self.results


def _wait_until_busy(master_pid: int, count: int) -> None:
    """Until `count` executors are computing (their CPU time grows), so the runaway bodies hold them. An idle
    executor uses no CPU at all; a busy one on a loaded machine may get only a share of a core."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        busy = [pid for pid in executors(master_pid) if _cpu_ticks(pid, 0.5) > 2]
        if len(busy) >= count:
            return
    raise AssertionError("the long requests never occupied the executors")


def _cpu_ticks(pid: int, window_s: float) -> int:
    def ticks() -> int:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError):
            return 0

    before = ticks()
    time.sleep(window_s)
    return ticks() - before


def test_runaway_requests_are_stopped_at_the_compute_budget_while_others_are_answered(budgeted):
    master, url, _ = budgeted
    runaway = Background(url, [RUNAWAY, RUNAWAY])
    _wait_until_busy(master, 2)
    # Both executors are held: a never-seen model and a health check are answered by the spare meanwhile.
    answered = []
    for index in range(3):
        response = requests.post(f"{url}/v1/predict", json=_distinct(index), timeout=60)
        answered.append((response.status_code, runaway.running()))
    assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
    assert answered == [(200, True)] * 3, "short requests must not wait behind long ones"

    for response in runaway.join():
        assert response.status_code == 422, response.text
        problem = Problem.model_validate_json(response.content)
        assert (problem.limit, problem.limit_value) == ("compute_budget_s", COMPUTE_BUDGET_S)
        assert problem.request_value >= COMPUTE_BUDGET_S and "predicting" in problem.running
        assert "compute_budget_s=4" in problem.detail
    # Back to full capacity: as many never-seen models at once as there are executors, all answered.
    again = Background(url, [_distinct(10 + i) for i in range(3)]).join()
    assert [r.status_code for r in again] == [200, 200, 200]


def test_a_request_past_the_memory_budget_is_refused_and_its_memory_given_back(budgeted):
    master, url, _ = budgeted
    requests.post(f"{url}/v1/predict", json=SEED_BODY, timeout=60)
    before = executors(master)
    rss_before = rss_mb(before)
    response = requests.post(f"{url}/v1/predict", json=MEMORY_BOMB, timeout=60)
    assert response.status_code == 422, response.text
    problem = Problem.model_validate_json(response.content)
    assert (problem.limit, problem.limit_value) == ("memory_budget_mb", MEMORY_BUDGET_MB)
    assert "weights" in problem.running
    # The executor that ran it was replaced; the service answers as before, and holds no more memory.
    deadline = time.monotonic() + 30
    while len(set(executors(master)) - set(before)) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert set(executors(master)) - set(before), "the executor that ran out of memory must be replaced"
    assert PredictResponse.model_validate_json(
        requests.post(f"{url}/v1/predict", json=SEED_BODY, timeout=60).content
    ).output_shape == [1, 4]
    assert rss_mb(executors(master)) < rss_before + 300


def test_an_executor_killed_mid_request_twice_fails_that_request_alone(budgeted):
    """Killed once (as another request's kill might reach it), a request is sent again (test_capacity.py);
    killed again, it is answered 500."""
    master, url, _ = budgeted
    slow = Background(url, [RUNAWAY])
    first = running(master, "on inputs of shape [[1, 1]]")
    os.kill(first, signal.SIGKILL)
    os.kill(running(master, "on inputs of shape [[1, 1]]", other_than=(first,)), signal.SIGKILL)
    response = slow.join()[0]
    assert response.status_code == 500 and response.headers["Content-Type"] == "application/problem+json"
    assert "SIGKILL" in Problem.model_validate_json(response.content).detail
    assert requests.post(f"{url}/v1/predict", json=_distinct(20), timeout=60).status_code == 200


def test_a_busy_pool_answers_503_with_retry_after_at_the_deadline(tmp_path):
    with live_server(
        tmp_path / "gunicorn.log",
        WEB_CONCURRENCY="1",
        KSS_EXECUTORS="1",
        KSS_MAX_EXECUTORS="1",
        KSS_REQUEST_DEADLINE_MS="300",
        KSS_COMPUTE_BUDGET_S=SLOW_BODY_BUDGET_S,
    ) as (master, url):
        slow = Background(url, [SLOW_BODY])
        _wait_until_busy(master.pid, 1)
        refused = requests.post(f"{url}/v1/predict", json=_distinct(30), timeout=30)
        still_running = slow.running()
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
        assert Problem.model_validate_json(refused.content).title == "Service overloaded"
        assert still_running, "the refusal must come at the deadline, not after the long request"
        assert requests.get(f"{url}/healthz", timeout=10).status_code == 200, "health never waits for Keras"
        assert slow.join()[0].status_code == 200
        assert _retrying(f"{url}/v1/predict", _distinct(30)).status_code == 200
    # The refused request's connection, left waiting, was taken by the executor after: it found no one there.
    assert "BrokenPipeError" not in (tmp_path / "gunicorn.log").read_text()


def _retrying(url: str, body: dict, seconds: float = 60) -> requests.Response:
    """POST as a client that honours Retry-After would: with one executor, the gap while it is replaced
    (it recycles itself after a request that grew its memory) is answered 503."""
    deadline = time.monotonic() + seconds
    while True:
        response = requests.post(url, json=body, timeout=30)
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(float(response.headers.get("Retry-After", "1")))


def _exits(url: str) -> float:
    """Executor exits the manager counted, whatever the reason (kss_executor_exits_total on /metrics)."""
    text = requests.get(f"{url}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("kss_executor_exits_total{")
    )


def _replaced(master: int, url: str, exits: float) -> set[int]:
    """The executors once the manager has counted `exits` exits and a replacement is running."""
    deadline = time.monotonic() + 60
    while (_exits(url) < exits or not executors(master)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _exits(url) >= exits, "the stopped executor's exit was never counted"
    return set(executors(master))


def test_a_request_that_stopped_an_executor_is_refused_at_once_and_its_client_slowed(tmp_path):
    """One HTTP worker (the known killers are its own), two kills allowed per client and window."""
    with killer_server(
        tmp_path / "gunicorn.log",
        2,
        WEB_CONCURRENCY="1",
        KSS_EXECUTORS="1",
        KSS_MAX_EXECUTORS="2",
        KSS_MAX_KILLS_PER_CLIENT="2",
        KSS_KILL_WINDOW_S="600",
    ) as (master, url, _):
        first = requests.post(f"{url}/v1/predict", json=RUNAWAY, timeout=60)
        assert first.status_code == 422 and Problem.model_validate_json(first.content).limit == "compute_budget_s"
        running = _replaced(master, url, 1)
        exits = _exits(url)

        # Sent again, with other numbers: refused without an executor, none stopped.
        again = requests.post(f"{url}/v1/predict", json=dict(RUNAWAY, inputs=[[7.0]]), timeout=60)
        assert again.status_code == 422, again.text
        problem = Problem.model_validate_json(again.content)
        assert (problem.limit, problem.limit_value) == ("compute_budget_s", 2)
        assert "stopped before" in problem.detail and problem.running == "not run: stopped before"
        assert requests.post(f"{url}/v1/predict", json=SEED_BODY, timeout=60).status_code == 200
        assert _exits(url) == exits and set(executors(master)) == running, "no executor may be stopped again"

        # Another batch size is another request: it runs, and is this client's second kill.
        batch_of_two = requests.post(f"{url}/v1/predict", json=dict(RUNAWAY, inputs=[[1.0], [2.0]]), timeout=60)
        assert Problem.model_validate_json(batch_of_two.content).limit == "compute_budget_s"
        _replaced(master, url, exits + 1)

        # Two kills within the window: this client is slowed down, even for a good model; others are not (an
        # answer already in the worker's cache costs nothing, and is still given).
        slowed = requests.post(f"{url}/v1/predict", json=_distinct(40), timeout=60)
        assert slowed.status_code == 429 and 1 <= int(slowed.headers["Retry-After"]) <= 600
        refusal = Problem.model_validate_json(slowed.content)
        assert refusal.limit == "max_kills_per_client" and "2 of this client's requests" in refusal.detail
        status, answer = post_from(url, "127.0.0.2", _distinct(40))
        assert status == 200 and answer["output_shape"] == [1, 43]
