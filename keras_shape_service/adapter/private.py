"""Every private Keras and TensorFlow name the service uses, each with its reason; checked on import.

Keras and TensorFlow are pinned to a minor version in pyproject.toml for these. A newer release that renames
one fails here, on import, with the name and the versions, rather than deep inside a request.
"""

import collections
import contextvars
import math
from typing import Any, Callable, Optional

import keras
import tensorflow as tf
from keras.src.applications import convnext
from keras.src.backend.common import global_state
from keras.src.models.functional import Functional
from keras.src.ops import core as ops_core
from keras.src.ops import nn as ops_nn
from keras.src.ops import numpy as ops_numpy
from keras.src.saving import saving_lib
from keras.src.utils import summary_utils
from tensorflow.python import pywrap_tfe
from tensorflow.python.eager.polymorphic_function.concrete_function import ConcreteFunction

from keras_shape_service.schemas.keras_names import APPLICATION_INTERNAL_LAYERS, OPERATIONS

PINNED = "keras==3.15.* and tensorflow-cpu==2.21.* (see pyproject.toml)"
# The classes behind a to_json document's operation nodes and keras.applications layers, by the module Keras
# writes for them: keras.ops' public functions make these nodes, but only the classes rebuild them as Keras's
# own Functional.from_config does (the same node, name and summary row). Looked up in this fixed table only,
# never by importing the module a document names.
_OPERATION_MODULES = {"keras.src.ops.numpy": ops_numpy, "keras.src.ops.nn": ops_nn, "keras.src.ops.core": ops_core}
_APPLICATION_MODULES = {"keras.src.applications.convnext": convnext}


def _require(owner: Any, name: str) -> None:
    if not hasattr(owner, name):
        raise ImportError(
            f"keras-shape-service needs {PINNED}: {getattr(owner, '__name__', owner)}.{name} is "
            f"missing in keras {keras.__version__} / tensorflow {tf.__version__}"
        )


for _owner, _name in (
    (global_state, "set_global_attribute"),
    (global_state, "get_global_attribute"),
    (keras.Variable, "_deferred_initialize"),
    (keras.layers.Layer, "_flatten_layers"),
    (pywrap_tfe, "TFE_ContextOptionsSetRunEagerOpAsFunction"),
    (keras.layers.Normalization(mean=0.0, variance=1.0), "input_mean"),
    (ConcreteFunction, "_call_flat"),
    (saving_lib, "_save_state"),
    *((_OPERATION_MODULES[module], name) for name, (module, _) in OPERATIONS.items()),
    *((_APPLICATION_MODULES[module], name) for module, name in APPLICATION_INTERNAL_LAYERS),
):
    _require(_owner, _name)


def operation_class(module: str, class_name: str) -> Any:
    """The keras.ops operation class of an allowed operation node (keras_names.OPERATIONS), else KeyError."""
    if OPERATIONS[class_name][0] != module:
        raise KeyError(f"{module}.{class_name}")
    return getattr(_OPERATION_MODULES[module], class_name)


def application_layer_class(module: str, class_name: str) -> Any:
    """The class of an allowed keras.applications layer (keras_names.APPLICATION_INTERNAL_LAYERS), else KeyError."""
    APPLICATION_INTERNAL_LAYERS[(module, class_name)]
    return getattr(_APPLICATION_MODULES[module], class_name)


def input_structure(model: Any) -> Any:
    """The structure a graph model takes its inputs in (a dict for keras.Model(inputs={...})); None for a
    Sequential model. Keras refuses a flat list where it was built with a dict."""
    return getattr(model, "_inputs_struct", None) if is_functional(model) else None


def reset_layer_names() -> None:
    """Keras names layers from a process-wide counter; each model starts it afresh ("dense", "dense_1")."""
    global_state.set_global_attribute("object_name_uids", collections.defaultdict(int))


def take_deferred_variables() -> list:
    """The variables a StatelessScope created without memory, handed over once (Keras keeps a global list)."""
    pending = global_state.get_global_attribute("uninitialized_variables") or []
    global_state.set_global_attribute("uninitialized_variables", [])
    return list(pending)


def initialize_deferred(variable: Any, value: Any = None) -> None:
    """Allocate and initialize a variable created in a StatelessScope (Keras's public path initializes all);
    with `value`, to it (a file's weights: a random draw, then overwritten, cost 1.8 s of 25M parameters)."""
    if value is not None:
        variable._initializer = lambda shape, dtype: value
    variable._deferred_initialize()


