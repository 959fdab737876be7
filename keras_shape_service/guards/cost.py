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
Initializers cost too: an orthogonal one runs a QR decomposition of its whole kernel, once, at build time.
"""

from math import prod

from keras_shape_service.facts import LayerFacts, Shape
from keras_shape_service.schemas.keras_names import MODEL_CLASSES

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


def _attention_macs(f: LayerFacts) -> int:
    """MultiHeadAttention: the four projections, then scores (query . key) and their weighted sum of values."""
    query, value = f.input_shapes[0], f.input_shapes[1] if len(f.input_shapes) > 1 else f.input_shapes[0]
    key = f.input_shapes[2] if len(f.input_shapes) > 2 else value
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


def _dot_attention_macs(f: LayerFacts) -> int:
    """Attention / AdditiveAttention: a score per query and value position, then the weighted sum."""
    query, value = f.input_shapes[0], f.input_shapes[1] if len(f.input_shapes) > 1 else f.input_shapes[0]
    return _spatial(query) * _spatial(value) * ((query[-1] or 1) + (value[-1] or 1))


def _dot_macs(f: LayerFacts) -> int:
    """Dot: each output number sums the products along the contracted axis."""
    axes = f.config.get("axes", -1)
    axis = int(axes[0] if isinstance(axes, (list, tuple)) else axes)
    first = f.input_shapes[0]
    return elements(f.output_shape) * (first[axis] or 1)


_FAMILY_MACS = {
    "MultiHeadAttention": _attention_macs,
    "Attention": _dot_attention_macs,
    "AdditiveAttention": _dot_attention_macs,
    "Dot": _dot_macs,
}
_LOOKUPS_AND_ELEMENTWISE = {"Embedding", "PReLU", "Multiply"}  # a table lookup, or one product with no add


def macs(f: LayerFacts) -> int:
    """Multiply-adds per example, one fused multiply-add counted once (fvcore's convention); 0 where a layer
    does none (reshapes, pooling, activations, lookups, elementwise merges)."""
    name, rank = f.class_name, max(len(f.input_shape) - 2, 1)
    kernel = _sizes(f.config.get("kernel_size"), rank)
    if name in _FAMILY_MACS:
        return _FAMILY_MACS[name](f)
    if name in _LOOKUPS_AND_ELEMENTWISE:
        return 0
    if name == "Dense":
        return _spatial(f.input_shape) * _channels_in(f) * int(f.config["units"])
    if name in _CONVOLUTIONS:
        groups = int(f.config.get("groups") or 1)
        return _spatial(f.output_shape) * kernel * (_channels_in(f) // groups) * int(f.config["filters"])
    if name in _TRANSPOSED:
        return _spatial(f.input_shape) * kernel * _channels_in(f) * int(f.config["filters"])
    if name in _DEPTHWISE:
        return _spatial(f.output_shape) * kernel * _channels_in(f) * int(f.config.get("depth_multiplier") or 1)
    if name in _SEPARABLE:
        depth = _channels_in(f) * int(f.config.get("depth_multiplier") or 1)
        return _spatial(f.output_shape) * (kernel * depth + depth * int(f.config["filters"]))
    if name in _RECURRENT_GATES:
        return _recurrent_macs(f, _RECURRENT_GATES[name])
    if name in _CONV_LSTM:
        steps, filters = f.input_shape[1] or 1, int(f.config["filters"])
        rank = max(len(f.input_shape) - 3, 1)
        window = _sizes(f.config.get("kernel_size"), rank)
        return (
            steps
            * 4
            * _spatial(f.output_shape[:1] + f.output_shape[-rank - 1 :])
            * window
            * (_channels_in(f) + filters)
            * filters
        )
    if name in _NORMALIZING:
        return elements(f.output_shape)
    if name in MODEL_CLASSES:
        return sum(macs(inner) for inner in f.inner)
    if name in ("Bidirectional", "TimeDistributed"):
        per_call = sum(macs(inner) for inner in f.inner)
        return per_call * ((f.input_shape[1] or 1) if name == "TimeDistributed" else 1)
    # Any other layer with weights: each weight used once per output position.
    return sum(prod(w.shape) for w in f.weights) * max(_spatial(f.output_shape), 1) if f.weights else 0


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


def _call_work(f: LayerFacts) -> int:
    own = elements(f.input_shape) + elements(f.output_shape) * _window(f)
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


def prediction_seconds(layers: tuple[LayerFacts, ...]) -> float:
    return sum(sequential_seconds(f) for f in layers)
