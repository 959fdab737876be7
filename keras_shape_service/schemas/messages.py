"""Requests and answers of every endpoint."""

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (
    Discriminator,
    Field,
    NonNegativeInt,
    PositiveInt,
    PrivateAttr,
    Tag,
    ValidationError,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .base import WHOLE, ApiModel
from .numbers import BatchArray, NestedNumbers, shape_of
from .spec import NAME_PATTERN, LayerWeights, ModelSpec, Name

Seed = Annotated[int, Field(ge=0, le=2**31 - 1), WHOLE, Field(description="Seeds the initial weights.")]
ShapeWithBatch = list[Optional[int]]
# One shape, or a list of them where a layer takes (or gives) several tensors.
Shapes = Union[ShapeWithBatch, list[ShapeWithBatch]]
Weights = Annotated[
    Optional[dict[Annotated[str, Field(min_length=1, max_length=128)], LayerWeights]],
    Field(description="Weights by layer name, each list in that layer's get_weights() order and shapes."),
]


MAX_CODE_CHARACTERS = 65_536  # the code reader bounds UTF-8 bytes by the same number (CodeLimits)
Code = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_CODE_CHARACTERS,
        description=(
            "Keras Python source building one model, read without being run (imports, Sequential/add, the Functional "
            "style, compile, predict, print); the answer's `model` is the spec it was read as."
        ),
    ),
]


class SummaryRequest(ApiModel):
    """Body of POST /v1/summary: a model spec, or the Python code that builds one."""

    model_config = {
        "json_schema_extra": {
            "oneOf": [{"required": ["model"]}, {"required": ["code"]}],
            "not": {"required": ["model", "code"]},
        }
    }
    # Either may be absent, neither may be null: the default None is never validated, and the document allows
    # no null that the service would refuse.
    model: ModelSpec = None  # type: ignore[assignment]
    code: Code = None  # type: ignore[assignment]
    expand_nested: bool = Field(
        False,
        description=(
            "As model.summary(expand_nested=True): the summary text shows each nested model's layers within it. "
            "The rows carry a nested model's own rows (`layers`) either way."
        ),
    )
    show_trainable: bool = Field(
        False,
        description=(
            "As model.summary(show_trainable=True): the summary text gains Keras's Trainable column. Every row "
            "carries `trainable` either way."
        ),
    )
    memory_budget: Optional[Annotated[PositiveInt, Field(le=2**53), WHOLE]] = Field(  # JSON's exact integers
        None,
        description=(
            "Bytes a training step may hold (e.g. a GPU's memory): the answer's cost.max_batch is the largest batch "
            "whose training_bytes fit in it."
        ),
    )
    # The weights of an uploaded model file (files.hdf5.WeightsFile), set by the edge, never from JSON: a
    # private attribute is no field, so no body can name it, yet it travels with the request to the executor.
    _weights_file: Any = PrivateAttr(None)

    @property
    def weights_file(self) -> Any:
        """The uploaded file's weights, or None where the model came as JSON."""
        return self._weights_file

    def with_weights_file(self, weights_file: Any) -> "SummaryRequest":
        """This request, its model's weights to be read from an uploaded file."""
        self._weights_file = weights_file
        return self

    @model_validator(mode="after")
    def _model_or_code(self) -> "SummaryRequest":
        if (self.model is None) == (self.code is None):
            raise ValueError("give exactly one of model (a spec) and code (Python source)")
        return self


class DiagramRequest(SummaryRequest):
    """Body of POST /v1/diagram: a model spec, or the Python code that builds one; and how to draw it."""

    fold_repeats: bool = Field(
        True,
        description=(
            'Draw each run of identical consecutive blocks once, marked "x N" (a block of several layers framed): '
            "blocks of consecutive layers fed only from inside and from the layer just before, identical when layer "
            "by layer they have the same class, input and output shapes, params and feeds, so a fold never hides a "
            "change of shape or a feed from outside the run. false: every layer drawn."
        ),
    )


