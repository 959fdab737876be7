"""What a prediction will cost, from a planned model's facts alone, before any weight or tensor exists.

Two measures, both per example unless said otherwise:
- `work`: multiply-adds and memory traffic. Each layer's multiply-adds by its family's rule (`macs`), plus
  every number it reads and writes, times the window a pooling layer reads for each output. Wrappers count
  their inner layers (TimeDistributed: once per step).
- `sequential_seconds`: steps a model must take one after another, whatever their arithmetic: the time
  steps of a recurrent layer, the Python loop of TimeDistributed over a static time axis (eager, then a
  graph copy per step when traced), unrolled recurrent layers (a graph copy per step). No multiply-add
  count sees these, and they dominate tiny models over long sequences. The per-step costs were measured on
  the project's machine (bench/README.md, "What a step costs").
- `scratch_elements`: the largest tensor a layer makes inside itself, which no output shape shows (attention
  scores: heads x query positions x key positions); limits.py holds it to the same bound as any output.
Every layer class the service accepts is named in RULES, by itself or in its family, with both rules.
Initializers cost too: an orthogonal one runs a QR decomposition of its whole kernel, once, at build time.
"""

from dataclasses import dataclass
from math import prod
from typing import Callable, Iterable

from keras_shape_service.facts import LayerFacts, Shape, constant_shape
from keras_shape_service.schemas.keras_names import (
    APPLICATION_INTERNAL_LAYERS,
    INFERENCE_IDENTITY_LAYER_TYPES,
    MODEL_CLASSES,
    OPERATIONS,
)

RECURRENT_STEP_S = 60e-6  # a recurrent layer's step in a traced tf.while_loop
UNROLLED_STEP_S = 25e-3  # an unrolled recurrent step: built eagerly, then traced as a graph copy per step
TIME_DISTRIBUTED_STEP_S = 12e-3  # TimeDistributed over a static axis: a Python loop eagerly, a copy per step traced

