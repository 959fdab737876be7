"""The model spec a client sends, in its accepted forms.

1. Concise layers: ``{"type": "Dense", "units": 16, ...}``, the layer's Keras arguments beside ``type``: a
   Sequential model as ``{"layers": [...]}``, or a graph (Functional) model as ``{"inputs": [{"name": ...,
   "shape": [...]}], "layers": [... each with "inbound": [sources], keyword tensors "initial_state" / "mask"
   ...], "outputs": [sources]}``; a model nested as a layer as ``{"type": "Sequential" | "Functional", ...}``.
2. Keras-native layer configs: ``{"class_name": "Dense", "config": {...}}`` as in ``model.get_config()["layers"]``,
   mixed freely with concise ones.
3. A whole ``json.loads(model.to_json())`` document, Sequential or Functional, models nested as layers at any depth.
4. A keras.applications network by name: ``{"application": "ResNet50", "input_shape": [224, 224, 3], ...}``.
"""

from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional, Union, get_args

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .base import WHOLE, ApiModel, bounded_errors, layers_within_limit, one_model
from .constants import OPERATION_INBOUND_NODES_SCHEMA, InboundNodes, check_constants
from .keras_names import (
    ALLOWED_LAYER_TYPES,
    APPLICATION_INTERNAL_LAYERS,
    APPLICATIONS,
    APPLICATIONS_BY_MODULE,
    OPERATION_ARGUMENTS,
    OPERATIONS,
    REAL_DTYPES,
    is_builtin_registration,
)
from .numbers import NestedNumbers

MAX_AXIS = 2**31 - 1  # no tensor axis is longer: TensorFlow sizes many shape computations in int32
Axis = Annotated[int, Field(gt=0, le=MAX_AXIS), WHOLE]
Shape = Annotated[
    list[Optional[Axis]],
    Field(min_length=1, description="Axis sizes, batch axis excluded; null for an axis of variable length."),
]
BatchShape = Annotated[list[Optional[Axis]], Field(min_length=2, description="Leading batch axis, may be null.")]
NAME_PATTERN = r"^[A-Za-z0-9_.\-]+$"
Name = Annotated[str, Field(min_length=1, max_length=128, pattern=NAME_PATTERN)]
SOURCE_PATTERN = r"^[A-Za-z0-9_.\-]+(#[0-9]{1,6})?$"


class SourceRef(ApiModel):
    """One output of one call of a layer (or an input), for a layer that returns several tensors."""

    layer: Name
    node: Annotated[int, Field(ge=0, le=999_999), WHOLE] = 0
    tensor: Annotated[int, Field(ge=0, le=999_999), WHOLE] = 0


Source = Union[
    Annotated[
        str,
        Field(
            pattern=SOURCE_PATTERN,
            description=(
                "An input's or a layer's name: that layer's output; \"name#k\": the output of its call k "
                "(a shared layer)."
            ),
        ),
    ],
    SourceRef,
]
ActivationRef = Union[str, dict[str, Any], None]
LayerWeights = Annotated[
    list[NestedNumbers],
    Field(description="Arrays in the order and shapes of Keras's layer.get_weights()."),
]


class _ConciseLayer(ApiModel):
    """Fields every concise layer may carry; other Keras arguments pass through to Keras."""

    model_config = ConfigDict(extra="allow")
    name: Optional[Name] = None
    input_shape: Optional[Shape] = None
    input_dim: Optional[Axis] = None
    batch_input_shape: Optional[BatchShape] = None
    weights: Optional[LayerWeights] = None
    inbound: Optional[
        Annotated[
            list[Source],
            Field(
                min_length=1,
                description=(
                    "In a graph model: what feeds this layer (default: the previous entry). Several sources: a merge "
                    "layer's list, or an attention layer's query and value."
                ),
            ),
        ]
    ] = None
    calls: Optional[
        Annotated[
            list[Annotated[list[Source], Field(min_length=1)]],
            Field(
                min_length=1,
                description=(
                    "In a graph model, instead of inbound: a layer called more than once (shared), the sources of "
                    "each call; "
                    'the output of call k is the source "name#k".'
                ),
            ),
        ]
    ] = None
    initial_state: Optional[
        Annotated[
            list[Source],
            Field(
                min_length=1,
                description=(
                    "In a graph model: the states a recurrent layer (LSTM, GRU, SimpleRNN, Bidirectional...) starts "
                    "from, Keras's call argument `initial_state=`; e.g. a seq2seq decoder fed an encoder LSTM's "
                    'states: [{"layer": "encoder", "tensor": 1}, {"layer": "encoder", "tensor": 2}]. For a layer '
                    "called once ('inbound', or the previous entry)."
                ),
            ),
        ]
    ] = None
    mask: Optional[
        Annotated[
            Source,
            Field(
                description=(
                    "In a graph model: the tensor given as Keras's call argument `mask=` (a boolean mask over the "
                    "time axis). For a layer called once."
                ),
            ),
        ]
    ] = None


