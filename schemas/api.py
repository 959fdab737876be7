"""The route table: every operation of the API, its request, its answer and its errors, written once.

The service registers its Flask routes from this table and the OpenAPI document is generated from it, so the
two cannot drift apart (tests/unit/test_openapi.py compares the document's paths with the app's URL map).
"""
from dataclasses import dataclass
from typing import Any, Optional

from pydantic import BaseModel

from .examples import SEED_COMPARE, SEED_PREDICT, SEED_SUMMARY
from .messages import (CompareRequest, CompareResponse, Health, PredictRequest, PredictResponse, SummaryRequest,
                       SummaryResponse)

JSON = "application/json"
PROBLEM = "application/problem+json"
PROMETHEUS_TEXT = "text/plain"

# What each error status means, for every operation that may answer it.
ERRORS = {
    "400": "Malformed JSON, or nested deeper than the limit",
    "404": "No such path",
    "408": "The body did not arrive within the time limit",
    "413": "Body larger than the limit",
    "415": "Content type is not application/json",
    "422": "Invalid spec or inputs, Keras refused the model, or a limit or budget was exceeded",
    "503": "Overloaded, or not ready yet; retry after the Retry-After header's seconds",
}
BODY_ERRORS = ("400", "408", "413", "415", "422", "503")


@dataclass(frozen=True)
class Operation:
    """One method on one path: what it takes, what it answers."""

    operation_id: str
    method: str
    path: str
    summary: str
    answer: Optional[type[BaseModel]] = None  # the JSON answer's model; None for other media types
    answer_media: str = JSON
    request: Optional[type[BaseModel]] = None
    example: Optional[dict[str, Any]] = None
    errors: tuple[str, ...] = ()


OPERATIONS: tuple[Operation, ...] = (
    Operation("predict", "POST", "/v1/predict", "Build the model, predict on the inputs", PredictResponse,
              request=PredictRequest, example=SEED_PREDICT, errors=BODY_ERRORS),
    Operation("summary", "POST", "/v1/summary", "Shapes, params and summary, no weights allocated",
              SummaryResponse, request=SummaryRequest, example=SEED_SUMMARY, errors=BODY_ERRORS),
    Operation("compare", "POST", "/v1/compare", "Two models' answers and where they part, layer by layer",
              CompareResponse, request=CompareRequest, example=SEED_COMPARE, errors=BODY_ERRORS),
    Operation("healthz", "GET", "/healthz", "The process is alive", Health),
    Operation("readyz", "GET", "/readyz", "Keras is loaded and a warm-up model ran", Health, errors=("503",)),
    Operation("openapi", "GET", "/openapi.json", "This document"),
    Operation("metrics", "GET", "/metrics", "Prometheus metrics, summed over all workers",
              answer_media=PROMETHEUS_TEXT),
)


def operation(operation_id: str) -> Operation:
    """The operation of that id."""
    return next(op for op in OPERATIONS if op.operation_id == operation_id)