def flat_call(function: Any) -> Callable[..., Any]:
    """A traced function's call with its input checks and argument binding left out: the caller passes exactly
    the tensors of its input signature, in order. tf.function's public call binds and canonicalizes its
    arguments in Python, which costs more than running a small model's graph (bench/README.md, "What a cached
    request costs")."""
    concrete = function.get_concrete_function()
    captured = list(concrete.captured_inputs)  # the model's variables: the same objects for the model's life

    def call(*tensors: Any) -> Any:
        return concrete._call_flat(list(tensors), captured)

    return call


def sublayers(layer: Any) -> list:
    """The layer and every layer inside it (wrappers, RNN cells, nested models), as Keras tracks them."""
    return list(layer._flatten_layers(include_self=True, recursive=True))


def run_eager_ops_as_kernels() -> None:
    """TensorFlow's Python hard-codes "run eager ops as one-op functions" when it creates its context (see
    runtime.py for why not); the setter it calls is wrapped to ask for kernels instead."""
    set_option = pywrap_tfe.TFE_ContextOptionsSetRunEagerOpAsFunction

    def as_kernels(options: Any, _requested: bool) -> None:
        set_option(options, False)

    pywrap_tfe.TFE_ContextOptionsSetRunEagerOpAsFunction = as_kernels


def bound_normalization_builds(
    limit: "contextvars.ContextVar[Optional[int]]", refuse: Callable[[Any, Optional[int]], Exception]
) -> None:
    """Normalization, given a mean and variance, broadcasts them to its input's kept axes when it is built: a
    real allocation, even in a StatelessScope. Bound it where it happens, at any depth of any model (wrappers,
    nested models, graphs): past `limit` (or on an axis of unknown size) `refuse(layer, size)` is raised."""
    original = keras.layers.Normalization.build

    def bounded(self: Any, input_shape: Any) -> Any:
        bound = limit.get()
        if bound is not None and input_shape is not None and self.input_mean is not None:
            ndim = len(input_shape)
            sizes = [input_shape[axis % ndim] for axis in self.axis if -ndim <= axis < ndim]
            if not all(isinstance(size, int) for size in sizes):
                raise refuse(self, None)
            if math.prod(sizes) > bound:
                raise refuse(self, math.prod(sizes))
        return original(self, input_shape)

    keras.layers.Normalization.build = bounded


def model_nodes(model: Any) -> set:
    """The calls (nodes) that make up this model's graph: a layer also keeps those of other graphs it was
    called in (a nested model's own), which are not this model's. (_nodes_by_depth and _inbound_nodes are
    attributes Keras sets on instances as it builds a graph, so they are not checked on import; the pinned
    Keras has them, and tests/unit/test_graphs.py reads every graph through them.)"""
    return {node for nodes in model._nodes_by_depth.values() for node in nodes}


def layer_nodes(layer: Any) -> list:
    """Every call of a layer, in the order it was called."""
    return list(layer._inbound_nodes)


def call_inputs(node: Any) -> list:
    """The tensors a call was given as inputs, in Keras's order (its node's input_tensors), without its masks:
    Keras passes a propagated mask (Embedding(mask_zero=True)) as a `mask` argument, which its node lists as
    one more input tensor, and so does `layer.input`. A mask says which steps to skip; it is no input.
    (Node.arguments is the SymbolicArguments Keras flattens into input_tensors, args then kwargs.)"""
    kwargs = {name: value for name, value in node.arguments.kwargs.items() if not _is_mask_argument(name)}
    return [t for t in keras.tree.flatten((node.arguments.args, kwargs)) if isinstance(t, keras.KerasTensor)]


def mask_sources(node: Any) -> list[str]:
    """The layers (or operation nodes) whose outputs a call was given as its masks (call_inputs leaves out)."""
    masks = [value for name, value in node.arguments.kwargs.items() if _is_mask_argument(name)]
    return [tensor_source(t) for t in keras.tree.flatten(masks) if isinstance(t, keras.KerasTensor)]


def _is_mask_argument(name: str) -> bool:
    return name == "mask" or name.endswith("_mask")


