"""Why each layer gives its shape, in a sentence with this model's numbers filled in, computed from the planned
shapes and the layer's config alone (no Keras here). A layer without a family rule, or whose rule does not
fit its planned shapes, gets a generic sentence that is true of any layer: which axes changed, from what to
what."""

from math import prod
from typing import Callable, Optional

from keras_shape_service.facts import LayerFacts, Shape, constant_shape, known, shape_text
from keras_shape_service.schemas.keras_names import INFERENCE_IDENTITY_LAYER_TYPES
from keras_shape_service.schemas.messages import Why

from .why_params import dims, params_text
from .why_windows import convolution, global_pooling, pooling

_ELEMENTWISE = {
    "Activation",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "ThresholdedReLU",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
    "ActivityRegularization",
    "Identity",
    "Normalization",
}
_ACROSS_AN_AXIS = {"softmax", "log_softmax"}  # activations that are not one value at a time
_NORMALIZING_HOW = {
    "BatchNormalization": "with its own mean and variance (moving averages, when predicting), then scales and shifts",
    "LayerNormalization": "by the mean and variance of each example's values there, then scales and shifts",
    "RMSNormalization": "by the root mean square of each example's values there, then scales",
    "GroupNormalization": "by the mean and variance of each group of channels, then scales and shifts",
    "UnitNormalization": "dividing each example's values there by their L2 norm",
}
_MERGE_VERBS = {
    "Add": "adds",
    "Subtract": "subtracts the second from the first of",
    "Multiply": "multiplies",
    "Average": "averages",
    "Maximum": "takes the maximum of",
    "Minimum": "takes the minimum of",
}


# What each keras.ops operation node does to its operands, in words (keras_names.OPERATIONS lists them).
_OPERATION_VERBS = {
    "Add": "adds",
    "Subtract": "subtracts the second from the first of",
    "Multiply": "multiplies",
    "Divide": "divides the first by the second of",
    "TrueDivide": "divides the first by the second of",
    "FloorDivide": "floor-divides the first by the second of",
    "Mod": "takes the remainder of the first by the second of",
    "Power": "raises the first to the power of the second of",
    "Maximum": "takes the larger of",
    "Minimum": "takes the smaller of",
    "Equal": "compares (==)",
    "NotEqual": "compares (!=)",
    "Less": "compares (<)",
    "LessEqual": "compares (<=)",
    "Greater": "compares (>)",
    "GreaterEqual": "compares (>=)",
    "LogicalAnd": "takes the logical and of",
    "LogicalOr": "takes the logical or of",
    "LogicalXor": "takes the logical xor of",
}
_OPERATION_ORIGIN = (
    "a keras.ops operation Keras recorded in the graph (a Python operator on tensors, a keras.ops call, or a mask)"
)
_REDUCTIONS = {"Mean": "the mean", "Sum": "the sum", "Max": "the maximum", "Min": "the minimum"}


def _arrow(f: LayerFacts) -> str:
    ins = ", ".join(shape_text(s) for s in f.input_shapes)
    outs = ", ".join(shape_text(s) for s in f.output_shapes)
    return f"{ins} -> {outs}"


def _count(axes: Shape) -> Optional[str]:
    """How many positions these axes hold, as a product ("5 x 3 = 15"), or None if one is variable."""
    if not known(axes):
        return None
    return str(axes[0]) if len(axes) == 1 else f"{dims(axes)} = {prod(axes)}"


def _dense(f: LayerFacts) -> Optional[str]:
    inputs, units = f.input_shape, int(f.config["units"])
    if f.output_shape != inputs[:-1] + (units,):
        return None
    kernel = f"{inputs[-1]} x {units} kernel"
    if len(inputs) == 2:
        return (
            f"Dense acts on the last axis: the {inputs[-1]} values of each example go through the {kernel}, so "
            f"{_arrow(f)}"
        )
    count = _count(inputs[1:-1])
    rows = f"each of the {count} rows" if count else "each row"
    return (
        f"Dense acts on the last axis only: {rows} of {inputs[-1]} values goes through the same {kernel}, so "
        f"{_arrow(f)}; the other axes pass through"
    )


def _flatten(f: LayerFacts) -> Optional[str]:
    count = _count(f.input_shape[1:])
    rest = f", {count}" if count else ", whose size is known only when it runs"
    return f"Flatten keeps the batch axis and multiplies the rest{rest}: {_arrow(f)}"


def _reshape(f: LayerFacts) -> Optional[str]:
    before, after = _count(f.input_shape[1:]), _count(f.output_shape[1:])
    if before and after:
        return (
            f"Reshape rearranges the values of each example, {before}, into {after} (the batch axis stays): {_arrow(f)}"
        )
    return None


