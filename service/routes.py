"""Thin HTTP endpoints: read and validate the body, delegate to the core, serialize the typed answer."""
import hashlib
import json
import math
from typing import Any, Callable

from flask import Blueprint, Response, current_app, request
from pydantic import BaseModel
from werkzeug.exceptions import ServiceUnavailable, UnsupportedMediaType

from schemas import Health, PredictRequest, SummaryRequest
from schemas.openapi import openapi_document

from . import limits
from .errors import LimitExceeded, MalformedBody

bp = Blueprint("api", __name__)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON; numbers must be finite")


def _finite_float(text: str) -> float:
    """A JSON number as a float, refusing ones too large for one (1e400 would read as infinity)."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:40]} is too large for a float; numbers must be finite")
    return number


def _raw_body() -> bytes:
    """The body's bytes: 415 unless it is JSON, 413 past the size limit."""
    if not request.is_json:
        raise UnsupportedMediaType(f"send the body as application/json, not {request.mimetype or 'nothing'}")
    settings = current_app.config["SETTINGS"]
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        raise LimitExceeded("max_body_bytes", settings.max_body_bytes, request.content_length, "body size in bytes",
                            status=413)
    return request.get_data(cache=False)  # a chunked body without a length is cut at MAX_CONTENT_LENGTH (413)


def _parse(raw: bytes) -> Any:
    """The parsed body: 400 if malformed or nested too deeply."""
    settings = current_app.config["SETTINGS"]
    try:
        document = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        limit = settings.max_json_depth
        raise MalformedBody(f"the body is nested too deeply to read (limit max_json_depth={limit})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedBody(f"the body is not valid JSON: {error}") from None
    limits.check_depth(document, settings)
    return document


def _json(answer: BaseModel) -> Response:
    return Response(answer.model_dump_json(), mimetype="application/json")


def _answer(request_model: type[BaseModel], compute: Callable[[Any], BaseModel]) -> Response:
    """Validate the body, compute the answer in this worker's Keras turn, serialize it.

    Answers are deterministic, so the bytes of a body already answered are answered again from memory,
    without parsing, validating or touching Keras.
    """
    raw = _raw_body()
    responses = current_app.extensions["responses"]
    key = f"{request.path} {hashlib.sha256(raw).hexdigest()}"
    answer = responses.get(key)
    if answer is None:
        body = request_model.model_validate(_parse(raw))
        with current_app.extensions["admission"].turn():  # else 503 with Retry-After
            answer = compute(body).model_dump_json().encode()
        responses.put(key, answer)
    return Response(answer, mimetype="application/json")


@bp.post("/v1/predict")
def predict() -> Response:
    """Predictions, per-layer shapes, params and summary."""
    return _answer(PredictRequest, current_app.extensions["answers"].predict)


@bp.post("/v1/summary")
def summary() -> Response:
    """Per-layer shapes, params and summary, without allocating weights."""
    return _answer(SummaryRequest, current_app.extensions["answers"].summarize)


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
