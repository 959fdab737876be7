"""The gunicorn worker of the HTTP front: gevent, so that a slow client costs a greenlet, never a thread.

Keras runs in executor processes (keras_shape_service/executors/client.py), so an HTTP worker only reads, validates and
waits: with gevent, 200 clients trickling their headers or bodies are 200 idle greenlets, and /healthz,
/readyz and /metrics are answered in between (gunicorn's docs name async workers for slow clients). Headers
must arrive within `keepalive` seconds (gunicorn's gevent worker times the read of each request's head), a
body within KSS_BODY_TIMEOUT_S (keras_shape_service/http/body.py), and an answer must be read within
KSS_SEND_TIMEOUT_S (below). The errors gunicorn answers before the app sees the request (a malformed request
line, a bad Content-Length, headers too large) are problem+json too.
"""

import socket
import ssl
import time
from typing import Any, Optional

import gevent
from gunicorn import util
from gunicorn.http import errors
from gunicorn.workers.ggevent import GeventWorker

from keras_shape_service.schemas import Problem
from keras_shape_service.schemas.api import PROBLEM
from keras_shape_service.settings import Settings

_STATUS = {
    errors.LimitRequestHeaders: (431, "Request Header Fields Too Large"),
    errors.UnsupportedTransferCoding: (501, "Not Implemented"),
    errors.ForbiddenProxyRequest: (403, "Forbidden"),
    errors.ConfigurationProblem: (500, "Internal Server Error"),
}


def _status(error: BaseException) -> tuple[int, str]:
    for kind, status in _STATUS.items():
        if isinstance(error, kind):
            return status
    if isinstance(error, (errors.ParseException, ssl.SSLError)):
        return 400, "Bad Request"
    return 500, "Internal Server Error"


def client_caused(error: BaseException) -> bool:
    """Whether the client's bytes caused the error: gunicorn could not parse them (a 501 for a transfer coding
    it does not know, `xchunked`, included), or the TLS handshake failed. Not gunicorn's own configuration."""
    if isinstance(error, errors.ConfigurationProblem):
        return False
    return isinstance(error, (errors.ParseException, ssl.SSLError))


def problem_bytes(error: BaseException) -> bytes:
    """The whole HTTP response for an error gunicorn met before the app: problem+json, then close."""
    status, title = _status(error)
    detail = (
        f"the request could not be read: {str(error)[:300]}"
        if client_caused(error)
        else "the server failed to read the request"
    )
    if isinstance(error, errors.UnsupportedTransferCoding):
        detail += "; send the body with a Content-Length, or with Transfer-Encoding: chunked"
    body = Problem(title=title, status=status, detail=detail[:500]).model_dump_json(exclude_none=True).encode()
    head = (
        f"HTTP/1.1 {status} {title}\r\nConnection: close\r\nContent-Type: {PROBLEM}\r\n"
        f"X-Content-Type-Options: nosniff\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class SendTimedOut(socket.timeout):
    """The client did not read its answer within the send timeout."""


class _SendDeadline:
    """The client's socket as gunicorn's Response writes an answer to it: every send, from the first, must end
    within `seconds` in all. A gevent socket's sendall waits for the client to read for as long as it takes
    (gunicorn sets no timeout: a socket timeout would also bound the reads of the request), and meanwhile the
    answer, up to max_answer_bytes, stays in memory; a timer interrupts the wait however the client reads."""

    def __init__(self, sock: Any, seconds: float):
        self._sock, self._seconds = sock, seconds
        self._deadline: Optional[float] = None

    def _within_deadline(self, send: Any, *args: Any, **kwargs: Any) -> Any:
        if self._deadline is None:
            self._deadline = time.monotonic() + self._seconds
        return self._within(self._deadline - time.monotonic(), send, *args, **kwargs)

    def _within(self, seconds: float, send: Any, *args: Any, **kwargs: Any) -> Any:
        timed_out = SendTimedOut(f"the answer was not read within {self._seconds:g} s (limit send_timeout_s)")
        if seconds <= 0:
            raise timed_out
        with gevent.Timeout(seconds, timed_out):
            return send(*args, **kwargs)

    def sendall(self, *args: Any, **kwargs: Any) -> Any:
        return self._within_deadline(self._sock.sendall, *args, **kwargs)

    def send(self, *args: Any, **kwargs: Any) -> Any:
        # gunicorn's only send() is "100 Continue", before the body is read: bounded alone, not starting the
        # answer's deadline (which would then count the body's arrival and the computation too).
        return self._within(self._seconds, self._sock.send, *args, **kwargs)

    def sendfile(self, *args: Any, **kwargs: Any) -> Any:
        return self._within_deadline(self._sock.sendfile, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class Worker(GeventWorker):
    """gunicorn's gevent worker, answering its own errors as problem+json, and closing the connection of a
    client that does not read its answer within the send timeout."""

    send_timeout_s: Optional[float] = None

    def handle_request(self, listener_name, req, sock, addr):
        if self.send_timeout_s is None:
            self.send_timeout_s = Settings().send_timeout_s
        try:
            return super().handle_request(listener_name, req, _SendDeadline(sock, self.send_timeout_s), addr)
        except SendTimedOut as error:
            # One line, as for any client-caused error; StopIteration makes gunicorn close the connection.
            self.log.warning("Closed the connection of %s: %s", (addr or ("",))[0], error)
            # The traceback holds the unwound frames, which hold the answer and this exception (a cycle): cut, so
            # that the answer is freed now, not whenever the cyclic collector next looks (it held 56 MB answers).
            error.__traceback__ = None
            raise StopIteration from None

    def handle_error(self, req, client, addr, exc):
        # One line for what a client sent: a traceback at ERROR per request would let any client fill the log
        # and page whoever watches it. A traceback only where the server is at fault.
        if client_caused(exc):
            self.log.warning("Invalid request from %s: %s: %s", (addr or ("",))[0], type(exc).__name__, exc)
        else:
            self.log.exception("Error handling request")
        try:
            util.write_nonblock(client, problem_bytes(exc))
        except Exception:  # the client is gone
            self.log.debug("Failed to send error message.")
