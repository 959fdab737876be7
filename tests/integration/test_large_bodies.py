"""A body within every limit that takes seconds of CPU to read (6 MB of one-number arrays) must not hold the
HTTP worker's event loop: /healthz and the seed request on that same worker are answered meanwhile."""

import json
import threading
import time

import pytest
import requests

from tests.forms import SEED_BODY
from tests.integration.conftest import live_server

# Serial: it measures how long other clients wait, which a parallel test on the same cores would change.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.serial]

# A refusal the schema makes only after reading all of it: a layer type that does not exist.
HEAVY = json.dumps(
    {"model": {"layers": [{"type": "NoSuchLayer"}], "input_shape": [900_000, 1]}, "inputs": [[[0.5]] * 900_000]}
).encode()


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    """One HTTP worker, so that the heavy bodies and the probes meet on the same event loop."""
    with live_server(tmp_path_factory.mktemp("large") / "gunicorn.log", WEB_CONCURRENCY="1") as (_, url):
        yield url


def test_reading_large_bodies_leaves_health_and_the_seed_answered_within_a_second(one_worker):
    statuses, worst = [], {"/healthz": 0.0, "/v1/predict": 0.0}

    def heavy():
        response = requests.post(
            f"{one_worker}/v1/predict", data=HEAVY, timeout=120, headers={"Content-Type": "application/json"}
        )
        statuses.append(response.status_code)

    senders = [threading.Thread(target=heavy) for _ in range(3)]
    for sender in senders:
        sender.start()
    while any(sender.is_alive() for sender in senders):
        for path, probe in (
            ("/healthz", lambda: requests.get(f"{one_worker}/healthz", timeout=10)),
            ("/v1/predict", lambda: requests.post(f"{one_worker}/v1/predict", json=SEED_BODY, timeout=10)),
        ):
            started = time.monotonic()
            assert probe().status_code == 200
            worst[path] = max(worst[path], time.monotonic() - started)
        time.sleep(0.05)
    assert statuses == [422, 422, 422]
    assert max(worst.values()) < 1.0, worst