class DenseLayer(_ConciseLayer):
    """Dense: a weight matrix applied to the last axis."""

    type: Literal["Dense"]
    units: Axis
    activation: ActivationRef = None
    use_bias: bool = True


class ActivationLayer(_ConciseLayer):
    """Activation: an elementwise function."""

    type: Literal["Activation"]
    activation: ActivationRef


class ReshapeLayer(_ConciseLayer):
    """Reshape: a new shape for all axes but the batch; one axis may be -1."""

    type: Literal["Reshape"]
    target_shape: Annotated[list[Annotated[int, Field(ge=-1, le=MAX_AXIS), WHOLE]], Field(min_length=1)]


class PermuteLayer(_ConciseLayer):
    """Permute: reorders the non-batch axes (1-based)."""

    type: Literal["Permute"]
    dims: Annotated[list[Axis], Field(min_length=1)]


class RepeatVectorLayer(_ConciseLayer):
    """RepeatVector: repeats a vector n times."""

    type: Literal["RepeatVector"]
    n: Axis


class DropoutLayer(_ConciseLayer):
    """Dropout: identity at inference."""

    type: Literal["Dropout"]
    rate: Annotated[float, Field(ge=0, lt=1)]


IntOrInts = Union[Axis, Annotated[list[Axis], Field(min_length=1, max_length=3)]]


class ConvLayer(_ConciseLayer):
    """Conv1D/2D/3D: filters slid over the spatial axes."""

    type: Literal["Conv1D", "Conv2D", "Conv3D"]
    filters: Axis
    kernel_size: IntOrInts
    strides: IntOrInts = 1
    padding: Literal["valid", "same", "causal"] = "valid"


class RecurrentLayer(_ConciseLayer):
    """SimpleRNN/LSTM/GRU over the time axis."""

    type: Literal["SimpleRNN", "LSTM", "GRU"]
    units: Axis
    return_sequences: bool = False


class EmbeddingLayer(_ConciseLayer):
    """Embedding: integer indices in [0, input_dim) to vectors."""

    type: Literal["Embedding"]
    input_dim: Axis
    output_dim: Axis


class WrapperLayer(_ConciseLayer):
    """Bidirectional / TimeDistributed around a layer given in any form (concise or Keras-native)."""

    type: Literal["Bidirectional", "TimeDistributed"]
    layer: "LayerSpec"
    backward_layer: Optional["LayerSpec"] = None


class SequentialLayer(_ConciseLayer):
    """A Sequential model used as a layer of another (Keras's nested models): its layers in order, its input shape
    from its own `input_shape` or from the model around it. Called several times ('calls'), it is one layer:
    every call shares its weights (a Siamese network's tower). Its rows in the answer are the parent's one row,
    its own with expand_nested."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["Sequential"]
    layers: Annotated[list["LayerSpec"], Field(min_length=1)]


class FunctionalLayer(_ConciseLayer):
    """A Functional (graph) model used as a layer of another: its own named inputs, layers and outputs, as a
    graph model's; fed by 'inbound' or 'calls' like any layer (several calls share its weights)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["Functional"]
    inputs: Annotated[list["InputSpec"], Field(min_length=1)]
    layers: Annotated[list["LayerSpec"], Field(min_length=1)]
    outputs: Optional[
        Annotated[
            list[Source],
            Field(min_length=1, description="The nested model's outputs, in order (default: its last layer's)."),
        ]
    ] = None


