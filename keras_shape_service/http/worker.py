"""The gunicorn worker of the HTTP front: gevent, so that a slow client costs a greenlet, never a thread.

Keras runs in executor processes (keras_shape_service/executors/client.py), so an HTTP worker only reads, validates and
waits: with gevent, 200 clients trickling their headers or bodies are 200 idle greenlets, and /healthz,
/readyz and /metrics are answered in between (gunicorn's docs name async workers for slow clients). Headers
must arrive within `keepalive` seconds (gunicorn's gevent worker times the read of each request's head), a
body within KSS_BODY_TIMEOUT_S (keras_shape_service/http/body.py). The errors gunicorn answers before the app sees the
request (a malformed request line, a bad Content-Length, headers too large) are problem+json too.
"""

import ssl

from gunicorn import util
from gunicorn.http import errors
from gunicorn.workers.ggevent import GeventWorker

from keras_shape_service.schemas import Problem
from keras_shape_service.schemas.api import PROBLEM

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


class Worker(GeventWorker):
    """gunicorn's gevent worker, answering its own errors as problem+json."""

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
