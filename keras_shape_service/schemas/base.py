"""The one base class every request and response model shares, and the integer every request field is."""

import operator
from itertools import compress, repeat
from typing import Any, Optional

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
)
from pydantic_core import PydanticCustomError, PydanticOmit


class ApiModel(BaseModel):
    """Strict: unknown fields are errors, NaN/Infinity are refused, and nothing is coerced ("16" or true is no
    integer, 1 is no boolean), so that the service accepts no more than /openapi.json describes."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


def _integral(value: Any) -> Any:
    """A JSON number without a fraction, 2.0 as much as 2 (JSON Schema's own `integer`); not "2", not true."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer field is written `Annotated[int, Field(gt=..., le=...), WHOLE]`, which also takes 2.0 as 2. The
# bounds sit on the int itself and the conversion wraps it, in that order: bounds given after a validator would
# reach the JSON Schema as unknown keywords ("gt": 0) that validators ignore. A static alias (not a function
# building one) so that type checkers read these fields as int.
WHOLE = BeforeValidator(_integral)


# A refused body lists at most this many of its errors, and advice is worked out for these alone: a body of a
# million wrong entries costs a bounded answer (the detail says how many there were).
MAX_LISTED_ERRORS = 20
# Validation context keys: errors met so far, and errors of items dropped once MAX_LISTED_ERRORS were met.
ERRORS_SEEN, ERRORS_UNLISTED = "errors_seen", "errors_unlisted"


def bounded_errors(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """One item of a long list (a model's layers), validated; past MAX_LISTED_ERRORS errors in the body, a wrong
    item is only counted, and dropped from the (refused) list. pydantic keeps every error it meets, and a body
    of 4 million wrong layers made as many errors, then as many dicts: seconds of CPU and gigabytes, for a
    refusal that lists 20. Counted in the validation context, which holds one validation's counts; without a
    context (a body validated inside the service), every error is kept."""
    counts = info.context
    if not isinstance(counts, dict):
        return handler(value)
    seen = counts.get(ERRORS_SEEN, 0)
    unlisted = counts.get(ERRORS_UNLISTED, 0)
    try:
        return handler(value)
    except ValidationError as error:
        # A layer inside this one (a wrapper's, a nested model's) has counted its own errors already: counted again
        # here, one wrong field deep in nested wrappers passed the bound alone, and the outer layer was dropped.
        counted_inside = counts.get(ERRORS_SEEN, 0) - seen - (counts.get(ERRORS_UNLISTED, 0) - unlisted)
        counts[ERRORS_SEEN] = counts.get(ERRORS_SEEN, 0) + error.error_count() - counted_inside
        # Only an item of a list of layers may be dropped: a layer in a field of its own (a wrapper's `layer`) left
        # out would make a model without it, valid to pydantic, and a 500 later.
        if seen < MAX_LISTED_ERRORS or info.field_name != "layers":
            raise
        counts[ERRORS_UNLISTED] = counts.get(ERRORS_UNLISTED, 0) + error.error_count()
        raise PydanticOmit from None


# Validation context keys: the most layers a model may have (settings.max_layers, given by the HTTP layer), and
# the layers counted so far in the model being validated.
MAX_LAYERS, LAYERS_SEEN = "max_layers", "layers_seen"


def _input_layers(entries: list[Any]) -> int:
    """The InputLayers of a to_json document's layers (inputs, not layers), counted in C: the entries that are
    dicts, their class_name looked up, the names counted (a Python loop took seconds over millions of entries)."""
    dicts = compress(entries, map(operator.is_, map(type, entries), repeat(dict)))
    return list(map(dict.get, dicts, repeat("class_name"))).count("InputLayer")


def layers_within_limit(value: Any, info: ValidationInfo) -> Any:
    """A model's list of layers, refused before its entries are validated when the model would have more than
    max_layers (nested models' layers included, as the limit counts them). Validating each entry costs
    microseconds (a wrong one an error too): a 5 MB body of 2.6 million entries took seconds of CPU to refuse,
    for a model the limit refuses anyway. Counting costs a pass over the list in C."""
    counts = info.context
    limit = counts.get(MAX_LAYERS) if isinstance(counts, dict) else None
    if limit is None or not isinstance(value, list):
        return value
    assert isinstance(counts, dict)
    seen = counts.get(LAYERS_SEEN, 0) + len(value) - _input_layers(value)
    counts[LAYERS_SEEN] = seen
    if seen > limit:
        raise PydanticCustomError(
            "max_layers",
            f"the model has {seen:,} layers or more (nested models' layers included), over the limit "
            f"max_layers={limit:,}; send a model of at most {limit:,} layers",
            {"count": seen, "limit": limit},
        )
    return value


def one_model(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """A model, its layers counted apart from any other model of the request (compare has two)."""
    counts = info.context
    if not isinstance(counts, dict) or MAX_LAYERS not in counts:
        return handler(value)
    outside = counts.get(LAYERS_SEEN, 0)
    counts[LAYERS_SEEN] = 0
    try:
        return handler(value)
    finally:
        counts[LAYERS_SEEN] = outside


def values_past(value: Any, bound: int) -> Optional[tuple[int, list]]:
    """Where the JSON values nested in `value` (its items at any depth, not itself) pass `bound`: how many were
    counted by then and the path to the list or object whose items did; None within it. A list or object's
    items are counted before they are walked, so a list of millions costs one len()."""
    stack: list[tuple[Any, list]] = [(value, [])]
    counted = 0
    while stack:
        item, where = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            counted += len(item)
            if counted > bound:
                return counted, where
            children = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend((child, where + [key]) for key, child in children)
    return None
