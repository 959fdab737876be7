"""A model file uploaded as multipart/form-data: the part `model` (a .keras or .h5 file) and, for predict,
`inputs` (JSON text, or a .npy file; or one part `inputs.<name>` per input), read within the body limits and
`max_file_bytes`, and brought to the request a JSON body would make: the file's config as the model (the
to_json document it is, checked as one), its weights handed on to be read where Keras runs. /v1/compare takes
its two sides as the parts `a` and `b` (the names of its JSON body's fields), each a model file (with its
inputs as `a.inputs`, `a.inputs.<name>`) or the JSON text of a summary or predict body.

The form is read in two steps: `received` parses it and digests every part (the answer cache's key, made
before anything is read into memory), `typed_request` reads it. A file part stays where werkzeug spooled it (a
temporary file past 500 kB); only the weights are read into memory, once, and travel to the executor as those
bytes (executors/wire.py sends them out of band).
"""

import hashlib
import io
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
from flask import request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from keras_shape_service.errors import InvalidInputs, LimitExceeded, MalformedBody, RefusedFile, ServiceError
from keras_shape_service.files.archive import is_model_file, read_model_file
from keras_shape_service.files.hdf5 import WeightsFile
from keras_shape_service.schemas.api import MULTIPART
from keras_shape_service.schemas.base import MAX_LAYERS
from keras_shape_service.schemas.messages import CompareRequest, SummaryRequest
from keras_shape_service.settings import Settings

from . import body

NPY_MAGIC = b"\x93NUMPY"
_SCAN_BYTES = 1 << 20
_MOST_PARTS = 64  # the model and an input each (two models and their inputs for compare)
_NUMBER_KINDS = "biuf"  # bool, signed, unsigned, float: what a tensor of inputs holds
SIDES = ("a", "b")  # /v1/compare's sides, as its JSON body names them


def is_upload() -> bool:
    return request.mimetype == MULTIPART


@dataclass
class Form:
    """A parsed multipart body: its file and text parts, and a digest of every part (names, file names and
    bytes), which with the operation keys its answer."""

    files: ImmutableMultiDict[str, FileStorage]
    texts: ImmutableMultiDict[str, str]
    digest: str

    def names(self) -> set[str]:
        return {name or "" for name in (*self.files, *self.texts)}  # werkzeug keys a part of no name by None


def received(settings: Settings, operation_id: str) -> Form:
    """The parsed form: 413 past the limits, 422 for a part this operation does not take."""
    models = len(SIDES) if operation_id == "compare" else 1
    limit = models * settings.max_file_bytes + settings.max_body_bytes
    declared = request.content_length
    if declared is not None and declared > limit:
        raise LimitExceeded("max_file_bytes", limit, declared, _whole_limit_text(models), status=413)
    request.max_content_length = limit
    # A text part (inputs as JSON) is bounded by max_body_bytes below; werkzeug bounds by this one also the
    # buffer it scans for boundaries in, a chunk of 64 kB.
    request.max_form_memory_size = max(settings.max_body_bytes, _SCAN_BYTES)
    request.max_form_parts = _MOST_PARTS
    with body._time_limit(settings.body_timeout_s):
        try:
            files, texts = request.files, request.form
        except RequestEntityTooLarge:  # a chunked upload, past the whole's limit (or a text part, past its own)
            raise LimitExceeded(
                "max_file_bytes", limit, declared or limit + 1, _whole_limit_text(models) + " (at least)", status=413
            ) from None
        except ValueError as error:
            raise MalformedBody(f"the multipart body could not be read: {error}") from None
    form = Form(files, texts, "")
    _check_part_names(form, operation_id)
    form.digest = _digest(form)
    return form


def _whole_limit_text(models: int) -> str:
    return "upload size in bytes (max_file_bytes + max_body_bytes)".replace(
        "max_file_bytes", "max_file_bytes" if models == 1 else f"{models} x max_file_bytes"
    )


def _takes(operation_id: str, part: str) -> bool:
    if operation_id == "compare":
        side, _, rest = part.partition(".")
        return side in SIDES and (rest == "" or rest == "inputs" or rest.startswith("inputs."))
    if part == "model":
        return True
    return operation_id == "predict" and (part == "inputs" or part.startswith("inputs."))


