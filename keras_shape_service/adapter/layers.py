"""One layer made from its canonical config, checked, and Keras's refusals turned into the client's 422s."""

import functools
import inspect
import re
from typing import Any, Iterator, Optional

import keras
import tensorflow as tf

from keras_shape_service.errors import Misnamed, ModelRejected, Received, ServiceError
from keras_shape_service.schemas.keras_names import (
    ACTIVATIONS,
    CONSTRAINTS,
    INITIALIZERS,
    MIXED_DTYPE_POLICIES,
    REAL_DTYPES,
    REGULARIZERS,
)
from keras_shape_service.specs.canonical import CanonicalInput, CanonicalLayer

from . import private

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_CALL_CONTEXT = re.compile(r"Exception encountered when calling (\S+?)\.call\(\)\.\s*\x1b\[1m(.*?)\x1b\[0m", re.S)
_REAL = re.compile(r"(b?float|u?int)\d+$")
# "<class ...> could not be deserialized properly. Please ensure ... config={...}. Exception encountered: ...":
# only the last exception says what is wrong.
_DESERIALIZED = re.compile(r"could not be deserialized properly.*Exception encountered: (.*)$", re.S)
_MISSING = re.compile(r"(\w+)\.__init__\(\) missing \d+ required positional arguments?: '(\w+)'")
_UNRECOGNIZED = re.compile(r"Unrecognized keyword arguments passed to (\w+): \{'([^']+)'")
_UNINTERPRETED = re.compile(
    r"Could not interpret (activation|initializer|regularizer|constraint)\w* (?:function )?"
    r"identifier: (.+)$",
    re.S,
)
_LAYER_KEYWORDS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "weights")
# The names an activation, initializer, regularizer or constraint is looked up by (their functions' names).
_NAMES_OF = {
    what: tuple(n for n in names if n[:1].islower())
    for what, names in (
        ("activation", ACTIVATIONS),
        ("initializer", INITIALIZERS),
        ("regularizer", REGULARIZERS),
        ("constraint", CONSTRAINTS),
    )
}
# Running out of memory is no refusal of the model: it is the memory budget (guards/budgets.py), and goes on up.
OUT_OF_MEMORY = (MemoryError, tf.errors.ResourceExhaustedError)


def strip_escapes(text: str) -> str:
    return _ANSI_ESCAPE.sub("", text)


def keras_message(error: BaseException) -> str:
    """Keras's own message, without the call context and escape codes Keras wraps layer errors in."""
    text = str(error).strip() or type(error).__name__
    # "Exception encountered when calling Reshape.call().\n\n\x1b[1m<the message>\x1b[0m\n\nArguments ..."
    # The arguments part names symbolic tensors from a process-wide counter; the answer must not vary with it.
    wrapped = _CALL_CONTEXT.search(text)
    if wrapped:
        text = f"{wrapped.group(1)}: {wrapped.group(2).strip()}"
    deserialized = _DESERIALIZED.search(text)
    if deserialized:
        text = deserialized.group(1).strip()
    text = _ANSI_ESCAPE.sub("", text)
    return text if len(text) <= 2000 else text[:2000] + " ..."


def rejected(error: Exception, loc: list[Any], error_type: str, cause: Any = None) -> ModelRejected:
    """Keras's refusal as the client's 422, in Keras's own words, with what the service saw (`cause`) for the
    engine to teach from; running out of memory, and the service's own refusals raised from inside Keras (a
    bound on a build), are raised as they are."""
    if isinstance(error, OUT_OF_MEMORY + (ServiceError,)):
        raise error
    return ModelRejected(keras_message(error), loc=loc, error_type=error_type, cause=cause)


def received(made: Any, inputs: Any, error: Exception) -> Optional[Received]:
    """What a layer was called on when it refused: the first input's shape, and the rank its input spec reads."""
    tensor = inputs[0] if isinstance(inputs, (list, tuple)) and inputs else inputs
    shape = getattr(tensor, "shape", None)
    if shape is None:
        return None
    spec = getattr(made, "input_spec", None)  # a keras.ops operation (x + y) has none
    spec = spec[0] if isinstance(spec, (list, tuple)) and spec else spec
    ndim = getattr(spec, "ndim", None)
    rank = ndim if ndim is not None else getattr(spec, "min_ndim", None)
    return Received(made.name, type(made).__name__, tuple(shape), rank, ndim is not None, keras_message(error))


