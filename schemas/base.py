"""The one base class every request and response model shares."""
from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    """Strict by default: unknown fields are errors and NaN/Infinity are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
