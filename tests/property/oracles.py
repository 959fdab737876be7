"""Shape and parameter oracles written from Keras's documented rules, without importing Keras.

Layers are concise specs (``{"type": "Dense", "units": 4, ...}``); shapes exclude the batch axis.
Only the layers tests/property/strategies.py generates are known here, on purpose: an unknown type is a
KeyError, not a guess.
"""

from math import ceil, prod
from typing import Any, Callable, NamedTuple

Shape = tuple[int, ...]
Layer = dict[str, Any]


class ParamCount(NamedTuple):
    """Weights of one layer, split as Keras's summary splits them."""

    trainable: int
    non_trainable: int = 0

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable


class ExpectedRow(NamedTuple):
    """What the service must answer for one layer."""

    input_shape: Shape
    output_shape: Shape
    params: ParamCount


def as_tuple(value: Any, rank: int) -> tuple[int, ...]:
    """An int or a list of ints as one int per spatial axis."""
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * rank


def window_length(size: int, window: int, stride: int, padding: str) -> int:
    """Positions a window takes along one axis: 'valid' stays inside, 'same' and 'causal' pad."""
    if padding == "valid":
        return (size - window) // stride + 1
    return ceil(size / stride)


# Shapes ------------------------------------------------------------------------------------------------


def _dense(layer: Layer, shape: Shape) -> Shape:
    """Dense acts on the last axis only."""
    return shape[:-1] + (layer["units"],)


def _same(layer: Layer, shape: Shape) -> Shape:
    return shape


def _flatten(layer: Layer, shape: Shape) -> Shape:
    return (prod(shape),)


def _reshape(layer: Layer, shape: Shape) -> Shape:
    target = list(layer["target_shape"])
    if -1 in target:
        known = prod(d for d in target if d != -1)
        target[target.index(-1)] = prod(shape) // known
    return tuple(target)


def _permute(layer: Layer, shape: Shape) -> Shape:
    return tuple(shape[axis - 1] for axis in layer["dims"])


def _repeat_vector(layer: Layer, shape: Shape) -> Shape:
    return (layer["n"], shape[0])


def _conv(layer: Layer, shape: Shape) -> Shape:
    spatial = shape[:-1]
    kernel = as_tuple(layer["kernel_size"], len(spatial))
    strides = as_tuple(layer.get("strides", 1), len(spatial))
    padding = layer.get("padding", "valid")
    return tuple(window_length(n, k, s, padding) for n, k, s in zip(spatial, kernel, strides)) + (layer["filters"],)


def _pool(layer: Layer, shape: Shape) -> Shape:
    spatial = shape[:-1]
    pool = as_tuple(layer.get("pool_size", 2), len(spatial))
    strides = as_tuple(layer["strides"], len(spatial)) if layer.get("strides") is not None else pool
    padding = layer.get("padding", "valid")
    return tuple(window_length(n, p, s, padding) for n, p, s in zip(spatial, pool, strides)) + shape[-1:]


def _global_pool(layer: Layer, shape: Shape) -> Shape:
    return (1,) * (len(shape) - 1) + shape[-1:] if layer.get("keepdims") else shape[-1:]


def _recurrent(layer: Layer, shape: Shape) -> Shape:
    return (shape[0], layer["units"]) if layer.get("return_sequences") else (layer["units"],)


def _embedding(layer: Layer, shape: Shape) -> Shape:
    return shape + (layer["output_dim"],)


OUTPUT_SHAPE_RULES: dict[str, Callable[[Layer, Shape], Shape]] = {
    "Dense": _dense,
    "Activation": _same,
    "Dropout": _same,
    "Rescaling": _same,
    "BatchNormalization": _same,
    "LayerNormalization": _same,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Permute": _permute,
    "RepeatVector": _repeat_vector,
    "Conv1D": _conv,
    "Conv2D": _conv,
    "MaxPooling1D": _pool,
    "AveragePooling1D": _pool,
    "MaxPooling2D": _pool,
    "AveragePooling2D": _pool,
    "GlobalAveragePooling1D": _global_pool,
    "GlobalMaxPooling1D": _global_pool,
    "GlobalAveragePooling2D": _global_pool,
    "GlobalMaxPooling2D": _global_pool,
    "SimpleRNN": _recurrent,
    "LSTM": _recurrent,
    "GRU": _recurrent,
    "Embedding": _embedding,
}


