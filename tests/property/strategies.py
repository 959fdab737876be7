"""Hypothesis strategies: valid Sequential models over the layers a user meets first, their inputs, and
invalid bodies made by breaking valid ones.

Each layer builder takes the shape it will meet (batch axis excluded) and draws arguments that fit it, so
every generated stack is one Keras must accept. Sizes are small on purpose, for performance: a few numbers
per axis, at most MAX_ELEMENTS numbers per example at any layer.
"""

import json
from dataclasses import dataclass
from functools import cached_property
from math import prod
from typing import Any, Callable, Optional

from hypothesis import strategies as st

from tests.forms import document_form, native_form

from .oracles import Layer, Shape, output_shape

MAX_AXIS = 4
MAX_BATCH = 4
MAX_ELEMENTS = 64  # numbers per example at any layer, for performance
MAX_LAYERS = 6
MAX_RECURRENT_STEPS = 8  # Keras runs a recurrent layer step by step
SEED_LIMIT = 2**31 - 1

# keras.activations by name, all but those the service refuses (REFUSED_ACTIVATIONS): glu, which halves the
# last axis while Keras's shape inference keeps it, and threshold, which needs arguments a name cannot carry.
ACTIVATIONS = (
    "linear",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "softsign",
    "tanh",
    "selu",
    "elu",
    "celu",
    "exponential",
    "gelu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu6",
    "silu",
    "soft_shrink",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh_shrink",
)
# The only activation here whose float32 output can overflow on the inputs drawn below.
OVERFLOWING_ACTIVATIONS = frozenset({"exponential"})

axis_sizes = st.integers(1, MAX_AXIS)
seeds = st.integers(0, SEED_LIMIT)
activations = st.sampled_from(ACTIVATIONS)
optional_activations = st.none() | activations
input_numbers = st.integers(-8, 8) | st.floats(-8, 8, allow_nan=False, allow_infinity=False, allow_subnormal=False)
paddings_1d = st.sampled_from(("valid", "same", "causal"))
paddings_2d = st.sampled_from(("valid", "same"))


