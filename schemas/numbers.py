"""Nested arrays of JSON numbers: inputs, predictions and layer weights."""
import math
from typing import Any

import numpy as np
from pydantic import AfterValidator, Field, WithJsonSchema
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
            raise _fail(path + [index], "ragged_array",
                        f"array is ragged: item has shape {list(shape)}, item 0 has {list(shapes[0])}")
    return (len(value),) + shapes[0]


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape of a number or of a nested list already checked rectangular (the first items decide)."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


def _plainly_rectangular(value: Any) -> bool:
    """True when `value` is a non-empty rectangular array of numbers that fit a float32, checked in
    bulk by numpy; False for anything else, which the exact walk then locates (bools, ragged, odd items)."""
    if not isinstance(value, list):
        return False
    try:
        items = np.array(value, dtype=object)
        if items.size == 0 or not set(map(type, items.ravel())) <= {float, int}:  # bool is no int here
            return False
        numbers = items.astype(np.float64)
    except (ValueError, TypeError, OverflowError):  # ragged, too deep, or an integer beyond any float
        return False
    return bool(np.isfinite(numbers).all()) and bool((np.abs(numbers) <= FLOAT32_MAX).all())


def _rectangular(value: Any) -> Any:
    if not _plainly_rectangular(value):
        _check_rectangular(value, [])
    return value


NestedNumbers = Annotated[Any, AfterValidator(_rectangular), WithJsonSchema(NESTED_NUMBERS_SCHEMA)]
NumberArray = Annotated[
    list[Any], Field(min_length=1), AfterValidator(_rectangular),
    WithJsonSchema({"type": "array", "minItems": 1, "items": {},
                    "description": "A rectangular array of finite numbers, batch axis first."}),
]
