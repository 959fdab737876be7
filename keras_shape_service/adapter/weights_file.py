"""A model's weights read from its uploaded file, along the paths the planned model names: Keras 3's
model.weights.h5 (layers/<class>/vars/<i>, as Keras's save walks the model) or a legacy .h5 file
(model_weights/<layer>/<weight name>, in trainable-then-non-trainable order as Keras 2 wrote them)."""

from typing import Any

import numpy as np

from keras_shape_service.errors import RefusedFile
from keras_shape_service.files import hdf5
from keras_shape_service.files.hdf5 import Expected, WeightsFile

from . import private


def _expected(model: Any, weights: WeightsFile, file: Any) -> list[tuple[Expected, Any]]:
    """Every weight of the model and where the file keeps it."""
    if weights.layout == "keras":
        owners = {id(v): layer.name for layer in model.layers for v in layer.weights}
        return [
            (Expected(path, tuple(variable.shape), str(variable.dtype), owners[id(variable)]), variable)
            for path, variable in private.keras_weight_paths(model)
            if id(variable) in owners
        ]
    found = []
    for layer in model.layers:
        variables = layer.trainable_weights + layer.non_trainable_weights
        if not variables:
            continue
        group = ("model_weights", layer.name)
        names = hdf5.names(file, group, "weight_names", weights.filename)
        if len(names) != len(variables):
            raise RefusedFile(
                f"layer '{layer.name}' ({type(layer).__name__}) has {len(variables)} weights; the file "
                f"'{weights.filename}' lists {len(names)} for it: the weights file does not belong to this config",
                "model_weights",
            )
        found += [
            (Expected(group + name, tuple(v.shape), str(v.dtype), layer.name), v) for name, v in zip(names, variables)
        ]
    return found


def check(model: Any, weights: WeightsFile) -> int:
    """Refuse a weights file that does not hold every weight of the model in its shape and dtype, reading no
    data; the number of variables it holds for the model."""
    with hdf5.opened(weights.data, weights.filename) as file:
        expected = _expected(model, weights, file)
        hdf5.check(file, [item for item, _ in expected], weights.filename)
    return len(expected)


def values(model: Any, weights: WeightsFile) -> dict[int, np.ndarray]:
    """The file's value of each of the model's weights, by the variable's id."""
    with hdf5.opened(weights.data, weights.filename) as file:
        expected = _expected(model, weights, file)
        read = hdf5.read(hdf5.check(file, [item for item, _ in expected], weights.filename))
    return {id(variable): np.asarray(value) for (_, variable), value in zip(expected, read)}
