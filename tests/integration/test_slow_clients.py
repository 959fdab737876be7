"""Slow, huge and odd ways of sending a request: none holds the service, and every answer is problem+json.
Through the real gunicorn, over raw sockets where `requests` would not send such a thing."""

import socket
import threading

import pytest
import requests

from keras_shape_service.schemas import Problem
from tests.forms import SEED_BODY
from tests.integration.conftest import live_server

# Serial: it measures how long other clients wait, which a parallel test on the same cores would change.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.serial]

MAX_BODY = 100_000
BODY_TIMEOUT_S = 6
TRICKLERS = 200


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    log = tmp_path_factory.mktemp("slow") / "gunicorn.log"
    with live_server(
        log, WEB_CONCURRENCY="2", KSS_MAX_BODY_BYTES=str(MAX_BODY), KSS_BODY_TIMEOUT_S=str(BODY_TIMEOUT_S)
    ) as (_, url):
        yield url


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _raw(url: str, data: bytes) -> bytes:
    """Send bytes as they are and read one answer: its head, then as many bytes as its Content-Length says."""
    with socket.create_connection(_address(url), timeout=30) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received and (chunk := sock.recv(65536)):
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")
        )
        while len(body) < length and (chunk := sock.recv(65536)):
            body += chunk
    return head + b"\r\n\r\n" + body


def _problem_of(raw: bytes, status: int) -> Problem:
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == str(status).encode(), head
    assert b"content-type: application/problem+json" in head.lower(), head
    problem = Problem.model_validate_json(body)
    assert problem.status == status
    return problem


class Tricklers:
    """Connections that send a request a byte at a time: half stuck in their headers, half in their body."""

    def __init__(self, url: str, count: int):
        self.sockets = [socket.create_connection(_address(url), timeout=30) for _ in range(count)]
        for index, sock in enumerate(self.sockets):
            if index % 2:  # headers complete, a body that will come a byte at a time
                sock.sendall(
                    b"POST /v1/predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 1000\r\n\r\n{"
                )
            else:
                sock.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle)
        self._thread.start()

    def _trickle(self) -> None:
        while not self._stop.wait(0.5):
            for sock in self.sockets:
                try:
                    sock.send(b" ")
                except OSError:
                    pass

    def open_count(self) -> int:
        """Connections the server still holds open, waiting for the rest (no answer, no close yet)."""
        count = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                sock.recv(1, socket.MSG_PEEK)  # an answer, or b"" for a closed connection: not waiting
            except BlockingIOError:
                count += 1
            except OSError:
                pass
            finally:
                sock.setblocking(True)
        return count

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()


def test_trickling_clients_delay_neither_health_nor_the_seed(front):
    tricklers = Tricklers(front, TRICKLERS)
    try:
        answers = [
            requests.get(f"{front}/healthz", timeout=30).status_code,
            requests.get(f"{front}/readyz", timeout=30).status_code,
            requests.get(f"{front}/metrics", timeout=30).status_code,
            requests.post(f"{front}/v1/predict", json=dict(SEED_BODY, seed=11), timeout=30).status_code,
        ]
        still_open = tricklers.open_count()
    finally:
        tricklers.close()
    assert answers == [200, 200, 200, 200]
    assert still_open == TRICKLERS, "the answers must come while every slow client is still being waited for"


def test_a_body_slower_than_the_body_timeout_is_408(front):
    head = (
        b"POST /v1/predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"model": '
    )
    problem = _problem_of(_raw(front, head), 408)
    assert "body_timeout_s" in problem.detail


def test_a_chunked_body_past_the_limit_is_413(front):
    def chunks():
        for _ in range(MAX_BODY // 10_000 + 2):
            yield b" " * 10_000

    response = requests.post(
        f"{front}/v1/predict", data=chunks(), headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 413 and response.headers["Content-Type"] == "application/problem+json"
    problem = Problem.model_validate_json(response.content)
    assert problem.limit == "max_body_bytes" and problem.request_value > MAX_BODY


def test_a_huge_body_sent_without_expect_continue_still_reads_its_413(front):
    """requests sends the whole body before it reads: the server must read on after refusing it."""
    response = requests.post(
        f"{front}/v1/predict", data=b" " * (50 * MAX_BODY), headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 413
    assert Problem.model_validate_json(response.content).limit == "max_body_bytes"


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"POST /v1/predict HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ],
)
def test_what_gunicorn_refuses_itself_is_problem_json_too(front, request_bytes, status):
    _problem_of(_raw(front, request_bytes), status)
