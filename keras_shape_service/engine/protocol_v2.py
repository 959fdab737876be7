"""The Open Inference Protocol's tensors, to and from what the engine takes and answers. No Keras here.

A request's tensors are checked against the model's metadata (name, datatype, shape: -1 is any size) and
become the `inputs` of a /v1/predict request, row-major data reshaped where it came flat; the predictions
become the protocol's outputs, flat and row-major. A tensor sent as binary data arrives here as an array
already, read by the HTTP side to its shape.
"""

from math import prod
from typing import Any, Union, cast

from keras_shape_service.errors import InvalidInputs
from keras_shape_service.facts import TensorFacts
from keras_shape_service.schemas.inference import (
    InferenceRequest,
    InferenceResponse,
    ModelMetadata,
    RequestInput,
    ResponseOutput,
    TensorMetadata,
)
from keras_shape_service.schemas.messages import PredictResponse
from keras_shape_service.schemas.numbers import shape_of

# numpy's dtype names as the protocol's datatypes
DATATYPES = {
    "bool": "BOOL",
    "uint8": "UINT8",
    "uint16": "UINT16",
    "uint32": "UINT32",
    "uint64": "UINT64",
    "int8": "INT8",
    "int16": "INT16",
    "int32": "INT32",
    "int64": "INT64",
    "float16": "FP16",
    "float32": "FP32",
    "float64": "FP64",
    "bfloat16": "BF16",
}
INTEGER_DATATYPES = {"UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64"}
FLOAT_DATATYPES = {"FP16", "BF16", "FP32", "FP64"}
# /v1/predict's `inputs`: one array, or arrays by input name; each a nested list, or a numpy array (binary data)
Inputs = Union[list, Any, dict[str, Any]]


def tensor_metadata(tensor: TensorFacts) -> TensorMetadata:
    """A model's input or output as the protocol describes it: -1 for the batch axis and variable axes."""
    return TensorMetadata(
        name=tensor.name,
        datatype=DATATYPES.get(tensor.dtype, tensor.dtype.upper()),
        shape=[-1 if axis is None else axis for axis in tensor.shape],
    )


def _refuse(message: str, loc: list[Any], error_type: str) -> InvalidInputs:
    return InvalidInputs(message, loc=loc, error_type=error_type)


def _reshaped(flat: list, shape: list[int]) -> list:
    """Row-major data as nested lists of that shape."""
    for size in reversed(shape[1:]):
        flat = [flat[start : start + size] for start in range(0, len(flat), size)]
    return flat


def _accepted(datatype: str) -> list[str]:
    """The datatypes converted to a model input's datatype, as /v1/predict converts JSON numbers: any number
    for a float input (uint8 pixels, fp16 activations), whole numbers for an integer one."""
    if datatype in FLOAT_DATATYPES:
        return sorted(FLOAT_DATATYPES | INTEGER_DATATYPES)
    if datatype in INTEGER_DATATYPES:
        return sorted(INTEGER_DATATYPES)
    return [datatype]


def _array(tensor: RequestInput, expected: TensorMetadata, index: int) -> Any:
    """One input's data as a nested array (an array, if it came as binary data), once its datatype, shape and
    data agree with the model."""
    name, shape, loc = tensor.name, list(tensor.shape), ["inputs", index]
    accepted = _accepted(expected.datatype)
    if tensor.datatype not in accepted:
        also = f" (or one converted to it: {', '.join(accepted)})" if len(accepted) > 1 else ""
        raise _refuse(
            f"input '{name}' has datatype {tensor.datatype}; the model takes {expected.datatype}{also}",
            loc + ["datatype"],
            "datatype",
        )
    if len(shape) != len(expected.shape) or any(e not in (-1, s) for e, s in zip(expected.shape, shape)):
        raise _refuse(
            f"input '{name}' has shape {shape}; the model takes {expected.shape} (-1: any size)",
            loc + ["shape"],
            "input_shape",
        )
    if tensor.data is None:
        raise _refuse(
            f"input '{name}' has no data: send `data`, or `parameters.binary_data_size` with the bytes after the "
            "JSON (binary tensor data, header Inference-Header-Content-Length)",
            loc + ["data"],
            "missing",
        )
    if not isinstance(tensor.data, list):  # binary data: whole numbers if its datatype is an integer one
        return tensor.data
    given = list(shape_of(tensor.data))
    if given != shape and given != [prod(shape)]:
        raise _refuse(
            f"input '{name}': data of shape {given} ({prod(given)} values) fits neither shape {shape} "
            f"nor {prod(shape)} values flat",
            loc + ["data"],
            "data_shape",
        )
    data = _reshaped(tensor.data, shape) if given != shape else tensor.data
    if expected.datatype in INTEGER_DATATYPES and any(not isinstance(value, int) for value in _flat(data)):
        raise _refuse(
            f"input '{name}' is {expected.datatype}: its data must be whole numbers", loc + ["data"], "datatype"
        )
    return data


def request_inputs(metadata: ModelMetadata, request: InferenceRequest) -> Inputs:
    """The request's tensors as /v1/predict's inputs, every one checked; outputs asked for must exist."""
    expected = {tensor.name: tensor for tensor in metadata.inputs}
    arrays: dict[str, Any] = {}
    for index, tensor in enumerate(request.inputs):
        if tensor.name not in expected or tensor.name in arrays:
            why = "is given twice" if tensor.name in arrays else "is no input of the model"
            raise _refuse(
                f"input '{tensor.name}' {why}; the model's inputs are {list(expected)}",
                ["inputs", index, "name"],
                "input_names",
            )
        arrays[tensor.name] = _array(tensor, expected[tensor.name], index)
    if set(arrays) != set(expected):
        raise _refuse(
            f"inputs {sorted(set(expected) - set(arrays))} are missing; the model's inputs are {list(expected)}",
            ["inputs"],
            "input_names",
        )
    outputs = [tensor.name for tensor in metadata.outputs]
    for index, wanted in enumerate(request.outputs or ()):
        if wanted.name not in outputs:
            raise _refuse(
                f"output '{wanted.name}' is no output of the model; its outputs are {outputs}",
                ["outputs", index, "name"],
                "output_names",
            )
    return next(iter(arrays.values())) if len(arrays) == 1 else arrays


def _flat(nested: Any) -> list:
    """Row-major values of a nested list."""
    while nested and isinstance(nested[0], list):
        nested = [value for row in nested for value in row]
    return nested


def response(metadata: ModelMetadata, request: InferenceRequest, answer: PredictResponse) -> InferenceResponse:
    """The predictions as the protocol's outputs, those the request asked for (all if it named none)."""
    one = len(metadata.outputs) == 1
    # A model of one output answers one shape, of several a list of them (PredictResponse.output_shape), or a
    # dict by output name (a model made with outputs={...}, whose output names are its keys).
    if isinstance(answer.predictions, dict) and isinstance(answer.output_shape, dict):
        names = [tensor.name for tensor in metadata.outputs]
        shapes = [answer.output_shape[name] for name in names]
        predictions: Any = [answer.predictions[name] for name in names]
    else:
        shapes = cast(list[list[int]], [answer.output_shape] if one else answer.output_shape)
        predictions = [answer.predictions] if one else answer.predictions
    wanted = {tensor.name for tensor in request.outputs} if request.outputs else None
    outputs = [
        ResponseOutput(name=tensor.name, shape=list(shape), datatype=tensor.datatype, data=_flat(data))
        for tensor, shape, data in zip(metadata.outputs, shapes, predictions)
        if wanted is None or tensor.name in wanted
    ]
    return InferenceResponse(model_name=metadata.name, id=request.id, outputs=outputs)