_TAKES_TEXT = {
    "predict": "'model' (the file) and 'inputs' (JSON or .npy, or 'inputs.<name>' per input)",
    "compare": "'a' and 'b' (each a model file, or the JSON of a summary or predict body) and, for a file, "
    "its inputs as 'a.inputs' or 'a.inputs.<name>' (JSON or .npy)",
}


def _check_part_names(form: Form, operation_id: str) -> None:
    unknown = sorted(part for part in form.names() if not _takes(operation_id, part))
    if unknown:
        raise ServiceError(
            f"the upload has parts {unknown[:5]}; this endpoint takes "
            + _TAKES_TEXT.get(operation_id, "'model' (the file) only"),
            loc=None,  # a part name may be any text, even empty: no location a problem item takes
            error_type="upload_parts",
        )


def _digest(form: Form) -> str:
    """Every part's name, file name and bytes, hashed: a file from where werkzeug spooled it, in steps (no copy
    of it made), and left at its start."""
    digest = hashlib.sha256()
    for name in sorted(form.names()):
        for upload in form.files.getlist(name or None):  # type: ignore[arg-type]
            _field(digest, f"file {name}\0{upload.filename or ''}".encode())
            upload.stream.seek(0)
            _field(digest, hashlib.file_digest(upload.stream, "sha256").digest())  # type: ignore[arg-type]
            upload.stream.seek(0)
        for text in form.texts.getlist(name or None):  # type: ignore[arg-type]
            _field(digest, f"text {name}".encode())
            _field(digest, hashlib.sha256(text.encode()).digest())
    return digest.hexdigest()


def _field(digest: Any, data: bytes) -> None:
    digest.update(len(data).to_bytes(8, "big"))
    digest.update(data)


def typed_request(model: type[body.Request], form: Form, settings: Settings, operation_id: str) -> body.Request:
    """The typed request the form makes; 413 past the limits, 422 for a file or part that is not as it should
    be."""
    if operation_id == "compare":
        return _compare(form, settings)  # type: ignore[return-value]
    document, weights = _model_side(form, "model", "inputs" if operation_id == "predict" else None, settings)
    typed = body.validate(model, document, {MAX_LAYERS: settings.max_layers})
    assert isinstance(typed, SummaryRequest)
    typed.with_weights_file(weights)
    return typed


def _compare(form: Form, settings: Settings) -> CompareRequest:
    """Both sides: each a model file (a summary body, or with its inputs a predict body) or a JSON body."""
    documents: dict[str, Any] = {}
    weights: dict[str, WeightsFile] = {}
    for side in SIDES:
        upload = form.files.get(side)
        if upload is not None and (is_model_file(upload.stream) or _named_as_model_file(upload)):
            try:
                documents[side], weights[side] = _model_side(form, side, f"{side}.inputs", settings, optional=True)
            except ServiceError as error:
                raise error.within(side) from error
        else:
            documents[side] = _json_side(form, side, upload, settings)
    typed = body.validate(CompareRequest, documents, {MAX_LAYERS: settings.max_layers})
    for side, file in weights.items():
        getattr(typed, side).with_weights_file(file)
    return typed


def _named_as_model_file(upload: FileStorage) -> bool:
    """A file named as a model file is read as one (and refused as one, should it be none)."""
    return (upload.filename or "").lower().endswith((".keras", ".h5", ".hdf5"))


def _json_side(form: Form, side: str, upload: Optional[FileStorage], settings: Settings) -> Any:
    """A side sent as the JSON of a summary or predict body (a text part, or a file of it)."""
    if side not in form.texts and upload is None:
        raise ServiceError(
            f"send the side '{side}' as a model file (-F {side}=@m.keras) or the JSON of a summary or predict body",
            loc=[side],
            error_type="missing",
        )
    stray = sorted(part for part in form.names() if part.startswith(f"{side}.inputs"))
    if stray:
        raise InvalidInputs(
            f"the side '{side}' is a JSON body: its inputs go in it, not in the parts {stray[:5]}",
            loc=[side],
        )
    data = _bounded(upload, side, settings) if upload is not None else form.texts[side].encode()
    if len(data) > settings.max_body_bytes:  # a text part is bounded by werkzeug at 1 MB at least
        raise LimitExceeded("max_body_bytes", settings.max_body_bytes, len(data), f"part '{side}' in bytes", 413)
    return body.parse(data, settings)


