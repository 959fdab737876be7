"""Time is bounded: a busy worker answers 503 with Retry-After at once, a runaway request ends its worker."""
import threading
import time

import pytest
import requests

from schemas import Problem
from tests.forms import SEED_BODY
from tests.integration.conftest import SLOW_BODY, live_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

def _post_in_background(url: str, body: dict, results: list) -> threading.Thread:
    def post():
        try:
            results.append(requests.post(url, json=body, timeout=120).status_code)
        except requests.RequestException as error:
            results.append(type(error).__name__)
    thread = threading.Thread(target=post)
    thread.start()
    return thread


def test_a_busy_worker_answers_503_with_retry_after_quickly(tmp_path):
    with live_server(tmp_path / "gunicorn.log", WEB_CONCURRENCY="1", KSS_THREADS="4",
                     KSS_REQUEST_DEADLINE_MS="200") as (_, url):
        heavy_results: list = []
        heavy = _post_in_background(f"{url}/v1/predict", SLOW_BODY, heavy_results)
        # The heavy body takes a moment to arrive and be validated before it holds the Keras turn: until
        # then light requests are answered; once it holds it, they must be refused at their deadline.
        refusal, elapsed, attempt = None, None, 0
        while refusal is None and heavy.is_alive():
            attempt += 1  # another seed each time: a body answered before would come from the answer cache
            started = time.monotonic()
            response = requests.post(f"{url}/v1/predict", json=dict(SEED_BODY, seed=attempt), timeout=30)
            if response.status_code == 503:
                refusal, elapsed = response, time.monotonic() - started
            else:
                assert response.status_code == 200
                time.sleep(0.05)
        assert refusal is not None, "the heavy request never held the worker's turn"
        assert refusal.headers["Retry-After"] == "1"
        assert Problem.model_validate_json(refusal.content).title == "Service overloaded"
        assert elapsed < 2.0, "the refusal must come at the deadline, not after the heavy request"
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200, "health never waits for Keras"
        heavy.join()
        assert heavy_results == [200]
        assert requests.post(f"{url}/v1/predict", json=SEED_BODY, timeout=30).status_code == 200


def test_a_request_past_the_hard_timeout_ends_its_worker_and_service_recovers(tmp_path):
    log = tmp_path / "gunicorn.log"
    with live_server(log, WEB_CONCURRENCY="1", KSS_HARD_TIMEOUT_S="0.5") as (_, url):
        results: list = []
        _post_in_background(f"{url}/v1/predict", SLOW_BODY, results).join()
        assert results and results[0] != 200  # the connection is cut when the worker ends
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        assert requests.post(f"{url}/v1/predict", json=SEED_BODY, timeout=30).status_code == 200
    assert "held Keras for over" in log.read_text()
