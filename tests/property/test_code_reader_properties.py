"""Properties of the code reader: specs written as Python in many spellings read back as themselves; hostile text
is read or refused, never anything else and never for long; code that would act on the world does nothing.

The round trips draw a concise spec first, then write it as code with a small writer below: positional or
keyword arguments, tuples or lists, sums for numbers, different imports and aliases, and Keras's own spellings of
activations. Unnamed layers of a graph are expected to get the names real Keras gives them, made in the same
order.
"""

import collections
import string
import subprocess
from unittest import mock

import keras
import pytest
from hypothesis import given
from hypothesis import strategies as st
from keras.src.backend.common import global_state  # the same private counters service/keras_core.py resets

from keras_shape_service.specs.code.reader import CodeRejected, read_code
from tests.property.profiles import share
from tests.unit.test_code_reader import SEED, hang_guard, positional_arguments

pytestmark = pytest.mark.property

MAX_LAYERS = 5  # for performance
ACTIVATIONS = ("relu", "tanh", "sigmoid", "softmax")
# (imports, layer path, Sequential, Input, Model): the spellings of one script, all read the same way.
STYLES = (
    ("", "{}", "Sequential", "Input", "Model"),
    ("import keras", "keras.layers.{}", "keras.Sequential", "keras.Input", "keras.Model"),
    ("import tensorflow as tf", "tf.keras.layers.{}", "tf.keras.models.Sequential", "tf.keras.Input", "tf.keras.Model"),
    (
        "from tensorflow import keras\nfrom tensorflow.keras import layers",
        "layers.{}",
        "keras.models.Sequential",
        "keras.layers.Input",
        "keras.models.Model",
    ),
    (
        "import keras.layers as L\nfrom keras.models import Sequential, Model\nfrom keras import Input",
        "L.{}",
        "Sequential",
        "Input",
        "Model",
    ),
    (
        "from tensorflow.keras.layers import *\nfrom tensorflow.keras.models import *",
        "{}",
        "Sequential",
        "Input",
        "Model",
    ),
)
ACTIVATION_SPELLINGS = ("{!r}", "tf.nn.{}", "keras.activations.{}", "activations.{}", "tf.keras.activations.{}")

sizes = st.integers(1, 64)
activations = st.sampled_from(ACTIVATIONS)
styles = st.sampled_from(STYLES)
shapes = st.lists(st.integers(1, 8), min_size=1, max_size=3)
variable_shapes = st.lists(st.none() | st.integers(1, 8), min_size=1, max_size=2)

# Per layer type: arguments it always has, and arguments it may have.
LAYER_ARGUMENTS = {
    "Dense": ({"units": sizes}, {"activation": st.none() | activations, "use_bias": st.booleans()}),
    "Activation": ({"activation": activations}, {}),
    "Flatten": ({}, {}),
    "Dropout": ({"rate": st.sampled_from((0.0, 0.1, 0.25)) | st.floats(0, 0.9)}, {"seed": st.integers(0, 99)}),
    "Reshape": ({"target_shape": st.lists(st.integers(1, 8) | st.just(-1), min_size=1, max_size=3)}, {}),
    "Conv1D": (
        {"filters": sizes, "kernel_size": st.integers(1, 5)},
        {
            "strides": st.integers(1, 3),
            "padding": st.sampled_from(("valid", "same", "causal")),
            "activation": activations,
        },
    ),
    "LSTM": ({"units": sizes}, {"activation": activations, "return_sequences": st.booleans()}),
    "GRU": ({"units": sizes}, {"return_sequences": st.booleans()}),
    "Embedding": ({"input_dim": sizes, "output_dim": sizes}, {}),
    "Permute": ({"dims": st.permutations([1, 2]) | st.permutations([1, 2, 3])}, {}),
    "RepeatVector": ({"n": sizes}, {}),
}


@st.composite
def concise_layers(draw, layer_types=tuple(LAYER_ARGUMENTS)) -> dict:
    """A concise layer of one of `layer_types` with plausible arguments, some optional ones left out."""
    layer_type = draw(st.sampled_from(layer_types))
    required, optional = LAYER_ARGUMENTS[layer_type]
    layer = {"type": layer_type, **{key: draw(values) for key, values in required.items()}}
    layer.update({key: draw(values) for key, values in optional.items() if draw(st.booleans())})
    return layer


