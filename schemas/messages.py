"""Requests and answers of every endpoint."""
from typing import Annotated, Any, Literal, Optional

from pydantic import Field, NonNegativeInt

from .base import ApiModel
from .numbers import NestedNumbers, NumberArray
from .spec import ModelSpec

Seed = Annotated[int, Field(ge=0, le=2**31 - 1, description="Seeds the initial weights.")]
ShapeWithBatch = list[Optional[int]]


class SummaryRequest(ApiModel):
    """Body of POST /v1/summary."""

    model: ModelSpec


class PredictRequest(SummaryRequest):
    """Body of POST /v1/predict."""

    inputs: NumberArray
    seed: Seed = 0


class LayerRow(ApiModel):
    """One layer: what enters, what leaves, how many parameters."""

    name: str
    type: str
    input_shape: ShapeWithBatch
    output_shape: ShapeWithBatch
    params: NonNegativeInt


class ParamCounts(ApiModel):
    """Parameter totals, as the Keras summary states them."""

    total: NonNegativeInt
    trainable: NonNegativeInt
    non_trainable: NonNegativeInt


class SummaryResponse(ApiModel):
    """Answer of POST /v1/summary."""

    layers: list[LayerRow]
    params: ParamCounts
    summary: str = Field(description="The text Keras's model.summary() prints, fixed width, no escape codes.")


class PredictResponse(ApiModel):
    """Answer of POST /v1/predict."""

    output_shape: list[int]
    predictions: NestedNumbers
    layers: list[LayerRow]
    params: ParamCounts
    summary: str


class ProblemItem(ApiModel):
    """One validation error: where in the body, and what is wrong."""

    loc: list[Any] = Field(description='JSON location, e.g. ["model", "layers", 2, "units"].')
    msg: str
    type: str


class Problem(ApiModel):
    """RFC 9457 problem details, the one error shape of this service."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: Optional[list[ProblemItem]] = None
    limit: Optional[str] = Field(None, description="The setting whose bound the request exceeded.")
    limit_value: Optional[int] = None
    request_value: Optional[int] = None


class Health(ApiModel):
    """Answer of /healthz and /readyz."""

    status: Literal["ok", "starting"]