class PredictRequest(SummaryRequest):
    """Body of POST /v1/predict: a model spec and inputs, or code (whose predict call may give the inputs)."""

    model_config = {
        "json_schema_extra": {
            "oneOf": [{"required": ["model", "inputs"]}, {"required": ["code"]}],
            "not": {"required": ["model", "code"]},
        }
    }
    # The keys' pattern goes to patternProperties, which leaves other keys allowed: propertyNames says it too.
    inputs: Union[
        BatchArray,
        Annotated[
            dict[Name, BatchArray],
            Field(
                min_length=1,
                json_schema_extra={"propertyNames": {"minLength": 1, "maxLength": 128, "pattern": NAME_PATTERN}},
            ),
        ],
    ] = Field(  # type: ignore[assignment]  # absent, never null: the default None is not validated (as above)
        None,
        description=(
            "Batch first: one array for a model of one input; for several, an object keyed by "
            "input name. Optional with code that passes an array to predict()."
        ),
    )
    seed: Seed = 0
    weights: Weights = None

    @model_validator(mode="after")
    def _inputs_with_model(self) -> "PredictRequest":
        if self.model is not None and self.inputs is None:
            # Located at `inputs`, as a missing field is, and worded without pydantic's "Value error, ": a
            # ValueError here would be located at the body's root.
            message = "inputs are required with model (only code may leave them to its predict call)"
            missing = InitErrorDetails(type=PydanticCustomError("missing", message), loc=("inputs",), input=None)
            raise ValidationError.from_exception_data(type(self).__name__, [missing])
        return self

    @property
    def inputs_by_name(self) -> Optional[dict[str, Any]]:
        """The inputs keyed by name, or None where one array was given."""
        return self.inputs if isinstance(self.inputs, dict) else None

    @property
    def inputs_shapes(self) -> dict[Optional[str], tuple[int, ...]]:
        """The shape of each input array, batch axis first (key None for the one unnamed array)."""
        named = self.inputs_by_name
        return {name: shape_of(array) for name, array in named.items()} if named else {None: shape_of(self.inputs)}


class WeightShape(ApiModel):
    """One variable of a layer: Keras's name for it and its shape."""

    name: str = Field(description='Keras\'s variable name, e.g. "kernel", "bias".')
    shape: list[NonNegativeInt]


class Why(ApiModel):
    """Why a layer gives its shape and has its parameters, with this model's numbers filled in."""

    shape: str = Field(description="The axis the layer acts on and the shape formula, sizes substituted.")
    params: str = Field(description='How the parameter count is built up, e.g. "kernel 2 x 16 + bias 16 = 48".')


class LayerRow(ApiModel):
    """One layer: what enters, what leaves, how many parameters, which layers feed it, and why."""

    name: str
    type: str
    input_shape: Shapes
    output_shape: Shapes
    params: NonNegativeInt
    trainable: bool = Field(
        description=(
            "Keras's layer.trainable: false where the layer is frozen, its weights not trained (a trainable layer "
            "may still hold non-trainable weights, e.g. BatchNormalization's moving statistics)."
        )
    )
    weights: list[WeightShape] = Field(description="The layer's variables in get_weights() order.")
    macs: NonNegativeInt = Field(
        description=(
            "Multiply-adds per example, one fused multiply-add counted once (fvcore's convention); 0 where none."
        )
    )
    why: Why
    inbound: list[str] = Field(
        description='The rows that feed this layer (Keras\'s "Connected to"); [] where '
        "none does (an input, or the first layer of a Sequential model)."
    )
    layers: Optional[list["LayerRow"]] = Field(None, description="A nested model's own rows.")


class ParamCounts(ApiModel):
    """Parameter totals, as the Keras summary states them."""

    total: NonNegativeInt
    trainable: NonNegativeInt
    non_trainable: NonNegativeInt


class Cost(ApiModel):
    """What running the model costs, like torchinfo's footer (float32: 4 bytes a number unless typed otherwise)."""

    macs: NonNegativeInt = Field(description="The rows' multiply-adds summed, per example.")
    batch_macs: NonNegativeInt = Field(description="Multiply-adds for this batch (a batch of 1 for /v1/summary).")
    params_bytes: NonNegativeInt = Field(description="Bytes of the model's weights.")
    activation_bytes: NonNegativeInt = Field(
        description=("Bytes of every layer's output for this batch (an axis of variable length counted as 1).")
    )
    total_bytes: NonNegativeInt = Field(description="params_bytes + activation_bytes.")
    optimizer: str = Field(
        description=(
            "The optimizer counted: the spec's compile optimizer, else SGD (what Keras's compile defaults to), with "
            "Keras's default arguments (a spec names an optimizer, not its arguments)."
        )
    )
    gradient_bytes: NonNegativeInt = Field(
        description="Bytes of the gradients of a training step: one per trainable weight."
    )
    optimizer_params: Optional[NonNegativeInt] = Field(
        description=(
            "Numbers in the optimizer's variables once built for the trainable weights, as Keras builds them "
            "(Adam: 2 slots per trainable weight; SGD: none; plus its iteration and learning-rate scalars); null "
            "for an optimizer this service does not count."
        )
    )
    optimizer_bytes: Optional[NonNegativeInt] = Field(description="Bytes of those variables.")
    training_bytes: NonNegativeInt = Field(
        description=(
            "What a training step on this batch holds: params_bytes + gradient_bytes + optimizer_bytes + "
            "activation_bytes (every layer's output kept for the backward pass)."
        )
    )
    max_batch: Optional[NonNegativeInt] = Field(
        None,
        description=(
            "Where the request gave memory_budget: the largest batch whose training_bytes fit in it (0: not even "
            "the weights, gradients and optimizer state do)."
        ),
    )