@functools.lru_cache(maxsize=None)
def _argument_names(class_name: str) -> tuple[str, ...]:
    """Every keyword a layer's constructor takes: its own, the base Layer's, the input hints."""
    names = []
    for function in (getattr(keras.layers, class_name).__init__, keras.layers.Layer.__init__):
        names += [
            p.name
            for p in inspect.signature(function).parameters.values()
            if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        ]
    return tuple(dict.fromkeys(n for n in names + list(_LAYER_KEYWORDS) if n != "self"))


def _missing_argument(required: str, layer: CanonicalLayer) -> Misnamed:
    """A required argument missing: the unknown key the client may have meant for it, if one is close."""
    known = set(_argument_names(layer.class_name))
    unknown = tuple(key for key in layer.config if key not in known)
    return Misnamed(
        "required",
        required,
        "",
        None,
        layer.class_name,
        layer.config_loc,
        unknown,
        {key: layer.config[key] for key in unknown},
    )


def misnamed(error: Exception, layer: CanonicalLayer) -> Optional[Misnamed]:
    """An unknown argument, or an unknown activation or initializer name, in a layer's own config."""
    text = keras_message(error)
    missing = _MISSING.search(text)
    if missing and missing.group(1) == layer.class_name:
        return _missing_argument(missing.group(2), layer)
    unknown = _UNRECOGNIZED.search(text)
    if unknown and unknown.group(1) == layer.class_name and unknown.group(2) in layer.config:
        key = unknown.group(2)
        return Misnamed(
            "argument",
            key,
            key,
            layer.config[key],
            layer.class_name,
            layer.config_loc,
            _argument_names(layer.class_name),
        )
    value = _UNINTERPRETED.search(text)
    if value is None:
        return None
    keys = [k for k, v in layer.config.items() if isinstance(v, str) and v == value.group(2).strip()]
    if keys:
        what = value.group(1)
        return Misnamed(
            what,
            layer.config[keys[0]],
            keys[0],
            layer.config[keys[0]],
            layer.class_name,
            layer.config_loc,
            _NAMES_OF[what],
        )
    return None


@functools.lru_cache(maxsize=None)
def _constructor_defaults(class_name: str) -> dict[str, Any]:
    """The defaults of a layer's constructor arguments."""
    parameters = inspect.signature(getattr(keras.layers, class_name).__init__).parameters.values()
    return {
        p.name: p.default
        for p in parameters
        if p.default is not inspect.Parameter.empty
        and p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    }


@functools.lru_cache(maxsize=None)
def positional_arguments(class_name: str) -> tuple[str, ...]:
    """A layer class's positional parameters in order, for reading code (Dense(16) is units=16); AttributeError
    or TypeError where keras.layers has no such class."""
    layer_class = getattr(keras.layers, class_name)
    if not inspect.isclass(layer_class):
        raise TypeError(f"keras.layers.{class_name} is no class")
    return tuple(
        p.name
        for p in inspect.signature(layer_class.__init__).parameters.values()
        if p.name != "self" and p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    )


def _deserialize(class_name: str, config: dict[str, Any]) -> Any:
    return keras.saving.deserialize_keras_object(
        {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}, safe_mode=True
    )


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
            raise ModelRejected(
                "the glu activation is not supported: it halves the last axis while Keras's "
                "shape inference reports it unchanged, so the answer's shapes would be wrong",
                loc=list(layer.loc),
                error_type="unsupported_activation",
            )
        required = [
            p.name
            for p in list(inspect.signature(activation).parameters.values())[1:]
            if p.default is inspect.Parameter.empty
            and p.kind is not inspect.Parameter.VAR_KEYWORD
            and p.kind is not inspect.Parameter.VAR_POSITIONAL
        ]
        if required:
            raise ModelRejected(
                f"the {activation.__name__} activation needs the arguments {required}, which an "
                "activation given by name cannot carry",
                loc=list(layer.loc),
                error_type="unsupported_activation",
            )