def nest(flat: list, shape: Shape) -> list:
    """A flat list of numbers as nested lists of `shape`."""
    if len(shape) == 1:
        return list(flat)
    step = prod(shape[1:])
    return [nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


@dataclass
class ModelCase:
    """A valid model in the concise form, inputs that fit it and a seed; the other two forms on demand."""

    layers: list[Layer]
    input_shape: Shape
    inputs: list
    seed: int

    @property
    def batch(self) -> int:
        return len(self.inputs)

    @cached_property
    def shapes(self) -> list[Shape]:
        """The shape entering each layer, then the model's output shape, by the oracle."""
        shapes = [self.input_shape]
        for layer in self.layers:
            shapes.append(output_shape(layer, shapes[-1]))
        return shapes

    @property
    def concise(self) -> dict:
        return {"layers": self.layers}

    @cached_property
    def native(self) -> dict:
        """Form 2, made with real Keras as a user would make it."""
        return native_form(self.layers)

    @cached_property
    def document(self) -> dict:
        """Form 3, made with real Keras as a user would make it."""
        return document_form(self.layers)

    def forms(self) -> dict[str, dict]:
        return {"concise": self.concise, "native": self.native, "document": self.document}

    def body(self, model: Optional[dict] = None, **changes: Any) -> dict:
        """The /v1/predict body for this case, in the given form (concise by default)."""
        return {"model": model or self.concise, "inputs": self.inputs, "seed": self.seed, **changes}

    def may_overflow(self) -> bool:
        """Whether float32 may overflow to infinity here, which the service must refuse as 422."""
        return any(layer.get("activation") in OVERFLOWING_ACTIVATIONS for layer in self.layers)


# Layer builders: each draws one layer that fits `shape`. --------------------------------------------------


def _units_for(shape: Shape, upper: int = 8) -> st.SearchStrategy[int]:
    """Sizes for a new last axis that keep the layer's output within MAX_ELEMENTS."""
    return st.integers(1, max(1, min(upper, MAX_ELEMENTS // prod(shape[:-1]))))


def _maybe(draw, layer: Layer, key: str, values: st.SearchStrategy) -> Layer:
    """Give the argument explicitly or leave Keras's default, either way."""
    if draw(st.booleans()):
        layer[key] = draw(values)
    return layer


@st.composite
def dense_layers(draw, shape: Shape, activation=optional_activations) -> Layer:
    """Dense, with or without bias, any activation."""
    layer = {"type": "Dense", "units": draw(_units_for(shape))}
    _maybe(draw, layer, "activation", activation)
    return _maybe(draw, layer, "use_bias", st.booleans())


@st.composite
def activation_layers(draw, shape: Shape) -> Layer:
    return {"type": "Activation", "activation": draw(activations)}


def flatten_layers(shape: Shape) -> st.SearchStrategy[Layer]:
    return st.just({"type": "Flatten"})


@st.composite
def reshape_layers(draw, shape: Shape) -> Layer:
    """Reshape to a factorization of the same size, into 1 to 4 axes, one of them maybe -1."""
    remaining, target = prod(shape), []
    for _ in range(draw(st.integers(0, 3))):
        divisors = [d for d in range(1, remaining + 1) if remaining % d == 0]
        target.append(draw(st.sampled_from(divisors)))
        remaining //= target[-1]
    target.append(remaining)
    if draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return {"type": "Reshape", "target_shape": target}


@st.composite
def permute_layers(draw, shape: Shape) -> Layer:
    return {"type": "Permute", "dims": draw(st.permutations(range(1, len(shape) + 1)))}


@st.composite
def repeat_vector_layers(draw, shape: Shape) -> Layer:
    return {"type": "RepeatVector", "n": draw(st.integers(1, max(1, min(4, MAX_ELEMENTS // shape[0]))))}


@st.composite
def dropout_layers(draw, shape: Shape) -> Layer:
    return {"type": "Dropout", "rate": draw(st.floats(0, 0.9))}


@st.composite
def rescaling_layers(draw, shape: Shape) -> Layer:
    layer = {"type": "Rescaling", "scale": draw(st.floats(-2, 2, allow_subnormal=False))}
    return _maybe(draw, layer, "offset", st.floats(-1, 1, allow_subnormal=False))


@st.composite
def normalization_layers(draw, shape: Shape) -> Layer:
    """BatchNormalization or LayerNormalization over the last axis, with or without center and scale."""
    layer = {"type": draw(st.sampled_from(("BatchNormalization", "LayerNormalization")))}
    _maybe(draw, layer, "center", st.booleans())
    return _maybe(draw, layer, "scale", st.booleans())


def _window(draw, size: int, padding: str) -> int:
    """A kernel or pool size that fits an axis of `size` (padded axes take one more)."""
    return draw(st.integers(1, size if padding == "valid" else size + 1))


def _per_axis(draw, values: list[int]) -> Any:
    """One int for every spatial axis when they agree and the draw says so, else a list."""
    return values[0] if len(set(values)) == 1 and draw(st.booleans()) else values


@st.composite
def conv_layers(draw, shape: Shape) -> Layer:
    """Conv1D on [steps, channels] or Conv2D on [rows, cols, channels], kernel and strides that fit."""
    spatial = shape[:-1]
    padding = draw(paddings_1d if len(spatial) == 1 else paddings_2d)
    kernel = [_window(draw, n, padding) for n in spatial]
    strides = [draw(st.integers(1, 3)) for _ in spatial]
    filters = draw(st.integers(1, max(1, min(4, MAX_ELEMENTS // prod(spatial)))))
    layer = {"type": f"Conv{len(spatial)}D", "filters": filters, "kernel_size": _per_axis(draw, kernel)}
    _maybe(draw, layer, "strides", st.just(_per_axis(draw, strides)))
    if padding != "valid" or draw(st.booleans()):
        layer["padding"] = padding
    _maybe(draw, layer, "activation", optional_activations)
    return _maybe(draw, layer, "use_bias", st.booleans())


@st.composite
def pooling_layers(draw, shape: Shape) -> Layer:
    """Max or average pooling, 1D or 2D by the rank, pool and strides that fit."""
    spatial = shape[:-1]
    padding = draw(paddings_2d)
    kind = draw(st.sampled_from(("MaxPooling", "AveragePooling")))
    layer = {
        "type": f"{kind}{len(spatial)}D",
        "pool_size": _per_axis(draw, [_window(draw, n, padding) for n in spatial]),
    }
    if padding != "valid" or draw(st.booleans()):
        layer["padding"] = padding
    return _maybe(
        draw, layer, "strides", st.none() | st.just(_per_axis(draw, [draw(st.integers(1, 3)) for _ in spatial]))
    )


@st.composite
def global_pooling_layers(draw, shape: Shape) -> Layer:
    kind = draw(st.sampled_from(("GlobalAveragePooling", "GlobalMaxPooling")))
    return _maybe(draw, {"type": f"{kind}{len(shape) - 1}D"}, "keepdims", st.booleans())


@st.composite
def recurrent_layers(draw, shape: Shape) -> Layer:
    """SimpleRNN, LSTM or GRU over [steps, features], with or without return_sequences."""
    kind = draw(st.sampled_from(("SimpleRNN", "LSTM", "GRU")))
    layer = {"type": kind, "units": draw(st.integers(1, 4))}
    _maybe(draw, layer, "return_sequences", st.booleans())
    _maybe(draw, layer, "use_bias", st.booleans())
    return _maybe(draw, layer, "reset_after", st.booleans()) if kind == "GRU" else layer


def _rank(*ranks: int) -> Callable[[Shape], bool]:
    return lambda shape: len(shape) in ranks


def _anywhere(shape: Shape) -> bool:
    return True


Builder = tuple[Callable[[Shape], bool], Callable[[Shape], st.SearchStrategy[Layer]]]
# (fits the shape?, builder), simplest first: Hypothesis shrinks towards the first that fits.
GENERAL_BUILDERS: list[Builder] = [
    (_anywhere, dense_layers),
    (_anywhere, activation_layers),
    (_anywhere, flatten_layers),
    (_anywhere, reshape_layers),
    (_anywhere, dropout_layers),
    (_anywhere, rescaling_layers),
    (_anywhere, normalization_layers),
    (_rank(2, 3, 4), permute_layers),
]
# Layers for one rank only; drawn half the time when one fits, or they would be rare.
SHAPED_BUILDERS: list[Builder] = [
    (_rank(1), repeat_vector_layers),
    (_rank(2, 3), conv_layers),
    (_rank(2, 3), pooling_layers),
    (_rank(2, 3), global_pooling_layers),
    (lambda shape: len(shape) == 2 and shape[0] <= MAX_RECURRENT_STEPS, recurrent_layers),
]


@st.composite
def layer_stacks(draw, shape: Shape, min_layers: int = 1, max_layers: int = MAX_LAYERS) -> list[Layer]:
    """Layers that chain from `shape`, each drawn among the builders that fit the shape it meets."""
    layers = []
    for _ in range(draw(st.integers(min_layers, max_layers))):
        shaped = [build for fits, build in SHAPED_BUILDERS if fits(shape)]
        general = [build for fits, build in GENERAL_BUILDERS if fits(shape)]
        builder = draw(st.sampled_from(shaped if shaped and draw(st.booleans()) else general))
        layers.append(draw(builder(shape)))
        shape = output_shape(layers[-1], shape)
    return layers


# Models and inputs ------------------------------------------------------------------------------------------


@st.composite
def input_shapes(draw, min_rank: int = 1, max_rank: int = 4) -> Shape:
    """Non-batch input shapes, every rank as likely."""
    rank = draw(st.integers(min_rank, max_rank))
    return tuple(draw(axis_sizes) for _ in range(rank))


@st.composite
def input_arrays(draw, shape: Shape, batch: int, vocabulary: Optional[int] = None) -> list:
    """A batch of finite numbers, or of integer indices below `vocabulary`."""
    numbers = st.integers(0, vocabulary - 1) if vocabulary else input_numbers
    size = batch * prod(shape)
    return nest(draw(st.lists(numbers, min_size=size, max_size=size)), (batch,) + tuple(shape))


@st.composite
def embedding_layers(draw, shape: Shape) -> Layer:
    """Embedding as a first layer: integer indices in [0, input_dim) to vectors."""
    output_dim = draw(st.integers(1, max(1, min(4, MAX_ELEMENTS // prod(shape)))))
    return {"type": "Embedding", "input_dim": draw(st.integers(1, 10)), "output_dim": output_dim}


def case_of(draw, layers: list[Layer], input_shape: Shape, min_batch: int = 1) -> ModelCase:
    """A ModelCase for these layers: input_shape on the first layer, inputs and a seed drawn."""
    vocabulary = layers[0]["input_dim"] if layers[0]["type"] == "Embedding" else None
    inputs = draw(input_arrays(input_shape, draw(st.integers(min_batch, MAX_BATCH)), vocabulary))
    layers = [dict(layers[0], input_shape=list(input_shape))] + layers[1:]
    return ModelCase(layers, tuple(input_shape), inputs, draw(seeds))


@st.composite
def model_cases(draw, max_layers: int = MAX_LAYERS, min_batch: int = 1) -> ModelCase:
    """Any valid model of the suite's layers on inputs of rank 1 to 4; an Embedding first now and then."""
    if draw(st.integers(0, 5)) == 5:  # one model in six starts with an Embedding
        shape = draw(input_shapes(max_rank=2))
        first = draw(embedding_layers(shape))
        layers = [first] + draw(layer_stacks(output_shape(first, shape), 0, max_layers - 1))
    else:
        shape = draw(input_shapes())
        layers = draw(layer_stacks(shape, 1, max_layers))
    return case_of(draw, layers, shape, min_batch)


@st.composite
def flatten_cases(draw) -> ModelCase:
    """The seed's pattern in general: some layers, Flatten, a Dense, maybe more layers."""
    input_shape = draw(input_shapes(min_rank=2))
    before = draw(layer_stacks(input_shape, 0, 3))
    shape = input_shape
    for layer in before:
        shape = output_shape(layer, shape)
    dense = draw(dense_layers((prod(shape),)))
    after = draw(layer_stacks(output_shape(dense, (prod(shape),)), 0, 2))
    return case_of(draw, before + [{"type": "Flatten"}, dense] + after, input_shape)


# Strictly increasing and never flat in float32, so a changed input stays changed through them.
injective_activations = st.sampled_from((None, "linear", "leaky_relu"))
# Changes made to one row of an example: never zero, never too small for float32 to carry.
row_changes = st.sampled_from((-2.0, -1.0, -0.5, 0.5, 1.0, 2.0))


@st.composite
def dense_row_cases(draw, flatten: bool) -> ModelCase:
    """Dense layers on [rows, features] (rank-3 inputs with the batch), with Flatten before the last Dense
    when `flatten`: the seed question in general."""
    shape = (draw(st.integers(2, 4)), draw(axis_sizes))
    layers, current = [], shape
    for _ in range(draw(st.integers(1, 3))):
        layers.append(draw(dense_layers(current, activation=injective_activations)))
        current = output_shape(layers[-1], current)
        if draw(st.booleans()):
            layers.append({"type": "Activation", "activation": draw(injective_activations) or "linear"})
    if flatten:
        layers += [{"type": "Flatten"}, draw(dense_layers((prod(current),), activation=injective_activations))]
    return case_of(draw, layers, shape)


# Invalid requests, each made by breaking a valid one ------------------------------------------------------


@dataclass
class BrokenRequest:
    """A request the service must refuse with a 4xx, and where in the body the flaw is."""

    flaw: str
    path: str
    body: dict
    loc: list  # the refusal's first error location starts with this


def _endpoint(draw, case: ModelCase, model: dict) -> tuple[str, dict]:
    """/v1/predict with the case's inputs, or /v1/summary, for a flaw in the model."""
    if draw(st.booleans()):
        return "/v1/summary", {"model": model}
    return "/v1/predict", case.body(model)


def _insert(case: ModelCase, index: int, new: list[Layer]) -> list[Layer]:
    """The case's layers with `new` inserted before layer `index`; the input shape stays on the first."""
    layers = [dict(layer) for layer in case.layers]
    layers[0].pop("input_shape")
    layers[index:index] = [dict(layer) for layer in new]
    layers[0]["input_shape"] = list(case.input_shape)
    return layers


@st.composite
def impossible_reshapes(draw, case: ModelCase) -> BrokenRequest:
    """A Reshape whose target cannot hold the numbers it meets."""
    index = draw(st.integers(0, len(case.layers)))
    size = prod(case.shapes[index])
    non_divisors = [m for m in range(2, size + 2) if size % m]
    target = draw(
        st.sampled_from([[size + draw(st.integers(1, 3))], [-1, draw(st.sampled_from(non_divisors))], [size, 2], [0]])
    )
    layers = _insert(case, index, [{"type": "Reshape", "target_shape": target}])
    return BrokenRequest("impossible Reshape", *_endpoint(draw, case, {"layers": layers}), ["model", "layers", index])


@st.composite
def oversized_windows(draw, case: ModelCase) -> BrokenRequest:
    """A 'valid' convolution or pooling window longer than the axis it slides along."""
    index = draw(st.integers(0, len(case.layers)))
    size = prod(case.shapes[index])
    window = size + draw(st.integers(1, 3))
    layer = draw(
        st.sampled_from(
            [
                {"type": "Conv1D", "filters": 1, "kernel_size": window},
                {"type": "MaxPooling1D", "pool_size": window},
                {"type": "AveragePooling1D", "pool_size": window, "padding": "valid"},
                {"type": "Conv2D", "filters": 2, "kernel_size": [window, 1]},
            ]
        )
    )
    target = [size, 1] if layer["type"].endswith("1D") else [size, 1, 1]
    layers = _insert(case, index, [{"type": "Reshape", "target_shape": target}, layer])
    return BrokenRequest(
        "window larger than its input", *_endpoint(draw, case, {"layers": layers}), ["model", "layers", index + 1]
    )


# Layers that take one rank only, by the rank they take (batch axis excluded).
RANKED_LAYERS = {
    1: [{"type": "RepeatVector", "n": 2}],
    2: [
        {"type": "SimpleRNN", "units": 2},
        {"type": "LSTM", "units": 1},
        {"type": "Conv1D", "filters": 1, "kernel_size": 1},
        {"type": "MaxPooling1D", "pool_size": 1},
        {"type": "GlobalAveragePooling1D"},
    ],
    3: [
        {"type": "Conv2D", "filters": 1, "kernel_size": 1},
        {"type": "GlobalMaxPooling2D"},
        {"type": "AveragePooling2D", "pool_size": 1},
    ],
}


@st.composite
def wrong_rank_layers(draw, case: ModelCase) -> BrokenRequest:
    """A layer meeting a tensor of a rank it does not take, or a Permute of another rank."""
    index = draw(st.integers(0, len(case.layers)))
    rank = len(case.shapes[index])
    choices = [layer for taken, layers in RANKED_LAYERS.items() if taken != rank for layer in layers]
    choices.append({"type": "Permute", "dims": list(range(1, rank + 2 if rank < 2 else rank))})
    layers = _insert(case, index, [draw(st.sampled_from(choices))])
    return BrokenRequest(
        "layer of the wrong rank", *_endpoint(draw, case, {"layers": layers}), ["model", "layers", index]
    )


# Arguments that are sizes, by layer type.
SIZE_ARGUMENTS = {
    "Dense": ["units"],
    "Conv1D": ["filters", "kernel_size", "strides"],
    "Conv2D": ["filters", "kernel_size", "strides"],
    "RepeatVector": ["n"],
    "SimpleRNN": ["units"],
    "LSTM": ["units"],
    "GRU": ["units"],
    "Embedding": ["input_dim", "output_dim"],
    "Reshape": ["target_shape"],
    "MaxPooling1D": ["pool_size", "strides"],
    "AveragePooling1D": ["pool_size", "strides"],
    "MaxPooling2D": ["pool_size", "strides"],
    "AveragePooling2D": ["pool_size", "strides"],
    "Dropout": ["rate"],
    "Permute": ["dims"],
}
non_positive_sizes = st.integers(-5, 0)
negative_rates = st.floats(-1, -0.01)


@st.composite
def negative_sizes(draw, case: ModelCase) -> BrokenRequest:
    """A size argument, or an input axis, made zero or negative."""
    layers = [dict(layer) for layer in case.layers]
    sized = [i for i, layer in enumerate(layers) if layer["type"] in SIZE_ARGUMENTS]
    if not sized or draw(st.booleans()):
        shape = list(case.input_shape)
        shape[draw(st.integers(0, len(shape) - 1))] = draw(non_positive_sizes)
        layers[0]["input_shape"] = shape
        return BrokenRequest("negative input axis", *_endpoint(draw, case, {"layers": layers}), ["model", "layers", 0])
    index = draw(st.sampled_from(sized))
    key = draw(st.sampled_from(SIZE_ARGUMENTS[layers[index]["type"]]))
    value = draw(negative_rates if key == "rate" else non_positive_sizes)
    if key in ("target_shape", "dims") or isinstance(layers[index].get(key), list):
        value = [value if value != -1 else -2] + list(layers[index].get(key) or [])[1:]
    layers[index][key] = value
    return BrokenRequest(f"non-positive {key}", *_endpoint(draw, case, {"layers": layers}), ["model", "layers", index])


misspelt_arguments = st.sampled_from(
    ("unit", "filter", "kernel", "activaton", "return_sequence", "input_shapes", "pool", "no_such_argument")
)


@st.composite
def unknown_arguments(draw, case: ModelCase) -> BrokenRequest:
    """A layer given an argument Keras does not have."""
    layers = [dict(layer) for layer in case.layers]
    index = draw(st.integers(0, len(layers) - 1))
    layers[index][draw(misspelt_arguments)] = draw(st.integers(1, 3) | st.booleans())
    return BrokenRequest("unknown argument", *_endpoint(draw, case, {"layers": layers}), ["model", "layers", index])


# Activations a layer may not have: glu and threshold (refused by the service), names Keras does not know.
REFUSED_ACTIVATIONS = ("glu", "threshold", "relux", "Linear", "no_such_activation")
ACTIVATED_LAYERS = ("Dense", "Activation", "Conv1D", "Conv2D", "SimpleRNN", "LSTM", "GRU")


@st.composite
def refused_activations(draw, case: ModelCase) -> BrokenRequest:
    """A layer's activation, or a new Activation layer's, that the service must refuse."""
    activation = draw(st.sampled_from(REFUSED_ACTIVATIONS))
    activated = [i for i, layer in enumerate(case.layers) if layer["type"] in ACTIVATED_LAYERS]
    if activated and draw(st.booleans()):
        index = draw(st.sampled_from(activated))
        layers = [dict(layer) for layer in case.layers]
        layers[index]["activation"] = activation
    else:
        index = draw(st.integers(0, len(case.layers)))
        layers = _insert(case, index, [{"type": "Activation", "activation": activation}])
    return BrokenRequest(
        f"activation {activation}", *_endpoint(draw, case, {"layers": layers}), ["model", "layers", index]
    )


def _lists_at_depth(node: list, depth: int) -> list[list]:
    """Every nested list `depth` levels below `node`."""
    return [node] if depth == 0 else [inner for item in node for inner in _lists_at_depth(item, depth - 1)]


@st.composite
def ragged_inputs(draw, case: ModelCase) -> BrokenRequest:
    """One nested list of the inputs made longer or shorter (emptied, if it had one item)."""
    inputs = json_copy(case.inputs)
    depth = draw(st.integers(1, len(case.input_shape)))
    node = draw(st.sampled_from(_lists_at_depth(inputs, depth)))
    if draw(st.booleans()):
        node.append(json_copy(node[-1]))
    else:
        node.pop()
    return BrokenRequest("ragged or wrong-shaped inputs", "/v1/predict", case.body(inputs=inputs), ["inputs"])


INPUT_FLAWS = (
    "extra inner axis",
    "extra outer axis",
    "no batch axis",
    "longer last axis",
    "a bare number",
    "a non-number inside",
)


@st.composite
def misshapen_inputs(draw, case: ModelCase) -> BrokenRequest:
    """Rectangular inputs of another shape than the model takes, non-numbers, or indices out of range."""
    inputs = json_copy(case.inputs)
    embedding = case.layers[0]["type"] == "Embedding"
    flaw = draw(st.sampled_from(INPUT_FLAWS + (("an index out of range",) if embedding else ())))
    innermost = _lists_at_depth(inputs, len(case.input_shape))
    if flaw == "extra inner axis":
        inputs = _map_numbers(inputs, lambda number: [number])
    elif flaw == "extra outer axis":
        inputs = [inputs]
    elif flaw == "no batch axis":
        inputs = inputs[0]
    elif flaw == "longer last axis":
        for node in innermost:
            node.append(node[-1])
    elif flaw == "a bare number":
        inputs = 1.0
    elif flaw == "a non-number inside":
        draw(st.sampled_from(innermost))[-1] = draw(st.sampled_from(["1", None, True, {"x": 1}]))
    else:
        vocabulary = case.layers[0]["input_dim"]
        draw(st.sampled_from(innermost))[-1] = draw(st.sampled_from([vocabulary, vocabulary + 7, -1, 0.5]))
    return BrokenRequest(f"inputs with {flaw}", "/v1/predict", case.body(inputs=inputs), ["inputs"])


def _map_numbers(node: Any, function: Callable) -> Any:
    return [_map_numbers(item, function) for item in node] if isinstance(node, list) else function(node)


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-like lists and dicts."""
    return json.loads(json.dumps(value))


BREAKERS = (
    impossible_reshapes,
    oversized_windows,
    wrong_rank_layers,
    negative_sizes,
    unknown_arguments,
    refused_activations,
    ragged_inputs,
    misshapen_inputs,
)


@st.composite
def broken_requests(draw) -> BrokenRequest:
    """A valid model and inputs, broken in one way a user might break them."""
    case = draw(model_cases(max_layers=4))
    return draw(draw(st.sampled_from(BREAKERS))(case))
