"""A request body read, parsed and validated at the edge: typed requests, or a problem saying why not."""
import contextlib
import json
import math
import sys
from typing import Any, Callable, Optional, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import UnsupportedMediaType

from ..errors import BodyTimeout, InvalidRequest, LimitExceeded, MalformedBody
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
    """The body's bytes: 415 unless it is JSON, 413 past the size limit (declared or chunked), 408 if it takes
    longer than the body timeout to arrive.

    A refused body is left unread: gunicorn reads and drops the rest of it before the connection's next
    request (within its keep-alive time), so a client that sends it all before reading, without
    `Expect: 100-continue`, still reads the answer.
    """
    if not request.is_json:
        raise UnsupportedMediaType(f"send the body as application/json, not {request.mimetype or 'nothing'}")
    limit, declared = settings.max_body_bytes, request.content_length
    if declared is not None and declared > limit:
        raise LimitExceeded("max_body_bytes", limit, declared, "body size in bytes", status=413)
    with _time_limit(settings.body_timeout_s):
        try:
            data = request.environ["wsgi.input"].read(limit + 1 if declared is None else declared)
        except OSError as error:  # a broken chunked encoding, or the client went away
            raise MalformedBody(f"the body could not be read: {error}") from None
    if len(data) > limit:  # chunked: no length was declared
        raise LimitExceeded("max_body_bytes", limit, len(data), "body size in bytes (at least)", status=413)
    return data


def _time_limit(seconds: float) -> Any:
    """Under gevent (gunicorn's workers), a timer that interrupts the read however slowly the client sends
    (a socket timeout would not: it bounds each read of the socket, and a trickle never waits that long)."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("socket"):
        return contextlib.nullcontext()
    from gevent import Timeout
    return Timeout(seconds, BodyTimeout(f"the body did not arrive within {seconds:g} s (limit body_timeout_s)"))


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


def validate(model: type[Request], document: Any, plans: Optional[Callable[[Request], bool]] = None) -> Request:
    """The typed request, or InvalidRequest listing every error with its JSON location (and, given `plans`, a
    fix for a single error where the patched body validates and plans)."""
    try:
        return model.model_validate(document)
    except ValidationError as error:
        refusal = InvalidRequest(error, document)
    if plans is not None:
        refusal.offer_fixes(model.model_validate, plans)
    raise refusal