def make_layer(layer: CanonicalLayer) -> Any:
    """Deserialize one allowed built-in layer under its name, with Keras's safe mode on."""
    config = dict(layer.config, name=layer.name)
    try:
        try:
            made = _deserialize(layer.class_name, config)
        except KeyError:
            # Some layers' from_config reads keys their constructor makes optional (Rescaling's `offset`), and
            # a concise spec names only what it sets: complete it with the constructor's defaults. Only then,
            # so that Keras's messages do not list options the client never sent.
            made = _deserialize(layer.class_name, _constructor_defaults(layer.class_name) | config)
    except KeyError as error:
        raise ModelRejected(
            f"{layer.class_name} needs the argument {error}", loc=list(layer.loc), error_type="keras_layer"
        ) from None
    except Exception as error:  # any refusal of a client's config is the client's 422
        raise rejected(error, list(layer.loc), "keras_layer", misnamed(error, layer)) from None
    _check_activation(made, layer)
    _check_dtype(made, layer)
    return made


def make_operation(layer: CanonicalLayer) -> Any:
    """A keras.ops operation node (keras_names.OPERATIONS) as Keras's Functional.from_config rebuilds it:
    its class, from the service's own table, constructed with the plain arguments the schema let through."""
    operation_class = private.operation_class(layer.module, layer.class_name)
    try:
        return operation_class(**layer.config, name=layer.name)
    except Exception as error:  # a client's argument Keras refuses is the client's 422
        raise rejected(error, list(layer.loc), "keras_layer") from None


def make_application_layer(layer: CanonicalLayer) -> Any:
    """A keras.applications layer (keras_names.APPLICATION_INTERNAL_LAYERS) from its plain arguments; its dtype
    policy, as any layer's, went through guards/safety.py."""
    layer_class = private.application_layer_class(layer.module, layer.class_name)
    try:
        made = layer_class.from_config(dict(layer.config, name=layer.name))
    except Exception as error:  # a client's argument Keras refuses is the client's 422
        raise rejected(error, list(layer.loc), "keras_layer") from None
    _check_dtype(made, layer)
    return made


def _check_dtype(made: Any, layer: CanonicalLayer) -> None:
    """Real numbers only: Keras builds bool, string and complex layers, but their summaries and outputs fail
    (and JSON carries no complex number)."""
    for part in private.sublayers(made):
        for dtype in {part.compute_dtype, part.variable_dtype}:
            if not (_REAL.match(str(dtype))):
                raise ModelRejected(
                    f"layer '{part.name}' computes in {dtype}; the service computes with real numbers "
                    "(float16, bfloat16, float32, float64 or an integer type)",
                    loc=list(layer.loc),
                    error_type="layer_dtype",
                )


def check_input_dtype(model_input: CanonicalInput) -> None:
    """An input holds real numbers, in a dtype Keras knows: Keras refuses a dtype policy or an unknown name
    there with a bare ValueError ("Invalid dtype: mixed_bfloat16"), and builds bool, string and complex inputs
    that the service does not compute with (as for a layer: see _check_dtype)."""
    if model_input.dtype is None:
        return
    try:
        dtype = keras.backend.standardize_dtype(model_input.dtype)
    except Exception as error:  # any refusal of a client's dtype is the client's 422
        said = f"Keras refuses it as a tensor's dtype ({keras_message(error)})"
    else:
        if _REAL.match(dtype):
            return
        said = "the service computes with real numbers"
    policy = (
        f"; {' and '.join(MIXED_DTYPE_POLICIES)} are dtype policies, which a layer's dtype may name, not an input's"
        if model_input.dtype in MIXED_DTYPE_POLICIES
        else ""
    )
    raise ModelRejected(
        f"input '{model_input.name}' has dtype {model_input.dtype!r}: {said}. An input's dtype is one of "
        f"{', '.join(REAL_DTYPES)}{policy}",
        loc=list(model_input.loc),
        error_type="input_dtype",
    )