def specs_for_inputs(model: Any, inputs: list) -> dict[int, Any]:
    """Every tensor of the model's own graph as it would be for `inputs` (symbolic tensors of other shapes, in
    model.inputs order), by id of the graph's tensor: each call's output spec, layer by layer, as Keras's
    Functional.compute_output_spec runs its graph (_run_through_graph), but keeping every tensor, not only the
    outputs. Nothing is added to the model: compute_output_spec makes no node. (A Sequential model's graph is
    the Functional it keeps as _functional once it knows its input shape.)"""
    graph = model._functional if isinstance(model, keras.Sequential) else model
    specs = {id(tensor): given for tensor, given in zip(graph.inputs, inputs)}
    for depth in sorted(graph._nodes_by_depth, reverse=True):
        for node in graph._nodes_by_depth[depth]:
            if not node.operation or node.is_input:
                continue
            args, kwargs = node.arguments.fill_in(specs)
            outputs = node.operation.compute_output_spec(*args, **kwargs)
            specs.update((id(tensor), spec) for tensor, spec in zip(node.outputs, keras.tree.flatten(outputs)))
    return specs


def tensor_source(tensor: Any) -> str:
    """The name of the layer whose output the tensor is."""
    return tensor._keras_history.operation.name


# Keras's summary, drawn without rich (summary.py): the same model walk as keras.src.utils.summary_utils, and
# its own number and byte-size formatting, so that the text is Keras's, byte for byte.
for _owner, _name in (
    (summary_utils, "count_params"),
    (summary_utils, "weight_memory_size"),
    (summary_utils, "readable_memory_size"),
    (summary_utils, "print_summary"),
):
    _require(_owner, _name)


def is_functional(model: Any) -> bool:
    """A graph model (keras.Model(inputs, outputs), every keras.applications network); Sequential is not one."""
    return isinstance(model, Functional)


def replace_operand(model: Any, operand: Any, value: Any) -> None:
    """Each call in the model's graph given `operand` (by identity) is given `value` in its place: Keras's
    graph calls an operation with its node's SymbolicArguments (Functional._run_through_graph: fill_in), which
    are made again around the new value."""
    from keras.src.ops.symbolic_arguments import SymbolicArguments

    def swap(item: Any) -> Any:
        return value if item is operand else item

    for node in model_nodes(model):
        arguments = node.arguments
        if any(item is operand for item in arguments._flat_arguments):
            args, kwargs = arguments.convert(swap)
            node.arguments = SymbolicArguments(*args, **kwargs)
    for layer in model.layers:  # a model nested as a layer runs its own graph
        if isinstance(layer, Functional):
            replace_operand(layer, operand, value)


def model_operations(model: Any) -> list:
    """A graph model's layers in the order Keras's summary lists them, its InputLayers among them."""
    return list(model._operations)


def nodes_by_depth(model: Any) -> list:
    """A graph model's calls, depth by depth, in Keras's order (output side first)."""
    return list(model._nodes_by_depth.values())


def tensor_history(tensor: Any) -> tuple[Any, int, int]:
    """The layer a symbolic tensor comes from, which of its calls made it, and its place among that call's
    outputs: "Connected to" in Keras's summary names inputs so."""
    history = tensor._keras_history
    return history.operation, history.node_index, history.tensor_index


def build_shapes(layer: Any) -> dict:
    """The shapes a layer was built with, by argument name (empty if it was never built)."""
    return dict(layer._build_shapes_dict or {})


def summary_trainable_weights(model: Any) -> list:
    """The trainable weights Keras's summary counts (a compiled model's collected ones, where it has them)."""
    return list(getattr(model, "_collected_trainable_weights", model.trainable_weights))


class _PathRecorder(saving_lib.H5IOStore):
    """Where Keras's own save would write each variable, recorded instead of written: Keras names the paths
    of model.weights.h5 by its walk over the model (class names, attribute names: layers/gru/cell/vars/0),
    which only that walk reproduces. A store, for the walk accepts no other kind."""

    def __init__(self) -> None:  # no file: nothing is written
        self.found: list[tuple[str, str, Any]] = []
        self.path = ""

    def __bool__(self) -> bool:
        return True

    def make(self, path: str, metadata: Any = None) -> "_PathRecorder":
        self.path = path
        return self

    def __setitem__(self, key: str, value: Any) -> None:
        self.found.append((self.path, key, value))


def keras_weight_paths(model: Any) -> list[tuple[tuple[str, ...], Any]]:
    """Each variable Keras's save writes to model.weights.h5, with its path there (its value not read)."""
    recorder = _PathRecorder()
    saving_lib._save_state(model, weights_store=recorder, assets_store=None, inner_path="", visited_saveables=set())
    return [(tuple(part for part in path.split("/") if part) + ("vars", key), v) for path, key, v in recorder.found]
