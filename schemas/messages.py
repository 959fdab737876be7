"""Requests and answers of every endpoint."""
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field, NonNegativeInt

from .base import ApiModel, integer
from .numbers import NestedNumbers, NumberArray, shape_of
from .spec import ModelSpec

Seed = Annotated[integer(ge=0, le=2**31 - 1), Field(description="Seeds the initial weights.")]
ShapeWithBatch = list[Optional[int]]


class SummaryRequest(ApiModel):
    """Body of POST /v1/summary."""

    model: ModelSpec


class PredictRequest(SummaryRequest):
    """Body of POST /v1/predict."""

    inputs: NumberArray
    seed: Seed = 0

    @property
    def inputs_shape(self) -> tuple[int, ...]:
        """The shape of `inputs`, batch axis first."""
        return shape_of(self.inputs)


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
    """Answer of POST /v1/summary: what the model does to shapes, whether or not its weights exist."""

    layers: list[LayerRow]
    params: ParamCounts
    summary: str = Field(description="The text Keras's model.summary() prints, fixed width, no escape codes.")


class _Predictions(ApiModel):
    """What a prediction adds to a summary (a base of its own so that these fields come first)."""

    output_shape: list[int]
    predictions: NestedNumbers


class PredictResponse(SummaryResponse, _Predictions):
    """Answer of POST /v1/predict: the summary's fields after the prediction's."""


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
    limit: Optional[str] = Field(None, description="The setting whose bound or budget the request exceeded.")
    limit_value: Optional[Union[int, float]] = Field(None, description="That setting's value.")
    request_value: Optional[Union[int, float]] = Field(None, description="What the request asked for, or used.")
    running: Optional[str] = Field(None, description="What the request was doing when a budget ran out.")


class Health(ApiModel):
    """Answer of /healthz and /readyz."""

    status: Literal["ok", "starting"]
