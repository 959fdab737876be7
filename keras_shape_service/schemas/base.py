"""The one base class every request and response model shares, and the integer every request field is."""

from typing import Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
)
from pydantic_core import PydanticOmit


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
    try:
        return handler(value)
    except ValidationError as error:
        counts = info.context
        if not isinstance(counts, dict):
            raise
        seen = counts.get(ERRORS_SEEN, 0)
        counts[ERRORS_SEEN] = seen + error.error_count()
        if seen < MAX_LISTED_ERRORS:
            raise
        counts[ERRORS_UNLISTED] = counts.get(ERRORS_UNLISTED, 0) + error.error_count()
        raise PydanticOmit from None