class SummaryResponse(ApiModel):
    """Answer of POST /v1/summary: what the model does to shapes, whether or not its weights exist."""

    layers: list[LayerRow]
    params: ParamCounts
    cost: Cost
    summary: str = Field(description="The text Keras's model.summary() prints, fixed width, no escape codes.")
    notes: list[str] = Field(default_factory=list, description="What to know about this answer (e.g. weights=None).")
    model: Optional[dict[str, Any]] = Field(
        None,
        description=("Where the request gave code: the spec it was read as, in the concise form, to send as `model`."),
    )


class _Predictions(ApiModel):
    """What a prediction adds to a summary (a base of its own so that these fields come first)."""

    output_shape: Union[list[int], list[list[int]], dict[str, list[int]]] = Field(
        description=(
            "The predictions' shape; for a model of several outputs, a list of them in the model's output order, "
            "or a dict by output name where the model was made with outputs={...} (as Keras's predict returns)."
        )
    )
    predictions: Union[NestedNumbers, list[NestedNumbers], dict[str, NestedNumbers]]


class PredictResponse(SummaryResponse, _Predictions):
    """Answer of POST /v1/predict: the summary's fields after the prediction's."""


LayerRow.model_rebuild()


class PatchOperation(ApiModel):
    """One operation of a JSON Patch (RFC 6902) against the request body."""

    op: Literal["add", "remove", "replace"]
    path: str = Field(description='A JSON Pointer into the request body, e.g. "/model/layers/1".')
    value: Any = Field(None, description="What add or replace puts there (absent for remove).")


def _body_kind(body: Any) -> str:
    """A body with inputs is a predict body, else a summary body: errors then come from that one alone."""
    has_inputs = isinstance(body, dict) and "inputs" in body or isinstance(body, PredictRequest)
    return "<predict>" if has_inputs else "<summary>"


# Tags in <>: pydantic names the member in an error's location, and the problem mapping drops such names.
SummaryOrPredict = Annotated[
    Union[Annotated[PredictRequest, Tag("<predict>")], Annotated[SummaryRequest, Tag("<summary>")]],
    Discriminator(_body_kind),
]


class CompareRequest(ApiModel):
    """Body of POST /v1/compare: two summary or predict bodies."""

    a: SummaryOrPredict = Field(description="A /v1/summary body, or a /v1/predict body (with inputs).")
    b: SummaryOrPredict = Field(description="Another, compared with `a`.")


class Difference(ApiModel):
    """Where two models part: the layer on each side (null where one side has none) and what differs."""

    a_layer: Optional[str]
    b_layer: Optional[str]
    what: str

    @model_serializer
    def _with_nulls(self) -> dict[str, Any]:
        # Answers are dumped with exclude_none (rows drop an absent `layers`); a missing side here is a null.
        return {"a_layer": self.a_layer, "b_layer": self.b_layer, "what": self.what}


class CompareResponse(ApiModel):
    """Answer of POST /v1/compare: both answers and their differences in model order."""

    a: Union[PredictResponse, SummaryResponse]
    b: Union[PredictResponse, SummaryResponse]
    differences: list[Difference]


class ProblemItem(ApiModel):
    """One error: where in the body, what is wrong, and where the service can tell, how to put it right."""

    loc: list[Any] = Field(description='JSON location, e.g. ["model", "layers", 2, "units"].')
    msg: str = Field(description="What is wrong; for a model Keras refused, Keras's own message.")
    type: str
    expected: Optional[str] = Field(
        None,
        description=(
            'What the layer reads, in Keras\'s shape notation with axis names, e.g. "(batch, timesteps, features)".'
        ),
    )
    got: Optional[str] = Field(None, description='The shape it received, e.g. "(None, 32)".')
    hint: Optional[str] = Field(None, description="One sentence saying what to change.")
    fix: Optional[list[PatchOperation]] = Field(
        None,
        description=(
            "A JSON Patch (RFC 6902) against the request body that makes it valid; offered only once the service "
            "has planned the patched model's shapes (with the same limits) and found it valid. Its hint says what "
            "it does."
        ),
    )


class Problem(ApiModel):
    """RFC 9457 problem details, the one error shape of this service."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: Optional[list[ProblemItem]] = None
    limit: Optional[str] = Field(None, description="The setting whose bound or budget the request exceeded.")
    limit_value: Optional[Union[int, float]] = Field(None, description="That setting's value.")
    request_value: Optional[Union[int, float]] = Field(None, description="What the request asked for, or used.")
    running: Optional[str] = Field(None, description="What the request was doing when a budget ran out.")
    line: Optional[int] = Field(None, description="In the request's code: the line (from 1) the refusal is about.")
    column: Optional[int] = Field(None, description="In the request's code: the column (from 1, in characters).")


class RefusedModel(ApiModel):
    """A model repository file that is not served, and why."""

    file: str
    error: str


class Health(ApiModel):
    """Answer of /healthz and /readyz; /readyz adds the model repository's models and refused files."""

    status: Literal["ok", "starting"]
    models: Optional[list[str]] = Field(None, description="The model repository's models being served.")
    refused: Optional[list[RefusedModel]] = Field(
        None, description="Model repository files not served, each with why; the other models are served."
    )
