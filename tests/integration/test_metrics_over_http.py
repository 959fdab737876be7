"""Metrics and access lines from the real gunicorn with two workers: counts from both add up in every scrape."""

import json
import time
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import live_server

pytestmark = pytest.mark.integration
WORKERS = 2
MAX_ROUNDS = 200  # requests until both workers have answered some; the kernel usually spreads them at once


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A gunicorn of its own, so that its counters and its log hold only this module's requests."""
    log_path = tmp_path_factory.mktemp("metrics") / "gunicorn.log"
    with live_server(log_path, WEB_CONCURRENCY=str(WORKERS)) as (process, url):
        _wait_for_every_worker(url, log_path)
        yield url, log_path


def _wait_for_every_worker(url: str, log_path, seconds: float = 120) -> None:
    """live_server returns once one worker is ready; the other may still be importing TensorFlow."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        requests.get(f"{url}/readyz", headers={"X-Request-ID": f"ready-{uuid.uuid4().hex}"}, timeout=10)
        ready = {line["pid"] for line in access_lines(log_path) if line["route"] == "/readyz" and line["status"] == 200}
        if len(ready) == WORKERS:
            return
        time.sleep(0.1)
    raise RuntimeError(f"not every worker answered /readyz within {seconds}s:\n{log_path.read_text()[-3000:]}")


def access_lines(log_path) -> list[dict]:
    lines = log_path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def healthz_count(url: str) -> tuple[float, str]:
    """The /healthz 200 count in one scrape, and the id of that scrape's request."""
    rid = uuid.uuid4().hex
    response = requests.get(f"{url}/metrics", headers={"X-Request-ID": rid}, timeout=10)
    assert response.status_code == 200 and response.headers["X-Request-ID"] == rid
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "kss_http_requests_total" and sample.labels == {
                "method": "GET",
                "route": "/healthz",
                "status": "200",
            }:
                return sample.value, rid
    return 0.0, rid


def served_by(log_path, prefix: str) -> dict[str, int]:
    """Request id to the pid of the worker that answered it, for ids starting with `prefix`."""
    return {line["request_id"]: line["pid"] for line in access_lines(log_path) if line["request_id"].startswith(prefix)}


def test_counts_from_both_workers_add_up_in_every_scrape(own_server):
    url, log_path = own_server
    sent = 0
    while sent < 20 or (len(set(served_by(log_path, "hz-").values())) < WORKERS and sent < MAX_ROUNDS):
        # no session: a new connection each time, which either worker may accept
        assert requests.get(f"{url}/healthz", headers={"X-Request-ID": f"hz-{sent}"}, timeout=10).ok
        sent += 1
    healthz_workers = set(served_by(log_path, "hz-").values())
    assert len(healthz_workers) == WORKERS, f"one worker answered all {sent} requests"

    scrapes = [healthz_count(url) for _ in range(8)]
    while len({served_by(log_path, "")[rid] for _, rid in scrapes}) < WORKERS and len(scrapes) < MAX_ROUNDS:
        scrapes.append(healthz_count(url))
    assert {count for count, _ in scrapes} == {sent}
    assert len({served_by(log_path, "")[rid] for _, rid in scrapes}) == WORKERS


def test_every_request_gets_one_json_access_line(own_server):
    url, log_path = own_server
    requests.post(
        f"{url}/v1/predict",
        data=b'{"secret": "body-marker-51c2"}',
        headers={"Content-Type": "application/json", "X-Request-ID": "one-line"},
        timeout=10,
    )
    lines = [line for line in access_lines(log_path) if line["request_id"] == "one-line"]
    assert len(lines) == 1 and lines[0]["route"] == "/v1/predict" and lines[0]["status"] == 422
    assert "body-marker-51c2" not in log_path.read_text()