@st.composite
def sequential_specs(draw) -> dict:
    """A Sequential spec: its input shape on the model, on the first layer or nowhere; a name; a compile."""
    spec = {"layers": draw(st.lists(concise_layers(), min_size=1, max_size=MAX_LAYERS))}
    where = draw(st.sampled_from(("model", "layer", "nowhere")))
    if where == "model":
        spec["input_shape"] = draw(shapes)
    elif where == "layer":
        spec["layers"][0]["input_shape"] = draw(shapes)
    if draw(st.booleans()):
        spec["name"] = draw(st.text(string.ascii_letters + "_ ", min_size=1, max_size=8))
    for layer in spec["layers"][1:] if draw(st.booleans()) else []:
        layer["name"] = f"layer_{len(layer)}_{draw(st.integers(0, 999))}"
    if draw(st.booleans()):
        spec["compile"] = {
            "loss": draw(st.sampled_from(("mse", "mae"))),
            "optimizer": draw(st.sampled_from(("SGD", "Adam", "rmsprop"))),
        }
    return spec


def write_value(draw, value) -> str:
    """A value as Python: tuples or lists, sums for some integers."""
    if isinstance(value, list):
        items = [write_value(draw, item) for item in value]
        if draw(st.booleans()):
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, int) and not isinstance(value, bool) and value > 1 and draw(st.booleans()):
        return draw(st.sampled_from((f"{value - 1} + 1", f"2 * {value // 2} + {value % 2}", f"({value * 3} // 3)")))
    return repr(value)


def write_argument(draw, key: str, value) -> str:
    if key == "activation" and isinstance(value, str):
        return draw(st.sampled_from(ACTIVATION_SPELLINGS)).format(value)
    return write_value(draw, value)


def write_layer(draw, layer: dict, path: str) -> str:
    """A layer constructor call, its leading arguments positional where its signature allows."""
    arguments = {key: value for key, value in layer.items() if key != "type"}
    parameters = positional_arguments(layer["type"])
    leading = 0
    while leading < len(parameters) and parameters[leading] in arguments:
        leading += 1
    positional = parameters[: draw(st.integers(0, leading))]
    written = [write_argument(draw, key, arguments[key]) for key in positional]
    written += [
        f"{key}={write_argument(draw, key, value)}" for key, value in arguments.items() if key not in positional
    ]
    return f"{path.format(layer['type'])}({', '.join(written)})"


@st.composite
def sequential_cases(draw) -> tuple[dict, str]:
    """A Sequential spec and a script that says it: a list or add calls; its input shape by Input or build."""
    spec = draw(sequential_specs())
    imports, path, sequential, input_, _ = draw(styles)
    layers = [write_layer(draw, layer, path) for layer in spec["layers"]]
    by_build = "input_shape" in spec and draw(st.booleans())
    if "input_shape" in spec and not by_build:
        layers.insert(0, f"{input_}(shape={write_value(draw, spec['input_shape'])})")
    name = f", name={spec['name']!r}" if "name" in spec else ""
    if draw(st.booleans()):
        lines = [f"model = {sequential}([{', '.join(layers)}]{name})"]
    else:
        lines = [f"model = {sequential}({name[2:]})"] + [f"model.add({layer})" for layer in layers]
    if by_build:
        lines.append(f"model.build({write_value(draw, [None, *spec['input_shape']])})")
    if "compile" in spec:
        optimizer = spec["compile"]["optimizer"]
        written = (
            f"keras.optimizers.{optimizer}()" if optimizer != "rmsprop" and draw(st.booleans()) else repr(optimizer)
        )
        lines.append(f"model.compile(loss={spec['compile']['loss']!r}, optimizer={written})")
    return spec, "\n".join([imports, *lines, "model.summary()"])


