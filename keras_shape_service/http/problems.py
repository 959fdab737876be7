"""The one place every error becomes an RFC 9457 problem+json answer.

A ServiceError is the client's (its own status); werkzeug's HTTPException keeps its status (404, 405, ...);
anything else, a response failing its own model included, is ours: a logged 500. Request bodies are
validated at the edge (keras_shape_service/http/body.py), where a pydantic error becomes InvalidRequest, so a
ValidationError that reaches this module is never the client's.

The one exception, made here and nowhere else: under /v2 the Open Inference Protocol mandates its own error
shape, {"error": "<the problem's detail>"} as application/json, and 400 for what the house answers 422
(other statuses are kept), so that its clients (tritonclient) read the message.
"""

import logging
from typing import Optional

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, InternalServerError

from keras_shape_service.errors import ServiceError
from keras_shape_service.metrics import count_refusal
from keras_shape_service.schemas import Problem
from keras_shape_service.schemas.api import JSON, PROBLEM, under_inference_protocol
from keras_shape_service.schemas.inference import InferenceError

log = logging.getLogger(__name__)


def problem_response(problem: Problem, headers: Optional[dict[str, str]] = None) -> Response:
    """Serialize a problem with its status and media type."""
    return Response(
        problem.model_dump_json(exclude_none=True), status=problem.status, mimetype=PROBLEM, headers=headers
    )


def inference_error_response(problem: Problem, headers: Optional[dict[str, str]] = None) -> Response:
    """A problem as the Open Inference Protocol's {"error": ...}; the house's 422 is its 400."""
    return Response(
        InferenceError(error=problem.detail).model_dump_json(),
        mimetype=JSON,
        headers=headers,
        status=400 if problem.status == 422 else problem.status,
    )


def _answer(problem: Problem, headers: Optional[dict[str, str]]) -> Response:
    if under_inference_protocol(request.path):
        return inference_error_response(problem, headers)
    return problem_response(problem, headers)


def _service_error(error: ServiceError) -> Response:
    count_refusal(error.reason)
    return _answer(error.problem(), error.headers)


def _http_exception(error: HTTPException) -> Response:
    # the class, not the message: werkzeug's HTTPException classes are a small fixed set
    count_refusal(type(error).__name__)
    problem = Problem(title=error.name, status=error.code or 500, detail=error.description or error.name)
    valid_methods = getattr(error, "valid_methods", None)  # MethodNotAllowed's
    headers = {"Allow": ", ".join(valid_methods)} if valid_methods else None
    return _answer(problem, headers)


def _unexpected(error: Exception) -> Response:
    log.error("unhandled error", exc_info=error)
    return _http_exception(InternalServerError())


def init_app(app: Flask) -> None:
    """Register the mapping on the app, so that routing's 404 and 405 use it too."""
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(Exception, _unexpected)
