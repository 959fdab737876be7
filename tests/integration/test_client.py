"""keras_shape_service.client.Client against the real gunicorn server; the pytest plugin in a project of its
own; and `keras-shape-service serve`."""

import importlib.metadata
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from keras_shape_service.client import Client, ServiceRefusal
from keras_shape_service.schemas import PredictRequest, PredictResponse, SummaryResponse
from keras_shape_service.schemas.examples import SEED_CODE, SEED_COMPARE, SEED_PREDICT
from keras_shape_service.testing import free_port, stop, wait_ready

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client(server):
    with Client(server) as client:
        yield client


def test_predict_of_the_seed_as_a_model_or_a_dict(client):
    answer = client.predict(PredictRequest.model_validate(SEED_PREDICT))
    assert isinstance(answer, PredictResponse) and answer.output_shape == [1, 4]
    assert [row.output_shape for row in answer.layers] == [[None, 3, 16], [None, 3, 16], [None, 48], [None, 4]]
    assert client.predict({"code": SEED_CODE}).predictions == answer.predictions  # the same seed, same weights


def test_summary_diagram_compare_and_health(client):
    summary = client.summary({"code": SEED_CODE})
    assert isinstance(summary, SummaryResponse) and summary.params.total == 244
    assert summary.model["layers"][0]["units"] == 16  # the spec the code was read as
    assert 'aria-label="4 layers, 244 params"' in client.diagram({"code": SEED_CODE})
    compared = client.compare(SEED_COMPARE)
    assert (compared.a.params.total, compared.b.params.total) == (244, 116)
    assert compared.differences[-1].what == "params in all: 244 in a, 116 in b"
    assert client.health().status == "ok" and client.ready().status == "ok"


def test_a_refused_model_raises_the_problem(client):
    body = {"model": {"layers": [{"type": "Dense", "unit": 16, "input_shape": [10]}]}}
    with pytest.raises(ServiceRefusal) as refused:
        client.summary(body)
    assert refused.value.status == 422 and refused.value.title == "Invalid request"
    [error] = refused.value.errors
    assert error.loc == ["model", "layers", 0, "unit"]
    assert error.hint == "Dense has no argument 'unit': did you mean 'units'?"
    assert [op.model_dump(exclude_none=True) for op in error.fix] == [
        {"op": "remove", "path": "/model/layers/0/unit"},
        {"op": "add", "path": "/model/layers/0/units", "value": 16},
    ]
    assert "did you mean 'units'?" in str(refused.value)


class _Busy(BaseHTTPRequestHandler):
    """A service answering 503 with Retry-After: 0 to its first `busy` requests, then the seed's answer."""

    busy = 2
    seen: list[str] = []
    answer = b""

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(self.path)
        if len(self.seen) <= self.busy:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            body = b'{"title": "Service Unavailable", "status": 503, "detail": "busy"}'
            self.send_header("Content-Type", "application/problem+json")
        else:
            self.send_response(200)
            body = _Busy.answer
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_503_is_retried_after_retry_after_then_raised(client):
    _Busy.answer = client.session.post(client.base_url + "/v1/summary", json={"code": SEED_CODE}).content
    busy = ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    threading.Thread(target=busy.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{busy.server_address[1]}"
        _Busy.seen = []
        with Client(url, retries=2) as patient:
            assert patient.summary({"code": SEED_CODE}).params.total == 244
        assert len(_Busy.seen) == 3
        _Busy.seen = []
        with pytest.raises(ServiceRefusal) as refused, Client(url, retries=1) as impatient:
            impatient.summary({"code": SEED_CODE})
        assert refused.value.status == 503 and refused.value.detail == "busy" and len(_Busy.seen) == 2
    finally:
        busy.shutdown()
        busy.server_close()


PROJECT_TEST = '''
"""Another project's test: it knows nothing of this repository but the fixture and the client."""

import pytest

from keras_shape_service.client import ServiceRefusal

SEED = {
    "model": {"layers": [{"type": "Dense", "units": 16, "input_shape": [3, 2]}, {"type": "Flatten"},
                         {"type": "Dense", "units": 4}]},
    "inputs": [[[1, 2], [3, 4], [5, 6]]],
}


def test_flatten(keras_shape_service):
    assert keras_shape_service.predict(SEED).output_shape == [1, 4]


def test_without_flatten(keras_shape_service):
    del SEED["model"]["layers"][1]
    assert keras_shape_service.predict(SEED).output_shape == [1, 3, 4]


def test_refused(keras_shape_service):
    with pytest.raises(ServiceRefusal) as refused:
        keras_shape_service.summary({"model": {"layers": [{"type": "Dense", "units": 0, "input_shape": [2]}]}})
    assert refused.value.status == 422
'''


def _plugin_arguments() -> list[str]:
    """Where the package is installed (make test installs it), pytest loads the plugin by its entry point, as in
    another project; from a bare checkout, it is named."""
    installed = any(point.name == "keras_shape_service" for point in importlib.metadata.entry_points(group="pytest11"))
    return [] if installed else ["-p", "keras_shape_service.pytest_plugin"]


def _run_project(folder: Path) -> subprocess.CompletedProcess:
    """pytest run in another project's folder, the package importable as if installed."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-m", "pytest", *_plugin_arguments(), "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_another_project_using_the_plugin_passes(tmp_path):
    """A project of one test file, pytest run on it as its own CI would, with the plugin loaded by name (as the
    pytest11 entry point loads it once the package is installed)."""
    (tmp_path / "test_shapes.py").write_text(PROJECT_TEST)
    done = _run_project(tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "3 passed" in done.stdout
    # A failing test prints the server's log: where it is, and its last lines.
    (tmp_path / "test_shapes.py").write_text(
        PROJECT_TEST
        + "\n\ndef test_wrong(keras_shape_service):\n    assert keras_shape_service.summary(SEED).params.total == 1\n"
    )
    failed = _run_project(tmp_path)
    assert failed.returncode == 1 and "1 failed, 3 passed" in failed.stdout
    assert "keras-shape-service server log" in failed.stdout
    assert "1 failed test(s) used the server; its log: " in failed.stdout
    # gunicorn's own lines ("[pid] [INFO] ..."): which ones are last depends on how long the warm-up took.
    assert re.search(r"\] \[\d+\] \[(INFO|WARNING)\] ", failed.stdout), failed.stdout[-3000:]


@pytest.mark.slow
def test_serve_runs_the_service_as_make_serve_does(tmp_path):
    port = free_port()
    log_path = tmp_path / "serve.log"
    # The package on PYTHONPATH as if installed; run from elsewhere, it finds its own gunicorn configuration.
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3", KSS_EXECUTORS="1")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "keras_shape_service.cli", "serve", "--port", str(port), "--workers", "1"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, process, log_path)
        with Client(url) as client:
            assert client.summary({"code": SEED_CODE}).params.total == 244
            assert client.session.get(url + "/healthz", timeout=10).json() == {"status": "ok"}
    finally:
        stop(process)
    assert process.returncode == 0, log_path.read_text()[-3000:]
    assert f"Listening at: http://127.0.0.1:{port}" in log_path.read_text()