@st.composite
def graph_cases(draw) -> tuple[list, list, list, str]:
    """A small Functional graph of Dense, Concatenate and Add layers, some shared, some unnamed, and its code.

    A source is ("input", index, 0) or ("layer", index, call); names are given in the test, by real Keras.
    """
    imports, path, _, input_, model = draw(styles)
    inputs = [
        {"shape": draw(variable_shapes), **({"name": f"in{i}"} if draw(st.booleans()) else {})}
        for i in range(draw(st.integers(1, 3)))
    ]
    sources = [("input", i, 0) for i in range(len(inputs))]
    variables = [f"x{i}" for i in range(len(inputs))]  # one per source, in the same order
    layers, lines = (
        [],
        [imports]
        + [
            f"x{i} = {input_}(shape={write_value(draw, item['shape'])}"
            f"{', name=' + repr(item['name']) if 'name' in item else ''})"
            for i, item in enumerate(inputs)
        ],
    )
    for index in range(draw(st.integers(1, MAX_LAYERS))):
        layer = (
            draw(concise_layers(("Dense",)))
            if draw(st.booleans())
            else {"type": draw(st.sampled_from(("Concatenate", "Add")))}
        )
        if draw(st.booleans()):
            layer["name"] = f"n{index}"
        width = 1 if layer["type"] == "Dense" else draw(st.integers(2, 3))
        calls = [
            draw(st.lists(st.sampled_from(sources), min_size=width, max_size=width))
            for _ in range(2 if layer["type"] == "Dense" and draw(st.booleans()) else 1)
        ]
        lines.append(f"layer{index} = {write_layer(draw, layer, path)}")
        for number, call in enumerate(calls):
            argument = ", ".join(variables[sources.index(source)] for source in call)
            lines.append(f"t{index}_{number} = layer{index}({argument if width == 1 else '[' + argument + ']'})")
        variables += [f"t{index}_{number}" for number in range(len(calls))]
        sources += [("layer", index, number) for number in range(len(calls))]
        layers.append(dict(layer, calls=calls))
    outputs = draw(st.lists(st.sampled_from(sources[len(inputs) :]), min_size=1, max_size=2, unique=True))
    input_list = "[" + ", ".join(f"x{i}" for i in range(len(inputs))) + "]"
    output_list = "[" + ", ".join(variables[sources.index(source)] for source in outputs) + "]"
    lines.append(
        f"model = {model}(inputs={input_list}, outputs={output_list})"
        if draw(st.booleans())
        else f"model = {model}({input_list}, {output_list})"
    )
    return inputs, layers, outputs, "\n".join(lines)


def keras_names(inputs: list[dict], layers: list[dict]) -> tuple[list[str], list[str]]:
    """The names real Keras gives these inputs and layers, made in this order with fresh name counters."""
    global_state.set_global_attribute("object_name_uids", collections.defaultdict(int))
    input_names = [item.get("name") or keras.layers.InputLayer(shape=item["shape"]).name for item in inputs]
    layer_names = [
        layer.get("name")
        or getattr(keras.layers, layer["type"])(
            **{key: value for key, value in layer.items() if key not in ("type", "calls")}
        ).name
        for layer in layers
    ]
    return input_names, layer_names


def graph_spec(inputs: list[dict], layers: list[dict], outputs: list[tuple]) -> dict:
    """The concise graph the reader should answer, named as Keras names."""
    input_names, layer_names = keras_names(inputs, layers)

    def source_name(source: tuple) -> str:
        kind, index, number = source
        return (input_names if kind == "input" else layer_names)[index] + (f"#{number}" if number else "")

    def entry(layer: dict, name: str) -> dict:
        sources = [[source_name(source) for source in call] for call in layer["calls"]]
        return {
            "type": layer["type"],
            "name": name,
            **{k: v for k, v in layer.items() if k not in ("type", "calls")},
            **({"inbound": sources[0]} if len(sources) == 1 else {"calls": sources}),
        }

    return {
        "inputs": [dict(item, name=name) for item, name in zip(inputs, input_names)],
        "layers": [entry(layer, name) for layer, name in zip(layers, layer_names)],
        "outputs": [source_name(source) for source in outputs],
    }


@given(sequential_cases())
def test_a_sequential_spec_written_as_code_reads_back_as_itself(case):
    spec, source = case
    assert read_code(source, positional_arguments).model == spec, source


@share(0.2)  # each example makes its layers in Keras too
@given(graph_cases())
def test_a_graph_written_as_code_reads_back_as_itself_with_keras_names(case):
    inputs, layers, outputs, source = case
    assert read_code(source, positional_arguments).model == graph_spec(inputs, layers, outputs), source