_TYPED_LAYERS: dict[str, type[_ConciseLayer]] = {}
for _model in (
    DenseLayer,
    ActivationLayer,
    ReshapeLayer,
    PermuteLayer,
    RepeatVectorLayer,
    DropoutLayer,
    ConvLayer,
    RecurrentLayer,
    EmbeddingLayer,
    WrapperLayer,
    SequentialLayer,
    FunctionalLayer,
):
    for _name in get_args(_model.model_fields["type"].annotation):
        _TYPED_LAYERS[_name] = _model

_OTHER_LAYER_TYPES = tuple(t for t in ALLOWED_LAYER_TYPES if t not in _TYPED_LAYERS)


def _allowed_in(names: tuple[str, ...]):
    """A validator refusing any layer type outside `names`, with one short message."""

    def check(name: str) -> str:
        if name not in names:
            raise PydanticCustomError(
                "layer_type",
                "unknown or refused layer type '{name}'; the allowed types are listed in /openapi.json",
                {"name": name},
            )
        return name

    return check


def _as_enum(names: tuple[str, ...]) -> WithJsonSchema:
    """`names` documented as an enum (the validator from _allowed_in checks them)."""
    return WithJsonSchema({"type": "string", "enum": list(names)})


OtherLayerTypeName = Annotated[str, AfterValidator(_allowed_in(_OTHER_LAYER_TYPES)), _as_enum(_OTHER_LAYER_TYPES)]
_NATIVE_CLASS_NAMES = ALLOWED_LAYER_TYPES + ("InputLayer",)
NativeClassName = Annotated[str, AfterValidator(_allowed_in(_NATIVE_CLASS_NAMES)), _as_enum(_NATIVE_CLASS_NAMES)]


class OtherLayer(_ConciseLayer):
    """Any other allowed built-in layer, its arguments checked by Keras itself."""

    type: OtherLayerTypeName

    @model_validator(mode="before")
    @classmethod
    def _untyped_model(cls, value: Any) -> Any:
        """A model nested without its type: say which types there are, rather than that `type` is missing."""
        if isinstance(value, dict) and "type" not in value and "class_name" not in value and "layers" in value:
            raise PydanticCustomError(
                "nested_model_type",
                'a model nested as a layer says its kind: "type": "Sequential" with its "layers", or "type": '
                '"Functional" with its "inputs", "layers" and "outputs" (or send it as its model.to_json() document)',
            )
        return value


# The document says null, as Keras writes it for its built-ins; the class's own name is accepted too, which
# JSON Schema cannot say (no keyword compares two properties), so the description says it.
BuiltinRegistration = Annotated[
    Optional[str],
    WithJsonSchema(
        {
            "type": "null",
            "description": "null, as Keras writes it for built-in classes (the class_name itself is also "
            "accepted); any other name would resolve through Keras's custom-object registry.",
        }
    ),
]


def _builtin_registration(model: Any) -> Any:
    """A registered_name other than the class's own would resolve through Keras's custom-object registry."""
    if not is_builtin_registration(model.registered_name, model.class_name):
        raise PydanticCustomError(
            "refused_registered_name",
            "registered_name '{name}' points outside Keras's built-ins",
            {"name": model.registered_name},
        )
    return model


class NativeLayer(ApiModel):
    """A layer as Keras serializes it in ``model.get_config()["layers"]`` (with its name and inbound nodes in a
    Functional document)."""

    class_name: NativeClassName
    config: dict[str, Any] = Field(default_factory=dict)
    module: Optional[Literal["keras.layers"]] = None
    registered_name: BuiltinRegistration = None
    build_config: Optional[dict[str, Any]] = None
    weights: Optional[LayerWeights] = None
    name: Optional[str] = None
    inbound_nodes: Optional[InboundNodes] = None

    _registration = model_validator(mode="after")(_builtin_registration)


_PLAIN = (bool, int, float, str, type(None))


def _plain(value: Any) -> bool:
    """A JSON number, string, true/false or null, or a list of them (an axis list): never an object."""
    return isinstance(value, _PLAIN) or (isinstance(value, list) and all(isinstance(v, _PLAIN) for v in value))


_PLAIN_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": ["number", "string", "boolean", "null"]},
        {"type": "array", "items": {"type": ["number", "string", "boolean", "null"]}},
    ]
}


