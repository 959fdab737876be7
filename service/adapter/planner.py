"""The Keras adapter's first half: a canonical spec in; a planned model, its layer table and summary out.

It knows nothing of HTTP. Building happens in two steps so that limits can be checked from shapes first:
`plan` builds the model inside keras.StatelessScope, where variables get shapes but no memory, and
ready.materialize allocates and initializes the weights of a planned model.
"""
import functools
import inspect
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

import keras
import tensorflow as tf

from schemas import LayerRow, ParamCounts, SummaryResponse
from schemas.numbers import shape_of

from ..canonical import CanonicalLayer, CanonicalSpec
from ..errors import LimitExceeded, ModelRejected
from ..facts import LayerFacts
from . import private
from .facts import model_facts
from .runtime import SUMMARY_WIDTH

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_CALL_CONTEXT = re.compile(r"Exception encountered when calling (\S+?)\.call\(\)\.\s*\x1b\[1m(.*?)\x1b\[0m", re.S)
ALLOCATES_WHEN_BUILT = {"Normalization"}
_REAL = re.compile(r"(b?float|u?int)\d+$")
# Running out of memory is no refusal of the model: it is the memory budget (guards/budgets.py), and goes on up.
OUT_OF_MEMORY = (MemoryError, tf.errors.ResourceExhaustedError)


@dataclass
class PlannedModel:
    """A model whose shapes are known and whose weights are not yet allocated."""

    model: Any
    spec: CanonicalSpec
    input_shape: tuple[int, ...]
    report: SummaryResponse
    facts: tuple[LayerFacts, ...]
    pending_variables: list = field(default_factory=list)


def keras_message(error: BaseException) -> str:
    """Keras's own message, without the call context and escape codes Keras wraps layer errors in."""
    text = str(error).strip() or type(error).__name__
    # "Exception encountered when calling Reshape.call().\n\n\x1b[1m<the message>\x1b[0m\n\nArguments ..."
    # The arguments part names symbolic tensors from a process-wide counter; the answer must not vary with it.
    wrapped = _CALL_CONTEXT.search(text)
    if wrapped:
        text = f"{wrapped.group(1)}: {wrapped.group(2).strip()}"
    text = _ANSI_ESCAPE.sub("", text)
    return text if len(text) <= 2000 else text[:2000] + " ..."


def rejected(error: Exception, loc: list[Any], error_type: str) -> ModelRejected:
    """Keras's refusal as the client's 422, in Keras's own words; running out of memory is raised as it is."""
    if isinstance(error, OUT_OF_MEMORY):
        raise error
    return ModelRejected(keras_message(error), loc=loc, error_type=error_type)


@functools.lru_cache(maxsize=None)
def _constructor_defaults(class_name: str) -> dict[str, Any]:
    """The defaults of a layer's constructor arguments."""
    parameters = inspect.signature(getattr(keras.layers, class_name).__init__).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty
            and p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)}


def _deserialize(class_name: str, config: dict[str, Any]) -> Any:
    return keras.saving.deserialize_keras_object(
        {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None},
        safe_mode=True)


def _activations(made: Any) -> Iterator[Any]:
    """Every activation function of a layer and of the layers and cells inside it (wrappers, RNNs)."""
    for part in private.sublayers(made):
        for owner in (part, getattr(part, "cell", None)):
            for attribute in ("activation", "recurrent_activation"):
                function = getattr(owner, attribute, None)
                if callable(function):
                    yield function


def _check_activation(made: Any, layer: CanonicalLayer) -> None:
    """Refuse activations whose shapes Keras's inference gets wrong or that cannot run as named.

    Keras builds an activation's shapes without calling it, so both would pass /v1/summary and only fail,
    or answer shapes the layer table contradicts, in /v1/predict.
    """
    for activation in _activations(made):
        if activation is keras.activations.glu:
            raise ModelRejected("the glu activation is not supported: it halves the last axis while Keras's "
                                "shape inference reports it unchanged, so the answer's shapes would be wrong",
                                loc=list(layer.loc), error_type="unsupported_activation")
        required = [p.name for p in list(inspect.signature(activation).parameters.values())[1:]
                    if p.default is inspect.Parameter.empty and p.kind is not inspect.Parameter.VAR_KEYWORD
                    and p.kind is not inspect.Parameter.VAR_POSITIONAL]
        if required:
            raise ModelRejected(f"the {activation.__name__} activation needs the arguments {required}, which an "
                                "activation given by name cannot carry", loc=list(layer.loc),
                                error_type="unsupported_activation")


