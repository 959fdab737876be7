"""The tensors a planned model takes and gives, as plain data: what a served model's metadata says."""

from typing import Any

import keras
import numpy as np

from keras_shape_service.facts import TensorFacts

from .planner import PlannedModel
from .ready import consumers, input_dtype


def _shape(tensor: Any) -> tuple:
    return tuple(axis if axis is None else int(axis) for axis in tensor.shape)


def signature(planned: PlannedModel) -> tuple[tuple[TensorFacts, ...], tuple[TensorFacts, ...]]:
    """Inputs under the spec's names (the names requests use), in the model's order, and outputs under
    Keras's names (a Sequential model's: its last layer's), in the model's output order."""
    model = planned.model
    inputs = tuple(
        TensorFacts(
            given.name, _shape(tensor), np.dtype(input_dtype(tensor, consumers(model, planned.facts, tensor.name))).name
        )
        for given, tensor in zip(planned.spec.inputs, model.inputs)
    )
    names = [planned.facts[-1].name] if isinstance(model, keras.Sequential) else list(model.output_names)
    outputs = tuple(TensorFacts(name, _shape(tensor), str(tensor.dtype)) for name, tensor in zip(names, model.outputs))
    return inputs, outputs
