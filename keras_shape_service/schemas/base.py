"""The one base class every request and response model shares, and the integer every request field is."""

from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


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
