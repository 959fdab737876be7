"""pytest plugin (entry point pytest11 `keras_shape_service`): a session fixture `keras_shape_service`, a
Client of the real service, started once for the session on a free port and stopped at its end:

    def test_flatten(keras_shape_service):
        assert keras_shape_service.predict(body).output_shape == [1, 4]

Settings go in the environment the fixture `keras_shape_service_environment` returns (override it in a
conftest.py). The server's log is kept in the session's temporary folder; where a test using the fixture
fails, its path and last lines are printed in the terminal summary.
"""

from typing import Any, Generator, Iterator

import pytest

from keras_shape_service.client import Client
from keras_shape_service.testing import live_server

FIXTURE = "keras_shape_service"
_LOG_LINES = 60
_logs: list = []  # the session's server log, once started
_failed: list[str] = []  # the node ids of failed tests that used the server


@pytest.fixture(scope="session")
def keras_shape_service_environment() -> dict[str, str]:
    """The server's environment beyond this process's own: one HTTP worker and one executor (a test suite's
    requests come one at a time); any KSS_* setting may be added."""
    return {"WEB_CONCURRENCY": "1", "KSS_EXECUTORS": "1"}


@pytest.fixture(scope="session", name=FIXTURE)
def keras_shape_service_client(tmp_path_factory, keras_shape_service_environment) -> Iterator[Client]:
    """A Client of the real service (gunicorn), ready to answer."""
    log_path = tmp_path_factory.mktemp("keras_shape_service") / "gunicorn.log"
    _logs.append(log_path)
    with live_server(log_path, **keras_shape_service_environment) as (_, url), Client(url) as client:
        yield client


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and FIXTURE in getattr(item, "fixturenames", ()):
        _failed.append(item.nodeid)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not (_failed and _logs and _logs[-1].exists()):
        return
    lines = _logs[-1].read_text(errors="replace").splitlines()[-_LOG_LINES:]
    terminalreporter.section("keras-shape-service server log")
    terminalreporter.write_line(f"{len(_failed)} failed test(s) used the server; its log: {_logs[-1]}")
    for line in lines:
        terminalreporter.write_line(line)