def _make_layer(layer: CanonicalLayer) -> Any:
    """Deserialize one allowed built-in layer, with Keras's safe mode on."""
    try:
        try:
            made = _deserialize(layer.class_name, dict(layer.config))
        except KeyError:
            # Some layers' from_config reads keys their constructor makes optional (Rescaling's `offset`), and
            # a concise spec names only what it sets: complete it with the constructor's defaults. Only then,
            # so that Keras's messages do not list options the client never sent.
            made = _deserialize(layer.class_name, _constructor_defaults(layer.class_name) | layer.config)
    except KeyError as error:
        raise ModelRejected(f"{layer.class_name} needs the argument {error}", loc=list(layer.loc),
                            error_type="keras_layer") from None
    except Exception as error:  # any refusal of a client's config is the client's 422
        raise rejected(error, list(layer.loc), "keras_layer") from None
    _check_activation(made, layer)
    _check_dtype(made, layer)
    return made


def _check_dtype(made: Any, layer: CanonicalLayer) -> None:
    """Real numbers only: Keras builds bool, string and complex layers, but their summaries and outputs fail
    (and JSON carries no complex number)."""
    for part in private.sublayers(made):
        for dtype in {part.compute_dtype, part.variable_dtype}:
            if not (_REAL.match(str(dtype))):
                raise ModelRejected(f"layer '{part.name}' computes in {dtype}; the service computes with real numbers "
                                    "(float16, bfloat16, float32, float64 or an integer type)", loc=list(layer.loc),
                                    error_type="layer_dtype")


def _call_one_by_one(spec: CanonicalSpec, input_shape: tuple[int, ...], layers: list,
                     max_build_elements: Optional[int] = None) -> None:
    """Call the layers on symbolic tensors one at a time, so that a refusal names its layer.

    Runs inside plan's StatelessScope: the layers build, but allocate no weights. With `max_build_elements`,
    a layer that allocates its input's size when built (ALLOCATES_WHEN_BUILT: Normalization broadcasts a
    scalar mean and variance to its input shape in build()) is refused first if that input is too large.
    """
    tensor = keras.KerasTensor((None,) + input_shape)
    for made, canonical in zip(layers, spec.layers):
        if max_build_elements is not None and _allocates_when_built(made):
            _bound_build(tensor.shape, made, canonical, max_build_elements)
        try:
            tensor = made(tensor)  # a call, not compute_output_spec: it checks input_spec too
        except Exception as error:
            raise rejected(error, list(canonical.loc), "keras_model") from None
        _check_axes(tensor.shape, canonical)


def _allocates_when_built(made: Any) -> bool:
    """The layer, or one inside it (a wrapper's), allocates its input's size when built."""
    return any(type(part).__name__ in ALLOCATES_WHEN_BUILT for part in private.sublayers(made))


def _bound_build(shape: tuple, made: Any, canonical: CanonicalLayer, max_build_elements: int) -> None:
    """Refuse an allocating layer whose input is too large, or of a size not known before it is built."""
    if not all(isinstance(axis, int) for axis in shape[1:]):
        raise ModelRejected(f"{type(made).__name__} allocates its input's size when built, and that input's shape "
                            f"{list(shape)} is not known in whole numbers", loc=list(canonical.loc),
                            error_type="unknown_shape")
    elements = math.prod(shape[1:])
    if elements > max_build_elements:
        raise LimitExceeded("max_activation_elements", max_build_elements, elements,
                            f"input of {type(made).__name__}, which allocates its size when built")


def _check_axes(shape: tuple, canonical: CanonicalLayer) -> None:
    """Every axis Keras infers from a known input shape must be a whole number: where it infers a float, or
    None (Keras's "unknown"), the layer's config holds something that is no size, and no limit could bound it."""
    if any(not (isinstance(axis, int) and not isinstance(axis, bool) and axis >= 0) for axis in shape[1:]):
        raise ModelRejected(f"this layer's output shape {list(shape)} has an axis Keras cannot size in whole "
                            "numbers: check the sizes in its arguments", loc=list(canonical.loc),
                            error_type="shape_axis")