# Hostile text

TOKENS = (
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    " ",
    "\n",
    "    ",
    "\t",
    ",",
    ".",
    ":",
    ";",
    "=",
    "+",
    "-",
    "*",
    "**",
    "/",
    "//",
    "%",
    "@",
    "#",
    "\\",
    "'",
    '"',
    "'''",
    '"""',
    "f'",
    "b'",
    "0",
    "1",
    "1e999",
    "2**31",
    "-1",
    "print",
    "model",
    "Sequential",
    "Dense",
    "Input",
    "Model",
    "keras",
    "layers",
    "np",
    "np.array",
    "tf",
    "add",
    "compile",
    "predict",
    "summary",
    "build",
    "x",
    "y",
    "shape",
    "import",
    "from",
    "as",
    "os",
    "lambda",
    "for",
    "in",
    "if",
    "else",
    "def",
    "class",
    "return",
    "with",
    "try",
    "except",
    "None",
    "True",
    "not",
    "and",
    "is",
    "__import__",
    "__class__",
    "eval",
    "open",
    "é",
    "\ud800",
    "\0",
    "\r",
    "\x0c",
)
token_soups = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)
mangled_bytes = st.binary(max_size=300).map(lambda raw: raw.decode("utf-8", "surrogateescape"))


@st.composite
def mutated_seeds(draw) -> str:
    """The seed snippet with a few characters or tokens put in, or a piece cut out."""
    source = SEED
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(source)))
        if draw(st.booleans()):
            source = source[:at] + draw(st.text(max_size=4) | st.sampled_from(TOKENS)) + source[at:]
        else:
            source = source[:at] + source[at + draw(st.integers(1, 8)) :]
    return source


@share(0.5)
@given(st.text(max_size=300) | mangled_bytes | token_soups | mutated_seeds())
def test_hostile_text_is_read_or_refused_with_a_location(source):
    with hang_guard():
        try:
            read_code(source, positional_arguments)
        except CodeRejected as error:
            assert error.line >= 1 and error.column >= 1
            assert error.detail.startswith(f"line {error.line}, column {error.column}: ")
            assert error.errors[0].type in (
                "code_syntax",
                "code_limit",
                "code_forbidden",
                "code_unknown_name",
                "code_unsupported",
            )


# Nothing is run

HARMFUL = (
    "open({path!r}, 'w').write('x')",
    "__import__('os').system('touch {path}')",
    "import os",
    "os.system('touch {path}')",
    "exec(\"open({path!r}, 'w')\")",
    "eval(\"open({path!r}, 'w')\")",
    "print(open({path!r}, 'w'))",
    "model.save({path!r})",
    "np.save({path!r}, x)",
    "subprocess.run(['touch', {path!r}])",
    "import subprocess",
    "getattr(__builtins__, 'open')({path!r}, 'w')",
    "keras.utils.get_file({path!r}, origin='file://{path}')",
    "x.tofile({path!r})",
    "print(f'{{open({path!r}, \"w\")}}')",
    "model.summary(print_fn=open({path!r}, 'w').write)",
    "keras.utils.plot_model(model, to_file={path!r})",  # read as drawing nothing: it writes no file
)
MODEL_LINES = (
    "model = Sequential()",
    "model.add(Dense(4, input_shape=(3,)))",
    "x = np.array([[1, 2, 3]])",
    "y = model.predict(x)",
    "print(y.shape)",
    "model.compile(loss='mse', optimizer='sgd')",
)


@share(0.5)
@given(st.lists(st.sampled_from(MODEL_LINES) | st.sampled_from(HARMFUL), min_size=1, max_size=8))
def test_code_that_would_act_on_the_world_does_nothing(tmp_path_factory, lines):
    target = tmp_path_factory.getbasetemp() / "pwned_xyz"
    source = "\n".join(line.format(path=str(target)) for line in lines)
    with mock.patch("os.system") as system, mock.patch.object(subprocess, "Popen") as popen, hang_guard():
        try:
            read_code(source, positional_arguments)
        except CodeRejected:
            pass
    assert not target.exists()
    assert not system.called and not popen.called
