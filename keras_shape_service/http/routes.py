"""Thin endpoints: read and validate the body, delegate to the engine, answer its bytes.

Every route comes from the one route table, keras_shape_service.schemas.api.OPERATIONS, which the OpenAPI
document is made of too.
"""

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Callable

import flask_swagger_ui
from flask import Blueprint, Flask, Response, request, send_from_directory
from werkzeug.exceptions import ServiceUnavailable

from keras_shape_service.explain import table
from keras_shape_service.explain.diagram import STYLE as DIAGRAM_STYLE
from keras_shape_service.metrics import count_answer
from keras_shape_service.schemas import Health, SummaryResponse
from keras_shape_service.schemas.api import CSV, JSON, MARKDOWN, OPERATIONS, Operation, operation
from keras_shape_service.schemas.openapi import openapi_document

from . import body, inference, observability, uploads
from .clients import request_client
from .context import services

# The page's files, served as the app's static files (/page/...); Swagger UI's from the flask-swagger-ui
# package's copy (/docs/assets/...), so that /docs needs no network. Static files are no operations.
PAGE_FOLDER = Path(__file__).parent / "page"
SWAGGER_UI_FOLDER = Path(flask_swagger_ui.__file__).parent / "dist"

# Scripts and styles from the service's own files only. One inline style is allowed, by its hash: the <style>
# of the diagram's SVG, which the page puts into its document. Swagger UI's stylesheet draws its icons from
# data: URLs; it sets styles through the DOM (which a policy does not govern), and it fetches the document.
_DIAGRAM_STYLE_HASH = base64.b64encode(hashlib.sha256(DIAGRAM_STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; "
    f"style-src 'self' 'sha256-{_DIAGRAM_STYLE_HASH}'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Every answer: a browser takes its media type as sent. An HTML page: shown in no frame (clickjacking).
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}
PAGE_SECURITY_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY"}


# How a summary is written in each media type the route table offers beside JSON.
EXPORTS: dict[str, Callable[[SummaryResponse], str]] = {MARKDOWN: table.markdown, CSV: table.csv_text}


def negotiated(op: Operation) -> str:
    """The media type to answer in: the best the Accept header takes of those the operation offers; its own
    (JSON) where the header takes none of them, as a client sending "text/html" or no header still reads JSON."""
    offered = [op.answer_media, *op.answer_alternatives]
    return request.accept_mimetypes.best_match(offered, default=op.answer_media) or op.answer_media


def _answer(operation_id: str) -> Response:
    """Validate the body and answer it; answers are deterministic, so bytes already answered are answered
    again from memory, without parsing, validating or computing. An upload is keyed by a digest of its parts
    (the file's bytes among them), made before the file is read."""
    found = services()
    op = operation(operation_id)
    request_model = op.request
    assert request_model is not None, f"{operation_id} is answered here only with a body to read"
    upload = uploads.received(found.settings, operation_id) if op.accepts_files and uploads.is_upload() else None
    raw = b"" if upload is not None else body.raw_body(found.settings, files=op.accepts_files)
    key = f"{operation_id} upload {upload.digest}" if upload else f"{operation_id} {hashlib.sha256(raw).hexdigest()}"
    answer = found.answers.get(key)
    count_answer(operation_id, "upload" if upload else "json", cached=answer is not None)
    if answer is None:
        if upload is not None:
            typed = uploads.typed_request(request_model, upload, found.settings, operation_id)
        else:
            typed = body.read(request_model, raw, found.settings, plans=found.engine.plans)
        answer = found.engine.answer(operation_id, typed, client=request_client(found.settings.trusted_proxies))
        found.answers.put(key, answer)
    return Response(answer, mimetype=op.answer_media)


def predict() -> Response:
    """Predictions, per-layer shapes, params and summary."""
    return _answer("predict")


def summary() -> Response:
    """Per-layer shapes, params and summary, without allocating weights: JSON, or a Markdown or CSV table when
    the Accept header asks for one (rendered from the JSON answer, which is what the answer cache holds)."""
    media = negotiated(operation("summary"))
    answer = _answer("summary")
    if media != answer.mimetype:
        answer = Response(EXPORTS[media](SummaryResponse.model_validate_json(answer.get_data())), mimetype=media)
    answer.vary.add("Accept")
    return answer


def diagram() -> Response:
    """The model as an SVG picture, drawn from its layer table."""
    return _answer("diagram")


def compare() -> Response:
    """Two models' answers and where they part."""
    return _answer("compare")


def healthz() -> Response:
    """Alive: the process answers."""
    return Response(Health(status="ok").model_dump_json(exclude_none=True), mimetype=JSON)


def readyz() -> Response:
    """Ready: the engine can answer; with a model repository, its models served and its files refused (a
    refused file leaves the service ready: the other models are served)."""
    found = services()
    if not found.engine.ready():
        raise ServiceUnavailable("warming up")
    if not found.settings.model_repository:
        return Response(Health(status="ok").model_dump_json(exclude_none=True), mimetype=JSON)
    index = inference.repository_index()
    health = Health(status="ok", models=sorted(index.models), refused=index.refused)
    return Response(health.model_dump_json(exclude_none=True), mimetype=JSON)


def openapi() -> Response:
    """The OpenAPI document generated from the route table and the schemas."""
    return Response(json.dumps(openapi_document()), mimetype=JSON)


def _html(name: str) -> Response:
    """One of the page folder's HTML files, read whole: a few kB, and no file left open for the WSGI server
    to close (send_static_file hands it a file that a client which never reads the body leaves open)."""
    return Response((PAGE_FOLDER / name).read_bytes(), mimetype="text/html", headers=PAGE_SECURITY_HEADERS)


def page() -> Response:
    """The page: one HTML file, its script and style beside it."""
    return _html("index.html")


def docs() -> Response:
    """Swagger UI over /openapi.json."""
    return _html("docs.html")


# Each view answers a Response; some take the path's parameters as arguments.
VIEWS: dict[str, Callable[..., Response]] = {
    "predict": predict,
    "summary": summary,
    "diagram": diagram,
    "compare": compare,
    "healthz": healthz,
    "readyz": readyz,
    "openapi": openapi,
    "metrics": observability.metrics,
    "page": page,
    "docs": docs,
    **inference.VIEWS,
}


def flask_rule(path: str) -> str:
    """The route table's path, {name} parameters as Flask's <name>."""
    return re.sub(r"{(\w+)}", r"<\1>", path)


def _static_files(folder: Path):
    def view(filename: str) -> Response:
        return send_from_directory(folder, filename)

    return view


def _secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def init_app(app: Flask) -> None:
    """Register every operation of the route table and the static files, and nothing else (no automatic
    OPTIONS: it would answer an empty text/html 200 the document does not describe; a method not in the table
    is a 405 problem, for a static file too). The app is made with no static folder of its own (Flask's would
    answer OPTIONS)."""
    app.add_url_rule(
        "/page/<path:filename>", "static", _static_files(PAGE_FOLDER), methods=["GET"], provide_automatic_options=False
    )
    swagger_ui = Blueprint("docs", __name__)
    swagger_ui.add_url_rule(
        "/docs/assets/<path:filename>",
        "static",
        _static_files(SWAGGER_UI_FOLDER),
        methods=["GET"],
        provide_automatic_options=False,
    )
    app.register_blueprint(swagger_ui)
    app.after_request(_secured)
    for op in OPERATIONS:
        app.add_url_rule(
            flask_rule(op.path),
            op.operation_id,
            VIEWS[op.operation_id],
            methods=[op.method],
            provide_automatic_options=False,
        )
