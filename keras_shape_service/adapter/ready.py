"""The Keras adapter's second half: a planned model given its weights, called, and its inputs checked.

Called eagerly at first and through a traced tf.function once seen again (model.predict has a large fixed
cost per call; bench/README.md).
"""

import functools
from typing import Any, Optional

import keras
import numpy as np
import tensorflow as tf

from keras_shape_service.errors import InvalidInputs, ModelRejected, NotIndices
from keras_shape_service.facts import LayerFacts, shape_text, walk

from . import builder, private, weights_file
from .layers import OUT_OF_MEMORY, keras_message, rejected
from .planner import PlannedModel

INTEGER_INPUT_LAYERS = {"Embedding"}
# Traced functions kept per model traced per input shape (ReadyModel._per_shape); the oldest is dropped.
TRACED_SHAPES = 8


def _infer(model: Any, *inputs: Any) -> Any:
    """The model's outputs, a flat list in model.outputs order (a dict of outputs flattened as Keras does, by
    sorted key), for its inputs in model.inputs order (packed as a dict where the model takes one)."""
    structure = private.input_structure(model)
    given = (
        keras.tree.pack_sequence_as(structure, list(inputs))
        if isinstance(structure, dict)
        else list(inputs)
        if len(inputs) > 1
        else inputs[0]
    )
    return keras.tree.flatten(model(given, training=False))


def _bytes(tensor: Any) -> int:
    """A variable's or a tensor's bytes (a TensorFlow dtype is no numpy one; numpy has no bfloat16)."""
    dtype = keras.backend.standardize_dtype(tensor.dtype)
    return int(np.prod(tensor.shape)) * (2 if dtype == "bfloat16" else np.dtype(dtype).itemsize)


