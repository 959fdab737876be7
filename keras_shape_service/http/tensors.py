"""The Open Inference Protocol's binary tensor data extension, as Triton and KServe define it, and compressed
bodies: an HTTP framing, so it is read and written here, at the edge.

A request's body is its JSON header (`Inference-Header-Content-Length` bytes long) followed by the bytes of
each input whose JSON gives `parameters.binary_data_size` instead of `data`, in input order, little-endian,
row-major; a BYTES element is a 4-byte little-endian length then that many bytes. Every size is checked against
the header's shapes and against the body before anything is allocated for it: the arrays made are views of
the body, then one float64 array per input (what /v1/predict makes of JSON numbers), bounded by
max_input_elements. An answer's outputs go out the same way when the request asks for them so.
"""

import struct
import zlib
from math import prod
from typing import Any, Optional

import numpy as np
import orjson
from werkzeug.exceptions import UnsupportedMediaType

from keras_shape_service.errors import InvalidInputs, LimitExceeded, MalformedBody
from keras_shape_service.schemas.inference import InferenceRequest, RequestInput
from keras_shape_service.schemas.numbers import FLOAT32_MAX
from keras_shape_service.settings import Settings

BINARY_HEADER = "Inference-Header-Content-Length"
BINARY_MIMETYPE = "application/octet-stream"
# The protocol's fixed-size datatypes as little-endian numpy dtypes; BF16 is read as its upper 16 bits of a float32.
DTYPES = {
    "BOOL": "|u1",
    "UINT8": "|u1",
    "UINT16": "<u2",
    "UINT32": "<u4",
    "UINT64": "<u8",
    "INT8": "|i1",
    "INT16": "<i2",
    "INT32": "<i4",
    "INT64": "<i8",
    "FP16": "<f2",
    "BF16": "<u2",
    "FP32": "<f4",
    "FP64": "<f8",
}
_LENGTH = struct.Struct("<I")
# zlib's window bits: a gzip member; a zlib stream (what HTTP's "deflate" means, as tritonclient sends it)
_WINDOW_BITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def decoded(raw: bytes, encoding: Optional[str], limit: int) -> bytes:
    """The body as sent before its Content-Encoding: gzip or deflate inflated to at most `limit` bytes (the
    body limit, which a small compressed body would otherwise get past: a gzip bomb); 415 for another coding."""
    coding = (encoding or "identity").strip().lower()
    if coding == "identity":
        return raw
    if coding not in _WINDOW_BITS:
        raise UnsupportedMediaType(
            f"Content-Encoding {encoding!r} is not supported: send the body as is, gzip or deflate"
        )
    inflater = zlib.decompressobj(_WINDOW_BITS[coding])
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error as error:
        raise MalformedBody(f"the body is not valid {coding} data (Content-Encoding: {coding}): {error}") from None
    if len(body) > limit:
        raise LimitExceeded(
            "max_body_bytes", limit, len(body), f"body size in bytes once {coding}-decompressed (at least)", status=413
        )
    if not inflater.eof or inflater.unused_data:
        why = "ends before its compressed stream does" if not inflater.eof else "has bytes after its compressed stream"
        raise MalformedBody(f"the {coding} body {why}: send one whole {coding} stream")
    return body


def split(body: bytes, header_length: str) -> tuple[bytes, bytes]:
    """The JSON header and the binary data after it, as `Inference-Header-Content-Length` divides the body."""
    length = int(header_length) if header_length.strip().isdigit() else -1
    if not 0 < length <= len(body):
        raise MalformedBody(
            f"{BINARY_HEADER} is {header_length.strip()[:40]!r}, but the body is {len(body):,} bytes: it must be the "
            "length in bytes of the JSON at the body's start (from 1 to the body's length)"
        )
    return body[:length], body[length:]


