"""What the reader's names hold while it reads: module paths, inputs, layers, their output tensors, Keras objects,
the model, its methods, arrays of data; and how they are described in refusals. None of them runs anything: a
layer is its class name and its arguments, a tensor is which call of which layer made it.
"""

import ast
from dataclasses import dataclass, field
from typing import Any, Optional, Union


@dataclass(frozen=True)
class ReadCode:
    """What the code says: the model spec, the data it predicts on, and the model methods it calls in order
    ("call" for `model(x)`)."""

    model: dict
    inputs: Union[list, dict, None]  # a dict by input name where the code predicts on a dict
    calls: tuple[str, ...]


@dataclass(frozen=True)
class KerasPath:
    """A dotted reference to a module, class or function, canonical: tensorflow.keras is keras."""

    parts: tuple[str, ...]


@dataclass(eq=False)
class InputEntry:
    entry: dict
    user_name: Optional[str]
    node: ast.AST
    class_name: str = "InputLayer"
    name: Optional[str] = None


@dataclass(eq=False)
class LayerEntry:
    class_name: str
    arguments: dict
    node: ast.AST
    calls: list = field(default_factory=list)
    name: Optional[str] = None
    shapes: list = field(default_factory=list)  # each call's output shape where the code alone says it, else None
    # each call's keyword tensors ({"initial_state": [Tensor, ...], "mask": Tensor}), beside its inputs in `calls`
    keywords: list = field(default_factory=list)
    model: Any = None  # a model of the code used as a layer: this entry is its place in its parent's graph
    # a keras.ops operation (`x + 1.0`, `ops.mean(x, axis=1)`): the module Keras writes for it, and its one call's
    # operands in order, tensors and numbers (Keras records `2.0 - x` with the number first)
    module: Optional[str] = None
    operands: list = field(default_factory=list)
    computes_constant: bool = False  # called on a constant (ConstantArray), outside the graph

    @property
    def user_name(self) -> Optional[str]:
        return self.arguments.get("name")


@dataclass(frozen=True)
class Tensor:
    producer: Any  # an InputEntry or a LayerEntry
    index: int  # which call of the producer
    output: int = 0  # which of that call's outputs (a layer with return_state=True has several)


@dataclass(frozen=True)
class KerasObject:
    class_name: str
    config: dict


@dataclass(eq=False)
class SequentialModel:
    node: ast.AST
    name: Optional[str] = None
    input_shape: Optional[list] = None
    layers: list = field(default_factory=list)
    entry: Any = None  # the LayerEntry it is as a layer of another model (named as Keras names models)
    built: bool = False  # Keras built it (into a Functional model of its own): its input shape was known


@dataclass(eq=False)
class FunctionalModel:
    node: ast.AST
    name: Optional[str]
    inputs: list
    outputs: list
    entry: Any = None
    # keras.Model(outputs={...}): the names of `outputs`, in their order (sorted, as Keras flattens a dict)
    output_keys: tuple = ()
    input_keys: tuple = ()  # keras.Model(inputs={...}): likewise, the keys of `inputs`


@dataclass(frozen=True)
class ModelMethod:
    model: Any
    name: str


@dataclass(frozen=True, eq=False)
class Array:
    """What np.array, np.zeros... give: a nested list of numbers, made fresh and already counted."""

    data: list


@dataclass(eq=False)
class ConstantArray:
    """What keras.ops.arange gives: a tensor of numbers made from numbers, which Keras computes at once, outside
    the graph; and, once a layer is called on it (`pos_emb(positions)`), that layer, which computes the operand
    from the numbers (no layer of the model: Keras's to_json writes its output as a constant)."""

    data: list
    dtype: str
    layer: Any = None  # the LayerEntry called on it


@dataclass(frozen=True, eq=False)
class DictLiteral:
    """A dict display `{key: value, ...}`, read key then value in order as Python does; each entry kept with its
    nodes, for refusals to point at. Read only as a Model's inputs= or outputs=, the data of a prediction, and
    `d["key"]`: nothing else of the code takes a dict."""

    entries: tuple  # (key, value, key node, value node), in the code's order

    def get(self, key: Any) -> tuple[bool, Any]:
        for entry_key, value, _, _ in reversed(self.entries):  # Python keeps a repeated key's last value
            if entry_key == key and type(entry_key) is type(key):
                return True, value
        return False, None


class Prediction:
    """What model.predict returns: known only when the model runs, so only printed."""


@dataclass(eq=False)
class Function:
    """A `def` of the code: read again at each call, in a scope of its own over the scopes it was defined in."""

    node: ast.FunctionDef
    defaults: dict  # parameter name -> value, computed where the def is, as Python does
    scopes: list  # the enclosing scopes' name tables, outermost first, shared (later bindings are seen)


@dataclass(frozen=True)
class Builtin:
    """A Python builtin the reader computes itself (range, len...), bounded."""

    name: str


def keras_path(parts: tuple[str, ...]) -> KerasPath:
    return KerasPath(("keras",) + parts[2:] if parts[:2] == ("tensorflow", "keras") else parts)


def source_text(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(value: Any) -> str:
    """What a value is, for messages."""
    if isinstance(value, KerasPath):
        return f"`{'.'.join(value.parts)}`"
    if isinstance(value, LayerEntry):
        return f"a `{value.class_name}` layer"
    if isinstance(value, ModelMethod):
        return f"`model.{value.name}`"
    descriptions = {
        Tensor: "a tensor",
        Array: "an array",
        ConstantArray: "a constant tensor (keras.ops.arange)",
        InputEntry: "an input layer",
        KerasObject: "a Keras object",
        SequentialModel: "the model",
        FunctionalModel: "the model",
        Prediction: "a prediction",
        DictLiteral: "a dict",
        Function: "a function",
        Builtin: "a builtin function",
        range: "a range",
        dict: "a dict",
        list: "a list",
        tuple: "a tuple",
        str: "a string",
        bool: "a boolean",
        type(None): "None",
    }
    return descriptions.get(type(value), "a number")


def camel_case(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_")) if name.islower() else name


def source_name(tensor: Tensor) -> Any:
    """A tensor as the concise spec names it: "name", "name#k" (call k), {"layer", "node", "tensor"} (an output
    other than a call's first)."""
    if tensor.output:
        return {"layer": tensor.producer.name, "node": tensor.index, "tensor": tensor.output}
    return tensor.producer.name + (f"#{tensor.index}" if tensor.index else "")
