"""An answer its client never reads holds the HTTP worker's memory only until the send timeout: then the
connection is closed and the answer freed, while other clients are answered throughout (issue 21). Through the
real gunicorn, over raw sockets that send a request and never read."""

import json
import select
import socket
import time

import pytest
import requests

from tests.forms import SEED_BODY
from tests.integration.conftest import http_workers, live_server, rss_mb

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SEND_TIMEOUT_S = 4
# Dense(2600) on a batch of 1000 x 1: 2.6 million numbers, an answer of about 56 MB (under max_answer_bytes).
BIG_ANSWER_BODY = json.dumps(
    {"model": {"layers": [{"type": "Dense", "units": 2600}], "input_shape": [1]}, "inputs": [[0.5]] * 1000}
).encode()
UNREAD = 3
HELD_MB = 100  # the three answers take about 170 MB while held
FREED_MB = 30  # back within this of the baseline once they are dropped (one answer is 56 MB)


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    log = tmp_path_factory.mktemp("unread") / "gunicorn.log"
    with live_server(log, WEB_CONCURRENCY="1", KSS_SEND_TIMEOUT_S=str(SEND_TIMEOUT_S)) as (process, url):
        yield process, url, log


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _send_and_never_read(url: str) -> socket.socket:
    sock = socket.create_connection(_address(url))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the kernel buffers little of the answer
    head = "POST /v1/predict HTTP/1.1\r\nHost: kss\r\nContent-Type: application/json\r\n"
    sock.sendall(f"{head}Content-Length: {len(BIG_ANSWER_BODY)}\r\n\r\n".encode() + BIG_ANSWER_BODY)
    return sock


def _wait_for(condition, within_s: float = 120) -> bool:
    """Whether `condition` came true within the time (a bound on waiting, not an assertion on speed)."""
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_an_unread_answer_is_dropped_after_the_send_timeout_and_others_are_answered(front):
    process, url, log = front
    (worker,) = http_workers(process.pid)
    whole = requests.post(url + "/v1/predict", data=BIG_ANSWER_BODY, headers={"Content-Type": "application/json"})
    assert whole.status_code == 200  # read at once, the same answer is sent whole
    answer_bytes = len(whole.content)
    assert answer_bytes > 50_000_000
    del whole
    baseline = rss_mb([worker])

    unread = [_send_and_never_read(url) for _ in range(UNREAD)]
    # Each answer is being sent once its first bytes reach the client: then it is whole in the worker's memory.
    assert _wait_for(lambda: all(select.select([sock], [], [], 0)[0] for sock in unread))
    assert rss_mb([worker]) - baseline > HELD_MB

    assert requests.get(url + "/healthz", timeout=30).status_code == 200
    seed = requests.post(url + "/v1/predict", json=SEED_BODY, timeout=60)
    assert seed.status_code == 200
    assert seed.json()["output_shape"] == [1, 4]

    closed = f"the answer was not read within {SEND_TIMEOUT_S} s (limit send_timeout_s)"
    assert _wait_for(lambda: log.read_text().count(closed) == UNREAD), log.read_text()[-2000:]
    assert _wait_for(lambda: rss_mb([worker]) - baseline < FREED_MB), (baseline, rss_mb([worker]))
    for sock in unread:  # what arrived before the close: the head of the answer the client never read
        head = sock.recv(4096, socket.MSG_PEEK)
        sock.close()
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert f"content-length: {answer_bytes}".encode() in head.lower()
    assert "Traceback" not in log.read_text()  # one line each, as for any client-caused error
