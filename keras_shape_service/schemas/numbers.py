"""Nested arrays of JSON numbers: inputs, predictions and layer weights."""

import math
from itertools import chain
from typing import Any, Callable, Optional

from pydantic import AfterValidator, Field, PlainSerializer, ValidationInfo, WithJsonSchema, WrapValidator
from pydantic_core import PydanticCustomError
from typing_extensions import Annotated

FLOAT32_MAX = 3.4028234663852886e38  # what the model computes in; JSON numbers may be far larger
NESTED_NUMBERS_SCHEMA = {
    "description": "A number or a rectangular array of numbers, nested to any depth.",
    "anyOf": [{"type": "number"}, {"type": "array", "items": {}}],
}


def _fail(path: list[int], error_type: str, message: str) -> PydanticCustomError:
    # ctx["path"] is appended to the field's location by the service's error mapping.
    return PydanticCustomError(error_type, message, {"path": path})


def _check_rectangular(value: Any, path: list[int]) -> tuple[int, ...]:
    """Return the shape of a nested list of finite numbers, or raise where it is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, float, list)):
        raise _fail(path, "not_a_number", f"expected a number or an array, got {type(value).__name__}")
    if not isinstance(value, list):
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail(path, "not_finite", "numbers must be finite")
        if abs(value) > FLOAT32_MAX:  # the model computes in float32: beyond it a number would be infinite
            raise _fail(path, "not_finite", "numbers must fit a float32 (about ±3.4e38)")
        return ()
    if not value:
        raise _fail(path, "empty_array", "arrays must not be empty")
    shapes = [_check_rectangular(item, path + [index]) for index, item in enumerate(value)]
    for index, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise _fail(
                path + [index],
                "ragged_array",
                f"array is ragged: item has shape {list(shape)}, item 0 has {list(shapes[0])}",
            )
    return (len(value),) + shapes[0]


# Validation context set by whoever parsed the document: True when no array of its text holds a string, true
# or false, which numpy would read as numbers ("1.5" as 1.5, true as 1): only then are arrays read by numpy.
NUMBERS_ONLY = "numbers_only"


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape of a number, of an array, or of a nested list already checked rectangular (the first items
    decide)."""
    if _is_array(value):
        return value.shape
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


def _level_shape(value: Any) -> Optional[tuple[int, ...]]:
    """The shape of a rectangular nested list of numbers that fit a float32, read a level at a time with
    built-ins (a body's million numbers in milliseconds, with no Python step per number, where the walk above
    takes seconds); None if anything is off, for the walk to say where and why (bools, ragged, odd items)."""
    level, shape = [value], []
    while True:
        kinds = set(map(type, level))
        if kinds == {list}:
            sizes = set(map(len, level))
            if len(sizes) != 1 or 0 in sizes:
                return None
            shape.append(sizes.pop())
            level = list(chain.from_iterable(level))
        elif kinds <= {int, float}:  # a bool's type is bool: it takes the walk
            try:
                finite = all(map(math.isfinite, level))
            except OverflowError:  # an integer beyond any float
                return None
            fits = finite and -FLOAT32_MAX <= min(level) and max(level) <= FLOAT32_MAX
            return tuple(shape) if fits else None
        else:
            return None


def _is_array(value: Any) -> bool:
    return type(value).__name__ == "ndarray" and type(value).__module__ == "numpy"


def _as_array(value: Any) -> Any:
    """A rectangular nested list of numbers that fit a float32, as a float64 array (8 bytes a number, whatever
    the leaves: no string dtype sized by its longest string), in C; None if anything is off
    (ragged, empty, nulls, objects, numbers beyond float32), for the walks to say where and why. Only for a
    document whose arrays hold no strings or booleans (NUMBERS_ONLY). numpy is imported here, once a request
    is read: a program that only needs the API's shape (another harness, the code reader) goes without."""
    import numpy as np

    try:
        array = _float64(value)
    except (ValueError, TypeError, OverflowError, IndexError):  # IndexError: an empty array met by shape_of
        return None
    # Strictly below: an integer a little past the largest float32 reads as it in float64; the walks judge
    # numbers at the edge as written.
    if array.size == 0 or not (np.isfinite(array).all() and np.abs(array).max() < FLOAT32_MAX):
        return None
    return array


_SLICE = 65_536  # numbers numpy reads in one call, holding the GIL: the HTTP worker's event loop waits no longer


def _float64(value: Any) -> Any:
    """np.asarray(value, dtype=float64), a slice of at most _SLICE numbers (by the first items' shape) at a time:
    one call over a million one-number arrays held the GIL long enough to keep /healthz waiting. A ragged value
    raises ValueError, from numpy or from joining slices of other shapes."""
    import numpy as np

    shape = shape_of(value)
    if math.prod(shape) <= _SLICE:
        return np.asarray(value, dtype=np.float64)
    per_item = math.prod(shape[1:])
    if per_item > _SLICE:
        return np.stack([_float64(item) for item in value])
    step = _SLICE // per_item
    return np.concatenate(
        [np.asarray(value[start : start + step], dtype=np.float64) for start in range(0, len(value), step)]
    )


def _checked(value: Any, info: Optional[ValidationInfo]) -> Any:
    """The value as an array if the bulk check passes; else None once the walks found it sound, or their
    error with its location."""
    if info is not None and info.context and info.context.get(NUMBERS_ONLY):
        array = _as_array(value)
        if array is not None:
            return array
    if _level_shape(value) is None:
        _check_rectangular(value, [])
    return None


def _rectangular(value: Any, info: ValidationInfo) -> Any:
    _checked(value, info)
    return value


def _batch_array(value: Any, handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
    """A request's inputs as a numpy array where the bulk check read them (the executors take them so, without
    a Python object per number), else as the list checked by the walks; an array given in code is taken as is."""
    if _is_array(value):
        return value
    value = handler(value)
    array = _checked(value, info)
    return value if array is None else array


def _as_list(value: Any) -> Any:
    return value.tolist() if _is_array(value) else value


NestedNumbers = Annotated[Any, AfterValidator(_rectangular), WithJsonSchema(NESTED_NUMBERS_SCHEMA)]
_BATCH_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {},
    "description": "A rectangular array of finite numbers, batch axis first.",
}
NumberArray = Annotated[list[Any], Field(min_length=1), AfterValidator(_rectangular), WithJsonSchema(_BATCH_SCHEMA)]
# The same in the API, read as a numpy array where it can be (a request's inputs).
BatchArray = Annotated[
    list[Any],
    Field(min_length=1),
    WrapValidator(_batch_array),
    PlainSerializer(_as_list),
    WithJsonSchema(_BATCH_SCHEMA),
]