class ReadyModel:
    """A model with its weights, called eagerly at first and through a traced function once seen again."""

    def __init__(self, planned: PlannedModel):
        # The client's weights are in the model now; as nested lists they would cost several times their size.
        self.spec = planned.spec.replace(weights={}, weights_file=None)
        self.model, self.report, self.facts = planned.model, planned.report, planned.facts
        self.output_shapes = planned.output_shapes
        # What the model cache keeps, bounded by its bytes: the model's weights, and those of the layers computing
        # its constants with what they computed (no weights of the model's: a 60M-number table counted nothing).
        computed = planned.computed
        outside = {id(each.layer): each.layer for each in computed}.values()
        tensors = [*self.model.weights, *(v for layer in outside for v in layer.weights)]
        tensors += [each.operand for each in computed]
        self.weight_bytes = sum(_bytes(tensor) for tensor in tensors)
        self.inputs = [
            (t.name, tuple(t.shape), input_dtype(t, consumers(self.model, self.facts, t.name)))
            for t in self.model.inputs
        ]
        self.calls = 0
        self.traced_calls = 0  # calls answered by the traced function (the cached path after the first)
        # Traced calls by the input shapes they take: one, for every shape (key ()), unless _per_shape.
        self._traced: dict[tuple, Any] = {}
        self.traces = 0  # how many times TensorFlow traced this model's call
        # Keras's TimeDistributed, over a time axis of unknown size, maps its layer over as many steps as the
        # batch has examples (keras 3.15 time_distributed.py: ops.arange(input_shape[0]), taken before its
        # transpose): wrong numbers, or an error. Over a known axis it loops in Python, correctly, as an eager
        # call does. A model where one sees a variable axis is traced per input shape (a few shapes kept).
        self._per_shape = any(
            layer.class_name == "TimeDistributed" and None in layer.input_shape[1:2] for layer in walk(self.facts)
        )
        # An eager recurrent layer steps through time in Python, one op launch per step: trace those at once.
        self._trace_first = any(
            isinstance(part, keras.layers.RNN) for layer in self.model.layers for part in private.sublayers(layer)
        )

    def _trace(self, shapes: tuple) -> Any:
        """A tf.function over any batch size and any length of a variable axis (the model's own None axes are
        the signature's) or, given `shapes`, inputs of those shapes; traced once (never retraced), called with
        the arrays the model takes (ReadyModel.arrays: its input dtypes, in its input order)."""
        signature = [
            tf.TensorSpec((None,) + (shapes[index] if shapes else shape[1:]), tf.as_dtype(dtype))
            for index, (_, shape, dtype) in enumerate(self.inputs)
        ]
        # A partial, not a lambda: TensorFlow counts traces per code object and would warn of "retracing"
        # once five models shared one lambda's code.
        function = tf.function(functools.partial(_infer, self.model), input_signature=signature)
        traced = private.flat_call(function)
        self.traces += int(function.experimental_get_tracing_count())

        def call(*arrays: np.ndarray) -> Any:
            return traced(*map(tf.convert_to_tensor, arrays))

        return call

    def _eager_failure(self, arrays: list[np.ndarray], error: Exception) -> ModelRejected:
        """The refusal for a failed call, from an eager run (on the error path only): layer by layer where the
        model is a chain, so that it names the layer; a traced call's error carries graph node names."""
        if not isinstance(self.model, keras.Sequential):
            return rejected(error, list(self.spec.loc), "keras_call")
        tensor, locs = arrays[0], self.spec.layer_locs()
        for layer in self.model.layers:
            try:
                tensor = layer(tensor, training=False)
            except Exception as eager_error:
                return rejected(eager_error, list(locs.get(layer.name, self.spec.loc)), "keras_call")
        return rejected(error, list(self.spec.loc), "keras_call")

    def predict(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """A forward pass in inference mode, eager the first time, traced from the second call on: the model's
        outputs, in order."""
        self.calls += 1
        shapes = tuple(array.shape[1:] for array in arrays) if self._per_shape else ()
        traced = self._traced.get(shapes)
        if traced is None and (self.calls > 1 or self._trace_first):
            if len(self._traced) >= TRACED_SHAPES:
                del self._traced[next(iter(self._traced))]
            traced = self._traced[shapes] = self._trace(shapes)
        call = traced or functools.partial(_infer, self.model)
        self.traced_calls += traced is not None
        try:
            output = call(*arrays)
        except OUT_OF_MEMORY:
            raise
        except Exception as error:
            raise self._eager_failure(arrays, error) from None
        results = [
            keras.ops.convert_to_numpy(tensor) for tensor in (output if isinstance(output, (list, tuple)) else [output])
        ]
        if any(result.dtype == np.bool_ for result in results):
            raise ModelRejected(
                "the model's output is true/false (a comparison such as x > 0 ends it), which predictions, numbers, "
                'do not carry: end the model with numbers (keras.ops.cast(x > 0, "float32")) and send it '
                "again; /v1/summary answers the model as it is",
                loc=list(self.spec.loc),
                error_type="boolean_output",
            )
        if not all(np.all(np.isfinite(result)) for result in results):
            raise ModelRejected(
                "the model's output holds NaN or infinite values, which JSON cannot carry",
                loc=["inputs"],
                error_type="non_finite_output",
            )
        return results

    def arrays(self, given: dict[Optional[str], np.ndarray]) -> list[np.ndarray]:
        """The inputs, by name (None: the one array of a one-input model), as the arrays the model takes, in its
        input order; or a 422 saying how not."""
        return [
            _as_input(
                given[name] if name in given else given[None],
                name,
                shape,
                dtype,
                consumers(self.model, self.facts, name),
            )
            for name, shape, dtype in self.inputs
        ]


def consumers(model: Any, facts: tuple[LayerFacts, ...], name: str) -> list[LayerFacts]:
    """The layers an input feeds directly (a Sequential model's first layer is fed by its one input)."""
    if isinstance(model, keras.Sequential):
        return list(facts[:1])
    return [f for f in facts if name in f.inbound]


def input_dtype(tensor: Any, consumers: list[LayerFacts]) -> Any:
    """Integer inputs where the model says so, or where the input feeds an Embedding directly."""
    if any(f.class_name in INTEGER_INPUT_LAYERS for f in consumers) or "int" in str(tensor.dtype):
        return np.int32
    return np.float32


def _as_input(array: np.ndarray, name: str, shape: tuple, dtype: Any, consumers: list[LayerFacts]) -> np.ndarray:
    """One input array checked against the model's input and converted to its dtype."""
    if len(array.shape) != len(shape) or any(
        axis is not None and axis != size for axis, size in zip(shape[1:], array.shape[1:])
    ):
        raise InvalidInputs(
            f"input '{name}' takes {shape_text(shape)}, got an array of shape {list(array.shape)}",
            loc=["inputs"],
            error_type="input_shape",
        )
    if dtype is not np.int32:
        return array.astype(np.float32)
    readers = [layer for layer in consumers if layer.class_name in INTEGER_INPUT_LAYERS]
    if not np.all(array == np.floor(array)):
        raise InvalidInputs(
            f"input '{name}' takes whole numbers (indices)",
            loc=["inputs"],
            error_type="input_range",
            cause=_not_indices(readers, shape),
        )
    for layer in readers:
        vocabulary = layer.config.get("input_dim")
        if array.min() < 0 or array.max() >= vocabulary:
            raise InvalidInputs(
                f"{layer.class_name} '{layer.name}' takes integer indices in [0, {vocabulary})",
                loc=["inputs"],
                error_type="input_range",
                cause=_not_indices(readers, shape),
            )
    return array.astype(np.int32)


def _not_indices(readers: list[LayerFacts], shape: tuple) -> Optional[NotIndices]:
    """What reads the input as indices: the first lookup table it feeds."""
    if not readers:
        return None
    layer = readers[0]
    return NotIndices(layer.class_name, layer.name, layer.config.get("input_dim", 1), shape)


def _initialize(planned: PlannedModel, values: dict[int, np.ndarray]) -> None:
    """Allocate and initialize every deferred weight, to its value in `values` (by the variable's id) where
    it has one; an initializer that fails is the client's, at its layer."""
    model, locs = planned.model, planned.spec.layer_locs()
    layers = [*model.layers, *(computed.layer for computed in planned.computed)]
    owners = {id(variable): layer for layer in layers for variable in layer.weights}
    for variable in planned.pending_variables:
        layer = owners.get(id(variable))
        if layer is None:  # the loss tracker's: nothing trains or evaluates here
            continue
        try:
            private.initialize_deferred(variable, values.pop(id(variable), None))
        except OUT_OF_MEMORY:
            raise
        except Exception as error:
            raise ModelRejected(
                f"layer '{layer.name}' ({type(layer).__name__}) could not initialize its weight "
                f"'{variable.name}' of shape {list(variable.shape)} and dtype {variable.dtype}: "
                f"{keras_message(error)}",
                loc=list(locs.get(layer.name, planned.spec.loc)),
                error_type="keras_initializer",
            ) from None


def _set_given_weights(planned: PlannedModel) -> None:
    """The weights the client gave, by layer name, in the dtypes the layers keep them in."""
    outside = {computed.layer.name: computed.layer for computed in planned.computed}
    for name, given in planned.spec.weights.items():
        layer = outside[name] if name in outside else planned.model.get_layer(name)
        try:
            arrays = [np.asarray(w, dtype=v.dtype) for w, v in zip(given.arrays, layer.weights)]
        except (OverflowError, ValueError, TypeError) as error:
            dtypes = sorted({str(v.dtype) for v in layer.weights})
            raise ModelRejected(
                f"layer '{layer.name}' ({type(layer).__name__}) keeps its weights as "
                f"{', '.join(dtypes)}, which cannot hold the values given: {error}"[:500],
                loc=list(given.loc),
                error_type="weights_dtype",
            ) from None
        layer.set_weights(arrays)


def materialize(planned: PlannedModel) -> ReadyModel:
    """Allocate and initialize the planned model's weights and set the given ones."""
    source = planned.spec.weights_file
    values = weights_file.values(planned.model, source) if source is not None else {}
    _initialize(planned, values)
    for variable in planned.model.weights:  # any the scope did not defer
        if id(variable) in values:
            variable.assign(values.pop(id(variable)))
    _set_given_weights(planned)
    _compute_constants(planned)
    return ReadyModel(planned)


def _compute_constants(planned: PlannedModel) -> None:
    """What layers compute from constants outside the graph, now that they have their weights, in the place of
    the zeros the model was planned with: once, as Keras computes `pos_emb(ops.arange(10))` once."""
    for computed in planned.computed:
        constant = computed.constant
        numbers = builder.constant_numbers(constant)
        # Eagerly, a recurrent layer steps through time in Python, an op launch per step (an LSTM over a
        # 20,000-step constant: half a minute): traced, as the model's own are (ReadyModel._trace_first), it
        # takes the time guards/cost.py estimates.
        recurrent = any(isinstance(part, keras.layers.RNN) for part in private.sublayers(computed.layer))
        call = tf.function(computed.layer) if recurrent else computed.layer
        try:
            value = call(numbers)
        except OUT_OF_MEMORY:
            raise
        except Exception as error:
            raise rejected(error, list(constant.layer.loc if constant.layer else constant.loc), "keras_model") from None
        private.replace_operand(planned.model, computed.operand, value)
        computed.operand = value
