"""The OpenAPI 3.1 document, generated from the Pydantic models: the API's shape is written only here."""
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .messages import Health, PredictRequest, PredictResponse, Problem, SummaryRequest, SummaryResponse

_REF = "#/components/schemas/{model}"
# The README's seed question; an example body also makes schemathesis send one request the service accepts.
_SEED_MODEL = {"layers": [{"type": "Dense", "units": 16, "input_shape": [3, 2]},
                          {"type": "Activation", "activation": "relu"},
                          {"type": "Flatten"},
                          {"type": "Dense", "units": 4}]}
_PROBLEM = "application/problem+json"
_ERRORS = {
    "400": "Malformed JSON, or nested deeper than the limit",
    "413": "Body larger than the limit",
    "415": "Content type is not application/json",
    "422": "Invalid spec or inputs, Keras refused the model, or a limit was exceeded",
    "503": "Overloaded; retry after the Retry-After header's seconds",
}


def _content(model: type[BaseModel], media_type: str = "application/json", **extra: Any) -> dict[str, Any]:
    return {media_type: {"schema": {"$ref": _REF.format(model=model.__name__)}, **extra}}


def _problems(*codes: str) -> dict[str, Any]:
    return {code: {"description": _ERRORS[code], "content": _content(Problem, _PROBLEM)} for code in codes}


def _post(summary: str, request: type[BaseModel], answer: type[BaseModel], operation_id: str,
          example: dict[str, Any]) -> dict[str, Any]:
    return {"post": {
        "operationId": operation_id, "summary": summary,
        "requestBody": {"required": True, "content": _content(request, example=example)},
        "responses": {"200": {"description": "The answer", "content": _content(answer)},
                      **_problems("400", "413", "415", "422", "503")}}}


def _get(summary: str, operation_id: str, answer: dict[str, Any], errors: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"get": {"operationId": operation_id, "summary": summary,
                    "responses": {"200": {"description": "OK", "content": answer}, **_problems(*errors)}}}


def openapi_document(version: str = "1.0.0") -> dict[str, Any]:
    """Every operation, its request and its answers, errors included."""
    models = [PredictRequest, PredictResponse, SummaryRequest, SummaryResponse, Problem, Health]
    _, definitions = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": "keras-shape-service", "version": version,
                 "description": "What a Keras model does to the shape of your data: predictions, per-layer "
                                "shapes, parameter counts and the Keras summary."},
        "paths": {
            "/v1/predict": _post("Build the model, predict on the inputs", PredictRequest, PredictResponse,
                                 "predict", {"model": _SEED_MODEL, "inputs": [[[1, 2], [3, 4], [5, 6]]]}),
            "/v1/summary": _post("Shapes, params and summary, no weights allocated", SummaryRequest,
                                 SummaryResponse, "summary", {"model": _SEED_MODEL}),
            "/healthz": _get("The process is alive", "healthz", _content(Health)),
            "/readyz": _get("TensorFlow is loaded and a warm-up model ran", "readyz", _content(Health), ("503",)),
            "/openapi.json": _get("This document", "openapi", {"application/json": {"schema": {"type": "object"}}}),
            "/metrics": _get("Prometheus metrics, summed over all workers", "metrics",
                             {"text/plain": {"schema": {"type": "string"}}}),
        },
        "components": {"schemas": definitions["$defs"]},
    }