def _permute(f: LayerFacts) -> Optional[str]:
    order = tuple(f.config["dims"])
    if tuple(f.input_shape[i] for i in order) != f.output_shape[1:]:
        return None
    return f"Permute reorders the axes after the batch axis as {order} (axis 1 is the first after it): {_arrow(f)}"


def _repeat_vector(f: LayerFacts) -> Optional[str]:
    return (
        f"RepeatVector repeats each example's {f.input_shape[-1]} values {f.config['n']} times along a new "
        f"axis 1: {_arrow(f)}"
    )


def _embedding(f: LayerFacts) -> Optional[str]:
    table = f"{f.config['input_dim']} rows of {f.config['output_dim']} values"
    count = _count(f.input_shape[1:])
    each = f"each of the {count} integers" if count else "each integer"
    return (
        f"Embedding looks up {each} in a table of {table}, adding a last axis of {f.config['output_dim']}: {_arrow(f)}"
    )


def _recurrent(f: LayerFacts) -> Optional[str]:
    steps, units = f.input_shape[1], f.config["units"]
    if f.output_shape[-1] != units:
        return None
    steps_text = f"the {steps} steps" if steps else "the steps"
    read = f"{f.class_name} reads {steps_text} of {f.input_shape[-1]} values one after another into {units} units"
    if f.config.get("return_sequences"):
        return f"{read}; return_sequences=True gives every step's {units} values: {_arrow(f)}"
    return f"{read}; return_sequences=False gives only the last step's {units} values: {_arrow(f)}"


def _merge(f: LayerFacts) -> Optional[str]:
    verb = _MERGE_VERBS[f.class_name]
    return (
        f"{f.class_name} {verb} its {len(f.input_shapes)} inputs element by element (their shapes match, or "
        f"broadcast): {_arrow(f)}"
    )


def _concatenate(f: LayerFacts) -> Optional[str]:
    axis = int(f.config.get("axis", -1))
    sizes = [shape[axis] for shape in f.input_shapes]
    if not known(sizes) or sum(sizes) != f.output_shape[axis]:
        return None
    joined = " + ".join(str(size) for size in sizes)
    return (
        f"Concatenate joins its {len(sizes)} inputs along axis {axis}: {joined} = {sum(sizes)}; the other "
        f"axes must match: {_arrow(f)}"
    )


def _normalization(f: LayerFacts) -> Optional[str]:
    if not _keeps_shape(f):
        return None
    axis = f.config.get("axis", -1)
    return (
        f"{f.class_name} normalizes along axis {axis} {_NORMALIZING_HOW[f.class_name]}; the shape stays "
        f"{shape_text(f.output_shape)}"
    )


def _softmax(f: LayerFacts) -> Optional[str]:
    if not _keeps_shape(f):
        return None
    axis = f.config.get("axis", -1)
    return (
        f"{f.class_name} turns the values along axis {axis} of each example into weights that sum to 1; the "
        f"shape stays {shape_text(f.output_shape)}"
    )


def _rescaling(f: LayerFacts) -> Optional[str]:
    if not _keeps_shape(f):
        return None
    return (
        f"Rescaling multiplies each value by {f.config.get('scale')} and adds {f.config.get('offset')}; the "
        f"shape stays {shape_text(f.output_shape)}"
    )


def _attention(f: LayerFacts) -> Optional[str]:
    query, value = f.input_shapes[0], f.input_shapes[-1] if len(f.input_shapes) > 1 else f.input_shapes[0]
    t_query, t_value = _count(query[1:-1]) or "the", _count(value[1:-1]) or "the"
    heads = ""
    if f.class_name == "MultiHeadAttention":
        heads = f" in {f.config['num_heads']} heads of key_dim {f.config['key_dim']}"
    return (
        f"{f.class_name} scores each of {t_query} query positions against {t_value} value positions{heads} "
        f"and gives each query position a weighted sum of the values: {_arrow(f)}"
    )


def _time_distributed(f: LayerFacts) -> Optional[str]:
    inner = f.inner[0]
    return (
        f"TimeDistributed applies its {inner.class_name} to each of the {f.input_shape[1]} steps of axis 1 "
        f"with the same weights; the inner layer sees {shape_text(inner.input_shape)} -> "
        f"{shape_text(inner.output_shape)}, so {_arrow(f)}"
    )


def _bidirectional(f: LayerFacts) -> Optional[str]:
    inner, mode = f.inner[0], f.config.get("merge_mode", "concat")
    if mode == "concat":
        units = inner.output_shape[-1]
        if units is None:  # an RNN's last axis is its units: no rule to tell otherwise, the generic sentence
            return None
        merged = f"concatenates them on the last axis, {units} + {units} = {2 * units}"
    else:
        merged = f"merges them ({mode})" if mode else "returns both"
    return (
        f"Bidirectional runs its {inner.class_name} forwards and a copy backwards over the steps, each giving "
        f"{shape_text(inner.output_shape)}, and {merged}: {_arrow(f)}"
    )


