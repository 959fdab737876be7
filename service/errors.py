"""Errors of the service and the one place that maps every error to an RFC 9457 problem+json answer."""
import json
import logging
from typing import Any, Optional

from flask import Flask, Response
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError

from schemas import Problem, ProblemItem

from . import observability

PROBLEM_MIMETYPE = "application/problem+json"
log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A refusal with its HTTP status and title; `errors` locates it in the request body."""

    status = 422
    title = "Unprocessable request"

    def __init__(self, detail: str, loc: Optional[list[Any]] = None, error_type: str = "invalid", **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = [ProblemItem(loc=loc, msg=detail, type=error_type)] if loc is not None else None
        self.extra = extra
        self.headers: Optional[dict[str, str]] = None


class ModelRejected(ServiceError):
    """Keras refused to build or run the model; detail carries Keras's own message."""

    title = "Keras rejected the model"


class InvalidInputs(ServiceError):
    """The inputs do not fit the model."""

    title = "Inputs do not fit the model"


class LimitExceeded(ServiceError):
    """A request asks for more than a configured bound."""

    title = "Request exceeds a limit"

    def __init__(self, limit: str, limit_value: int, request_value: int, what: str, status: int = 422):
        super().__init__(f"{what} is {request_value:,}, over the limit {limit}={limit_value:,}",
                         error_type="limit", limit=limit, limit_value=limit_value, request_value=request_value)
        self.status = status


class MalformedBody(ServiceError):
    """The body is not the JSON this endpoint reads."""

    status = 400
    title = "Malformed request body"


def _json_loc(loc: tuple, ctx: Optional[dict]) -> list[Any]:
    """A pydantic location as the client's JSON path: union tags (<...>) dropped, inner array path added."""
    path = [part for part in loc if not (isinstance(part, str) and part.startswith("<"))]
    return path + list((ctx or {}).get("path", []))


def problem_from_validation(error: ValidationError) -> Problem:
    """A 422 listing every validation error with its JSON location."""
    items = [ProblemItem(loc=_json_loc(e["loc"], e.get("ctx")), msg=e["msg"], type=e["type"])
             for e in error.errors(include_url=False, include_input=False)]
    first = items[0]
    detail = f"{len(items)} invalid field(s); first at {json.dumps(first.loc)}: {first.msg}"
    return Problem(title="Invalid request", status=422, detail=detail, errors=items)


def problem_response(problem: Problem, headers: Optional[dict[str, str]] = None) -> Response:
    """Serialize a problem with its status and media type."""
    body = problem.model_dump_json(exclude_none=True)
    return Response(body, status=problem.status, mimetype=PROBLEM_MIMETYPE, headers=headers)


def _service_error(error: ServiceError) -> Response:
    observability.count_refusal(type(error).__name__)
    return problem_response(Problem(title=error.title, status=error.status, detail=error.detail,
                                    errors=error.errors, **error.extra), error.headers)


# Only a request body failing its model is the client's fault; an answer failing its model is ours (500).
REQUEST_MODELS = frozenset({"PredictRequest", "SummaryRequest"})


def _validation_error(error: ValidationError) -> Response:
    if error.title not in REQUEST_MODELS:
        return _http_exception(InternalServerError(original_exception=error))
    observability.count_refusal("ValidationError")
    return problem_response(problem_from_validation(error))


def _http_exception(error: HTTPException) -> Response:
    # the class, not the message: werkzeug's HTTPException classes are a small fixed set
    observability.count_refusal(type(error).__name__)
    if isinstance(error, InternalServerError) and error.original_exception is not None:
        log.error("unhandled error", exc_info=error.original_exception)
    problem = Problem(title=error.name, status=error.code or 500, detail=error.description or error.name)
    headers = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else None
    return problem_response(problem, headers)


def init_app(app: Flask) -> None:
    """Register the one mapping of every error to problem+json, on the app so routing 404/405 use it too."""
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(Exception, lambda e: _http_exception(InternalServerError(original_exception=e)))
