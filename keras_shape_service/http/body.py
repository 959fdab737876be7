"""A request body read, parsed and validated at the edge: typed requests, or a problem saying why not."""

import contextlib
import gc
import hashlib
import json
import math
import sys
import threading
from collections import OrderedDict
from typing import Any, Callable, Optional, TypeVar

import orjson
from flask import request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import UnsupportedMediaType

from keras_shape_service.advice import advise_body, offer_fix
from keras_shape_service.advice.body import ValidFixes
from keras_shape_service.errors import (
    BodyTimeout,
    InvalidRequest,
    LimitExceeded,
    MalformedBody,
    ServiceError,
)
from keras_shape_service.guards import limits
from keras_shape_service.schemas.base import ERRORS_UNLISTED, MAX_LAYERS
from keras_shape_service.schemas.numbers import NUMBERS_ONLY
from keras_shape_service.settings import Settings

Request = TypeVar("Request", bound=BaseModel)
OCTETS = "application/octet-stream"


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON; numbers must be finite")


def _finite_float(text: str) -> float:
    """A JSON number as a float, refusing ones too large for one (1e400 would read as infinity)."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:40]} is too large for a float; numbers must be finite")
    return number


def raw_body(settings: Settings, untyped: bool = False, binary: bool = False, files: bool = False) -> bytes:
    """The body's bytes: 415 unless it is JSON (or, if `untyped`, has no content type, as tritonclient sends
    it; or, if `binary`, is application/octet-stream), 413 past the size limit (declared or chunked), 408 if
    it takes longer than the body timeout to arrive. `files`: the route also takes a model file as an upload
    (which is read elsewhere), so the 415 says how to send one.

    A refused body is left unread: gunicorn reads and drops the rest of it before the connection's next
    request (within its keep-alive time), so a client that sends it all before reading, without
    `Expect: 100-continue`, still reads the answer.
    """
    if not (request.is_json or (untyped and not request.mimetype) or (binary and request.mimetype == OCTETS)):
        upload = ", or a model file as multipart/form-data (its part `model`, as curl -F model=@model.keras sends it)"
        sent = request.mimetype or "nothing"
        raise UnsupportedMediaType(f"send the body as application/json{upload if files else ''}, not {sent}")
    limit, declared = settings.max_body_bytes, request.content_length
    if declared is not None and declared > limit:
        raise LimitExceeded("max_body_bytes", limit, declared, "body size in bytes", status=413)
    with _time_limit(settings.body_timeout_s):
        try:
            data = _read(request.environ["wsgi.input"], limit + 1 if declared is None else declared)
        except OSError as error:  # a broken chunked encoding, or the client went away
            raise MalformedBody(f"the body could not be read: {error}") from None
    if len(data) > limit:  # chunked: no length was declared
        raise LimitExceeded("max_body_bytes", limit, len(data), "body size in bytes (at least)", status=413)
    return data


def _read(stream: Any, size: int) -> bytes:
    """Up to `size` bytes of the body. gunicorn's stream reads in steps of 1 kB, copying what it has buffered
    at each step; its reader underneath takes the whole size at once (which gunicorn's own read loop calls)."""
    reader = getattr(stream, "reader", None)
    if reader is not None and hasattr(reader, "length") and not stream.buf.tell():
        return reader.read(size)
    return stream.read(size)


def _time_limit(seconds: float) -> Any:
    """Under gevent (gunicorn's workers), a timer that interrupts the read however slowly the client sends
    (a socket timeout would not: it bounds each read of the socket, and a trickle never waits that long)."""
    if not _under_gevent():
        return contextlib.nullcontext()
    from gevent import Timeout

    return Timeout(seconds, BodyTimeout(f"the body did not arrive within {seconds:g} s (limit body_timeout_s)"))


# Integers longer than int64 are read by orjson as floats, by json as integers: those bodies take json's path.
# Found in bulk: digits become "0", the marks of a fraction or exponent "x", all else " "; a run of 19 digits
# after " " is such an integer (or, rarely, a digit run in a string, which only costs the slower path).
_DIGIT_CLASSES = bytes(
    ord("0") if chr(byte).isdigit() and byte < 128 else ord("x") if chr(byte) in ".eE" else ord(" ")
    for byte in range(256)
)
_LONG_INTEGER = b" " + b"0" * 19


def _has_long_integer(raw: bytes) -> bool:
    return _LONG_INTEGER in (b" " + raw).translate(_DIGIT_CLASSES)


def _utf8(raw: bytes) -> bytes:
    """The body as UTF-8, which every scan of its bytes assumes (depth, true and false, strings in arrays):
    json.loads reads UTF-16 and UTF-32 too, where `true` holds no b"true". Transcoded as json.loads decodes."""
    encoding = json.detect_encoding(raw)
    if encoding.startswith("utf-8"):
        return raw
    return raw.decode(encoding, "surrogatepass").encode("utf-8", "surrogatepass")


def _loads(raw: bytes) -> Any:
    """The document, read in C by orjson (which refuses NaN, Infinity and 1e400 as json's hooks below do);
    where orjson refuses it or would read a long integer as a float, read by json, whose messages say where."""
    if not _has_long_integer(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)


@contextlib.contextmanager
def _no_cycle_collection() -> Any:
    """Parsed JSON holds no cycles, yet a body of a million small arrays made the cyclic collector run hundreds
    of times over everything alive while the parse held the worker's event loop (half its time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse(raw: bytes, settings: Settings) -> Any:
    """The parsed body: 400 if malformed or nested too deeply."""
    return _parse(raw, settings)[0]


def _parse(raw: bytes, settings: Settings) -> tuple[Any, dict[str, Any]]:
    """The parsed body, and what validation may know: whether its arrays hold nothing but numbers and arrays
    (no string, no true or false), so that number arrays can be read in bulk by numpy; and the most layers a
    model may have, so that a longer list is refused before its entries are validated."""
    try:
        raw = _utf8(raw)
        with _no_cycle_collection():
            document = _loads(raw)
    except RecursionError:
        limit = settings.max_json_depth
        raise MalformedBody(f"the body is nested too deeply to read (limit max_json_depth={limit})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedBody(f"the body is not valid JSON: {error}") from None
    structure = limits.outline(raw)
    limits.check_depth(structure, settings)
    numbers_only = b"true" not in raw and b"false" not in raw and not limits.strings_in_arrays(structure)
    return document, {NUMBERS_ONLY: numbers_only, MAX_LAYERS: settings.max_layers}


_LARGE_BODY_BYTES = 65_536  # above this, reading a body takes milliseconds or more of CPU
_readers: list[Any] = []  # gevent's thread pool of one, made on first use in each HTTP worker


def read(
    model: type[Request], raw: bytes, settings: Settings, plans: Optional[Callable[[Request], bool]] = None
) -> Request:
    """The typed request of a body (parse, then validate). Under gevent a large body is read on a thread, so
    that the event loop goes on answering /healthz and the other clients meanwhile (a 6 MB body of small
    arrays took seconds of CPU); one thread per worker, so that reading holds one body's objects at a time.
    A refused body is validated and advised there once; only its fixes are planned back on the event loop,
    since `plans` talks to the executors."""
    if len(raw) <= _LARGE_BODY_BYTES or not _under_gevent():
        return validate(model, *_parse(raw, settings), plans)
    if not _readers:
        from gevent.threadpool import ThreadPool

        _readers.append(ThreadPool(maxsize=1))
    document, context = _readers[0].apply(_parse, (raw, settings))
    typed, refusal, fixes = _readers[0].apply(_typed, (model, document, context, plans is not None))
    return _answered(typed, refusal, fixes, plans)


def _typed(
    model: type[Request], document: Any, context: Optional[dict[str, Any]], check_fixes: bool
) -> tuple[Optional[Request], Optional[ServiceError], ValidFixes]:
    """The typed request; or the refusal, advised, with (if `check_fixes`) its fixes that validate."""
    counts = dict(context or {})  # bounded_errors counts this validation's errors here
    try:
        return _validated_with_known_spec(model, document, counts), None, []
    except ValidationError as error:
        refusal = InvalidRequest(error, document, unlisted=counts.get(ERRORS_UNLISTED, 0))
    too_many = _too_many_layers(refusal)
    if too_many is not None:
        return None, too_many, []
    return None, refusal, advise_body(refusal, model.model_validate if check_fixes else None)


_SPECS_KEPT = 256  # validated model specs kept per HTTP worker, the least recently sent forgotten first
_LARGEST_SPEC_KEPT = 65_536  # bytes of a spec's JSON; a larger one is validated every time (its memory, not speed)
_specs: "OrderedDict[tuple[Any, ...], BaseModel]" = OrderedDict()
_specs_lock = threading.Lock()  # large bodies are validated on gevent's reader thread


def _validated_with_known_spec(model: type[Request], document: Any, counts: dict[str, Any]) -> Request:
    """The typed request, its `model` spec validated only the first time its exact JSON value is seen: a new
    input to a known model revalidated every layer of it again, most of a small body's validation.

    The key is a digest of the model value as parsed (orjson writes it back byte for byte the same for the same
    value, and differently for any other), with what else decides its validation (the request's type and the
    validation context: the layer limit and the numbers-only reading), so a spec is served only for the exact
    value it was validated from; only a spec that validated is kept. Passing the validated instance back in is
    what pydantic does with any instance of the field's type: taken as it is (revalidate_instances="never")."""
    spec_value = document.get("model") if isinstance(document, dict) else None
    if not isinstance(spec_value, dict):
        return model.model_validate(document, context=counts)
    try:
        spec_json = orjson.dumps(spec_value)
    except orjson.JSONEncodeError:  # what orjson cannot write (an integer past 64 bits) is validated, not kept
        return model.model_validate(document, context=counts)
    if len(spec_json) > _LARGEST_SPEC_KEPT:
        return model.model_validate(document, context=counts)
    key = (
        model,
        counts.get(MAX_LAYERS),
        bool(counts.get(NUMBERS_ONLY)),
        hashlib.sha256(spec_json).digest(),
    )
    with _specs_lock:
        spec = _specs.get(key)
        if spec is not None:
            _specs.move_to_end(key)
    if spec is not None:
        return model.model_validate({**document, "model": spec}, context=counts)
    typed = model.model_validate(document, context=counts)
    validated = getattr(typed, "model", None)
    if isinstance(validated, BaseModel):
        with _specs_lock:
            _specs[key] = validated
            while len(_specs) > _SPECS_KEPT:
                _specs.popitem(last=False)
    return typed


def _too_many_layers(refusal: InvalidRequest) -> Optional[LimitExceeded]:
    """A model over max_layers, refused by its lists' lengths before their entries were validated
    (schemas/base.py layers_within_limit), as any limit is: naming it, its value and the request's."""
    for item, raw in zip(refusal.errors or [], refusal.raw):
        if item.type == MAX_LAYERS:
            limit, count = raw["ctx"]["limit"], raw["ctx"]["count"]
            return LimitExceeded(
                MAX_LAYERS,
                limit,
                count,
                "number of layers counted (nested models' included)",
                loc=item.loc,
                then=f"send a model of at most {limit:,} layers",
            )
    return None


def _answered(
    typed: Optional[Request],
    refusal: Optional[ServiceError],
    fixes: ValidFixes,
    plans: Optional[Callable[[Request], bool]],
) -> Request:
    if refusal is None:
        return typed  # type: ignore[return-value]
    if plans is not None:
        offer_fix(fixes, plans)
    raise refusal


def _under_gevent() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("socket")


def validate(
    model: type[Request],
    document: Any,
    context: Optional[dict[str, Any]] = None,
    plans: Optional[Callable[[Request], bool]] = None,
) -> Request:
    """The typed request, or InvalidRequest listing the first errors with their JSON locations and how many
    there were (and, given `plans`, a fix for a single error where the patched body validates and plans)."""
    return _answered(*_typed(model, document, context, plans is not None), plans)
