"""Errors gunicorn meets before the app: answered as problem+json, and logged as one line when the client caused
them (issue 21: `Transfer-Encoding: xchunked` logged a full traceback at ERROR per request)."""

import io
import json
import logging
import socket
import types

import pytest
from gunicorn.config import Config
from gunicorn.http import RequestParser
from gunicorn.http import errors as http_errors

from keras_shape_service.http.worker import Worker


def _parse_error(raw: bytes) -> BaseException:
    """The error gunicorn's own parser raises for these bytes, as its worker meets it."""
    with pytest.raises(Exception) as raised:
        next(RequestParser(Config(), io.BytesIO(raw), ("127.0.0.1", 1)))
    return raised.value


def _handled(error: BaseException, caplog) -> tuple[bytes, list[logging.LogRecord]]:
    """What the worker writes back for the error, and what it logs."""
    log = logging.getLogger("test.gunicorn.error")
    worker = types.SimpleNamespace(log=log)
    ours, theirs = socket.socketpair()
    with ours, theirs, caplog.at_level(logging.DEBUG, logger=log.name):
        Worker.handle_error(worker, None, ours, ("203.0.113.7", 5555), error)
        ours.close()
        answer = theirs.makefile("rb").read()
    return answer, [record for record in caplog.records if record.name == log.name]


CLIENT_ERRORS = {
    "xchunked": b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n",
    "bad content-length": b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    "bad request line": b"GARBAGE\r\n\r\n",
}


@pytest.mark.parametrize("raw", CLIENT_ERRORS.values(), ids=CLIENT_ERRORS)
def test_a_request_gunicorn_cannot_read_is_one_warning_line_and_a_problem(raw, caplog):
    answer, records = _handled(_parse_error(raw), caplog)
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.split(b" ", 2)[1] in (b"400", b"501")
    assert b"application/problem+json" in head
    assert json.loads(body)["detail"].startswith("the request could not be read")
    (record,) = records
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "\n" not in record.getMessage() and "Traceback" not in caplog.text
    assert "203.0.113.7" in record.getMessage()


def test_xchunked_is_501_and_says_what_was_sent(caplog):
    error = _parse_error(CLIENT_ERRORS["xchunked"])
    assert isinstance(error, http_errors.UnsupportedTransferCoding)
    answer, (record,) = _handled(error, caplog)
    assert answer.startswith(b"HTTP/1.1 501 Not Implemented\r\n")
    assert "UnsupportedTransferCoding" in record.getMessage() and "xchunked" in record.getMessage()
    assert "Transfer-Encoding: chunked" in json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"]


def test_a_fault_of_the_server_keeps_its_traceback(caplog):
    try:
        raise RuntimeError("a bug in the worker")
    except RuntimeError as error:
        answer, (record,) = _handled(error, caplog)
    assert answer.startswith(b"HTTP/1.1 500 ")
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "a bug in the worker" not in answer.decode()
