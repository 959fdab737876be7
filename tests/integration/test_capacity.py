"""Crash loops cannot starve known work (issue 21), through the real gunicorn: a stream of never-seen killers,
each from its own address, holds every executor that takes never-seen work while the seed model with new
inputs is answered by the one reserved for known-good requests; a request whose executor is killed for another
is sent again and answered.

No timed assertions: outcomes only (every good request 200 with its shape, the killers refused).
"""

import os
import random
import signal
import threading
import time

import pytest
import requests

from keras_shape_service.schemas import PredictResponse
from keras_shape_service.schemas.examples import SEED_MODEL
from tests.integration.conftest import killer_server, post_from, runaway, running

# Serial: it loads the machine's cores with killers, which a parallel test would feel (and slow this one).
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.serial]

# Long enough for test_a_request_whose_executor_is_killed... to find its request running on a loaded machine, and
# for that request to run again within it.
COMPUTE_BUDGET_S = 4.0
MEMORY_BUDGET_MB = 600
KILLERS = 6


def _compute_killer(index: int) -> dict:
    """Minutes of a core within every (raised) estimate limit; never seen (its first layer's width is new)."""
    return runaway(500 + index)


def _memory_killer(index: int) -> dict:
    """1 GB of weights, past the memory budget; never seen."""
    return {
        "model": {"layers": [{"type": "Dense", "units": 16_000 + index, "input_shape": [16_000]}]},
        "inputs": [[0.0] * 16_000],
    }


@pytest.fixture(scope="module")
def capacity(tmp_path_factory):
    """`make serve`'s two HTTP workers and two executors (one reserved), a spare at most, small budgets, a short
    wait for an executor, and estimate limits the killers pass."""
    with killer_server(
        tmp_path_factory.mktemp("capacity") / "gunicorn.log",
        COMPUTE_BUDGET_S,
        WEB_CONCURRENCY="2",
        KSS_EXECUTORS="2",
        KSS_MAX_EXECUTORS="3",
        KSS_MEMORY_BUDGET_MB=str(MEMORY_BUDGET_MB),
        KSS_REQUEST_DEADLINE_MS="1000",
    ) as server:
        yield server


def _seed_with_new_inputs(rng: random.Random) -> dict:
    return {"model": SEED_MODEL, "inputs": [[[rng.uniform(-9, 9), rng.uniform(-9, 9)] for _ in range(3)]]}


def test_a_stream_of_never_seen_killers_leaves_every_seed_request_answered(capacity):
    _, url, _ = capacity
    outcomes: list[tuple[int, object]] = []
    killers: list[int] = []
    stop = threading.Event()

    def good_client() -> None:
        rng = random.Random(0)
        with requests.Session() as session:
            while not stop.is_set():
                response = session.post(f"{url}/v1/predict", json=_seed_with_new_inputs(rng), timeout=60)
                shape = response.json().get("output_shape") if response.status_code == 200 else response.text
                outcomes.append((response.status_code, shape))

    def killer(index: int) -> None:
        body = _memory_killer(index) if index % 3 == 2 else _compute_killer(index)
        # Each from its own address: no per-client limit slows the stream (127/8 all routes to lo).
        killers.append(post_from(url, f"127.0.1.{index + 1}", body)[0])

    good = threading.Thread(target=good_client)
    good.start()
    stream = []
    for index in range(KILLERS):
        stream.append(threading.Thread(target=killer, args=(index,)))
        stream[-1].start()
        time.sleep(0.5)  # eight killers per budget: more than every other executor (two) can hold
    for thread in stream:
        thread.join()
    stop.set()
    good.join()

    assert len(killers) == KILLERS and set(killers) <= {422, 503}, killers
    assert 503 in killers, "the stream must have held every executor that takes never-seen work"
    assert outcomes and all(outcome == (200, [1, 4]) for outcome in outcomes), outcomes


def test_a_request_whose_executor_is_killed_for_another_is_sent_again_and_answered(capacity):
    master, url, log = capacity
    # A recurrent layer traces its loop and steps one after another: about a second, well within the budget.
    steps = 5_000
    body = {
        "model": {"layers": [{"type": "SimpleRNN", "units": 1, "input_shape": [steps, 1]}]},
        "inputs": [[[0.5]] * steps],
    }
    answer: list[requests.Response] = []
    sent = threading.Thread(target=lambda: answer.append(requests.post(f"{url}/v1/predict", json=body, timeout=60)))
    sent.start()
    # As the kill of a request past its budget would reach it (or an operator's, or the kernel's).
    os.kill(running(master, f"[1, {steps}, 1]"), signal.SIGKILL)
    sent.join()
    assert answer[0].status_code == 200, answer[0].text
    assert PredictResponse.model_validate_json(answer[0].content).output_shape == [1, 1]
    assert "was killed while running a predict request; sending it again" in log.read_text()
