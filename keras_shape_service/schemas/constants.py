"""A constant tensor in a call's arguments, as Keras 3 writes it in a to_json document: what Keras computed once,
eagerly, outside the graph (``pos_emb(ops.arange(maxlen))``, ``ops.ones((3,)) * 2``) and gave an operation on
symbolic tensors, written as ``{"class_name": "__tensor__", "config": {"value": [...], "dtype": "float32"}}``.

It is data: numbers and a dtype, never an object Keras would deserialize. Only an operation node's arguments
may hold one (schemas/spec.py OperationNode); its size counts against max_constant_elements (guards/limits.py).

Code computes such a constant from numbers with a layer (``pos_emb(ops.arange(maxlen))``), whose weights only the
service knows (drawn from the request's seed, or given by the layer's name): the code reader writes it as the
service's own ``{"class_name": "__layer_output__", "config": {"layer": {"class_name": "Embedding", "config":
{..., "name": "embedding_1"}}, "inputs": <a __tensor__>}}``, which Keras never writes. The layer is no layer of the
model (Keras's summary does not list it); the service computes its output once, with its weights.
"""

from itertools import chain
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from .base import ApiModel, values_past
from .keras_names import ALLOWED_LAYER_TYPES, REAL_DTYPES
from .numbers import NESTED_NUMBERS_SCHEMA, NestedNumbers

CONSTANT_CLASS_NAME = "__tensor__"
LAYER_OUTPUT_CLASS_NAME = "__layer_output__"
ConstantDtype = Literal[REAL_DTYPES]  # type: ignore[valid-type]  # the allow-list, as the document lists it

# The range of each integer dtype: a number past it would wrap around silently when Keras makes the tensor.
_INTEGER_RANGES: dict[str, tuple[int, int]] = {
    **{f"int{bits}": (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) for bits in (8, 16, 32, 64)},
    **{f"uint{bits}": (0, 2**bits - 1) for bits in (8, 16, 32, 64)},
}
# Past these a number is infinite in the dtype (NestedNumbers holds every number within float32's 3.4028e38).
_FLOAT_MAX = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38}


def _leaves(value: Any) -> list:
    """A rectangular nested list's numbers (NestedNumbers checked it), flattened a level at a time in C: a Python
    step per number took 1.7 s of the HTTP worker for a body's 3.9 million, before max_constant_elements refused
    them."""
    level = value if isinstance(value, list) else [value]
    while level and isinstance(level[0], list):
        level = list(chain.from_iterable(level))
    return level


class ConstantTensorConfig(ApiModel):
    value: NestedNumbers
    dtype: ConstantDtype

    @model_validator(mode="after")
    def _fits_its_dtype(self) -> "ConstantTensorConfig":
        if self.dtype not in _INTEGER_RANGES and self.dtype not in _FLOAT_MAX:
            return self  # NestedNumbers held them within float32's range
        numbers = _leaves(self.value)
        if self.dtype in _INTEGER_RANGES:
            low, high = _INTEGER_RANGES[self.dtype]
            whole = all(map(float.is_integer, map(float, numbers)))  # in C, as min and max
            if not (whole and low <= min(numbers) and max(numbers) <= high):
                bad = next(n for n in numbers if not float(n).is_integer() or not low <= n <= high)
                raise PydanticCustomError(
                    "constant_dtype",
                    "a constant of dtype {dtype} holds whole numbers from {low} to {high}; got {bad}",
                    {"dtype": self.dtype, "low": low, "high": high, "bad": bad},
                )
        largest = _FLOAT_MAX.get(self.dtype)
        if largest is not None and not -largest <= min(numbers) <= max(numbers) <= largest:
            raise PydanticCustomError(
                "constant_dtype",
                f"a constant of dtype {self.dtype} holds numbers within ±{largest:g}",
                {"dtype": self.dtype, "largest": largest},
            )
        return self


class ConstantTensor(ApiModel):
    """A constant tensor: its numbers (a number or a rectangular array of finite numbers) and its dtype."""

    class_name: Literal["__tensor__"]
    config: ConstantTensorConfig


class ComputingLayer(ApiModel):
    """The layer that computes a constant from numbers: a built-in layer's class name and config, named."""

    class_name: str
    config: dict[str, Any]
    module: Optional[Literal["keras.layers"]] = None

    @model_validator(mode="after")
    def _named_builtin(self) -> "ComputingLayer":
        if self.class_name not in ALLOWED_LAYER_TYPES:
            raise PydanticCustomError(
                "unknown_layer", "'{name}' is no built-in Keras layer the service builds", {"name": self.class_name}
            )
        if not isinstance(self.config.get("name"), str):
            raise PydanticCustomError(
                "layer_name",
                "the layer that computes a constant is named (config.name): given weights find it by that name",
                {"path": ["config", "name"]},
            )
        return self


class LayerOutputConfig(ApiModel):
    layer: ComputingLayer
    inputs: ConstantTensor


class LayerOutput(ApiModel):
    """What a layer computes from a constant tensor, once, outside the graph (``pos_emb(ops.arange(10))``)."""

    class_name: Literal["__layer_output__"]
    config: LayerOutputConfig


_KINDS: dict[str, type[ApiModel]] = {CONSTANT_CLASS_NAME: ConstantTensor, LAYER_OUTPUT_CLASS_NAME: LayerOutput}

