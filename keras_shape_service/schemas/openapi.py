"""The OpenAPI 3.1 document, generated from the route table and the Pydantic models."""

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .api import CSV, ERRORS, INFERENCE_ERRORS, JSON, MARKDOWN, MULTIPART, OPERATIONS, PROBLEM, Operation
from .inference import InferenceError
from .messages import Problem

_REF = "#/components/schemas/{model}"


def _content(model: type[BaseModel], media_type: str = JSON, **extra: Any) -> dict[str, Any]:
    return {media_type: {"schema": {"$ref": _REF.format(model=model.__name__)}, **extra}}


# What an answer in another media type than its JSON holds, for the document's readers.
_ALTERNATIVES = {
    MARKDOWN: "A Markdown table (layer, type, input shape, output shape, params, trainable), then the totals.",
    CSV: "One CSV table: a header, a row per layer, then a row per total (its label as the name, its count as "
    "the params).",
}


def _answer_content(op: Operation) -> dict[str, Any]:
    if op.answer is not None:
        content = _content(op.answer, op.answer_media)
    else:
        schema = {"type": "object"} if op.answer_media == JSON else {"type": "string"}
        content = {op.answer_media: {"schema": schema}}
    for media in op.answer_alternatives:
        content[media] = {"schema": {"type": "string", "description": _ALTERNATIVES[media]}}
    return content


def _answer_description(op: Operation) -> str:
    if not op.answer_alternatives:
        return "The answer"
    return f"The answer: {op.answer_media} unless the Accept header asks for {' or '.join(op.answer_alternatives)}"


def _errors(op: Operation) -> dict[str, Any]:
    """Each error status the operation may answer: problem+json, or under /v2 the protocol's {"error"}."""
    if op.inference_protocol:
        return {
            code: {"description": INFERENCE_ERRORS[code], "content": _content(InferenceError)} for code in op.errors
        }
    return {code: {"description": ERRORS[code], "content": _content(Problem, PROBLEM)} for code in op.errors}


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", path)
    ]


def _operation(op: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "responses": {"200": {"description": _answer_description(op), "content": _answer_content(op)}, **_errors(op)},
    }
    if _path_parameters(op.path):
        document["parameters"] = _path_parameters(op.path)
    if op.request is not None:
        examples = {"examples": {name: {"value": value} for name, value in op.examples.items()}} if op.examples else {}
        document["requestBody"] = {"required": True, "content": _content(op.request, JSON, **examples)}
        if op.accepts_files:
            document["requestBody"]["content"][MULTIPART] = _upload(op)
    return document


_MODEL_FILE = (
    "The file model.save() writes: a .keras archive (config.json, metadata.json, model.weights.h5) or a legacy "
    ".h5 file. Its config is checked as a to_json document; its weights are read by the service (never by "
    "keras.saving.load_model), along the paths its config implies."
)
_INPUTS = (
    "The inputs: JSON text as `inputs` of a JSON body, or a .npy file of numbers (numpy.save, never pickled). "
    "For several inputs, one part `{part}.<name>` each."
)


def _upload(op: Operation) -> dict[str, Any]:
    """The multipart form an uploaded model file comes in (keras_shape_service/http/uploads.py). The same
    file (and parts) sent again is answered from the answer cache, as the same JSON body is."""
    binary = {"type": "string", "format": "binary"}
    if op.operation_id == "compare":
        properties: dict[str, Any] = {}
        for side, other in (("a", ""), ("b", ", compared with `a`")):
            properties[side] = binary | {
                "description": f"One side{other}: a model file ({_MODEL_FILE}) or the JSON text of a /v1/summary "
                "or /v1/predict body."
            }
            properties[f"{side}.inputs"] = binary | {
                "description": f"Inputs for the model file `{side}` (it is then predicted on): "
                + _INPUTS.format(part=f"{side}.inputs")
            }
        return {
            "schema": {"type": "object", "properties": properties, "required": ["a", "b"]},
            "encoding": {side: {"contentType": "application/octet-stream, application/json"} for side in "ab"},
        }
    properties = {"model": binary | {"description": _MODEL_FILE}}
    if op.request is not None and "inputs" in op.request.model_fields:
        properties["inputs"] = binary | {"description": _INPUTS.format(part="inputs")}
    return {
        "schema": {"type": "object", "properties": properties, "required": list(properties)},
        "encoding": {"model": {"contentType": "application/octet-stream"}},
    }


def openapi_document(version: str = "1.0.0") -> dict[str, Any]:
    """Every operation, its request and its answers, errors included."""
    models: set[type[BaseModel]] = {
        model for op in OPERATIONS for model in (op.request, op.answer) if model is not None
    } | {
        Problem,
        InferenceError,
    }
    ordered = sorted(models, key=lambda model: model.__name__)
    _, definitions = models_json_schema([(model, "validation") for model in ordered], ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "keras-shape-service",
            "version": version,
            "description": "What a Keras model does to the shape of your data: predictions, per-layer "
            "shapes, parameter counts and the Keras summary.",
        },
        "paths": paths,
        "components": {"schemas": definitions["$defs"]},
    }