def _one_alternative_per_class(classes: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    """JSON Schema taking any of `classes` (module, class name, the schemas of the arguments its config takes): each
    its own alternative, so that the document says no more than the validators below accept."""
    return {
        "anyOf": [
            {
                "properties": {
                    "module": {"const": module},
                    "class_name": {"const": name},
                    "config": {"type": "object", "properties": arguments, "additionalProperties": False},
                }
            }
            for module, name, arguments in classes
        ]
    }


def _operation_schema() -> dict[str, Any]:
    """JSON Schema for an operation node: its module and the arguments its config takes, per operation."""
    classes = []
    for name, (module, _) in sorted(OPERATIONS.items()):
        arguments: dict[str, Any] = {"name": {"type": "string"}}
        arguments |= {argument: _PLAIN_SCHEMA for argument in OPERATION_ARGUMENTS.get(name, ())}
        if "dtype" in arguments:
            arguments["dtype"] = {"enum": list(REAL_DTYPES)}
        classes.append((module, name, arguments))
    return _one_alternative_per_class(classes)


def _application_layer_schema() -> dict[str, Any]:
    """JSON Schema for a keras.applications layer: its module and the arguments its config takes, per layer (as the
    validator below checks them; schemathesis found a config key the document allowed refused)."""
    classes = []
    for (module, name), takes in sorted(APPLICATION_INTERNAL_LAYERS.items()):
        arguments: dict[str, Any] = {argument: _PLAIN_SCHEMA for argument in (*takes, "name", "trainable")}
        arguments["dtype"] = {}  # a dtype policy may be an object: guards/safety.py judges it
        classes.append((module, name, arguments))
    return _one_alternative_per_class(classes)


class OperationNode(ApiModel):
    """A keras.ops operation as Keras 3 writes it in a Functional to_json document: a node made by a Python
    operator on symbolic tensors (``x + inputs``, ``x * 0.5``), by a mask (Embedding(mask_zero=True) writes
    ``NotEqual``), or by a ``keras.ops`` call. Only the operations of keras_names.OPERATIONS, from the module
    Keras writes for each; the service builds them from its own table, never by importing a module."""

    # The document names the (module, class_name) pairs accepted, so that a client reading it (and the schemathesis
    # suite) sees that any other is refused; validation stays the validator's below, whose refusal says what to send.
    model_config = ConfigDict(json_schema_extra=_operation_schema())
    class_name: Annotated[str, Field(max_length=64)]
    module: Annotated[str, Field(max_length=64)]
    config: dict[str, Any] = Field(default_factory=dict)
    registered_name: BuiltinRegistration = None
    build_config: Optional[dict[str, Any]] = None
    name: Optional[str] = None
    # Its calls' arguments may hold constant tensors (schemas/constants.py), which the document describes.
    inbound_nodes: Optional[Annotated[list[Any], WithJsonSchema(OPERATION_INBOUND_NODES_SCHEMA)]] = None

    @model_validator(mode="after")
    def _allowed(self) -> "OperationNode":
        allowed = OPERATIONS.get(self.class_name)
        if allowed is None or allowed[0] != self.module:
            raise PydanticCustomError(
                "refused_operation",
                "the operation '{name}' of module '{module}' is not one the service builds; it builds {allowed} "
                "(Python operators on tensors, masks, and common activations and reductions of keras.ops); "
                "use a built-in layer instead (Add, Multiply, Activation, Reshape, ...)",
                {
                    "name": self.class_name,
                    "module": self.module,
                    "allowed": ", ".join(OPERATIONS),
                },
            )
        if not is_builtin_registration(self.registered_name, self.class_name):
            raise PydanticCustomError(
                "refused_registered_name",
                "registered_name '{name}' points outside Keras's built-ins",
                {"name": self.registered_name},
            )
        takes = ("name",) + OPERATION_ARGUMENTS.get(self.class_name, ())
        for key, value in self.config.items():
            if key in ("name", "dtype") and not (isinstance(value, str) and (key == "name" or value in REAL_DTYPES)):
                raise PydanticCustomError(
                    "operation_argument",
                    "the operation '{name}' takes a string '{key}'{which}; got {value}",
                    {
                        "name": self.class_name,
                        "key": key,
                        "which": f" (one of {', '.join(REAL_DTYPES)})" if key == "dtype" else "",
                        "value": repr(value)[:80],
                    },
                )
            if key not in takes or not _plain(value):
                raise PydanticCustomError(
                    "operation_argument",
                    "the operation '{name}' takes {takes} in its config, each a plain value; got '{key}': {value}",
                    {"name": self.class_name, "takes": list(takes), "key": key, "value": repr(value)[:80]},
                )
        check_constants(self.inbound_nodes, ["inbound_nodes"])
        return self


class ApplicationLayerNode(ApiModel):
    """A layer of keras.applications' own (ConvNeXt's LayerScale), as Keras writes it in the to_json document of
    a network it built: only those of keras_names.APPLICATION_INTERNAL_LAYERS, with plain arguments; any other
    is refused with the network to ask for by name instead."""

    # The document names the pairs accepted (see OperationNode).
    model_config = ConfigDict(json_schema_extra=_application_layer_schema())
    class_name: Annotated[str, Field(max_length=64)]
    module: Annotated[str, Field(max_length=64)]
    config: dict[str, Any] = Field(default_factory=dict)
    registered_name: BuiltinRegistration = None
    build_config: Optional[dict[str, Any]] = None
    weights: Optional[LayerWeights] = None
    name: Optional[str] = None
    inbound_nodes: Optional[InboundNodes] = None

    @model_validator(mode="after")
    def _allowed(self) -> "ApplicationLayerNode":
        takes = APPLICATION_INTERNAL_LAYERS.get((self.module, self.class_name))
        if takes is None:
            networks = APPLICATIONS_BY_MODULE.get(self.module) or ("<the network's name>",)
            raise PydanticCustomError(
                "application_layer",
                "the layer '{name}' of {module} belongs to a keras.applications network and the service cannot "
                "build it from a document; send {send} instead{others}",
                {
                    "name": self.class_name,
                    "module": self.module,
                    "send": '{"model": {"application": "%s"}}' % networks[0],
                    "others": f" (or {', '.join(networks[1:])})" if networks[1:] else "",
                },
            )
        if not is_builtin_registration(self.registered_name, self.class_name):
            raise PydanticCustomError(
                "refused_registered_name",
                "registered_name '{name}' points outside Keras's built-ins",
                {"name": self.registered_name},
            )
        for key, value in self.config.items():
            if key not in takes + ("name", "trainable", "dtype") or (key != "dtype" and not _plain(value)):
                raise PydanticCustomError(
                    "application_layer_argument",
                    "{name} takes {takes} in its config, each a plain value; got '{key}'",
                    {"name": self.class_name, "takes": list(takes + ("name", "trainable", "dtype")), "key": key},
                )
        return self


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else getattr(value, key, None)


def _layer_tag(value: Any) -> str:
    """Pick the union member: concise layers by type, native configs and nested models by class_name."""
    layer_type = _get(value, "type")
    # `type` decides first: a concise layer may carry any other key, class_name too (so says the document),
    # while a native config never has a `type`. A type that is no string goes to OtherLayer, which refuses it.
    if layer_type is None and _get(value, "class_name") is not None:
        return _document_tag(value)
    return f"<{layer_type}>" if isinstance(layer_type, str) and layer_type in _TYPED_LAYERS else "<other>"


def _document_tag(value: Any) -> str:
    """A serialized layer by its class_name: a nested Sequential or Functional model, or a layer; by its module,
    a keras.ops operation or a keras.applications layer."""
    class_name, module = _get(value, "class_name"), _get(value, "module")
    if isinstance(class_name, str) and class_name in ("Sequential", "Functional"):
        return f"<{class_name.lower()}>"
    if isinstance(module, str) and module.startswith("keras.src.ops."):
        return "<operation>"
    if isinstance(module, str) and module.startswith("keras.src.applications."):
        return "<application_layer>"
    return "<native>"


# Union tags are written <like-this> so the error mapping can drop them from locations: a client's JSON
# location never contains them.
_LAYER_MEMBERS = {f"<{name}>": model for name, model in _TYPED_LAYERS.items()} | {
    "<other>": OtherLayer,
    "<native>": NativeLayer,
    "<operation>": OperationNode,
    "<application_layer>": ApplicationLayerNode,
    "<sequential>": "SequentialDocument",
    "<functional>": "FunctionalDocument",
}

if TYPE_CHECKING:
    # What validation yields, for type checkers: the union below is built from _TYPED_LAYERS at import time, which
    # no checker can read; every concise member (OtherLayer too) is a _ConciseLayer.
    LayerSpec = Union[
        _ConciseLayer, NativeLayer, OperationNode, ApplicationLayerNode, "SequentialDocument", "FunctionalDocument"
    ]
else:
    LayerSpec = Annotated[
        Union[tuple(Annotated[model, Tag(tag)] for tag, model in _LAYER_MEMBERS.items())],
        Discriminator(
            _layer_tag,
            custom_error_type="layer_form",
            custom_error_message="a layer needs a 'type' (concise form) or a 'class_name' (Keras form)",
        ),
        WrapValidator(bounded_errors),
    ]
DocumentLayer = Annotated[
    Union[
        Annotated[NativeLayer, Tag("<native>")],
        Annotated[OperationNode, Tag("<operation>")],
        Annotated[ApplicationLayerNode, Tag("<application_layer>")],
        Annotated["SequentialDocument", Tag("<sequential>")],
        Annotated["FunctionalDocument", Tag("<functional>")],
    ],
    Discriminator(
        _document_tag, custom_error_type="layer_form", custom_error_message="a serialized layer needs a 'class_name'"
    ),
    WrapValidator(bounded_errors),
]


# Every list of layers, counted against max_layers before its entries are validated (schemas/base.py).
_LAYER_COUNT = BeforeValidator(layers_within_limit)


class CompileSpec(ApiModel):
    """What model.compile() receives; checked against Keras's own losses and optimizers."""

    loss: Annotated[str, Field(min_length=1, max_length=64)] = "mean_squared_error"
    optimizer: Annotated[str, Field(min_length=1, max_length=64)] = "SGD"


class LayersModelSpec(ApiModel):
    """A Sequential model as a list of layers (concise or Keras-native, mixed freely)."""

    layers: Annotated[list[LayerSpec], Field(min_length=1), _LAYER_COUNT]
    input_shape: Optional[Shape] = None
    name: Optional[Name] = None
    compile: Optional[CompileSpec] = None


class InputSpec(ApiModel):
    """One input of a graph model, as keras.Input takes it."""

    name: Name
    shape: Annotated[
        list[Optional[Axis]],
        Field(
            max_length=8,
            description=("Axis sizes, batch axis excluded; null for an axis of variable length (text, sequences)."),
        ),
    ]
    dtype: Optional[Literal[REAL_DTYPES]] = Field(  # type: ignore[valid-type]
        None,
        description=(
            "The dtype of the input's tensor (default float32). A mixed precision policy (mixed_bfloat16) is a "
            "layer's dtype, not a tensor's."
        ),
    )
    batch_size: Optional[Axis] = None


class GraphModelSpec(ApiModel):
    """A Functional model: named inputs, layers fed by name (default: the previous entry), named outputs."""

    inputs: Union[
        Annotated[list[InputSpec], Field(min_length=1, description="The model's inputs, in order.")],
        Annotated[
            dict[Name, InputSpec],
            Field(
                min_length=1,
                description="The model's inputs by key, as keras.Model(inputs={...}) takes them: in Keras's order, "
                "sorted by key. Predictions still take each input's array by its input name.",
                json_schema_extra={"additionalProperties": False},
            ),
        ],
    ]
    layers: Annotated[list[LayerSpec], Field(min_length=1), _LAYER_COUNT]
    outputs: Optional[
        Union[
            Annotated[
                list[Source],
                Field(min_length=1, description="The model's outputs, in order (default: the last layer's output)."),
            ],
            Annotated[
                dict[Name, Source],
                Field(
                    min_length=1,
                    description="The model's outputs by name, as keras.Model(outputs={...}) makes them: its "
                    "predictions are then a dict by the same names.",
                    # a key that is no Name is refused: the document says so (patternProperties alone would not)
                    json_schema_extra={"additionalProperties": False},
                ),
            ],
        ]
    ] = None
    name: Optional[Name] = None
    compile: Optional[CompileSpec] = None


class SequentialConfig(ApiModel):
    """The ``config`` of a Sequential to_json document."""

    model_config = ConfigDict(extra="ignore")
    name: Optional[str] = None
    layers: Annotated[list[DocumentLayer], Field(min_length=1), _LAYER_COUNT]
    build_input_shape: Optional[BatchShape] = None


class _Document(ApiModel):
    """What every to_json document carries besides its config; a nested one carries its name and inbound nodes."""

    registered_name: BuiltinRegistration = None
    build_config: Optional[dict[str, Any]] = None
    compile_config: Optional[dict[str, Any]] = None
    keras_version: Optional[str] = None
    backend: Optional[str] = None
    name: Optional[str] = None
    inbound_nodes: Optional[InboundNodes] = None

    _registration = model_validator(mode="after")(_builtin_registration)


class SequentialDocument(_Document):
    """A whole ``json.loads(model.to_json())`` of a Sequential model."""

    class_name: Literal["Sequential"]
    config: SequentialConfig
    module: Optional[Literal["keras", "keras.models", "keras.src.models.sequential"]] = None


class FunctionalConfig(ApiModel):
    """The ``config`` of a Functional to_json document."""

    model_config = ConfigDict(extra="ignore")
    name: Optional[str] = None
    layers: Annotated[list[DocumentLayer], Field(min_length=1), _LAYER_COUNT]
    input_layers: Any = None
    output_layers: Any = None


class FunctionalDocument(_Document):
    """A whole ``json.loads(model.to_json())`` of a Functional model (``keras.Model(inputs, outputs)``)."""

    class_name: Literal["Functional"]
    config: FunctionalConfig
    module: Optional[Literal["keras", "keras.models", "keras.src.models.functional"]] = None


class ApplicationSpec(ApiModel):
    """A keras.applications network by name; weights=None always (they are never downloaded). Every other
    argument of its constructor may be given (include_top, classes, pooling, alpha, ...)."""

    model_config = ConfigDict(extra="allow")
    application: Literal[APPLICATIONS]  # type: ignore[valid-type]  # a Literal of a tuple built at import
    input_shape: Optional[Shape] = None
    name: Optional[Name] = None
    compile: Optional[CompileSpec] = None


def _model_tag(value: Any) -> str:
    if _get(value, "application") is not None:
        return "<application>"
    if _get(value, "class_name") is not None:
        return _document_tag(value) if _document_tag(value) in ("<sequential>", "<functional>") else "<unknown>"
    return "<graph>" if _get(value, "inputs") is not None else "<layers>"


ModelSpec = Annotated[
    Union[
        Annotated[LayersModelSpec, Tag("<layers>")],
        Annotated[GraphModelSpec, Tag("<graph>")],
        Annotated[SequentialDocument, Tag("<sequential>")],
        Annotated[FunctionalDocument, Tag("<functional>")],
        Annotated[ApplicationSpec, Tag("<application>")],
    ],
    Discriminator(
        _model_tag,
        custom_error_type="model_form",
        custom_error_message="model needs 'layers' (a Sequential list), 'inputs' and 'layers' (a graph), "
        "a Sequential or Functional to_json document, or an 'application'",
    ),
    WrapValidator(one_model),
]

for _referring_model in (
    WrapperLayer,
    SequentialLayer,
    FunctionalLayer,
    NativeLayer,
    SequentialConfig,
    SequentialDocument,
    FunctionalConfig,
    FunctionalDocument,
    LayersModelSpec,
    GraphModelSpec,
):
    _referring_model.model_rebuild()

__all__ = [
    "ApplicationLayerNode",
    "ApplicationSpec",
    "CompileSpec",
    "FunctionalDocument",
    "GraphModelSpec",
    "InputSpec",
    "LayerSpec",
    "LayersModelSpec",
    "FunctionalLayer",
    "SequentialLayer",
    "ModelSpec",
    "NativeLayer",
    "OperationNode",
    "SequentialDocument",
    "Shape",
    "SourceRef",
]


def concise_fields(layer_type: str) -> frozenset[str]:
    """The fields the schema declares for a concise layer of this type (its other arguments go to Keras)."""
    return frozenset((_TYPED_LAYERS.get(layer_type) or OtherLayer).model_fields)
