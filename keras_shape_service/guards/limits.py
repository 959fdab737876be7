"""Resource bounds, checked from sizes and shapes before anything large is allocated."""

import re
from math import prod
from typing import Any, Optional

import numpy as np

from keras_shape_service.errors import LimitExceeded
from keras_shape_service.facts import LayerFacts, every_call
from keras_shape_service.schemas.base import values_past
from keras_shape_service.settings import Settings
from keras_shape_service.specs.canonical import CanonicalSpec

from . import cost

_ESCAPE, _STRING = re.compile(rb"\\."), re.compile(rb'"[^"]*"')
_NOT_OUTLINE = bytes(set(range(256)) - set(b'[]{}",:'))
_NOT_A_BRACKET = bytes(set(range(256)) - set(b"[]{}"))
_ARRAY_STRING = re.compile(rb'(?<!:)""(?!:)')  # neither a key (before ':') nor a value (after ':')
_STEP = np.zeros(256, dtype=np.int8)
_STEP[list(b"[{")], _STEP[list(b"]}")] = 1, -1


def outline(raw: bytes) -> bytes:
    """A valid JSON text's structure, read in bulk (numbers, most of a large body, are never visited one by
    one): its brackets, commas and colons, and each string as "" (escapes dropped first, where there are any)."""
    if b"\\" in raw:
        raw = _ESCAPE.sub(b"", raw)
    return _STRING.sub(b'""', raw.translate(None, _NOT_OUTLINE))


def json_depth(structure: bytes) -> int:
    """Nesting depth of a JSON text, from its outline (or the text itself, if it holds no strings)."""
    brackets = structure.translate(None, _NOT_A_BRACKET)
    if not brackets:
        return 0
    return int(np.cumsum(_STEP[np.frombuffer(brackets, dtype=np.uint8)], dtype=np.int64).max())


def strings_in_arrays(structure: bytes) -> bool:
    """Whether an array of the JSON text holds a string, from its outline (a top-level string counts too)."""
    return _ARRAY_STRING.search(structure) is not None


def check_depth(structure: bytes, settings: Settings) -> None:
    """400 for a JSON text, given by its outline, nested deeper than the limit."""
    if structure.count(b"[") + structure.count(b"{") <= settings.max_json_depth:
        return  # no deeper than the brackets it opens: a small body's depth is not worth numpy's ~10 µs
    depth = json_depth(structure)
    if depth > settings.max_json_depth:
        raise LimitExceeded("max_json_depth", settings.max_json_depth, depth, "JSON nesting depth", status=400)


def check_layer_count(count: int, settings: Settings) -> None:
    if count > settings.max_layers:
        raise LimitExceeded("max_layers", settings.max_layers, count, "number of layers")


def check_graph_size(size: int, settings: Settings) -> None:
    if size > settings.max_graph_size:
        raise LimitExceeded(
            "max_graph_size",
            settings.max_graph_size,
            size,
            "inputs, outputs, layer calls and the tensors they read (a nested model's once per call of it)",
        )


def check_constants(spec: CanonicalSpec, settings: Settings) -> None:
    """The constant tensors a model's calls are given (to_json's __tensor__), all their numbers: held in the spec,
    in every executor's model, and read by every prediction."""
    constants = spec.constants()
    count = sum(constant.elements() for constant in constants)
    if count > settings.max_constant_elements:
        largest = max(constants, key=lambda constant: constant.elements())
        raise LimitExceeded(
            "max_constant_elements",
            settings.max_constant_elements,
            count,
            "number of numbers in the model's constant tensors (__tensor__ arguments of operation nodes)",
            loc=list(largest.loc),
            then=f"the largest, of shape {list(largest.shape)}, is here",
        )


def check_config_values(spec: CanonicalSpec, settings: Settings) -> None:
    """Each layer's arguments, nested models' layers too, hold at most max_config_values JSON values (numbers,
    strings, lists, objects: each one), a container's items counted before they are looked at (a list of millions
    costs one len())."""
    for layer in spec.layers:
        if layer.model is not None:
            check_config_values(layer.model, settings)
        past = values_past(layer.config, settings.max_config_values)
        if past is not None:
            raise LimitExceeded(
                "max_config_values",
                settings.max_config_values,
                past[0],
                f"values counted in the arguments of layer '{layer.name}'",
                loc=list(layer.config_loc) + past[1],
                then="a layer's weights go in `weights`, by its name; its arguments are few numbers and names",
            )