def _nested(f: LayerFacts) -> Optional[str]:
    return f"the nested model '{f.name}' runs its {len(f.inner)} layers in turn (its rows below): {_arrow(f)}"


def _input(f: LayerFacts) -> Optional[str]:
    return (
        f"the model's input: each example is {shape_text(f.output_shape[1:])}, the batch axis (None) first: {_arrow(f)}"
    )


def _dropout(f: LayerFacts) -> Optional[str]:
    if not _keeps_shape(f):
        return None
    return (
        f"{f.class_name} zeroes a fraction {f.config.get('rate')} of the values in training only; predictions "
        f"pass through unchanged and the shape stays {shape_text(f.output_shape)}"
    )


def _elementwise(f: LayerFacts) -> Optional[str]:
    if not _keeps_shape(f):
        return None
    if f.config.get("activation") in _ACROSS_AN_AXIS:
        return _softmax(f)
    what = f" ({f.config['activation']})" if isinstance(f.config.get("activation"), str) else ""
    return f"{f.class_name}{what} acts on each value on its own; the shape stays {shape_text(f.output_shape)}"


def _broadcast_pair(first: Shape, second: Shape) -> Shape:
    """NumPy's broadcasting as Keras's broadcast_shapes does it with unknown axes: aligned on the right, an axis
    of 1 (or a missing one) takes the other's size; an unknown one stays unknown unless the other is sized."""
    rank = max(len(first), len(second))
    first, second = (1,) * (rank - len(first)) + first, (1,) * (rank - len(second)) + second
    return tuple(b if a == 1 else (None if b == 1 else b) if a is None else a for a, b in zip(first, second))


def operation_shape(f: LayerFacts) -> Optional[Shape]:
    """What an operation node's family says its output shape is (keras_names.OPERATIONS), from its inputs'
    shapes and config alone; None where the rule does not cover the call (a matmul of vectors)."""
    tensors = list(f.input_shapes)
    if f.operation == "broadcast":
        operands = f.config.get("operands") or [None] * len(tensors)
        shapes = [tensors.pop(0) if operand is None else constant_shape(operand) or () for operand in operands]
        result: Shape = ()
        for shape in shapes:
            result = _broadcast_pair(result, tuple(shape))
        return result
    if f.operation == "elementwise":
        return f.input_shape
    if f.operation == "reduce":
        axis, rank = f.config.get("axis"), len(f.input_shape)
        axes = set(range(rank)) if axis is None else {a % rank for a in (axis if isinstance(axis, list) else [axis])}
        if f.config.get("keepdims"):
            return tuple(1 if i in axes else size for i, size in enumerate(f.input_shape))
        return tuple(size for i, size in enumerate(f.input_shape) if i not in axes)
    if f.operation == "matmul" and len(tensors) == 2 and min(len(tensors[0]), len(tensors[1])) >= 2:
        first, second = tensors
        return _broadcast_pair(first[:-2], second[:-2]) + (first[-2], second[-1])
    return None


def _operand_text(operand: object, shapes: list[Shape]) -> str:
    constant = constant_shape(operand)
    if constant is not None:
        return f"a constant of shape {shape_text(constant)}"
    return shape_text(shapes.pop(0)) if operand is None and shapes else repr(operand)


def _broadcast(f: LayerFacts) -> Optional[str]:
    """x + y, x * 0.5, inputs != 0: NumPy's broadcasting of two operands, a number counting as shape ()."""
    if operation_shape(f) != f.output_shape:
        return None
    operands, shapes = f.config.get("operands") or [], list(f.input_shapes)
    said = " and ".join(_operand_text(operand, shapes) for operand in operands)
    verb = _OPERATION_VERBS[f.class_name]
    mask = " (a mask: true where the value is not 0)" if f.class_name == "NotEqual" and 0 in operands else ""
    return (
        f"{f.class_name} is {_OPERATION_ORIGIN}: it {verb} {said} element by element, broadcasting them to one "
        f"shape (an axis of 1, or a missing leading one, stretches to the other's){mask}: {_arrow(f)}"
    )


def _elementwise_operation(f: LayerFacts) -> Optional[str]:
    if operation_shape(f) != f.output_shape:
        return None
    return (
        f"{f.class_name} is {_OPERATION_ORIGIN}: it acts on each value on its own; the shape stays "
        f"{shape_text(f.output_shape)}"
    )


def _reduce(f: LayerFacts) -> Optional[str]:
    if operation_shape(f) != f.output_shape:
        return None
    axis, keep = f.config.get("axis"), bool(f.config.get("keepdims"))
    where = "over every axis" if axis is None else f"over axis {axis}"
    kept = "kept as size 1 (keepdims)" if keep else "removed"
    return f"{f.class_name} is {_OPERATION_ORIGIN}: it takes {_REDUCTIONS[f.class_name]} {where}, {kept}: {_arrow(f)}"


