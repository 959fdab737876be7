"""The Open Inference Protocol v2 views, and GET /v1/models/{name}: the model repository's models.

Metadata, readiness and summaries come from the repository's index, which the executors wrote at start, so
they never wait for a busy executor; an inference runs in an executor like /v1/predict. Errors under /v2 take
the protocol's shape in problems.py, the one error module.
"""

from typing import Callable

from flask import Response, request
from pydantic import BaseModel
from werkzeug.exceptions import ServiceUnavailable

from keras_shape_service.errors import MalformedBody, ModelNotFound
from keras_shape_service.schemas.api import JSON
from keras_shape_service.schemas.inference import (
    InferenceRequest,
    ModelInference,
    ModelReady,
    RepositoryIndex,
    ServedModel,
    ServerLive,
    ServerMetadata,
    ServerReady,
)

from . import body
from .context import services

SERVER_NAME, SERVER_VERSION = "keras-shape-service", "1.0.0"
BINARY_HEADER = "Inference-Header-Content-Length"  # present when a client sends binary tensor data


def _json(answer: BaseModel) -> Response:
    return Response(answer.model_dump_json(exclude_none=True), mimetype=JSON)


def repository_index() -> RepositoryIndex:
    """The index, or 503 while no executor has read the repository yet."""
    index = services().engine.repository() if services().engine.ready() else None
    if index is None:
        raise ServiceUnavailable("warming up: the model repository is not read yet")
    return index


def served(name: str) -> ServedModel:
    """The repository model of that name, or 404 saying why not (a refused file gives its reason)."""
    index = repository_index()
    if name in index.models:
        return index.models[name]
    refused = next((r for r in index.refused if r.file == f"{name}.json"), None)
    if refused is not None:
        raise ModelNotFound(f"model '{name}' is not served: {refused.file} was refused: {refused.error}")
    raise ModelNotFound(f"no model '{name}' in the model repository; it serves {sorted(index.models)}")


def model_summary(name: str) -> Response:
    """A repository model's per-layer shapes, params and summary (what /v1/summary answers for it)."""
    return _json(served(name).summary)


def live() -> Response:
    return _json(ServerLive(live=True))


def ready() -> Response:
    repository_index()
    return _json(ServerReady(ready=True))


def server() -> Response:
    """Name, version and extensions: none (binary tensor data, the repository API: not implemented)."""
    return _json(ServerMetadata(name=SERVER_NAME, version=SERVER_VERSION, extensions=[]))


def model(name: str) -> Response:
    return _json(served(name).metadata)


def model_ready(name: str) -> Response:
    served(name)
    return _json(ModelReady(name=name, ready=True))


def infer(name: str) -> Response:
    """JSON tensors in, the model's outputs out; the protocol's binary tensor data is refused by name."""
    if BINARY_HEADER in request.headers:
        raise MalformedBody(
            "binary tensor data is not supported: send the tensors as JSON (tritonclient: binary_data=False)"
        )
    served(name)
    found = services()
    typed = body.read(InferenceRequest, body.raw_body(found.settings, untyped=True), found.settings)
    answer = found.engine.answer("infer", ModelInference(model_name=name, request=typed), request.remote_addr or "")
    return Response(answer, mimetype=JSON)


# Each view answers a Response; some take the path's parameters as arguments.
VIEWS: dict[str, Callable[..., Response]] = {
    "model_summary": model_summary,
    "v2_live": live,
    "v2_ready": ready,
    "v2_server": server,
    "v2_model": model,
    "v2_model_ready": model_ready,
    "v2_infer": infer,
}
