"""A canonical spec built into a Keras model: Sequential, a Functional graph (shared layers, several inputs and
outputs, models nested as layers at any depth), or a keras.applications network by name.

Runs inside plan()'s StatelessScope: layers build, variables get shapes but no memory. Every layer is made
and called by the service, one at a time, so that a refusal names the layer (and the call) that refused.
"""

import contextvars
import inspect
import math
from dataclasses import dataclass
from typing import Any, Optional

import keras
import numpy as np

from keras_shape_service.errors import ModelRejected
from keras_shape_service.guards import limits
from keras_shape_service.specs.canonical import Call, CanonicalInput, CanonicalLayer, CanonicalSpec, Constant, TensorRef

from .layers import check_input_dtype, make_application_layer, make_layer, make_operation, received, rejected


@dataclass(eq=False)
class ComputedConstant:
    """An operand a layer computes from numbers, once, outside the graph (code's `pos_emb(ops.arange(10))`): the
    model is built with `operand`, zeros of the output's shape, until ready.py gives the layer its weights and
    puts its output in their place (replace_operand)."""

    layer: Any  # the Keras layer, no layer of the model
    constant: Constant
    operand: Any  # the tensor the operation's node holds now


# While a model is built: the operands layers compute outside the graph so far (its nested models' too), and
# max_constant_elements with the numbers its given constants hold (None: unbounded). Scoped to build(), as
# Keras's StatelessScope and the planner's build limit are, since constants are met deep in nested builds.
_BUILDING: "contextvars.ContextVar[Optional[list[ComputedConstant]]]" = contextvars.ContextVar(
    "kss_computed_constants", default=None
)
_CONSTANT_LIMIT: "contextvars.ContextVar[Optional[tuple[int, int]]]" = contextvars.ContextVar(
    "kss_constant_limit", default=None
)


@dataclass(frozen=True)
class Built:
    """A spec's Keras model, and the operands layers compute for it outside the graph, in the order built."""

    model: Any
    computed: list[ComputedConstant]


def build(spec: CanonicalSpec, max_constant_elements: Optional[int] = None) -> Built:
    """The Keras model of a canonical spec; the outputs layers compute from constants (with the constants given)
    within `max_constant_elements`, checked before Keras allocates them."""
    computed: list[ComputedConstant] = []
    token = _BUILDING.set(computed)
    given = sum(constant.elements() for constant in spec.constants())
    limit_token = _CONSTANT_LIMIT.set((max_constant_elements, given) if max_constant_elements is not None else None)
    try:
        model = _model(spec)
    finally:
        _BUILDING.reset(token)
        _CONSTANT_LIMIT.reset(limit_token)
    _check_names_apart(model, computed)
    return Built(model, computed)


def _model(spec: CanonicalSpec) -> Any:
    if spec.kind == "application":
        return _application(spec)
    if spec.kind == "sequential":
        return _sequential(spec)
    return _functional(spec)


def _check_names_apart(model: Any, computed: list[ComputedConstant]) -> None:
    """Weights are given by layer name: a layer computing a constant named as a layer of the model would take
    that layer's (refused for their shapes, or silently in its place)."""
    names = {layer.name for layer in model.layers}
    for each in computed:
        layer = each.constant.layer
        if layer is not None and layer.name in names:
            raise ModelRejected(
                f"the layer computing a constant is named '{layer.name}', as a layer of the model is; weights are "
                "given by layer name: give it a name of its own",
                loc=list(layer.loc),
                error_type="constant_tensor",
            )


def _layer(layer: CanonicalLayer) -> Any:
    """A layer object; a nested model is built whole, under the name its parent knows it by (its own
    refusals name its own layers)."""
    if layer.model is not None:
        return _model(layer.model.replace(name=layer.name))
    if layer.module.startswith("keras.src.ops."):
        return make_operation(layer)
    if layer.module.startswith("keras.src.applications."):
        return make_application_layer(layer)
    return make_layer(layer)


def _input_layer(model_input: CanonicalInput, tensor: bool) -> Any:
    check_input_dtype(model_input)
    shape = model_input.shape if model_input.shape is not None else ()
    if tensor:
        return keras.Input(
            shape=shape, name=model_input.name, dtype=model_input.dtype, batch_size=model_input.batch_size
        )
    return keras.layers.InputLayer(shape=shape, name=model_input.name, dtype=model_input.dtype)


