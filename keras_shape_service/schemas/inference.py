"""The Open Inference Protocol v2 (REST) messages, and the model repository they serve.

Field names and meanings are the protocol's (kserve/open-inference-protocol, REST): a client that speaks it,
tritonclient's HTTP client for one, reads and writes these unchanged. Tensors travel as JSON `data`, or as
the binary tensor data extension's bytes after the JSON (`parameters.binary_data_size`), which the HTTP side
reads into arrays before a request reaches an executor.
"""

from typing import Annotated, Any, Optional

from pydantic import Field

from .base import WHOLE, ApiModel
from .messages import RefusedModel, Seed, SummaryRequest, SummaryResponse, Weights
from .numbers import NumberArray

PLATFORM = "keras"
Parameters = dict[str, Any]


class RepositoryModel(SummaryRequest):
    """A `<name>.json` file of the model repository: a model with its seed and weights (or the model alone)."""

    seed: Seed = 0
    weights: Weights = None


class TensorMetadata(ApiModel):
    """One input or output: its name, datatype (FP32, INT32, ...) and shape, -1 for a variable axis."""

    name: str
    datatype: str
    shape: list[int]


class ModelMetadata(ApiModel):
    """Answer of GET /v2/models/{name}."""

    name: str
    versions: Optional[list[str]] = None  # none: a model has one version, served at the paths without one
    platform: str = PLATFORM
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]


class ServedModel(ApiModel):
    """A repository model as it is served: its protocol metadata and its per-layer summary."""

    metadata: ModelMetadata
    summary: SummaryResponse


class RepositoryIndex(ApiModel):
    """What the model repository held at start: the models served, and the files refused."""

    models: dict[str, ServedModel] = Field(default_factory=dict)
    refused: list[RefusedModel] = Field(default_factory=list)


class ServerMetadata(ApiModel):
    """Answer of GET /v2."""

    name: str
    version: str
    extensions: list[str]


class ServerLive(ApiModel):
    """Answer of GET /v2/health/live."""

    live: bool


class ServerReady(ApiModel):
    """Answer of GET /v2/health/ready."""

    ready: bool


class ModelReady(ApiModel):
    """Answer of GET /v2/models/{name}/ready."""

    name: str
    ready: bool


class RequestInput(ApiModel):
    """One input tensor: `data` row-major, flat or nested to `shape`; or, with `parameters.binary_data_size`,
    that many bytes of binary tensor data after the JSON (read into an array of `shape` by the HTTP side)."""

    name: str
    shape: list[Annotated[int, Field(ge=0), WHOLE]]
    datatype: str
    parameters: Optional[Parameters] = None
    data: Optional[NumberArray] = None


class RequestOutput(ApiModel):
    """An output the client asks for (all of them when the request names none)."""

    name: str
    parameters: Optional[Parameters] = None


class InferenceRequest(ApiModel):
    """Body of POST /v2/models/{name}/infer."""

    id: Optional[str] = None
    parameters: Optional[Parameters] = None
    inputs: list[RequestInput] = Field(min_length=1)
    outputs: Optional[list[RequestOutput]] = None


class ResponseOutput(ApiModel):
    """One output tensor, its data flat and row-major; or, asked for as binary, `parameters.binary_data_size`
    bytes of it after the JSON."""

    name: str
    shape: list[int]
    datatype: str
    parameters: Optional[Parameters] = None
    data: Optional[list[Any]] = None


class InferenceResponse(ApiModel):
    """Answer of POST /v2/models/{name}/infer."""

    model_name: str
    model_version: Optional[str] = None
    id: Optional[str] = None
    outputs: list[ResponseOutput]


class InferenceError(ApiModel):
    """The protocol's one error shape, {"error": "..."}: the single exception to problem+json, under /v2."""

    error: str


class ModelInference(ApiModel):
    """What an executor is sent for POST /v2/models/{name}/infer: the model's name and the request."""

    model_name: str
    request: InferenceRequest