def output_shape(layer: Layer, shape: Shape) -> Shape:
    """The shape one layer makes of `shape` (batch axis excluded)."""
    return OUTPUT_SHAPE_RULES[layer["type"]](layer, tuple(shape))


# Parameters --------------------------------------------------------------------------------------------


def _no_weights(layer: Layer, shape: Shape) -> ParamCount:
    return ParamCount(0)


def _bias(layer: Layer, size: int) -> int:
    return size if layer.get("use_bias", True) else 0


def _dense_params(layer: Layer, shape: Shape) -> ParamCount:
    return ParamCount(shape[-1] * layer["units"] + _bias(layer, layer["units"]))


def _conv_params(layer: Layer, shape: Shape) -> ParamCount:
    window = prod(as_tuple(layer["kernel_size"], len(shape) - 1))
    return ParamCount(window * shape[-1] * layer["filters"] + _bias(layer, layer["filters"]))


def _batch_normalization(layer: Layer, shape: Shape) -> ParamCount:
    """gamma and beta learn; the moving mean and variance do not."""
    learned = layer.get("scale", True) + layer.get("center", True)
    return ParamCount(learned * shape[-1], 2 * shape[-1])


def _layer_normalization(layer: Layer, shape: Shape) -> ParamCount:
    return ParamCount((layer.get("scale", True) + layer.get("center", True)) * shape[-1])


def _gated(gates: int, biases_per_gate: int) -> Callable[[Layer, Shape], ParamCount]:
    """Recurrent layers: per gate an input kernel (in×u), a recurrent kernel (u×u) and biases."""

    def count(layer: Layer, shape: Shape) -> ParamCount:
        units, features = layer["units"], shape[-1]
        per_gate = units * (features + units) + _bias(layer, biases_per_gate * units)
        return ParamCount(gates * per_gate)

    return count


def _gru(layer: Layer, shape: Shape) -> ParamCount:
    """reset_after (the default) keeps separate input and recurrent biases: two per gate."""
    return _gated(3, 2 if layer.get("reset_after", True) else 1)(layer, shape)


def _embedding_params(layer: Layer, shape: Shape) -> ParamCount:
    return ParamCount(layer["input_dim"] * layer["output_dim"])


PARAM_RULES: dict[str, Callable[[Layer, Shape], ParamCount]] = {
    **{name: _no_weights for name in OUTPUT_SHAPE_RULES},
    "Dense": _dense_params,
    "Conv1D": _conv_params,
    "Conv2D": _conv_params,
    "BatchNormalization": _batch_normalization,
    "LayerNormalization": _layer_normalization,
    "SimpleRNN": _gated(1, 1),
    "LSTM": _gated(4, 1),
    "GRU": _gru,
    "Embedding": _embedding_params,
}


def param_count(layer: Layer, shape: Shape) -> ParamCount:
    """Trainable and non-trainable weights of one layer meeting inputs of `shape`."""
    return PARAM_RULES[layer["type"]](layer, tuple(shape))


def expected_rows(layers: list[Layer], input_shape: Shape) -> list[ExpectedRow]:
    """Every layer's shapes and params, chained from the model's input shape."""
    rows, shape = [], tuple(input_shape)
    for layer in layers:
        after = output_shape(layer, shape)
        rows.append(ExpectedRow(shape, after, param_count(layer, shape)))
        shape = after
    return rows


def has_random_weights(layer: Layer) -> bool:
    """Whether the layer's initial weights are drawn from the seed (normalization starts at ones and zeros)."""
    return layer["type"] in ("Dense", "Conv1D", "Conv2D", "SimpleRNN", "LSTM", "GRU", "Embedding")