def _sequential(spec: CanonicalSpec) -> Any:
    """keras.Sequential of the layers; where Keras refuses, fresh layers called one by one say which."""
    layers = [_layer(layer) for layer in spec.layers]
    model_input = spec.inputs[0]
    head = [_input_layer(model_input, tensor=False)] if model_input.shape is not None else []
    try:
        return keras.Sequential(head + layers, name=spec.name)
    except Exception as error:
        if model_input.shape is not None:
            _locate(spec, keras.KerasTensor((None,) + tuple(model_input.shape)))
        raise rejected(error, list(spec.loc), "keras_model") from None


def _locate(spec: CanonicalSpec, tensor: Any) -> None:
    """Call fresh layers one after another on a symbolic tensor: the first to refuse raises at its location."""
    for layer in spec.layers:
        made = _layer(layer)
        try:
            tensor = made(tensor)
        except Exception as error:
            raise rejected(error, list(layer.loc), "keras_model", received(made, tensor, error)) from None


def _resolve(value: Any, tensors: dict[TensorRef, Any]) -> Any:
    """Call arguments with each reference replaced by its tensor."""
    if isinstance(value, TensorRef):
        return tensors[value]
    if isinstance(value, Constant):
        return constant_tensor(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve(item, tensors) for item in value)
    if isinstance(value, dict):
        return {key: _resolve(item, tensors) for key, item in value.items()}
    return value


def constant_numbers(constant: Constant) -> Any:
    """A constant's numbers as a tensor of its dtype, read by numpy in C: Keras's convert_to_tensor walks a nested
    list a Python step per item (a million one-number rows: a second, twice per model)."""
    try:  # numpy has no bfloat16: its numbers are read as they were written (float64), then cast
        array = np.asarray(constant.value, dtype="float64" if constant.dtype == "bfloat16" else constant.dtype)
        return keras.ops.convert_to_tensor(array, dtype=constant.dtype)
    except Exception as error:  # a client's constant Keras refuses is the client's 422
        raise rejected(error, list(constant.loc), "constant_tensor") from None


def constant_tensor(constant: Constant) -> Any:
    """A constant operand, as Keras's Functional.from_config makes a __tensor__ argument: a tensor of its numbers
    in its dtype (made here from the numbers, never by deserializing an object); one a layer computes from them,
    zeros of its output's shape and dtype until the model is ready (ComputedConstant)."""
    numbers = constant_numbers(constant)
    if constant.layer is None:
        return numbers
    building = _BUILDING.get()
    made = _same_layer(constant.layer, building or []) or make_layer(constant.layer)
    symbolic = keras.KerasTensor(constant.shape, dtype=numbers.dtype)
    try:
        if not made.built:
            made.build(constant.shape)
        output = made.compute_output_spec(symbolic)
    except Exception as error:  # a layer Keras cannot call on these numbers: the client's 422
        raise rejected(error, list(constant.layer.loc), "keras_model", received(made, symbolic, error)) from None
    if not isinstance(output, keras.KerasTensor):
        raise ModelRejected(
            f"layer '{constant.layer.name}' ({constant.layer.class_name}) computes several tensors from a constant; "
            "an operation takes one",
            loc=list(constant.layer.loc),
            error_type="constant_tensor",
        )
    bound = _CONSTANT_LIMIT.get()
    if bound is not None:  # a small constant may make a huge output (RepeatVector, Dense): sized before allocated
        held = bound[1] + sum(math.prod(computed.operand.shape) for computed in building or [])
        limits.check_computed_constant(
            held,
            tuple(output.shape),
            bound[0],
            constant.layer.name,
            constant.layer.class_name,
            list(constant.layer.loc),
        )
    operand = keras.ops.zeros(output.shape, dtype=output.dtype)
    if building is not None:
        building.append(ComputedConstant(made, constant, operand))
    return operand


def _same_layer(layer: CanonicalLayer, computed: list[ComputedConstant]) -> Any:
    """The layer already made under this name for another constant (code's `pos_emb` called on two: one layer,
    one table, as in Keras); another layer under the same name is refused, as weights are given by name."""
    for each in computed:
        if each.constant.layer is not None and each.constant.layer.name == layer.name:
            if (each.constant.layer.class_name, each.constant.layer.config) != (layer.class_name, layer.config):
                raise ModelRejected(
                    f"two layers computing constants are named '{layer.name}' with other configs; weights are "
                    "given by layer name: give each a name of its own, or the same layer the same config",
                    loc=list(layer.loc),
                    error_type="constant_tensor",
                )
            return each.layer
    return None