def _model_side(
    form: Form, part: str, inputs: Optional[str], settings: Settings, optional: bool = False
) -> tuple[dict[str, Any], WeightsFile]:
    """The body a model file (the part `part`) makes, with its inputs (the parts `inputs`, `inputs.<name>`)
    where given; and its weights."""
    upload = form.files.get(part)
    if upload is None:
        raise RefusedFile(f"send the model file as the part '{part}' (curl -F {part}=@m.keras)", "missing")
    size = upload.stream.seek(0, io.SEEK_END)
    upload.stream.seek(0)
    if size > settings.max_file_bytes:
        raise LimitExceeded("max_file_bytes", settings.max_file_bytes, size, "model file size in bytes", 413)
    filename = upload.filename or part
    model_file = read_model_file(upload.stream, filename, settings.max_body_bytes)
    try:
        config = body.parse(model_file.config, settings)
    except MalformedBody as error:
        raise RefusedFile(f"the config of '{filename}' is not JSON Keras wrote: {error.detail}") from None
    document: dict[str, Any] = {"model": config}
    if inputs is not None and not (optional and not _inputs_given(form, inputs)):
        document["inputs"] = _inputs(form, inputs, settings)
    return document, model_file.weights


def _inputs_given(form: Form, part: str) -> bool:
    return any(name == part or name.startswith(part + ".") for name in form.names())


def _inputs(form: Form, part: str, settings: Settings) -> Any:
    """The inputs: one part `inputs`, or one `inputs.<name>` per input (an object keyed by name)."""
    named = sorted(name for name in form.names() if name.startswith(part + "."))
    if part in form.files or part in form.texts:
        if named:
            raise InvalidInputs(f"give '{part}' or '{part}.<name>' parts, not both", loc=["inputs"])
        return _one_input(part, form, settings)
    if not named:
        raise InvalidInputs(
            f"send the inputs as the part '{part}': JSON text (-F '{part}=[[...]]') or a .npy file (-F {part}=@x.npy)",
            loc=["inputs"],
            error_type="missing",
        )
    return {name.removeprefix(part + "."): _one_input(name, form, settings) for name in named}


def _bounded(upload: FileStorage, part: str, settings: Settings) -> bytes:
    data = upload.stream.read(settings.max_body_bytes + 1)
    if len(data) > settings.max_body_bytes:
        raise LimitExceeded("max_body_bytes", settings.max_body_bytes, len(data), f"part '{part}' in bytes", 413)
    return data


def _one_input(part: str, form: Form, settings: Settings) -> Any:
    data = _bounded(form.files[part], part, settings) if part in form.files else form.texts[part].encode()
    if len(data) > settings.max_body_bytes:
        raise LimitExceeded("max_body_bytes", settings.max_body_bytes, len(data), f"part '{part}' in bytes", 413)
    if data.startswith(NPY_MAGIC):
        return _npy(part, data, settings).tolist()
    return body.parse(data, settings)


def _npy(part: str, data: bytes, settings: Settings) -> np.ndarray:
    """A .npy array of numbers, its header checked before its data is read; never unpickled."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        shape, _, dtype = (
            np.lib.format.read_array_header_1_0(stream)
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0(stream)
        )
    except (ValueError, OSError) as error:
        raise InvalidInputs(f"the part '{part}' is not a .npy file numpy can read: {error}", loc=[part]) from None
    if dtype.kind not in _NUMBER_KINDS or dtype.hasobject:
        raise InvalidInputs(f"the array '{part}' holds {dtype}; inputs are numbers", loc=[part], error_type="dtype")
    size = int(np.prod(shape, dtype=object))
    if size > settings.max_input_elements:
        raise LimitExceeded("max_input_elements", settings.max_input_elements, size, f"numbers in '{part}'")
    stream.seek(0)
    try:
        array = np.load(stream, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise InvalidInputs(f"the array '{part}' could not be read: {error}", loc=[part]) from None
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise InvalidInputs(f"the array '{part}' holds NaN or infinite values", loc=[part], error_type="finite")
    return array
