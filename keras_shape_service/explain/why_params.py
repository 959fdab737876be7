"""How a layer's parameter count is built up, as arithmetic with this model's numbers: "kernel 2 x 16 + bias
16 = 48". Words name the operands; the digits and `x`, `+`, parentheses are the sum, which ends in "= params".

A family's formula is checked against the count of the layer's own variables; one that does not match them
(an argument this rule does not know) gives way to the plain list of variables, which is always true.
"""

from dataclasses import dataclass
from math import prod
from typing import Any, Callable, Optional, Sequence

from keras_shape_service.facts import LayerFacts

_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
_CONVOLUTIONS = (
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "Convolution2DTranspose",
    "Convolution3DTranspose",
)
_DEPTHWISE = ("DepthwiseConv1D", "DepthwiseConv2D")
_SEPARABLE = ("SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D")


@dataclass(frozen=True)
class Sum:
    """An arithmetic expression in words and numbers, and the value it comes to."""

    expr: str
    value: int
    prefix: str = ""  # words only: no digit may appear before the sum

    def text(self) -> str:
        if self.expr == str(self.value):  # one number: no sum to show
            return f"{self.prefix}{self.expr}"
        return f"{self.prefix}{self.expr} = {self.value}"


def dims(shape: Sequence[Any]) -> str:
    """A shape as a product: (3, 3, 1) -> "3 x 3 x 1"; a scalar as 1."""
    return " x ".join(str(axis) for axis in shape) if shape else "1"


def listed(f: LayerFacts) -> Sum:
    """Every variable, by name and shape: true for any layer."""
    return Sum(" + ".join(f"{w.name} {dims(w.shape)}" for w in f.weights), f.params)


def _bias(f: LayerFacts) -> bool:
    return bool(f.config.get("use_bias", True))


def _convolution(f: LayerFacts) -> Optional[Sum]:
    """(kernel window x input channels per group + 1) x filters."""
    kernel = f.weights[0].shape
    window, channels, filters = kernel[:-2], kernel[-2], kernel[-1]
    if "Transpose" in f.class_name:  # Keras keeps a transposed kernel as (window..., filters, channels)
        channels, filters = filters, channels
    inner = f"{dims(window)} x {channels}"
    if _bias(f):
        return Sum(f"({inner} + 1) x {filters}", (prod(window) * channels + 1) * filters)
    return Sum(f"{inner} x {filters}", prod(window) * channels * filters)


def _depthwise(f: LayerFacts) -> Optional[Sum]:
    """(kernel window + 1) x channels x depth_multiplier."""
    kernel = f.weights[0].shape
    window, copies = kernel[:-2], kernel[-2] * kernel[-1]
    if _bias(f):
        return Sum(f"({dims(window)} + 1) x {kernel[-2]} x {kernel[-1]}", (prod(window) + 1) * copies)
    return Sum(f"{dims(window)} x {kernel[-2]} x {kernel[-1]}", prod(window) * copies)


def _separable(f: LayerFacts) -> Optional[Sum]:
    """A depthwise window per channel, then a 1 x 1 pointwise convolution to the filters."""
    depthwise, pointwise = f.weights[0].shape, f.weights[1].shape
    depth, filters = pointwise[-2], pointwise[-1]
    first = f"{dims(depthwise)} + "
    if _bias(f):
        return Sum(
            f"{first}({depth} + 1) x {filters}",
            prod(depthwise) + (depth + 1) * filters,
            "depthwise, then pointwise with bias: ",
        )
    return Sum(f"{first}{depth} x {filters}", prod(depthwise) + depth * filters, "depthwise, then pointwise: ")


def _recurrent(f: LayerFacts) -> Optional[Sum]:
    """gates x ((inputs + units + biases) x units)."""
    gates, units, inputs = _GATES[f.class_name], int(f.config["units"]), f.input_shape[-1]
    if inputs is None:  # Keras sizes the kernel by the features axis: no count to explain without it
        return None
    biases = (2 if f.config.get("reset_after") else 1) if _bias(f) else 0
    parts = " + ".join(str(n) for n in (inputs, units, biases) if n)
    per_gate = f"({parts}) x {units}"
    value = gates * (inputs + units + biases) * units
    prefix = "reset_after keeps two biases per gate: " if biases == 2 else ""
    if gates == 1:
        return Sum(per_gate, value, prefix)
    return Sum(f"{gates} gates x ({per_gate})", value, prefix)


def _inner_sums(f: LayerFacts) -> list[Sum]:
    return [params_sum(inner) for inner in f.inner]


def _bidirectional(f: LayerFacts) -> Optional[Sum]:
    forward, backward = _inner_sums(f)
    if forward.expr == backward.expr:
        return Sum(f"2 x ({forward.expr})", 2 * forward.value, "a forward and a backward copy: ")
    return Sum(f"({forward.expr}) + ({backward.expr})", forward.value + backward.value, "forward, then backward: ")


def _time_distributed(f: LayerFacts) -> Optional[Sum]:
    inner = _inner_sums(f)[0]
    return Sum(inner.expr, inner.value, "the inner layer's, shared by every step: ")


def _nested(f: LayerFacts) -> Optional[Sum]:
    counts = [inner.params for inner in f.inner if inner.params]
    return Sum(" + ".join(str(n) for n in counts), sum(counts), "the sum of its layers' params: ") if counts else None


def _batch_normalization(f: LayerFacts) -> Optional[Sum]:
    plain = listed(f)
    return Sum(plain.expr, plain.value, "moving_mean and moving_variance are not trained: ")


def _attention(f: LayerFacts) -> Optional[Sum]:
    plain = listed(f)
    return Sum(plain.expr, plain.value, "the query, key, value and output projections: ")


_FAMILIES: dict[str, Callable[[LayerFacts], Optional[Sum]]] = {
    **{name: _convolution for name in _CONVOLUTIONS},
    **{name: _depthwise for name in _DEPTHWISE},
    **{name: _separable for name in _SEPARABLE},
    **{name: _recurrent for name in _GATES},
    "Bidirectional": _bidirectional,
    "TimeDistributed": _time_distributed,
    "Sequential": _nested,
    "Functional": _nested,
    "BatchNormalization": _batch_normalization,
    "MultiHeadAttention": _attention,
}


def params_sum(f: LayerFacts) -> Sum:
    """The family's formula where it accounts for every variable, else the variables listed."""
    if not f.weights:
        return Sum("0", 0, "no weights: ")
    rule = _FAMILIES.get(f.class_name)
    try:
        found = rule(f) if rule else None
    except (KeyError, IndexError, TypeError, ValueError):
        found = None  # a config this rule does not know: the listed variables are still true
    return found if found is not None and found.value == f.params else listed(f)


def params_text(f: LayerFacts) -> str:
    """The sentence for why.params."""
    return params_sum(f).text()
