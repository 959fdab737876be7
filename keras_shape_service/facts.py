"""What the adapter learned of a planned model, as plain data: the guards estimate costs from it, the engine
explains it, and the answer's layer table is made of it. No Keras object crosses this line."""

import dataclasses
from dataclasses import dataclass, field
from math import prod
from typing import Any, Iterator, Optional, Sequence, TypeGuard

Shape = tuple[Optional[int], ...]  # the batch axis first, None where Keras does not know the size


def known(axes: Sequence[Optional[int]]) -> TypeGuard[Sequence[int]]:
    """Whether every axis has a size (`None not in axes`, in words a type checker reads)."""
    return None not in axes


def shape_text(shape: Any) -> str:
    """A shape as Keras's summary writes it, (None, 3, 16) and (None,); several shapes one after another."""
    if shape and isinstance(shape[0], (list, tuple)):
        return ", ".join(shape_text(one) for one in shape)
    axes = ["None" if axis is None else str(axis) for axis in shape]
    return "(" + ", ".join(axes) + ("," if len(axes) == 1 else "") + ")"


@dataclass(frozen=True)
class WeightFacts:
    """One variable of a layer, in layer.get_weights() order."""

    name: str
    shape: tuple[int, ...]
    trainable: bool
    dtype: str = "float32"


@dataclass(frozen=True)
class LayerFacts:
    """One layer: its Keras config (defaults filled in), shapes in and out, parameters, the layers inside it."""

    name: str
    class_name: str
    config: dict[str, Any]
    input_shapes: tuple[Shape, ...]
    output_shapes: tuple[Shape, ...]
    weights: tuple[WeightFacts, ...] = ()
    inner: tuple["LayerFacts", ...] = ()  # a wrapper's layer(s), each with the shapes it sees
    inbound: tuple[str, ...] = field(default=())
    calls: tuple["LayerFacts", ...] = ()  # a shared layer's other calls in its model, each with its own shapes
    output_dtypes: tuple[str, ...] = ()  # one per output; empty where unknown (a wrapper's inner layer)
    trainable: bool = True  # Keras's layer.trainable: False where the layer is frozen (its weights are not trained)
    # A keras.ops operation node (x + y, a mask): its shape rule's family (keras_names.OPERATIONS), "" for a
    # layer; its config then holds "operands", each positional argument: a number, None for a tensor, or a
    # constant tensor's {"constant": its shape} (constant_shape).
    operation: str = ""

    @property
    def params(self) -> int:
        # math.prod, not numpy: huge kernels must not wrap around in int64 and slip past the params limit.
        return sum(prod(weight.shape) for weight in self.weights)

    @property
    def input_shape(self) -> Shape:
        return self.input_shapes[0]

    @property
    def output_shape(self) -> Shape:
        return self.output_shapes[0]


def every_call(layers: tuple[LayerFacts, ...]) -> Iterator[LayerFacts]:
    """Every call of every layer, those inside wrappers and nested models included: what a prediction runs."""
    for layer in walk(layers):
        yield layer
        yield from layer.calls


def sized_for_estimates(layers: tuple[LayerFacts, ...], size: Optional[int] = None) -> tuple[LayerFacts, ...]:
    """The facts as the estimates must see them: where a nested model's own input leaves an axis unknown
    (None), that axis sized at the numbers per example of the input it is called on (`size` at the top: a
    Sequential model's rows show a nested model's own input), which no axis read from it exceeds unless a
    layer grows it; never at 1. The answer's rows keep Keras's shapes."""
    return tuple(_sized(layer, size) for layer in layers)


def _sized(layer: LayerFacts, size: Optional[int]) -> LayerFacts:
    if size is not None:
        layer = dataclasses.replace(
            layer,
            input_shapes=tuple(_filled(s, size) for s in layer.input_shapes),
            output_shapes=tuple(_filled(s, size) for s in layer.output_shapes),
        )
    inner_size = max((prod(axis or 1 for axis in shape[1:]) for shape in layer.input_shapes), default=size)
    return dataclasses.replace(
        layer,
        inner=sized_for_estimates(layer.inner, inner_size),
        calls=tuple(_sized(call, size) for call in layer.calls),
    )


def _filled(shape: Shape, size: int) -> Shape:
    return shape[:1] + tuple(size if axis is None else axis for axis in shape[1:])


def walk(layers: tuple[LayerFacts, ...]) -> Iterator[LayerFacts]:
    """Every layer, and every layer inside it (a wrapper's, a nested model's), without recursion."""
    stack = list(reversed(layers))
    while stack:
        layer = stack.pop()
        yield layer
        stack.extend(reversed(layer.inner))


@dataclass(frozen=True)
class TensorFacts:
    """One input or output of a model: its name, shape (batch axis first, None where variable) and dtype."""

    name: str
    shape: Shape
    dtype: str  # numpy's name: "float32", "int32"


def constant_shape(operand: object) -> Optional[Shape]:
    """The shape of an operation's constant operand ({"constant": shape} in its config's operands), else None."""
    if isinstance(operand, dict) and isinstance(operand.get("constant"), (list, tuple)):
        return tuple(operand["constant"])
    return None