def _sequential(spec: CanonicalSpec, input_shape: tuple[int, ...], layers: list,
                max_build_elements: int) -> Any:
    """The Sequential model, its shapes inferred by Keras; a refusal names the layer."""
    if any(_allocates_when_built(made) for made in layers):
        # Only then: the layers are called once more before Keras builds them into the model.
        _call_one_by_one(spec, input_shape, layers, max_build_elements)
    try:
        return keras.Sequential([keras.layers.InputLayer(shape=input_shape), *layers],
                                name=spec.name or "sequential")
    except Exception as error:
        # Keras's Sequential does not say which layer refused: fresh layers, called one by one, do.
        _call_one_by_one(spec, input_shape, [_make_layer(layer) for layer in spec.layers])
        raise rejected(error, ["model"], "keras_model") from None


def _layer_table(facts: tuple[LayerFacts, ...]) -> list[LayerRow]:
    """Name, type, shape in, shape out and parameter count of every layer."""
    return [LayerRow(name=f.name, type=f.class_name, input_shape=list(f.input_shape),
                     output_shape=list(f.output_shape), params=f.params) for f in facts]


def _param_counts(model: Any) -> ParamCounts:
    # math.prod, not np.prod: huge kernels must not wrap around in int64 and slip past the params limit.
    total = sum(math.prod(v.shape) for v in model.weights)
    trainable = sum(math.prod(v.shape) for v in model.trainable_weights)
    return ParamCounts(total=total, trainable=trainable, non_trainable=total - trainable)


def _summary_text(model: Any) -> str:
    """model.summary() as plain text at a fixed width."""
    lines: list[str] = []
    model.summary(line_length=SUMMARY_WIDTH, print_fn=lambda text, line_break=True: lines.append(text))
    return _ANSI_ESCAPE.sub("", "".join(lines))


@functools.lru_cache(maxsize=32)
def _shared_optimizer(name: str) -> Any:
    """One optimizer per name per worker, shared by the models compiled with it.

    An optimizer holds per-model state only once it trains (it builds its slots then), and nothing here
    trains; creating one costs TensorFlow variable ops, so models share it.
    """
    return keras.optimizers.get(name)


def _compile_objects(spec: CanonicalSpec) -> Optional[tuple[Any, Any]]:
    """Loss and optimizer by Keras's own lookup, or a 422 for a name Keras does not know."""
    if spec.loss is None and spec.optimizer is None:
        return None
    objects = []
    for name, lookup, key in ((spec.loss or "mean_squared_error", keras.losses.get, "loss"),
                              (spec.optimizer or "SGD", _shared_optimizer, "optimizer")):
        try:
            objects.append(lookup(name))
        except Exception as error:
            raise rejected(error, list(spec.compile_loc) + [key], "keras_compile") from None
    return objects[0], objects[1]


def _check_weight_shapes(model: Any, spec: CanonicalSpec) -> None:
    """Given weights must match layer.get_weights() in count and shapes."""
    for layer, canonical in zip(model.layers, spec.layers):
        if canonical.weights is None:
            continue
        expected = [list(v.shape) for v in layer.weights]
        given = [list(shape_of(w)) for w in canonical.weights]
        if given != expected:
            raise ModelRejected(f"layer '{layer.name}' ({type(layer).__name__}) expects weights of shapes "
                                f"{expected}, got {given}", loc=list(canonical.loc) + ["weights"],
                                error_type="weights_shape")


def plan(spec: CanonicalSpec, input_shape: tuple[int, ...], seed: int, max_build_elements: int) -> PlannedModel:
    """Build and compile the model, its shapes known but no weights allocated; layer names start afresh.

    `max_build_elements` bounds the input of a layer that allocates while it is built (see ALLOCATES_WHEN_BUILT).
    """
    private.reset_layer_names()
    keras.utils.set_random_seed(seed)  # initializers draw their seeds when constructed, in layer order
    compile_objects = _compile_objects(spec)
    try:
        with keras.StatelessScope(initialize_variables=False):  # we initialize later, or never
            layers = [_make_layer(layer) for layer in spec.layers]
            model = _sequential(spec, input_shape, layers, max_build_elements)
            facts = model_facts(model)
            for layer_facts, canonical in zip(facts, spec.layers):
                for shape in layer_facts.output_shapes:
                    _check_axes(shape, canonical)
            report = SummaryResponse(layers=_layer_table(facts), params=_param_counts(model),
                                     summary=_summary_text(model))
            _check_weight_shapes(model, spec)
            if compile_objects:
                # In the scope, so that the loss tracker's variables stay deferred and are never initialized:
                # nothing trains or evaluates, so nothing reads them.
                model.compile(loss=compile_objects[0], optimizer=compile_objects[1])
    finally:
        pending = private.take_deferred_variables()
    return PlannedModel(model, spec, input_shape, report, facts, pending)
