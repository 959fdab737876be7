"""Request ids, the access log line and /metrics, through the Flask test client (one process, no multiprocess dir)."""

import json
import logging
import os
import re
import resource
import uuid
from pathlib import Path
from types import SimpleNamespace

import gunicorn.config
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.forms import SEED_BODY

ROOT = Path(__file__).resolve().parents[2]
ACCESS_FIELDS = {"method", "path", "route", "status", "duration_ms", "request_id", "pid"}
BODY_MARKER = "body-marker-7f3a9c"


def metric(client, name: str, **labels: str) -> float:
    """One sample's value from a scrape of /metrics, 0 if it is not there yet."""
    text = client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def access_lines(caplog) -> list[dict]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == "kss.access"]


@pytest.mark.parametrize("sent", ["abc-123", "trace.7f:01_A", "a" * 128])
def test_a_sane_request_id_is_echoed(client, sent):
    assert client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"] == sent


@pytest.mark.parametrize("sent", [None, "", "has space", "a" * 129, "semi;colon", "ünicode"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_fresh_one(client, sent):
    headers = {} if sent is None else {"X-Request-ID": sent}
    echoed = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert echoed != sent and re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_one_access_line_per_request_with_its_fields_and_never_the_body(client, caplog):
    body = {**SEED_BODY, "model": {**SEED_BODY["model"], "name": BODY_MARKER}}
    caplog.set_level(logging.INFO, logger="kss.access")
    response = client.post("/v1/predict?q=1", json=body, headers={"X-Request-ID": "req-1"})
    assert response.status_code == 200
    [line] = access_lines(caplog)
    assert set(line) == ACCESS_FIELDS
    assert line | {"duration_ms": 0} == {
        "method": "POST",
        "path": "/v1/predict",
        "route": "/v1/predict",
        "status": 200,
        "duration_ms": 0,
        "request_id": "req-1",
        "pid": os.getpid(),
    }
    assert line["duration_ms"] > 0
    assert all(BODY_MARKER not in record.getMessage() for record in caplog.records)


def test_refusals_are_logged_too(client, caplog):
    caplog.set_level(logging.INFO, logger="kss.access")
    client.post("/v1/predict", data=b"{", content_type="application/json")
    [line] = access_lines(caplog)
    assert line["status"] == 400 and line["route"] == "/v1/predict" and len(line["request_id"]) == 32


def test_metrics_count_requests_by_route_and_status(client):
    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    before = metric(client, "kss_http_requests_total", **labels)
    for _ in range(3):
        client.get("/healthz")
    assert metric(client, "kss_http_requests_total", **labels) == before + 3
    assert metric(client, "kss_http_request_duration_seconds_count", method="GET", route="/healthz") >= 3


def test_unknown_paths_and_methods_share_bounded_labels(client):
    before = metric(client, "kss_http_requests_total", method="other", route="unmatched", status="405")
    client.get("/no/such/path/1")
    client.open("/v1/predict", method="BREW")
    assert metric(client, "kss_http_requests_total", method="other", route="unmatched", status="405") == before + 1
    text = client.get("/metrics").get_data(as_text=True)
    assert "/no/such/path" not in text and "BREW" not in text


def test_a_refusal_is_counted_by_reason(client):
    keras_refusal = {"model": {"layers": [{"type": "Reshape", "target_shape": [7]}]}, "inputs": [[1, 2]]}
    before = {
        reason: metric(client, "kss_refusals_total", reason=reason)
        for reason in ("ValidationError", "ModelRejected", "UnsupportedMediaType")
    }
    assert client.post("/v1/predict", json={"model": {}, "inputs": [[1]]}).status_code == 422
    assert client.post("/v1/predict", json=keras_refusal).status_code == 422
    assert client.post("/v1/predict", data=b"{}", content_type="text/plain").status_code == 415
    for reason, count in before.items():
        assert metric(client, "kss_refusals_total", reason=reason) == count + 1


def test_builds_are_counted_by_kind_and_cache_hits_are_not(client):
    model = {**SEED_BODY["model"], "name": f"counted_{uuid.uuid4().hex}"}  # a model no worker cache holds yet
    before = metric(client, "kss_model_builds_total", kind="summary")
    for _ in range(2):
        assert client.post("/v1/summary", json={"model": model}).status_code == 200
    assert metric(client, "kss_model_builds_total", kind="summary") == before + 1


def test_metrics_are_prometheus_text_and_documented(client):
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "# TYPE kss_http_request_duration_seconds histogram" in response.get_data(as_text=True)
    assert (
        "text/plain"
        in client.get("/openapi.json").get_json()["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    )


@pytest.fixture
def gunicorn_hooks(monkeypatch):
    """The hooks of the one gunicorn config, with the variables on_starting sets restored afterwards (a
    KSS_EXECUTOR_SOCKET left behind sent every app made later in this process to executors that had stopped)."""
    for variable in ("PROMETHEUS_MULTIPROC_DIR", "KSS_EXECUTOR_SOCKET"):
        monkeypatch.setenv(variable, "placeholder")
        monkeypatch.delenv(variable)
    namespace: dict = {}
    exec((ROOT / "keras_shape_service" / "gunicorn_conf.py").read_text(), namespace)
    return namespace


def _arbiter(**settings) -> SimpleNamespace:
    """What the hooks read of gunicorn's arbiter: its configuration, gunicorn's own Config."""
    config = gunicorn.config.Config()
    for name, value in settings.items():
        config.set(name, value)
    return SimpleNamespace(cfg=config)


def test_gunicorn_master_makes_a_metrics_dir_and_removes_it_on_exit(gunicorn_hooks):
    gunicorn_hooks["on_starting"](_arbiter())
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    assert directory.is_dir() and not any(directory.iterdir())
    gunicorn_hooks["on_exit"](None)
    assert not directory.exists()


def test_gunicorn_master_empties_an_operators_metrics_dir_and_keeps_it(gunicorn_hooks, tmp_path, monkeypatch):
    (tmp_path / "counter_123.db").write_bytes(b"stale")
    (tmp_path / "notes.txt").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    gunicorn_hooks["on_starting"](_arbiter())
    gunicorn_hooks["on_exit"](None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_gunicorn_master_opens_files_enough_for_every_slot(gunicorn_hooks):
    """Many systems start a process at 1,024 open files, fewer than one worker's 4,000 connection slots: past the
    limit, accept() fails and the slots are never reached."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, soft), hard))
    try:
        gunicorn_hooks["on_starting"](_arbiter(workers=2, worker_connections=4000))
        gunicorn_hooks["on_exit"](None)
        raised = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        assert raised == (2 * 4000 + 1024 if hard == resource.RLIM_INFINITY else min(2 * 4000 + 1024, hard))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