_RECURRENT_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
_CONV_LSTM = {"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}
_CONVOLUTIONS = {"Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D"}
_TRANSPOSED = {
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "Convolution1DTranspose",
    "Convolution2DTranspose",
    "Convolution3DTranspose",
}
_DEPTHWISE = {"DepthwiseConv1D", "DepthwiseConv2D"}
_SEPARABLE = {"SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D"}
_NORMALIZING = {
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "UnitNormalization",
    "RMSNormalization",
    "Normalization",
}
_ORTHOGONAL = {"Orthogonal", "OrthogonalInitializer", "orthogonal"}


def elements(shape: Shape) -> int:
    """Numbers per example. A prediction's shapes are all known (the planner refuses an axis Keras cannot
    size); an unknown axis counts 1 only in a summary of a variable-length model, which computes nothing."""
    return prod(axis or 1 for axis in shape[1:])


def _spatial(shape: Shape) -> int:
    """Positions of a channels-last tensor: every axis but the batch and the last."""
    return prod(axis or 1 for axis in shape[1:-1])


def _sizes(value: object, rank: int) -> int:
    """A kernel_size / pool_size (an int per axis, or a list) as the number of positions it covers."""
    if isinstance(value, (list, tuple)):
        return prod(int(v) for v in value)
    return int(value) ** rank if isinstance(value, int) else 1


def _channels_in(f: LayerFacts) -> int:
    return f.input_shape[-1] or 1


def _recurrent_macs(f: LayerFacts, gates: int) -> int:
    steps, units = f.input_shape[1] or 1, int(f.config.get("units", 0))
    return steps * gates * (_channels_in(f) * units + units * units)


def _gated_recurrent_macs(f: LayerFacts) -> int:
    return _recurrent_macs(f, _RECURRENT_GATES[f.class_name])


def _query_key_value(f: LayerFacts) -> tuple[Shape, Shape, Shape]:
    """An attention layer's query, value and key shapes, called as layer(query, value[, key])."""
    query = f.input_shapes[0]
    value = f.input_shapes[1] if len(f.input_shapes) > 1 else query
    key = f.input_shapes[2] if len(f.input_shapes) > 2 else value
    return query, value, key


def _attention_macs(f: LayerFacts) -> int:
    """MultiHeadAttention: the four projections, then scores (query . key) and their weighted sum of values."""
    query, value, key = _query_key_value(f)
    heads, key_dim = int(f.config["num_heads"]), int(f.config["key_dim"])
    value_dim = int(f.config.get("value_dim") or key_dim)
    t_query, t_value = _spatial(query), _spatial(value)
    projections = (
        t_query * (query[-1] or 1) * heads * key_dim
        + t_value * (key[-1] or 1) * heads * key_dim
        + t_value * (value[-1] or 1) * heads * value_dim
    )
    scores = heads * t_query * t_value * (key_dim + value_dim)
    return projections + scores + t_query * heads * value_dim * (f.output_shape[-1] or 1)


def _attention_scores(f: LayerFacts) -> int:
    """MultiHeadAttention's largest inner tensor: its score tensor (heads x query positions x key positions),
    or a projection of the query, key or value to every head, whichever is larger."""
    query, value, _ = _query_key_value(f)
    heads, key_dim = int(f.config["num_heads"]), int(f.config["key_dim"])
    value_dim = int(f.config.get("value_dim") or key_dim)
    t_query, t_value = _spatial(query), _spatial(value)
    return heads * max(t_query * t_value, t_query * max(key_dim, value_dim), t_value * max(key_dim, value_dim))


def _group_query_macs(f: LayerFacts) -> int:
    """GroupQueryAttention: query heads project the query, the fewer key-value heads the key and value; each
    query head scores its group's key (head_dim each) and sums its values, then one projection back."""
    query, value, key = _query_key_value(f)
    query_heads, kv_heads = int(f.config["num_query_heads"]), int(f.config["num_key_value_heads"])
    head_dim = int(f.config["head_dim"])
    t_query, t_value = _spatial(query), _spatial(value)
    projections = (
        t_query * (query[-1] or 1) * query_heads * head_dim
        + t_value * ((key[-1] or 1) + (value[-1] or 1)) * kv_heads * head_dim
    )
    scores = query_heads * t_query * t_value * 2 * head_dim
    return projections + scores + t_query * query_heads * head_dim * (f.output_shape[-1] or 1)


def _group_query_scores(f: LayerFacts) -> int:
    """GroupQueryAttention's largest inner tensor: its score tensor (query heads x query positions x key
    positions), or the query, key or value projected to every query head (key and value repeated to them)."""
    query, value, _ = _query_key_value(f)
    query_heads, head_dim = int(f.config["num_query_heads"]), int(f.config["head_dim"])
    t_query, t_value = _spatial(query), _spatial(value)
    return query_heads * max(t_query * t_value, t_query * head_dim, t_value * head_dim)


def _dot_attention_macs(f: LayerFacts) -> int:
    """Attention / AdditiveAttention: a score per query and value position, then the weighted sum."""
    query, value, _ = _query_key_value(f)
    return _spatial(query) * _spatial(value) * ((query[-1] or 1) + (value[-1] or 1))


def _dot_attention_scores(f: LayerFacts) -> int:
    """Attention's scores, query positions x value positions; "concat" scoring (as AdditiveAttention always
    does) adds each query to each key first: a tensor of query x value positions x features."""
    query, value, _ = _query_key_value(f)
    added = f.class_name == "AdditiveAttention" or f.config.get("score_mode") == "concat"
    return _spatial(query) * _spatial(value) * ((query[-1] or 1) if added else 1)


def _dot_macs(f: LayerFacts) -> int:
    """Dot: each output number sums the products along the contracted axis."""
    axes = f.config.get("axes", -1)
    axis = int(axes[0] if isinstance(axes, (list, tuple)) else axes)
    first = f.input_shapes[0]
    return elements(f.output_shape) * (first[axis] or 1)


def _dense_macs(f: LayerFacts) -> int:
    return _spatial(f.input_shape) * _channels_in(f) * int(f.config["units"])


def _einsum_macs(f: LayerFacts) -> int:
    """EinsumDense: each output number sums the products over the axes its kernel contracts (those in the
    input and the kernel, not the output); an equation this cannot read falls back to the weights rule."""
    equation = str(f.config.get("equation", "")).replace(" ", "")
    kernel = next((w.shape for w in f.weights if w.name.endswith("kernel")), None)
    sides = equation.split("->")
    operands = sides[0].split(",")
    if kernel is None or len(sides) != 2 or len(operands) != 2 or len(operands[1]) != len(kernel):
        return _weights_macs(f)
    (given, kernel_axes), made = operands, sides[1]
    contracted = prod(size for axis, size in zip(kernel_axes, kernel) if axis in given and axis not in made)
    return elements(f.output_shape) * contracted


def _convolution_macs(f: LayerFacts) -> int:
    groups = int(f.config.get("groups") or 1)
    return _spatial(f.output_shape) * _kernel(f) * (_channels_in(f) // groups) * int(f.config["filters"])


def _transposed_macs(f: LayerFacts) -> int:
    return _spatial(f.input_shape) * _kernel(f) * _channels_in(f) * int(f.config["filters"])


def _depthwise_macs(f: LayerFacts) -> int:
    return _spatial(f.output_shape) * _kernel(f) * _channels_in(f) * int(f.config.get("depth_multiplier") or 1)


def _separable_macs(f: LayerFacts) -> int:
    depth = _channels_in(f) * int(f.config.get("depth_multiplier") or 1)
    return _spatial(f.output_shape) * (_kernel(f) * depth + depth * int(f.config["filters"]))


def _conv_lstm_macs(f: LayerFacts) -> int:
    steps, filters = f.input_shape[1] or 1, int(f.config["filters"])
    rank = max(len(f.input_shape) - 3, 1)
    window = _sizes(f.config.get("kernel_size"), rank)
    positions = _spatial(f.output_shape[:1] + f.output_shape[-rank - 1 :])
    return steps * 4 * positions * window * (_channels_in(f) + filters) * filters


def _kernel(f: LayerFacts) -> int:
    return _sizes(f.config.get("kernel_size"), max(len(f.input_shape) - 2, 1))


def _normalizing_macs(f: LayerFacts) -> int:
    return elements(f.output_shape)


def _inner_macs(f: LayerFacts) -> int:
    """A wrapper or nested model: its layers' multiply-adds; TimeDistributed's once per time step."""
    per_call = sum(macs(inner) for inner in f.inner)
    return per_call * ((f.input_shape[1] or 1) if f.class_name == "TimeDistributed" else 1)


def _weights_macs(f: LayerFacts) -> int:
    """Each weight used once per output position: the fallback for a layer no family names."""
    return sum(prod(w.shape) for w in f.weights) * max(_spatial(f.output_shape), 1) if f.weights else 0


def _none(f: LayerFacts) -> int:
    return 0


def _matmul_macs(f: LayerFacts) -> int:
    """x @ y: each output number sums the products along the first operand's last axis."""
    return elements(f.output_shape) * (f.input_shape[-1] or 1)


def _scale_macs(f: LayerFacts) -> int:
    """LayerScale: one product per value."""
    return elements(f.output_shape)


@dataclass(frozen=True)
class Rule:
    """What a family of layers costs per example: `macs`, its multiply-adds; `scratch`, the elements of the
    largest tensor it makes inside itself (none of its outputs), named by `scratch_what` in a refusal."""

    macs: Callable[[LayerFacts], int]
    scratch: Callable[[LayerFacts], int] = _none
    scratch_what: str = ""


def _ranks(pattern: str, ranks: Iterable[int] = (1, 2, 3)) -> tuple[str, ...]:
    return tuple(pattern.format(rank) for rank in ranks)


# No multiply-adds: what these layers read and write (and a pooling window's reads) is counted by `work`.
_NO_MULTIPLY_ADDS = (
    # activations, noise, regularization, identity
    ("Activation", "ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "Identity", "Masking", "ActivityRegularization")
    + ("Dropout", "AlphaDropout", "GaussianDropout", "GaussianNoise", *_ranks("SpatialDropout{}D"))
    # reshaping, cropping, padding, repeating, resizing
    + ("Flatten", "Reshape", "Permute", "RepeatVector", "CenterCrop", "Resizing", "Rescaling")
    + _ranks("Cropping{}D")
    + _ranks("ZeroPadding{}D")
    + _ranks("UpSampling{}D")
    # pooling
    + _ranks("MaxPooling{}D")
    + _ranks("MaxPool{}D")
    + _ranks("AveragePooling{}D")
    + _ranks("AvgPool{}D")
    + _ranks("GlobalMaxPooling{}D")
    + _ranks("GlobalMaxPool{}D")
    + _ranks("GlobalAveragePooling{}D")
    + _ranks("GlobalAvgPool{}D")
    + _ranks("AdaptiveMaxPooling{}D")
    + _ranks("AdaptiveAveragePooling{}D")
    # lookups and bucketing
    + ("Embedding", "CategoryEncoding", "Discretization")
    # elementwise merges (Multiply: one product, no add) and concatenation
    + ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")
    # identities at inference (augmentation): what they read and write, nothing more
    + INFERENCE_IDENTITY_LAYER_TYPES
    # keras.ops operation nodes: one value (or a reduction's few) per output number, no multiply-adds; but
    # Matmul, below. (Add, Multiply... name a layer and an operation alike, with the same rule.)
    + tuple(name for name, (_, family) in OPERATIONS.items() if family != "matmul")
)
_FAMILIES: tuple[tuple[tuple[str, ...], Rule], ...] = (
    (_NO_MULTIPLY_ADDS, Rule(_none)),
    (("Dense",), Rule(_dense_macs)),
    (("EinsumDense",), Rule(_einsum_macs)),
    (("Dot",), Rule(_dot_macs)),
    (tuple(_CONVOLUTIONS), Rule(_convolution_macs)),
    (tuple(_TRANSPOSED), Rule(_transposed_macs)),
    (tuple(_DEPTHWISE), Rule(_depthwise_macs)),
    (tuple(_SEPARABLE), Rule(_separable_macs)),
    (tuple(_RECURRENT_GATES), Rule(_gated_recurrent_macs)),
    (tuple(_CONV_LSTM), Rule(_conv_lstm_macs)),
    (tuple(_NORMALIZING), Rule(_normalizing_macs)),
    (("MultiHeadAttention",), Rule(_attention_macs, _attention_scores, "attention scores (heads x query x key)")),
    (
        ("GroupQueryAttention", "GroupedQueryAttention"),  # the name a spec gives, and its Keras class's
        Rule(_group_query_macs, _group_query_scores, "attention scores (query heads x query x key)"),
    ),
    (("Attention", "AdditiveAttention"), Rule(_dot_attention_macs, _dot_attention_scores, "attention scores")),
    (("Bidirectional", "TimeDistributed", *MODEL_CLASSES), Rule(_inner_macs)),
    (("Matmul",), Rule(_matmul_macs)),
    (tuple(name for _, name in APPLICATION_INTERNAL_LAYERS), Rule(_scale_macs)),
)
# Every layer class the service accepts, by the name a spec gives and by its Keras class's name (the facts'
# class_name: Convolution2D is a Conv2D), with its family's rule; tests/unit/test_cost_rules.py checks that
# none is missing, nor any operation node or keras.applications layer a document may hold. Layers of
# keras.applications no document can name take the fallback (a network by name may hold them).
RULES: dict[str, Rule] = {name: rule for names, rule in _FAMILIES for name in names}
_FALLBACK = Rule(_weights_macs)


def macs(f: LayerFacts) -> int:
    """Multiply-adds per example, one fused multiply-add counted once (fvcore's convention); 0 where a layer
    does none (reshapes, pooling, activations, lookups, elementwise merges)."""
    return RULES.get(f.class_name, _FALLBACK).macs(f)


def scratch_elements(f: LayerFacts) -> int:
    """Elements per example of the largest tensor a layer makes inside itself, beyond its outputs (attention
    scores): no output shape shows them, and they can be the whole of a request's memory."""
    return RULES.get(f.class_name, _FALLBACK).scratch(f)


def _window(f: LayerFacts) -> int:
    """Numbers a layer reads for each number it writes, beyond one (pooling windows, adaptive pooling)."""
    name = f.class_name
    if "Pool" in name and "Global" not in name and "Adaptive" not in name:
        return _sizes(f.config.get("pool_size"), max(len(f.input_shape) - 2, 1))
    if name.startswith("Adaptive"):  # each output averages (or maxes) a slice that may span the whole axis
        return max(_spatial(f.input_shape), 1)
    return 1


def _names_orthogonal(initializer: object) -> bool:
    name = initializer.get("class_name") if isinstance(initializer, dict) else initializer
    return isinstance(name, str) and name in _ORTHOGONAL


def _initializer_work(f: LayerFacts) -> int:
    """A QR decomposition per orthogonal initializer: rows x cols x min(rows, cols) of the largest kernel."""
    orthogonal = any(_names_orthogonal(value) for key, value in f.config.items() if key.endswith("_initializer"))
    if not orthogonal or not f.weights:
        return sum(_initializer_work(inner) for inner in f.inner)
    largest = max(f.weights, key=lambda w: prod(w.shape))
    rows, cols = prod(largest.shape[:-1]) or 1, largest.shape[-1] if largest.shape else 1
    return rows * cols * min(rows, cols) + sum(_initializer_work(inner) for inner in f.inner)


def work(f: LayerFacts) -> int:
    """Multiply-adds plus every number read and written, per example, inner layers and a shared layer's (or
    nested model's) every call included."""
    return _call_work(f) + sum(_call_work(call) for call in f.calls)


def _constant_elements(f: LayerFacts) -> int:
    """The numbers of an operation's constant operands (a position embedding's table), read for each example; a
    constant has no batch axis: all its axes count."""
    shapes = [constant_shape(operand) for operand in f.config.get("operands") or ()] if f.operation else []
    return sum(prod(axis or 1 for axis in shape) for shape in shapes if shape is not None)


def _call_work(f: LayerFacts) -> int:
    own = elements(f.input_shape) + elements(f.output_shape) * _window(f) + scratch_elements(f) + _constant_elements(f)
    if f.class_name == "TimeDistributed":
        return own + (f.input_shape[1] or 1) * sum(work(inner) for inner in f.inner)
    if f.class_name == "Bidirectional" or f.class_name in MODEL_CLASSES:
        return own + sum(work(inner) for inner in f.inner)
    return own + macs(f)


def sequential_seconds(f: LayerFacts) -> float:
    """Seconds of steps this layer must take one after another, for any batch, in every call of it."""
    return _call_seconds(f) + sum(_call_seconds(call) for call in f.calls)


def _call_seconds(f: LayerFacts) -> float:
    steps = f.input_shape[1] if len(f.input_shape) > 2 and f.input_shape[1] else 1
    if f.class_name in _RECURRENT_GATES or f.class_name in _CONV_LSTM:
        return steps * (UNROLLED_STEP_S if f.config.get("unroll") else RECURRENT_STEP_S)
    if f.class_name == "TimeDistributed":
        return steps * TIME_DISTRIBUTED_STEP_S + steps * sum(sequential_seconds(inner) for inner in f.inner)
    return sum(sequential_seconds(inner) for inner in f.inner)


def prediction_work(layers: tuple[LayerFacts, ...], batch: int) -> int:
    """Work of a prediction: every layer for every example, plus building the weights once."""
    return sum(work(f) for f in layers) * batch + sum(_initializer_work(f) for f in layers)


def once_work(layers: tuple[LayerFacts, ...]) -> int:
    """Work of layers called once, on their own batch (a layer computing a constant outside the graph: the
    constant's first axis is its batch), their weights built too."""
    return sum(work(f) * (f.input_shape[0] or 1 if f.input_shape else 1) + _initializer_work(f) for f in layers)


def prediction_seconds(layers: tuple[LayerFacts, ...]) -> float:
    return sum(sequential_seconds(f) for f in layers)
