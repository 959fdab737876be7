"""Thin endpoints: read and validate the body, delegate to the engine, answer its bytes.

Every route comes from the one route table, schemas.api.OPERATIONS, which the OpenAPI document is made of too.
"""
import hashlib
import json

from flask import Flask, Response, request
from werkzeug.exceptions import ServiceUnavailable

from schemas import Health
from schemas.api import JSON, OPERATIONS, operation
from schemas.openapi import openapi_document

from . import body, observability
from .context import services


def _answer(operation_id: str) -> Response:
    """Validate the body and answer it; answers are deterministic, so bytes already answered are answered
    again from memory, without parsing, validating or computing."""
    found = services()
    raw = body.raw_body(found.settings)
    key = f"{operation_id} {hashlib.sha256(raw).hexdigest()}"
    answer = found.answers.get(key)
    if answer is None:
        typed = body.validate(operation(operation_id).request, body.parse(raw, found.settings))
        answer = found.engine.answer(operation_id, typed)
        found.answers.put(key, answer)
    return Response(answer, mimetype=JSON)


def predict() -> Response:
    """Predictions, per-layer shapes, params and summary."""
    return _answer("predict")


def summary() -> Response:
    """Per-layer shapes, params and summary, without allocating weights."""
    return _answer("summary")


def compare() -> Response:
    """Two models' answers and where they part."""
    return _answer("compare")


def healthz() -> Response:
    """Alive: the process answers."""
    return Response(Health(status="ok").model_dump_json(), mimetype=JSON)


def readyz() -> Response:
    """Ready: the engine can answer."""
    if not services().engine.ready():
        raise ServiceUnavailable("warming up")
    return Response(Health(status="ok").model_dump_json(), mimetype=JSON)


def openapi() -> Response:
    """The OpenAPI document generated from the route table and the schemas."""
    return Response(json.dumps(openapi_document()), mimetype=JSON)


VIEWS = {"predict": predict, "summary": summary, "compare": compare, "healthz": healthz, "readyz": readyz, "openapi": openapi,
         "metrics": observability.metrics}


def init_app(app: Flask) -> None:
    """Register every operation of the route table, and nothing else (no automatic OPTIONS: it would answer an
    empty text/html 200 the document does not describe; a method not in the table is a 405 problem)."""
    for op in OPERATIONS:
        app.add_url_rule(op.path, op.operation_id, VIEWS[op.operation_id], methods=[op.method],
                         provide_automatic_options=False)
