"""The one base class every request and response model shares."""
from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    """Strict: unknown fields are errors, NaN/Infinity are refused, and nothing is coerced ("16" or true is no
    integer, 1 is no boolean), so that the service accepts no more than /openapi.json describes."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)
