"""The Open Inference Protocol v2 views, and GET /v1/models/{name}: the model repository's models.

Metadata, readiness and summaries come from the repository's index, which the executors wrote at start, so
they never wait for a busy executor; an inference runs in an executor like /v1/predict. Errors under /v2 take
the protocol's shape in problems.py, the one error module.
"""

import gzip
import zlib
from typing import Callable

from flask import Response, request
from pydantic import BaseModel
from werkzeug.exceptions import ServiceUnavailable

from keras_shape_service.errors import ModelNotFound
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

from . import body, tensors
from .clients import request_client
from .context import services

SERVER_NAME, SERVER_VERSION = "keras-shape-service", "1.0.0"
EXTENSIONS = ["binary_tensor_data"]


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
    if services().settings.model_repository is None:
        raise ModelNotFound(
            f"no model '{name}': no model repository is configured; set KSS_MODEL_REPOSITORY to a directory of "
            "<name>.json files (deploy/models holds the seed model's)"
        )
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
    """Name, version and extensions: binary tensor data (the repository API and the others: not implemented)."""
    return _json(ServerMetadata(name=SERVER_NAME, version=SERVER_VERSION, extensions=EXTENSIONS))


def model(name: str) -> Response:
    return _json(served(name).metadata)


def model_ready(name: str) -> Response:
    served(name)
    return _json(ModelReady(name=name, ready=True))


def infer(name: str) -> Response:
    """Tensors in, as JSON or as binary data after it (the binary tensor data extension), the body gzip or
    deflate compressed or not; the model's outputs out, those asked for as binary after the JSON, compressed
    when the client accepts it so."""
    served(name)
    found = services()
    raw = body.raw_body(found.settings, untyped=True, binary=True)
    raw = tensors.decoded(raw, request.headers.get("Content-Encoding"), found.settings.max_body_bytes)
    header_length = request.headers.get(tensors.BINARY_HEADER)
    header, binary = tensors.split(raw, header_length) if header_length is not None else (raw, None)
    typed = tensors.with_binary_data(body.read(InferenceRequest, header, found.settings), binary, found.settings)
    client = request_client(found.settings.trusted_proxies)
    answer = found.engine.answer("infer", ModelInference(model_name=name, request=typed), client)
    answer, json_length = tensors.binary_answer(answer, tensors.binary_outputs(typed))
    response = Response(answer, mimetype=JSON if json_length is None else tensors.BINARY_MIMETYPE)
    if json_length is not None:
        response.headers[tensors.BINARY_HEADER] = str(json_length)
    return _compressed(response)


def _compressed(response: Response) -> Response:
    """The answer gzip or deflate compressed where the client asks for it (tritonclient's
    response_compression_algorithm), as Triton does; as it is otherwise."""
    coding = request.accept_encodings.best_match(["gzip", "deflate"])
    response.vary.add("Accept-Encoding")
    if coding is None:
        return response
    data = response.get_data()
    response.set_data(gzip.compress(data, compresslevel=1) if coding == "gzip" else zlib.compress(data, level=1))
    response.headers["Content-Encoding"] = coding
    return response


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
