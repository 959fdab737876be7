"""A model file uploaded as multipart/form-data: the part `model` (a .keras or .h5 file) and, for predict,
`inputs` (JSON text, or a .npy file; or one part `inputs.<name>` per input), read within the body limits and
`max_file_bytes`, and brought to the request a JSON body would make: the file's config as the model (the
to_json document it is, checked as one), its weights handed on to be read where Keras runs.
"""

import io
from typing import Any

import numpy as np
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from keras_shape_service.errors import InvalidInputs, LimitExceeded, MalformedBody, RefusedFile, ServiceError
from keras_shape_service.files.archive import read_model_file
from keras_shape_service.schemas.api import MULTIPART
from keras_shape_service.schemas.base import MAX_LAYERS
from keras_shape_service.schemas.messages import SummaryRequest
from keras_shape_service.settings import Settings

from . import body

NPY_MAGIC = b"\x93NUMPY"
_SCAN_BYTES = 1 << 20
_MOST_PARTS = 64  # the model and an input each
_NUMBER_KINDS = "biuf"  # bool, signed, unsigned, float: what a tensor of inputs holds


def is_upload() -> bool:
    return request.mimetype == MULTIPART


def read_upload(model: type[body.Request], settings: Settings, takes_inputs: bool) -> body.Request:
    """The typed request an uploaded model file and its inputs make; 413 past the limits, 422 for a file or
    part that is not as it should be."""
    limit = settings.max_file_bytes + settings.max_body_bytes
    declared = request.content_length
    if declared is not None and declared > limit:
        raise LimitExceeded(
            "max_file_bytes", limit, declared, "upload size in bytes (max_file_bytes + max_body_bytes)", status=413
        )
    request.max_content_length = limit
    # A text part (inputs as JSON) is bounded by max_body_bytes below; werkzeug bounds by this one also the
    # buffer it scans for boundaries in, a chunk of 64 kB.
    request.max_form_memory_size = max(settings.max_body_bytes, _SCAN_BYTES)
    request.max_form_parts = _MOST_PARTS
    with body._time_limit(settings.body_timeout_s):
        try:
            files, form = request.files, request.form
        except RequestEntityTooLarge:  # a chunked upload, past the whole's limit (or a text part, past its own)
            raise LimitExceeded(
                "max_file_bytes", limit, declared or limit + 1, "upload size in bytes (at least)", status=413
            ) from None
        except ValueError as error:
            raise MalformedBody(f"the multipart body could not be read: {error}") from None
    parts = {name or "" for name in (*files, *form)}  # werkzeug keys a part of no name by None
    allowed = {"model", "inputs"} if takes_inputs else {"model"}
    unknown = sorted(p for p in parts if p not in allowed and not (takes_inputs and p.startswith("inputs.")))
    if unknown:
        raise ServiceError(
            f"the upload has parts {unknown[:5]}; this endpoint takes "
            + (
                "'model' (the file) and 'inputs' (JSON or .npy, or 'inputs.<name>' per input)"
                if takes_inputs
                else "'model' (the file) only"
            ),
            loc=None,  # a part name may be any text, even empty: no location a problem item takes
            error_type="upload_parts",
        )
    upload = files.get("model")
    if upload is None:
        raise RefusedFile("send the model file as the part 'model' (curl -F model=@m.keras)", "missing")
    data = upload.stream.read(settings.max_file_bytes + 1)
    if len(data) > settings.max_file_bytes:
        raise LimitExceeded("max_file_bytes", settings.max_file_bytes, len(data), "model file size in bytes", 413)
    filename = upload.filename or "model"
    model_file = read_model_file(data, filename, settings.max_body_bytes)
    try:
        config = body.parse(model_file.config, settings)
    except MalformedBody as error:
        raise RefusedFile(f"the config of '{filename}' is not JSON Keras wrote: {error.detail}") from None
    document: dict[str, Any] = {"model": config}
    if takes_inputs:
        document["inputs"] = _inputs(files, form, settings)
    typed = body.validate(model, document, {MAX_LAYERS: settings.max_layers})
    assert isinstance(typed, SummaryRequest)
    typed.with_weights_file(model_file.weights)
    return typed


def _inputs(files: Any, form: Any, settings: Settings) -> Any:
    """The inputs: one part `inputs`, or one `inputs.<name>` per input (an object keyed by name)."""
    named = sorted({p for p in (*files, *form) if p and p.startswith("inputs.")})
    if "inputs" in files or "inputs" in form:
        if named:
            raise InvalidInputs("give 'inputs' or 'inputs.<name>' parts, not both", loc=["inputs"])
        return _one_input("inputs", files, form, settings)
    if not named:
        raise InvalidInputs(
            "send the inputs as the part 'inputs': JSON text (-F 'inputs=[[...]]') or a .npy file (-F inputs=@x.npy)",
            loc=["inputs"],
            error_type="missing",
        )
    return {name.removeprefix("inputs."): _one_input(name, files, form, settings) for name in named}


def _one_input(part: str, files: Any, form: Any, settings: Settings) -> Any:
    data = files[part].stream.read(settings.max_body_bytes + 1) if part in files else form[part].encode()
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
