"""The one internal form of a model, whatever form it was sent in: Keras class names, constructor configs, and
for a graph which output feeds which call.

engine/spec_forms.py makes it from a request; the guards check it and the adapter builds it.
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

Shape = tuple[Optional[int], ...]


@dataclass(frozen=True)
class TensorRef:
    """Output `tensor` of call `node` of the layer (or input) named `layer`."""

    layer: str
    node: int = 0
    tensor: int = 0


@dataclass(frozen=True)
class Call:
    """One call of a layer: its arguments, with a TensorRef wherever a tensor goes (lists for merge layers)."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    loc: tuple[Any, ...] = ()  # where its inputs were named in the request

    def refs(self) -> list[TensorRef]:
        """Every tensor this call reads."""
        found: list[TensorRef] = []
        stack: list[Any] = [self.args, list(self.kwargs.values())]
        while stack:
            value = stack.pop()
            if isinstance(value, TensorRef):
                found.append(value)
            elif isinstance(value, (list, tuple)):
                stack.extend(reversed(value))
        return found


@dataclass(frozen=True)
class Constant:
    """A tensor of numbers given to a call as an argument: what Keras computed once, outside the graph, and wrote in
    to_json as a __tensor__ (schemas/constants.py). Plain data here; the adapter makes it a constant operand.
    It is no input and no layer: the answer's rows leave it out, as Keras's summary does."""

    value: Any  # a number, or a rectangular nested list of numbers (validated)
    dtype: str
    shape: tuple[int, ...]
    loc: tuple[Any, ...] = ()
    # The layer that computes the operand from these numbers, once, outside the graph (code's
    # `pos_emb(ops.arange(10))`): no layer of the model; its weights are drawn from the seed unless given by its name.
    layer: Optional["CanonicalLayer"] = None

    def elements(self) -> int:
        count = 1
        for size in self.shape:
            count *= size
        return count


@dataclass(frozen=True)
class CanonicalInput:
    """One input of the model; `shape` (batch axis excluded) is None until the inputs give it, and may hold
    None axes (variable length)."""

    name: str
    shape: Optional[Shape]
    dtype: Optional[str] = None
    batch_size: Optional[int] = None
    loc: tuple[Any, ...] = ("model",)


@dataclass(frozen=True)
class CanonicalLayer:
    """A layer as Keras builds it: class name, constructor config, name, where it came from; in a graph, each of
    its calls; for a nested model, that model."""

    class_name: str
    config: dict[str, Any]
    name: str
    loc: tuple[Any, ...]
    config_loc: tuple[Any, ...]  # where the config's keys sit in the request: the layer itself, or its "config"
    calls: tuple[Call, ...] = ()  # graph models; a Sequential model chains its layers
    model: Optional["CanonicalSpec"] = None
    # Where Keras's class lives: keras.layers, or (in a to_json document) a keras.ops operation's module
    # (keras_names.OPERATIONS) or a keras.applications layer's (keras_names.APPLICATION_INTERNAL_LAYERS).
    module: str = "keras.layers"


@dataclass(frozen=True)
class Application:
    """A keras.applications network by name, with its constructor's arguments (never `weights`)."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class GivenWeights:
    """Weights a client gave for one layer, in its get_weights() order."""

    arrays: tuple[Any, ...]
    loc: tuple[Any, ...]


@dataclass(frozen=True)
class CanonicalSpec:
    """A model independent of the form it was sent in: "sequential", "functional" or "application"."""

    kind: str
    name: str
    inputs: tuple[CanonicalInput, ...]
    layers: tuple[CanonicalLayer, ...] = ()
    outputs: tuple[TensorRef, ...] = ()
    loss: Optional[str] = None
    optimizer: Optional[str] = None
    compile_loc: tuple[Any, ...] = ("model", "compile")  # where loss and optimizer were given
    application: Optional[Application] = None
    weights: dict[str, GivenWeights] = field(default_factory=dict)  # by layer name
    # An uploaded file's weights (files.hdf5.WeightsFile): every layer's, read where Keras runs. Keyed in
    # caches by its digest (its repr), never by its bytes.
    weights_file: Optional[Any] = None
    loc: tuple[Any, ...] = ("model",)
    # A graph whose inputs or outputs are a dict (keras.Model(inputs={...}, outputs={...})): the keys, one per
    # input or output, in `inputs` / `outputs` order, which is Keras's (its flattening sorts a dict's keys).
    input_keys: tuple[str, ...] = ()
    output_keys: tuple[str, ...] = ()

    def replace(self, **changes: Any) -> "CanonicalSpec":
        return dataclasses.replace(self, **changes)

    def layer_count(self) -> int:
        """Every layer, those of nested models included."""
        return sum(1 + (layer.model.layer_count() if layer.model else 0) for layer in self.layers)

    def graph_size(self) -> int:
        """Inputs, outputs, layer calls and the tensors they read when the model is built: what building it
        costs. A shared layer counts each call; a nested model its own size once to be built and once per call
        of it (Keras traces its graph again for each), so that nesting cannot multiply unseen."""
        size = len(self.inputs) + len(self.outputs)
        for layer in self.layers:
            calls = max(len(layer.calls), 1)
            size += calls + sum(len(call.refs()) for call in layer.calls)
            if layer.model is not None:
                size += (calls + 1) * layer.model.graph_size()
        return size

    def constants(self) -> list[Constant]:
        """Every constant tensor a call of this model (or of a nested one) is given."""
        found: list[Constant] = []
        for layer in self.layers:
            if layer.model is not None:
                found += layer.model.constants()
            stack: list[Any] = [call.args for call in layer.calls] + [call.kwargs for call in layer.calls]
            while stack:
                value = stack.pop()
                if isinstance(value, Constant):
                    found.append(value)
                elif isinstance(value, (list, tuple)):
                    stack.extend(value)
                elif isinstance(value, dict):
                    stack.extend(value.values())
        return found

    def layer_locs(self) -> dict[str, tuple[Any, ...]]:
        """Where each layer of this model (not of its nested models) was given, by name."""
        return {layer.name: layer.loc for layer in self.layers} | {i.name: i.loc for i in self.inputs}