def check_computed_constant(
    held: int, shape: tuple[int, ...], limit: int, layer: str, class_name: str, loc: list[Any]
) -> None:
    """The output a layer computes from a constant (the service's __layer_output__), held whole in the model as a
    given constant is, sized before Keras allocates it: `held` numbers of constants before it, within the limit.
    A few numbers in may make any number out (RepeatVector(n=10**9), Dense(units) on a long constant)."""
    count = held + prod(axis or 1 for axis in shape)
    if count > limit:
        raise LimitExceeded(
            "max_constant_elements",
            limit,
            count,
            "number of numbers in the model's constant tensors, with the output layers compute from them",
            loc=loc,
            then=f"layer '{layer}' ({class_name}) computes one of shape {list(shape)} here: give it a smaller "
            "constant or arguments that make a smaller output",
        )


def check_inputs(shapes: list[tuple[int, ...]], settings: Settings) -> None:
    """Bound the batch and the number of input elements, over every input."""
    batch, elements = shapes[0][0], sum(prod(shape) for shape in shapes)
    if batch > settings.max_batch:
        raise LimitExceeded("max_batch", settings.max_batch, batch, "batch size")
    if elements > settings.max_input_elements:
        raise LimitExceeded("max_input_elements", settings.max_input_elements, elements, "number of inputs")


def check_params(total: int, limit_name: str, settings: Settings) -> None:
    limit = getattr(settings, limit_name)
    if total > limit:
        raise LimitExceeded(limit_name, limit, total, "number of parameters")


def check_activations(layers: tuple[LayerFacts, ...], batch: int, settings: Settings) -> None:
    """The largest output any call of any layer would produce for this batch, and the largest tensor any makes
    inside itself (attention scores), both held whole in the executor's memory."""
    largest = max(cost.elements(shape) for f in every_call(layers) for shape in f.output_shapes) * batch
    if largest > settings.max_activation_elements:
        raise LimitExceeded(
            "max_activation_elements",
            settings.max_activation_elements,
            largest,
            "largest layer output (elements for the batch)",
        )
    scratch, layer = max(((cost.scratch_elements(f), f) for f in every_call(layers)), key=lambda pair: pair[0])
    if scratch * batch > settings.max_activation_elements:
        raise LimitExceeded(
            "max_activation_elements",
            settings.max_activation_elements,
            scratch * batch,
            f"the {cost.RULES[layer.class_name].scratch_what} of layer '{layer.name}' ({layer.class_name}), "
            "elements for the batch,",
        )


# A prediction's number as JSON: a float32 answered as the shortest float64 that reads back, up to 17
# significant digits with a sign, a point and a comma ("-0.29601871967315674,": 21), 24 with an exponent
# ("-1.1754943508222875e-38,"); each innermost row adds its brackets.
ANSWER_BYTES_PER_NUMBER, ANSWER_BYTES_PER_ROW = 24, 4


def answer_bytes(output_shapes: tuple[tuple[Optional[int], ...], ...], batch: int) -> int:
    """Estimated size of a prediction's answer as JSON: its numbers and rows, for the batch, over every output."""
    numbers = sum(cost.elements(shape) for shape in output_shapes) * batch
    rows = sum(prod(axis or 1 for axis in shape[1:-1]) for shape in output_shapes) * batch
    return ANSWER_BYTES_PER_NUMBER * numbers + ANSWER_BYTES_PER_ROW * rows


def check_answer(output_shapes: tuple[tuple[Optional[int], ...], ...], batch: int, settings: Settings) -> None:
    """Refuse a prediction whose answer would be larger than the limit, before it runs: an answer is built and
    held whole until sent, and a client that never reads it keeps it in memory (108 MB for an 11 kB body)."""
    size = answer_bytes(output_shapes, batch)
    if size > settings.max_answer_bytes:
        raise LimitExceeded(
            "max_answer_bytes",
            settings.max_answer_bytes,
            size,
            "estimated size of the answer in bytes (KSS_MAX_ANSWER_BYTES)",
        )


def check_work(
    layers: tuple[LayerFacts, ...], batch: int, settings: Settings, once: tuple[LayerFacts, ...] = ()
) -> None:
    """Refuse what the compute limit or the compute budget would certainly stop, before it starts; `once`: layers
    the model calls once before it predicts, on their own batch (those computing its constants outside the graph:
    an LSTM over a long constant runs its steps as a model's LSTM would)."""
    work = cost.prediction_work(layers, batch) + cost.once_work(once)
    if work > settings.max_multiply_adds:
        raise LimitExceeded(
            "max_multiply_adds", settings.max_multiply_adds, work, "estimated multiply-adds of this prediction"
        )
    seconds = cost.prediction_seconds(layers) + cost.prediction_seconds(once)
    if seconds > settings.compute_budget_s:
        raise LimitExceeded(
            "compute_budget_s",
            settings.compute_budget_s,
            round(seconds, 3),
            "estimated seconds of steps this model takes one after another (recurrent time steps, "
            "TimeDistributed's loop, unrolled layers)",
        )
