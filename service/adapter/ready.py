"""The Keras adapter's second half: a planned model given its weights, called, and its inputs checked.

Called eagerly at first and through a traced tf.function once seen again (model.predict has a large fixed
cost per call; bench/README.md).
"""
import dataclasses
import functools
from typing import Any, Optional

import keras
import numpy as np
import tensorflow as tf

from schemas import SummaryResponse

from ..canonical import CanonicalSpec
from ..errors import InvalidInputs, ModelRejected
from ..facts import LayerFacts
from . import private
from .planner import OUT_OF_MEMORY, PlannedModel, keras_message, rejected

INTEGER_INPUT_LAYERS = {"Embedding"}


def _infer(model: Any, inputs: Any) -> Any:
    return model(inputs, training=False)


class ReadyModel:
    """A model with its weights, called eagerly at first and through a traced function once seen again."""

    def __init__(self, model: Any, spec: CanonicalSpec, input_shape: tuple[int, ...], report: SummaryResponse,
                 facts: tuple[LayerFacts, ...]):
        # The client's weights are in the model now; as nested lists they would cost several times their size.
        spec = dataclasses.replace(spec, layers=tuple(dataclasses.replace(layer, weights=None)
                                                      for layer in spec.layers))
        self.model, self.spec, self.input_shape, self.report, self.facts = model, spec, input_shape, report, facts
        self.weight_bytes = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in model.weights)
        self.input_dtype = np.int32 if spec.layers[0].class_name in INTEGER_INPUT_LAYERS else np.float32
        self.calls = 0
        self.traced_calls = 0  # calls answered by the traced function (the cached path after the first)
        self._traced: Optional[Any] = None
        # An eager recurrent layer steps through time in Python, one op launch per step: trace those at once.
        self._trace_first = any(isinstance(part, keras.layers.RNN) for layer in model.layers
                                for part in private.sublayers(layer))

    def _trace(self) -> Any:
        """A tf.function over any batch size: traced once, never retraced."""
        signature = [tf.TensorSpec((None,) + self.input_shape, tf.as_dtype(self.input_dtype))]
        # A partial, not a lambda: TensorFlow counts traces per code object and would warn of "retracing"
        # once five models shared one lambda's code.
        return tf.function(functools.partial(_infer, self.model), input_signature=signature)

    def _eager_failure(self, array: np.ndarray, error: Exception) -> ModelRejected:
        """The refusal for a failed call, from an eager run layer by layer (on the error path only).

        A traced call's error carries graph node names and server paths; the eager one names the layer,
        and is the same whether the model was cached or not.
        """
        tensor = array
        for layer, canonical in zip(self.model.layers, self.spec.layers):
            try:
                tensor = layer(tensor, training=False)
            except Exception as eager_error:
                return rejected(eager_error, list(canonical.loc), "keras_call")
        return rejected(error, ["model"], "keras_call")

    def predict(self, array: np.ndarray) -> np.ndarray:
        """A forward pass in inference mode, eager the first time, traced from the second call on."""
        self.calls += 1
        if self._traced is None and (self.calls > 1 or self._trace_first):
            self._traced = self._trace()
        call = self._traced or functools.partial(_infer, self.model)
        self.traced_calls += self._traced is not None
        try:
            output = call(array)
        except OUT_OF_MEMORY:
            raise
        except Exception as error:
            raise self._eager_failure(array, error) from None
        if isinstance(output, (list, tuple, dict)):
            raise ModelRejected("the model has several outputs; a Sequential model here must end in one tensor",
                                loc=["model"], error_type="keras_call")
        result = keras.ops.convert_to_numpy(output)
        if not np.all(np.isfinite(result)):
            raise ModelRejected("the model's output holds NaN or infinite values, which JSON cannot carry",
                                loc=["inputs"], error_type="non_finite_output")
        return result


def _initialize(planned: PlannedModel) -> None:
    """Allocate and initialize every deferred weight; an initializer that fails is the client's, at its layer."""
    model, spec = planned.model, planned.spec
    owners = {id(variable): index for index, layer in enumerate(model.layers) for variable in layer.weights}
    for variable in planned.pending_variables:
        index = owners.get(id(variable))
        if index is None:  # the loss tracker's: nothing trains or evaluates here
            continue
        try:
            private.initialize_deferred(variable)
        except OUT_OF_MEMORY:
            raise
        except Exception as error:
            layer = model.layers[index]
            raise ModelRejected(f"layer '{layer.name}' ({type(layer).__name__}) could not initialize its weight "
                                f"'{variable.name}' of shape {list(variable.shape)} and dtype {variable.dtype}: "
                                f"{keras_message(error)}", loc=list(spec.layers[index].loc),
                                error_type="keras_initializer") from None


def _set_given_weights(planned: PlannedModel) -> None:
    """The weights the client gave, in the dtypes the layers keep them in."""
    for layer, canonical in zip(planned.model.layers, planned.spec.layers):
        if canonical.weights is None:
            continue
        try:
            arrays = [np.asarray(w, dtype=v.dtype) for w, v in zip(canonical.weights, layer.weights)]
        except (OverflowError, ValueError, TypeError) as error:
            dtypes = sorted({str(v.dtype) for v in layer.weights})
            raise ModelRejected(f"layer '{layer.name}' ({type(layer).__name__}) keeps its weights as "
                                f"{', '.join(dtypes)}, which cannot hold the values given: {error}"[:500],
                                loc=list(canonical.loc) + ["weights"], error_type="weights_dtype") from None
        layer.set_weights(arrays)


def materialize(planned: PlannedModel) -> ReadyModel:
    """Allocate and initialize the planned model's weights and set the given ones."""
    _initialize(planned)
    _set_given_weights(planned)
    return ReadyModel(planned.model, planned.spec, planned.input_shape, planned.report, planned.facts)


def input_array(spec: CanonicalSpec, input_shape: tuple[int, ...], inputs: list) -> np.ndarray:
    """The inputs as the array the model takes, or a 422 saying how they do not fit."""
    first = spec.layers[0]
    array = np.asarray(inputs, dtype=np.float64)
    if array.ndim < 2 or tuple(array.shape[1:]) != input_shape:
        raise InvalidInputs(f"inputs have shape {list(array.shape)}; the model takes [batch, "
                            f"{', '.join(map(str, input_shape))}]", loc=["inputs"], error_type="input_shape")
    if first.class_name in INTEGER_INPUT_LAYERS:
        vocabulary = first.config.get("input_dim")
        if isinstance(vocabulary, bool) or not isinstance(vocabulary, int) or vocabulary < 1:
            raise ModelRejected(f"{first.class_name} needs a positive integer input_dim, got {vocabulary!r}"[:300],
                                loc=list(first.config_loc) + ["input_dim"], error_type="keras_layer")
        if not np.all(array == np.floor(array)) or array.min() < 0 or array.max() >= vocabulary:
            raise InvalidInputs(f"{first.class_name} takes integer indices in [0, {vocabulary})",
                                loc=["inputs"], error_type="input_range")
        return array.astype(np.int32)
    return array.astype(np.float32)