def _matmul(f: LayerFacts) -> Optional[str]:
    if operation_shape(f) != f.output_shape:
        return None
    first, second = f.input_shapes
    return (
        f"Matmul is {_OPERATION_ORIGIN} (the @ operator): the last axis of the first ({_size(first[-1])}) meets the "
        f"second-to-last of the second ({_size(second[-2])}), the other axes broadcast: {_arrow(f)}"
    )


def _layer_scale(f: LayerFacts) -> Optional[str]:
    if not _keeps_shape(f):
        return None
    return (
        f"LayerScale (a ConvNeXt layer of keras.applications) multiplies each of the {f.config['projection_dim']} "
        f"channels of the last axis by its own learned scale; the shape stays {shape_text(f.output_shape)}"
    )


_OPERATION_FAMILIES: dict[str, Callable[[LayerFacts], Optional[str]]] = {
    "broadcast": _broadcast,
    "elementwise": _elementwise_operation,
    "reduce": _reduce,
    "matmul": _matmul,
}


def _identity_at_inference(f: LayerFacts) -> Optional[str]:
    if not _keeps_shape(f):
        return None
    return (
        f"{f.class_name} is data augmentation: it changes images at random in training only; at inference "
        f"(predictions) it passes its input through unchanged, so the shape stays {shape_text(f.output_shape)}"
    )


_FAMILIES: dict[str, Callable[[LayerFacts], Optional[str]]] = {
    "Dense": _dense,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Permute": _permute,
    "RepeatVector": _repeat_vector,
    "Embedding": _embedding,
    "SimpleRNN": _recurrent,
    "LSTM": _recurrent,
    "GRU": _recurrent,
    **{name: _merge for name in _MERGE_VERBS},
    "Concatenate": _concatenate,
    **{name: _normalization for name in _NORMALIZING_HOW},
    "Softmax": _softmax,
    "Rescaling": _rescaling,
    "MultiHeadAttention": _attention,
    "Attention": _attention,
    "AdditiveAttention": _attention,
    "TimeDistributed": _time_distributed,
    "Bidirectional": _bidirectional,
    "Sequential": _nested,
    "Functional": _nested,
    "InputLayer": _input,
    "Dropout": _dropout,
    "SpatialDropout1D": _dropout,
    "SpatialDropout2D": _dropout,
    "SpatialDropout3D": _dropout,
    **{name: _elementwise for name in _ELEMENTWISE},
    **{name: _identity_at_inference for name in INFERENCE_IDENTITY_LAYER_TYPES},
    "LayerScale": _layer_scale,
}


def _family(name: str) -> Optional[Callable[[LayerFacts], Optional[str]]]:
    if name in _FAMILIES:
        return _FAMILIES[name]
    if name.startswith(("Conv", "Convolution", "DepthwiseConv", "SeparableConv")) and "LSTM" not in name:
        return convolution
    if name.startswith("Global") and "Pooling" in name:
        return global_pooling
    if name.startswith(("MaxPooling", "AveragePooling", "MaxPool", "AvgPool")):
        return pooling
    return None


def _size(axis: Optional[int]) -> str:
    return "None" if axis is None else str(axis)


def _keeps_shape(f: LayerFacts) -> bool:
    return f.input_shapes == f.output_shapes


def generic(f: LayerFacts) -> str:
    """True of any layer: which axes changed, from what to what."""
    if len(f.input_shapes) > 1 or len(f.output_shapes) > 1:
        return f"{f.class_name} takes {len(f.input_shapes)} input(s) and gives {len(f.output_shapes)}: {_arrow(f)}"
    before, after = f.input_shape, f.output_shape
    if before == after:
        return f"{f.class_name} leaves the shape as it is: {_arrow(f)}"
    if len(before) != len(after):
        return f"{f.class_name} turns rank {len(before)} into rank {len(after)}: {_arrow(f)}"
    changes = [f"axis {i} from {_size(a)} to {_size(b)}" for i, (a, b) in enumerate(zip(before, after)) if a != b]
    return f"{f.class_name} changes {', '.join(changes)}: {_arrow(f)}"


def shape_sentence(f: LayerFacts) -> str:
    """The family's sentence where its rule fits the planned shapes, else the generic one."""
    rule = _OPERATION_FAMILIES.get(f.operation) if f.operation else _family(f.class_name)
    try:
        found = rule(f) if rule else None
    except (KeyError, IndexError, TypeError, ValueError):
        found = None  # a config this rule does not know: the generic sentence is still true
    return found or generic(f)


def why(f: LayerFacts) -> Why:
    """Why this layer has its shape and its parameter count."""
    return Why(shape=shape_sentence(f), params=params_text(f))
