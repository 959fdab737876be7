"""A request body read, parsed and validated at the edge: typed requests, or a problem saying why not."""
import json
import math
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import UnsupportedMediaType

from ..errors import InvalidRequest, LimitExceeded, MalformedBody
from ..guards import limits
from ..settings import Settings

Request = TypeVar("Request", bound=BaseModel)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON; numbers must be finite")


def _finite_float(text: str) -> float:
    """A JSON number as a float, refusing ones too large for one (1e400 would read as infinity)."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:40]} is too large for a float; numbers must be finite")
    return number


def raw_body(settings: Settings) -> bytes:
    """The body's bytes: 415 unless it is JSON, 413 past the size limit."""
    if not request.is_json:
        raise UnsupportedMediaType(f"send the body as application/json, not {request.mimetype or 'nothing'}")
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        raise LimitExceeded("max_body_bytes", settings.max_body_bytes, request.content_length, "body size in bytes",
                            status=413)
    return request.get_data(cache=False)  # a chunked body without a length is cut at MAX_CONTENT_LENGTH (413)


def parse(raw: bytes, settings: Settings) -> Any:
    """The parsed body: 400 if malformed or nested too deeply."""
    try:
        document = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        limit = settings.max_json_depth
        raise MalformedBody(f"the body is nested too deeply to read (limit max_json_depth={limit})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedBody(f"the body is not valid JSON: {error}") from None
    limits.check_depth(document, settings)
    return document


def validate(model: type[Request], document: Any) -> Request:
    """The typed request, or InvalidRequest listing every error with its JSON location."""
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise InvalidRequest(error) from None