def _size_of(tensor: RequestInput, index: int) -> Optional[int]:
    """The input's binary_data_size, None if it has none; a 400 where it is no byte count or `data` is given too."""
    parameters = tensor.parameters or {}
    if "binary_data_size" not in parameters:
        return None
    size = parameters["binary_data_size"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise _refuse(
            f"input '{tensor.name}': binary_data_size is {size!r}; it must be a byte count (an integer, 0 or more)",
            index,
            "parameters",
        )
    if tensor.data is not None:
        raise _refuse(
            f"input '{tensor.name}' has both `data` and binary_data_size: send its values one way", index, "data"
        )
    return size


def _refuse(message: str, index: int, field: str) -> InvalidInputs:
    return InvalidInputs(message, loc=["inputs", index, field], error_type="binary_data")


def with_binary_data(request: InferenceRequest, binary: Optional[bytes], settings: Settings) -> InferenceRequest:
    """The request with each binary input's bytes read into an array of its shape, every size checked first:
    the sizes against the binary data's length, each against its shape and datatype, their elements against
    max_input_elements. `binary` is None for a JSON-only body, where a binary_data_size has nothing to read."""
    sizes = {
        index: size for index, tensor in enumerate(request.inputs) if (size := _size_of(tensor, index)) is not None
    }
    if binary is None:
        if sizes:
            index = next(iter(sizes))
            raise _refuse(
                f"input '{request.inputs[index].name}' gives binary_data_size, but the request has no {BINARY_HEADER} "
                "header: send it with the JSON's length in bytes, the binary data after the JSON",
                index,
                "parameters",
            )
        return request
    if sum(sizes.values()) != len(binary):
        each = ", ".join(f"{request.inputs[index].name}: {size:,}" for index, size in sizes.items()) or "none given"
        raise MalformedBody(
            f"the binary data after the JSON is {len(binary):,} bytes, but the inputs' binary_data_size add up to "
            f"{sum(sizes.values()):,} ({each})"
        )
    elements = sum(prod(request.inputs[index].shape) for index in sizes)
    if elements > settings.max_input_elements:
        raise LimitExceeded("max_input_elements", settings.max_input_elements, elements, "number of inputs")
    inputs, offset = list(request.inputs), 0
    for index, size in sizes.items():
        inputs[index] = inputs[index].model_copy(
            update={"data": _read(inputs[index], binary[offset : offset + size], index)}
        )
        offset += size
    return request.model_copy(update={"inputs": inputs})


def _read(tensor: RequestInput, data: bytes, index: int) -> Any:
    """One input's bytes as an array of its shape: float64, as JSON numbers are read (object for BYTES)."""
    name, shape, count = tensor.name, tensor.shape, prod(tensor.shape)
    if count == 0:  # as a JSON array must not be empty: a batch of nothing is no question
        raise _refuse(f"input '{name}' has shape {list(shape)}: no values; send at least one example", index, "shape")
    if tensor.datatype == "BYTES":
        return np.array(_bytes_elements(tensor, data, index), dtype=object).reshape(shape)
    dtype = DTYPES.get(tensor.datatype)
    if dtype is None:
        raise _refuse(
            f"input '{name}' has datatype {tensor.datatype!r}; binary data is read for {', '.join(DTYPES)} and BYTES",
            index,
            "datatype",
        )
    width = np.dtype(dtype).itemsize
    if len(data) != count * width:
        raise _refuse(
            f"input '{name}': binary_data_size is {len(data):,} bytes, but shape {list(shape)} of {tensor.datatype} "
            f"takes {count:,} x {width} = {count * width:,} bytes",
            index,
            "parameters",
        )
    values = np.frombuffer(data, dtype=dtype)
    if tensor.datatype == "BF16":  # bfloat16 is the upper half of a float32's bits
        values = (values.astype("<u4") << 16).view("<f4")
    if tensor.datatype == "BOOL" and values.size and values.max() > 1:
        raise _refuse(f"input '{name}' is BOOL: each byte must be 0 or 1", index, "data")
    array = values.astype(np.float64).reshape(shape)
    if (
        values.dtype.kind == "f"
        and array.size
        and not (np.isfinite(array).all() and np.abs(array).max() <= FLOAT32_MAX)
    ):
        raise _refuse(
            f"input '{name}': numbers must be finite and fit a float32 (about ±3.4e38); its binary data holds "
            "NaN, an infinity or a larger number",
            index,
            "data",
        )
    return array


def _bytes_elements(tensor: RequestInput, data: bytes, index: int) -> list[bytes]:
    """A BYTES tensor's elements: each a 4-byte little-endian length then its bytes, exactly filling `data`."""
    count, elements, offset = prod(tensor.shape), [], 0
    if count * _LENGTH.size > len(data):  # before the loop: a shape of 10^12 elements is refused here
        raise _refuse(
            f"input '{tensor.name}': shape {list(tensor.shape)} takes {count:,} BYTES elements, at least "
            f"{count * _LENGTH.size:,} bytes of lengths; binary_data_size is {len(data):,}",
            index,
            "parameters",
        )
    for element in range(count):
        if offset + _LENGTH.size > len(data):
            raise _refuse(
                f"input '{tensor.name}': BYTES element {element} has no 4-byte length: the data ends at {offset:,}",
                index,
                "data",
            )
        (length,) = _LENGTH.unpack_from(data, offset)
        offset += _LENGTH.size
        if offset + length > len(data):
            raise _refuse(
                f"input '{tensor.name}': BYTES element {element} says {length:,} bytes, but only "
                f"{len(data) - offset:,} are left of its binary_data_size",
                index,
                "data",
            )
        elements.append(data[offset : offset + length])
        offset += length
    if offset != len(data):
        raise _refuse(
            f"input '{tensor.name}': {len(data) - offset:,} bytes are left after its {count:,} BYTES elements: "
            "binary_data_size must be the elements' lengths and bytes, exactly",
            index,
            "data",
        )
    return elements


def binary_outputs(request: InferenceRequest) -> Optional[set[str]]:
    """The outputs the request asks for as binary data, by name, or None for all of them: an output's own
    `binary_data` wins, else the request's `binary_data_output` (which tritonclient sets when it names none)."""
    default = bool((request.parameters or {}).get("binary_data_output") is True)
    if not request.outputs:
        return None if default else set()
    return {wanted.name for wanted in request.outputs if (wanted.parameters or {}).get("binary_data", default) is True}


def binary_answer(answer: bytes, binary: Optional[set[str]]) -> tuple[bytes, Optional[int]]:
    """The answer with the outputs asked for as binary moved after its JSON, and the JSON's length; the answer
    as it is (and None) when none is asked for so."""
    if binary is not None and not binary:
        return answer, None
    document = orjson.loads(answer)
    chunks = []
    for output in document["outputs"]:
        dtype = DTYPES.get(output["datatype"])
        if dtype is None or (binary is not None and output["name"] not in binary):
            continue
        values = np.asarray(output.pop("data"), dtype=np.float32 if output["datatype"] == "BF16" else dtype)
        if output["datatype"] == "BF16":  # rounded to the nearest bfloat16, ties to even
            bits = values.view("<u4").astype(np.uint64)
            values = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
        chunk = values.tobytes()
        output["parameters"] = {**output.get("parameters", {}), "binary_data_size": len(chunk)}
        chunks.append(chunk)
    header = orjson.dumps(document)
    return header + b"".join(chunks), len(header)
