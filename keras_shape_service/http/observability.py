"""Every request counted, timed and logged as one JSON line with its X-Request-ID, and the GET /metrics view.

The metrics themselves are defined in keras_shape_service/metrics.py, shared with the executors (multiprocess mode).
"""

import json
import logging
import os
import re
import sys
import time
import uuid
from typing import Optional

from flask import Flask, Response, g, request
from flask.logging import has_level_handler
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from keras_shape_service.metrics import LATENCY, REQUESTS

# prometheus-client chooses where samples live once, at import, from this variable; scrapes must agree with it
# even if the variable changes later in this process.
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR" in os.environ
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Label values must come from small fixed sets: a client could otherwise mint a time series per request.
_LABELLED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_UNMATCHED_ROUTE = "unmatched"
_LOGGED_PATH_CHARS = 256

access_log = logging.getLogger("kss.access")


def request_id(header: Optional[str]) -> str:
    """The client's X-Request-ID if it is a short token of safe characters, else a fresh one."""
    if header and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _start() -> None:
    g.kss_started = time.perf_counter()
    g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER))


def _finish(response: Response) -> Response:
    """Count, time and log the request (never its body), and echo its request id."""
    seconds = time.perf_counter() - g.get("kss_started", time.perf_counter())
    rid = g.get("request_id") or request_id(request.headers.get(REQUEST_ID_HEADER))
    method = request.method if request.method in _LABELLED_METHODS else "other"
    route = request.url_rule.rule if request.url_rule is not None else _UNMATCHED_ROUTE
    REQUESTS.labels(method, route, str(response.status_code)).inc()
    LATENCY.labels(method, route).observe(seconds)
    response.headers[REQUEST_ID_HEADER] = rid
    access_log.info(
        json.dumps(
            {
                "method": request.method[:16],
                "path": request.path[:_LOGGED_PATH_CHARS],
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 3),
                "request_id": rid,
                "pid": os.getpid(),
            }
        )
    )
    return response


def metrics() -> Response:
    """Every metric in Prometheus's text format, summed over all gunicorn workers."""
    registry = REGISTRY
    if MULTIPROCESS:
        registry = CollectorRegistry()  # per scrape, as prometheus-client's multiprocess docs prescribe
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)


def _configure_access_log() -> None:
    """Print access lines bare to stdout unless the host already handles them (Flask's rule for app.logger)."""
    access_log.setLevel(logging.INFO)
    if not has_level_handler(access_log):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)


def init_app(app: Flask) -> None:
    """Count, time and log every request of `app` (routes.py serves GET /metrics)."""
    app.before_request(_start)
    app.after_request(_finish)
    _configure_access_log()
