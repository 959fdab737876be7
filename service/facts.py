"""What the adapter learned of a planned model, as plain data: the guards estimate costs from it, the engine
explains it, and the answer's layer table is made of it. No Keras object crosses this line."""
from dataclasses import dataclass, field
from math import prod
from typing import Any, Iterator, Optional

Shape = tuple[Optional[int], ...]  # the batch axis first, None where Keras does not know the size


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
    output_dtypes: tuple[str, ...] = ()  # one per output; empty where unknown (a wrapper's inner layer)

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


def walk(layers: tuple[LayerFacts, ...]) -> Iterator[LayerFacts]:
    """Every layer, and every layer inside it (a wrapper's, a nested model's), without recursion."""
    stack = list(reversed(layers))
    while stack:
        layer = stack.pop()
        yield layer
        stack.extend(reversed(layer.inner))
