"""Thin HTTP endpoints: read and validate the body, delegate to the core, serialize the typed answer."""
import json
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from pydantic import BaseModel
from werkzeug.exceptions import ServiceUnavailable, UnsupportedMediaType

from schemas import Health, PredictRequest, SummaryRequest
from schemas.openapi import openapi_document

from . import limits
from .errors import LimitExceeded, MalformedBody

bp = Blueprint("api", __name__)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON; numbers must be finite")


def _json_body() -> Any:
    """The parsed body: 415 unless it is JSON, 413 past the size limit, 400 if malformed or too deep."""
    if not request.is_json:
        raise UnsupportedMediaType(f"send the body as application/json, not {request.mimetype or 'nothing'}")
    settings = current_app.config["SETTINGS"]
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        raise LimitExceeded("max_body_bytes", settings.max_body_bytes, request.content_length, "body size in bytes",
                            status=413)
    raw = request.get_data(cache=False)  # a chunked body without a length is cut at MAX_CONTENT_LENGTH (413)
    try:
        document = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        limit = settings.max_json_depth
        raise MalformedBody(f"the body is nested too deeply to read (limit max_json_depth={limit})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedBody(f"the body is not valid JSON: {error}") from None
    limits.check_depth(document, settings)
    return document


def _json(answer: BaseModel) -> Response:
    return Response(answer.model_dump_json(), mimetype="application/json")


@bp.before_app_request
def _start_clock() -> None:
    g.started = time.monotonic()


def _keras_turn():
    """This worker's turn with Keras, within the request's deadline (else 503 with Retry-After)."""
    return current_app.extensions["admission"].turn(g.started)


@bp.post("/v1/predict")
def predict() -> Response:
    """Predictions, per-layer shapes, params and summary."""
    body = PredictRequest.model_validate(_json_body())
    with _keras_turn():
        return _json(current_app.extensions["answers"].predict(body))


@bp.post("/v1/summary")
def summary() -> Response:
    """Per-layer shapes, params and summary, without allocating weights."""
    body = SummaryRequest.model_validate(_json_body())
    with _keras_turn():
        return _json(current_app.extensions["answers"].summarize(body))


@bp.get("/healthz")
def healthz() -> Response:
    """Alive: the process answers."""
    return _json(Health(status="ok"))


@bp.get("/readyz")
def readyz() -> Response:
    """Ready: TensorFlow is loaded and the warm-up model ran."""
    if not current_app.config.get("READY"):
        raise ServiceUnavailable("warming up")
    return _json(Health(status="ok"))


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI document generated from the schemas."""
    return Response(json.dumps(openapi_document()), mimetype="application/json")