def _call(layer: CanonicalLayer, made: Any, number: int, call: Call, tensors: dict[TensorRef, Any]) -> None:
    """One call of a layer on its inputs; its outputs become references (layer, call, position)."""
    args = _resolve(call.args, tensors)
    try:
        outputs = made(*args, **_resolve(call.kwargs, tensors))
    except Exception as error:
        raise rejected(error, list(call.loc or layer.loc), "keras_model", received(made, args, error)) from None
    flat = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    for position, tensor in enumerate(flat):
        tensors[TensorRef(layer.name, number, position)] = tensor


def _functional(spec: CanonicalSpec) -> Any:
    """keras.Model(inputs, outputs): each layer made, then its calls run as soon as their inputs exist."""
    tensors = {TensorRef(i.name): _input_layer(i, tensor=True) for i in spec.inputs}
    made = {layer.name: _layer(layer) for layer in spec.layers}
    pending = [(layer, number, call) for layer in spec.layers for number, call in enumerate(layer.calls)]
    while pending:
        ready = [item for item in pending if all(ref in tensors for ref in item[2].refs())]
        if not ready:
            raise _unresolved(spec, pending, tensors)
        for layer, number, call in ready:
            _call(layer, made[layer.name], number, call, tensors)
        pending = [item for item in pending if item not in ready]
    missing = [ref for ref in spec.outputs if ref not in tensors]
    if missing:
        raise ModelRejected(
            f"the output {_named(missing[0])} is no output of any call in the model",
            loc=list(spec.loc),
            error_type="inbound",
        )
    outputs = [tensors[ref] for ref in spec.outputs]
    inputs = [tensors[TensorRef(i.name)] for i in spec.inputs]
    try:
        return keras.Model(_structured(inputs, spec.input_keys), _structured(outputs, spec.output_keys), name=spec.name)
    except Exception as error:
        raise rejected(error, list(spec.loc), "keras_model") from None


def _structured(tensors: list, keys: tuple[str, ...]) -> Any:
    """A model's inputs or outputs as it was made: a dict by key, a list, or the one tensor."""
    if keys:
        return dict(zip(keys, tensors))
    return tensors if len(tensors) > 1 else tensors[0]


def _named(ref: TensorRef) -> str:
    return repr(ref.layer + (f"#{ref.node}" if ref.node else "") + (f" (output {ref.tensor})" if ref.tensor else ""))


def _unresolved(spec: CanonicalSpec, pending: list, tensors: dict[TensorRef, Any]) -> ModelRejected:
    """Why the calls left cannot run: a source that names nothing, or calls that wait on each other."""
    names = {i.name for i in spec.inputs} | {layer.name for layer in spec.layers}
    for layer, _, call in pending:
        for ref in call.refs():
            if ref.layer not in names:
                return ModelRejected(
                    f"layer '{layer.name}' is fed by {_named(ref)}, which names no input or layer of the model",
                    loc=list(call.loc or layer.loc),
                    error_type="inbound",
                )
    layer, _, call = pending[0]
    waits = [_named(ref) for ref in call.refs() if ref not in tensors]
    return ModelRejected(
        f"layer '{layer.name}' is fed by {', '.join(waits)}, which no call before it makes (a "
        "cycle, or a call of a shared layer that does not exist)",
        loc=list(call.loc or layer.loc),
        error_type="inbound",
    )


def _application(spec: CanonicalSpec) -> Any:
    """keras.applications.<name>(weights=None, ...): never downloads anything."""
    application = spec.application
    assert application is not None, "a spec of kind 'application' carries its Application (specs.forms)"
    constructor = getattr(keras.applications, application.name)
    arguments = dict(application.arguments)
    if spec.inputs[0].shape is not None:
        arguments["input_shape"] = tuple(spec.inputs[0].shape)
    unknown = sorted(set(arguments) - set(inspect.signature(constructor).parameters))
    if unknown:
        raise ModelRejected(
            f"{application.name} takes no argument {unknown[0]!r}; it takes "
            f"{sorted(set(inspect.signature(constructor).parameters) - {'weights', 'input_tensor'})}",
            loc=list(spec.loc) + [unknown[0]],
            error_type="keras_application",
        )
    try:
        return constructor(weights=None, **arguments)
    except Exception as error:
        raise rejected(error, list(spec.loc), "keras_application") from None