CONSTANT_TENSOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A constant tensor Keras computed outside the graph (to_json's __tensor__): its numbers and "
    "dtype. Only an operation node's arguments may hold one.",
    "required": ["class_name", "config"],
    "additionalProperties": False,
    "properties": {
        "class_name": {"const": CONSTANT_CLASS_NAME},
        "config": {
            "type": "object",
            "required": ["value", "dtype"],
            "additionalProperties": False,
            "properties": {"value": NESTED_NUMBERS_SCHEMA, "dtype": {"enum": list(REAL_DTYPES)}},
        },
    },
}
LAYER_OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "What a built-in layer computes from a constant tensor, once, outside the graph (the code "
    "reader writes pos_emb(ops.arange(10)) so): the layer is no layer of the model; its weights are drawn from the "
    "seed unless given by its name.",
    "required": ["class_name", "config"],
    "additionalProperties": False,
    "properties": {
        "class_name": {"const": LAYER_OUTPUT_CLASS_NAME},
        "config": {
            "type": "object",
            "required": ["layer", "inputs"],
            "additionalProperties": False,
            "properties": {
                "layer": {
                    "type": "object",
                    "required": ["class_name", "config"],
                    "additionalProperties": False,
                    "properties": {
                        "class_name": {"enum": list(ALLOWED_LAYER_TYPES)},
                        "config": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {"name": {"type": "string"}},
                        },
                        "module": {"anyOf": [{"const": "keras.layers"}, {"type": "null"}]},
                    },
                },
                "inputs": CONSTANT_TENSOR_SCHEMA,
            },
        },
    },
}
# Any argument but a malformed constant: an object naming __tensor__ or __layer_output__ must be one above.
_NOT_A_CONSTANT = {
    "not": {
        "type": "object",
        "required": ["class_name"],
        "properties": {"class_name": {"enum": [CONSTANT_CLASS_NAME, LAYER_OUTPUT_CLASS_NAME]}},
    }
}
_ARGUMENT = {"anyOf": [CONSTANT_TENSOR_SCHEMA, LAYER_OUTPUT_SCHEMA, _NOT_A_CONSTANT]}
# An operation node's inbound nodes, as far as constants go: Keras 3's {"args": [...], "kwargs": {...}}, each
# argument (and each item of a list argument) a constant as above or anything else the graph reader judges.
OPERATION_INBOUND_NODES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "properties": {
            "args": {
                "items": {
                    "anyOf": [
                        CONSTANT_TENSOR_SCHEMA,
                        LAYER_OUTPUT_SCHEMA,
                        {"allOf": [_NOT_A_CONSTANT, {"items": _ARGUMENT}]},
                    ]
                }
            },
            "kwargs": {"additionalProperties": _ARGUMENT},
        }
    },
}


def is_constant(value: Any) -> bool:
    """A __tensor__ or a __layer_output__ (validated by check_constants where an operation node holds it)."""
    # a class_name of any JSON (a list: unhashable) is no constant, for the graph reader to judge
    return isinstance(value, dict) and isinstance(value.get("class_name"), str) and value["class_name"] in _KINDS


# JSON values a node's calls may hold besides an operation's constants: references to tensors (a few values each)
# and plain numbers. Unbounded, a plain list of 3.9 million numbers in a 7.8 MB body was walked here and in the
# graph reader, then formatted number by number in Keras's error for the operation: 46 s and 800 MB to refuse.
MAX_ARGUMENT_ITEMS = 10_000


def too_many_arguments(where: list) -> PydanticCustomError:
    return PydanticCustomError(
        "call_arguments",
        f"a layer's calls hold more than {MAX_ARGUMENT_ITEMS:,} values besides constant tensors; Keras writes a "
        'tensor as a "__keras_tensor__" reference and numbers it computed as one constant (only an operation\'s), '
        '{"class_name": "__tensor__", "config": {"value": [...], "dtype": "float32"}}: send those',
        {"limit": MAX_ARGUMENT_ITEMS, "path": where},
    )


def bounded_arguments(value: Any) -> Any:
    """A layer's inbound nodes (to_json's calls: references to tensors, plain values) hold at most
    MAX_ARGUMENT_ITEMS JSON values, counted before they are walked: a plain list of 3.9 million numbers in a
    layer's kwargs took 46 s and 700 MB to refuse (the graph reader's walk, Keras's error formatting each)."""
    past = values_past(value, MAX_ARGUMENT_ITEMS)
    if past is not None:
        raise too_many_arguments(past[1])
    return value


def check_constants(value: Any, path: list) -> None:
    """Every constant in a call's arguments (at any depth) validated; the first one wrong refused where it is.
    The arguments besides constants hold at most MAX_ARGUMENT_ITEMS JSON values."""
    stack: list[tuple[Any, list]] = [(value, path)]
    walked = 0
    while stack:
        item, where = stack.pop()
        # counted before the items are stacked: a list of millions is refused without a path made for each
        walked += len(item) if isinstance(item, (dict, list)) and not is_constant(item) else 0
        if walked > MAX_ARGUMENT_ITEMS:
            raise too_many_arguments(where)
        if is_constant(item):
            try:
                _KINDS[item["class_name"]].model_validate(item)
            except ValidationError as error:
                first = error.errors()[0]
                inside = [part for part in first["loc"] if isinstance(part, (str, int))]
                raise PydanticCustomError(
                    "constant_tensor",
                    'a constant tensor (class_name "__tensor__") holds its numbers in config.value and their dtype '
                    'in config.dtype (one of {dtypes}); a "__layer_output__" names its layer and its inputs, a '
                    "__tensor__, in its config; at {at}: {why}",
                    {
                        "dtypes": ", ".join(REAL_DTYPES),
                        "at": ".".join(map(str, inside)) or "its top",
                        "why": first["msg"],
                        "path": where + inside + list((first.get("ctx") or {}).get("path", [])),
                    },
                ) from None
        elif isinstance(item, dict):
            stack.extend((child, where + [key]) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((child, where + [index]) for index, child in enumerate(item))


# A layer's (not an operation's) inbound nodes, bounded as above.
InboundNodes = Annotated[list[Any], AfterValidator(bounded_arguments)]
