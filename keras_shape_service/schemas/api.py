"""The route table: every operation of the API, its request, its answer and its errors, written once.

The service registers its Flask routes from this table and the OpenAPI document is generated from it, so the
two cannot drift apart (tests/unit/test_openapi.py compares the document's paths with the app's URL map).
"""

from dataclasses import dataclass
from typing import Any, Optional

from pydantic import BaseModel

from .examples import SEED_COMPARE, SEED_PREDICT_EXAMPLES, SEED_SUMMARY_EXAMPLES
from .inference import (
    InferenceRequest,
    InferenceResponse,
    ModelMetadata,
    ModelReady,
    ServerLive,
    ServerMetadata,
    ServerReady,
)
from .messages import (
    CompareRequest,
    CompareResponse,
    Health,
    PredictRequest,
    PredictResponse,
    SummaryRequest,
    SummaryResponse,
)

JSON = "application/json"
PROBLEM = "application/problem+json"
PROMETHEUS_TEXT = "text/plain"
SVG = "image/svg+xml"
HTML = "text/html"
MARKDOWN = "text/markdown"
CSV = "text/csv"
MULTIPART = "multipart/form-data"

# What each error status means, for every operation that may answer it.
ERRORS = {
    "400": "Malformed JSON, or nested deeper than the limit",
    "404": "No such path",
    "408": "The body did not arrive within the time limit",
    "413": "Body larger than the limit",
    "415": "Content type is not application/json (or, where a model file is taken, multipart/form-data)",
    "422": "Invalid spec or inputs, Keras refused the model, or a limit or budget was exceeded",
    "503": "Overloaded, or not ready yet; retry after the Retry-After header's seconds",
}
BODY_ERRORS = ("400", "408", "413", "415", "422", "503")
# Under this prefix, the Open Inference Protocol v2: errors are its {"error": "..."}, 400 where the house says 422.
INFERENCE_PROTOCOL_PREFIX = "/v2"
INFERENCE_ERRORS = {
    "400": "Malformed or invalid request: the tensors do not fit the model, or a limit or budget was exceeded",
    "404": "No such model in the model repository (or its file was refused), or no such path",
    "408": ERRORS["408"],
    "413": ERRORS["413"],
    "415": "Content type is neither application/json nor absent",
    "500": "The executor running the request crashed (logged; it was replaced)",
    "503": ERRORS["503"],
}


@dataclass(frozen=True)
class Operation:
    """One method on one path: what it takes, what it answers."""

    operation_id: str
    method: str
    path: str
    summary: str
    answer: Optional[type[BaseModel]] = None  # the JSON answer's model; None for other media types
    answer_media: str = JSON
    # Other media types the same answer is given in when the Accept header asks for one; answer_media otherwise.
    answer_alternatives: tuple[str, ...] = ()
    request: Optional[type[BaseModel]] = None
    examples: Optional[dict[str, dict[str, Any]]] = None  # request bodies by name
    errors: tuple[str, ...] = ()
    # Also takes multipart/form-data: a model file (.keras or .h5) as the part `model`, and for predict its
    # inputs; compare its sides as the parts `a` and `b` (http/uploads.py).
    accepts_files: bool = False

    @property
    def inference_protocol(self) -> bool:
        """Under /v2: the Open Inference Protocol's error shape."""
        return under_inference_protocol(self.path)


def under_inference_protocol(path: str) -> bool:
    """Whether a path is the Open Inference Protocol's, whose errors are {"error": "..."}."""
    return path == INFERENCE_PROTOCOL_PREFIX or path.startswith(INFERENCE_PROTOCOL_PREFIX + "/")


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "predict",
        "POST",
        "/v1/predict",
        "Build the model, predict on the inputs",
        PredictResponse,
        request=PredictRequest,
        examples=SEED_PREDICT_EXAMPLES,
        errors=BODY_ERRORS,
        accepts_files=True,
    ),
    Operation(
        "summary",
        "POST",
        "/v1/summary",
        "Shapes, params and summary, no weights allocated",
        SummaryResponse,
        answer_alternatives=(MARKDOWN, CSV),
        request=SummaryRequest,
        examples=SEED_SUMMARY_EXAMPLES,
        errors=BODY_ERRORS,
        accepts_files=True,
    ),
    Operation(
        "diagram",
        "POST",
        "/v1/diagram",
        "The model drawn: a box per layer (name, type, shapes, params), an arrow per feed",
        answer_media=SVG,
        request=SummaryRequest,
        examples=SEED_SUMMARY_EXAMPLES,
        errors=BODY_ERRORS,
        accepts_files=True,
    ),
    Operation(
        "compare",
        "POST",
        "/v1/compare",
        "Two models' answers and where they part, layer by layer",
        CompareResponse,
        request=CompareRequest,
        examples={"spec": SEED_COMPARE},
        errors=BODY_ERRORS,
        accepts_files=True,
    ),
    Operation("healthz", "GET", "/healthz", "The process is alive", Health),
    Operation("readyz", "GET", "/readyz", "Keras is loaded and a warm-up model ran", Health, errors=("503",)),
    Operation(
        "model_summary",
        "GET",
        "/v1/models/{name}",
        "A model repository model's per-layer shapes, params and summary",
        SummaryResponse,
        errors=("404", "503"),
    ),
    Operation("v2_live", "GET", "/v2/health/live", "Open Inference Protocol: the server is live", ServerLive),
    Operation(
        "v2_ready",
        "GET",
        "/v2/health/ready",
        "Open Inference Protocol: the server is ready",
        ServerReady,
        errors=("503",),
    ),
    Operation("v2_server", "GET", "/v2", "Open Inference Protocol: server metadata", ServerMetadata),
    Operation(
        "v2_model",
        "GET",
        "/v2/models/{name}",
        "Open Inference Protocol: a model's inputs and outputs",
        ModelMetadata,
        errors=("404", "503"),
    ),
    Operation(
        "v2_model_ready",
        "GET",
        "/v2/models/{name}/ready",
        "Open Inference Protocol: the model is ready",
        ModelReady,
        errors=("404", "503"),
    ),
    Operation(
        "v2_infer",
        "POST",
        "/v2/models/{name}/infer",
        "Open Inference Protocol: predict with a model repository model, on JSON tensors or binary ones after the JSON "
        "(header Inference-Header-Content-Length, parameters.binary_data_size)",
        InferenceResponse,
        request=InferenceRequest,
        errors=("400", "404", "408", "413", "415", "500", "503"),
    ),
    Operation("openapi", "GET", "/openapi.json", "This document"),
    Operation(
        "page",
        "GET",
        "/",
        "The page: paste Keras code or a spec, see its shapes, diagram and summary",
        answer_media=HTML,
    ),
    Operation(
        "docs",
        "GET",
        "/docs",
        "This document, browsable and callable (Swagger UI, served from the service's own files)",
        answer_media=HTML,
    ),
    Operation(
        "metrics", "GET", "/metrics", "Prometheus metrics, summed over all workers", answer_media=PROMETHEUS_TEXT
    ),
)


def operation(operation_id: str) -> Operation:
    """The operation of that id."""
    return next(op for op in OPERATIONS if op.operation_id == operation_id)
