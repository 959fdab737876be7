"""The Keras adapter's first half: a canonical spec in; a planned model, its facts and summary out.

Building happens in two steps so that limits can be checked from shapes first: `plan` builds the model inside
keras.StatelessScope, where variables get shapes but no memory, and ready.materialize allocates and
initializes the weights of a planned model.
"""

import contextvars
import functools
import math
from dataclasses import dataclass, field
from typing import Any, Optional

import keras

from keras_shape_service.errors import LimitExceeded, ModelRejected
from keras_shape_service.facts import LayerFacts, shape_text
from keras_shape_service.files.hdf5 import WeightsFile
from keras_shape_service.schemas import ParamCounts
from keras_shape_service.schemas.keras_names import INFERENCE_IDENTITY_LAYER_TYPES
from keras_shape_service.schemas.numbers import shape_of
from keras_shape_service.specs.canonical import CanonicalSpec

from . import builder, private, weights_file
from .facts import layer_facts, model_facts
from .layers import rejected
from .summary import summary_text

_BUILD_LIMIT: "contextvars.ContextVar[Optional[int]]" = contextvars.ContextVar("kss_build_limit", default=None)
APPLICATION_NOTE = (
    "weights=None: a keras.applications network is built with initial weights drawn from the "
    "request's seed, never with downloaded (ImageNet) weights"
)
_NAMED_AT_MOST = 5  # layers named in a note; a network has hundreds


@dataclass(frozen=True)
class ModelReport:
    """What Keras says of the whole model: its parameter counts, its summary text, and notes for the answer.
    The layer table and the cost are the engine's, from the facts."""

    params: ParamCounts
    summary: str
    notes: list[str]


@dataclass
class PlannedModel:
    """A model whose shapes are known and whose weights are not yet allocated."""

    model: Any
    spec: CanonicalSpec
    report: ModelReport
    facts: tuple[LayerFacts, ...]
    pending_variables: list = field(default_factory=list)
    # Layers that compute constants outside the graph (builder.ComputedConstant), once, when the model is made
    # ready: their facts, the constant's first axis as their batch. No rows of the answer; the limits count them.
    outside: tuple[LayerFacts, ...] = ()
    computed: list = field(default_factory=list)  # those layers with their constants and operands

    @property
    def outside_params(self) -> int:
        """Weights of the layers that compute constants: allocated as the model's are, yet no part of Keras's
        count; the params limit counts them too."""
        layers = {layer.name: layer for layer in self.outside}  # one layer may compute several constants
        return sum(math.prod(weight.shape) for layer in layers.values() for weight in layer.weights)

    @property
    def output_shapes(self) -> tuple[tuple[Optional[int], ...], ...]:
        """The model's outputs' shapes, batch axis first (None), in its output order: what predict answers."""
        return tuple(tuple(None if axis is None else int(axis) for axis in t.shape) for t in self.model.outputs)


def _too_large(layer: Any, size: Optional[int]) -> Exception:
    if size is None:
        return ModelRejected(
            f"layer '{layer.name}' ({type(layer).__name__}) allocates its input's size when built, "
            "and that size is not known in whole numbers",
            loc=["model"],
            error_type="unknown_shape",
        )
    limit = _BUILD_LIMIT.get()
    assert limit is not None, "private.bound_normalization_builds refuses only under a set limit"
    return LimitExceeded(
        "max_activation_elements",
        limit,
        size,
        f"input of {type(layer).__name__} '{layer.name}', which allocates its size when built",
    )


private.bound_normalization_builds(_BUILD_LIMIT, _too_large)


def _check_axes(facts: tuple[LayerFacts, ...], spec: CanonicalSpec) -> None:
    """Every axis Keras infers must be a whole number; one it cannot size (None) only where an input's own
    axis is variable. A float, or None from known inputs, means an argument holds something that is no size."""
    variable = any(i.shape is None or None in i.shape for i in spec.inputs)
    locs = spec.layer_locs()
    for layer in facts:
        for shape in layer.output_shapes:
            if any(
                not (isinstance(axis, int) and not isinstance(axis, bool) and axis >= 0)
                and not (axis is None and variable)
                for axis in shape[1:]
            ):
                raise ModelRejected(
                    f"layer '{layer.name}' outputs {shape_text(shape)}, an axis Keras cannot size "
                    "in whole numbers: check the sizes in its arguments",
                    loc=list(locs.get(layer.name, spec.loc)),
                    error_type="shape_axis",
                )


def _param_counts(model: Any) -> ParamCounts:
    # math.prod, not np.prod: huge kernels must not wrap around in int64 and slip past the params limit.
    total = sum(math.prod(v.shape) for v in model.weights)
    trainable = sum(math.prod(v.shape) for v in model.trainable_weights)
    return ParamCounts(total=total, trainable=trainable, non_trainable=total - trainable)


@functools.lru_cache(maxsize=32)
def _shared_optimizer(name: str) -> Any:
    """One optimizer per name per process, shared by the models compiled with it.

    An optimizer holds per-model state only once it trains (it builds its slots then), and nothing here
    trains; creating one costs TensorFlow variable ops, so models share it.
    """
    return keras.optimizers.get(name)


def _compile_objects(spec: CanonicalSpec) -> Optional[tuple[Any, Any]]:
    """Loss and optimizer by Keras's own lookup, or a 422 for a name Keras does not know."""
    if spec.loss is None and spec.optimizer is None:
        return None
    objects = []
    for name, lookup, key in (
        (spec.loss or "mean_squared_error", keras.losses.get, "loss"),
        (spec.optimizer or "SGD", _shared_optimizer, "optimizer"),
    ):
        try:
            objects.append(lookup(name))
        except Exception as error:
            raise rejected(error, list(spec.compile_loc) + [key], "keras_compile") from None
    return objects[0], objects[1]


def _application_note(model: Any, spec: CanonicalSpec) -> str:
    """Where a keras.applications network's weights come from: the request's seed, the request's own weights
    (by layer name), or both."""
    if not spec.weights:
        return APPLICATION_NOTE
    never = "weights=None: a keras.applications network is never built with downloaded (ImageNet) weights"
    seeded = [layer.name for layer in model.layers if layer.weights and layer.name not in spec.weights]
    if not seeded:
        return f"{never}; every layer's weights are the request's"
    more = len(seeded) - _NAMED_AT_MOST
    named = ", ".join(seeded[:_NAMED_AT_MOST]) + (f" and {more} more" if more > 0 else "")
    return (
        f"{never}; {len(spec.weights)} layer(s) have the request's weights, and the initial weights of the "
        f"{len(seeded)} other(s) with weights ({named}) are drawn from the request's seed"
    )


def _identity_note(model: Any) -> list[str]:
    """Augmentation layers do nothing at inference: the answer says so, lest a client expect flipped images."""
    found = [
        f"{part.name} ({type(part).__name__})"
        for layer in model.layers
        for part in private.sublayers(layer)
        if type(part).__name__ in INFERENCE_IDENTITY_LAYER_TYPES
    ]
    if not found:
        return []
    more = len(found) - _NAMED_AT_MOST
    named = ", ".join(found[:_NAMED_AT_MOST]) + (f" and {more} more" if more > 0 else "")
    return [
        f"{named}: data augmentation, which changes images in training only; at inference (these predictions "
        "and shapes) it does nothing: its input passes through unchanged"
    ]


def _mask_note(model: Any) -> list[str]:
    """Layers given a mask (Embedding(mask_zero=True) upstream): the rows list their real inputs only, so the
    answer says where a mask goes and what it does."""
    operations = private.model_operations(model) if private.is_functional(model) else model.layers
    masked = [
        f"{operation.name} (from {', '.join(sources)})"
        for operation in operations
        for node in private.layer_nodes(operation)[:1]
        if (sources := private.mask_sources(node))
    ]
    if not masked:
        return []
    return [
        f"masked: {', '.join(masked[:_NAMED_AT_MOST])}{' and more' if len(masked) > _NAMED_AT_MOST else ''} "
        "take a mask, which skips the padded (masked) steps; a mask is no input, so their rows list only the "
        "tensors they compute on"
    ]


def _check_weight_shapes(model: Any, spec: CanonicalSpec, outside: list) -> None:
    """Given weights, by layer name, must match that layer's get_weights() in count and shapes (the layers that
    compute constants outside the graph, `outside`, by name too)."""
    layers = {layer.name: layer for layer in [*model.layers, *(computed.layer for computed in outside)]}
    for name, given in spec.weights.items():
        if name not in layers:
            raise ModelRejected(
                f"weights are given for '{name}', which is no layer of the model; its layers are {sorted(layers)}"[
                    :600
                ],
                loc=list(given.loc),
                error_type="weights_name",
            )
        expected = [list(v.shape) for v in layers[name].weights]
        shapes = [list(shape_of(w)) for w in given.arrays]
        if shapes != expected:
            layer = layers[name]
            raise ModelRejected(
                f"layer '{name}' ({type(layer).__name__}) expects weights of shapes {expected}, got {shapes}",
                loc=list(given.loc),
                error_type="weights_shape",
            )


def _file_note(source: WeightsFile, variables: int) -> str:
    return (
        f"weights: all {variables} variables read from the uploaded file '{source.filename}' "
        f"({'model.weights.h5 of the .keras archive' if source.layout == 'keras' else 'its model_weights'}), "
        "not drawn from the seed"
    )


def plan(
    spec: CanonicalSpec,
    seed: int,
    max_build_elements: int,
    summary_options: tuple[bool, bool] = (False, False),
    max_constant_elements: Optional[int] = None,
) -> PlannedModel:
    """Build and compile the model, its shapes known but no weights allocated; layer names start afresh.

    `max_build_elements` bounds what a layer may allocate while it is built (Normalization); `summary_options`
    are model.summary's expand_nested and show_trainable; `max_constant_elements` bounds the constants layers
    compute outside the graph with the given ones (builder.build).
    """
    private.reset_layer_names()
    keras.utils.set_random_seed(seed)  # initializers draw their seeds when constructed, in layer order
    compile_objects = _compile_objects(spec)
    bound = _BUILD_LIMIT.set(max_build_elements)
    try:
        with keras.StatelessScope(initialize_variables=False):  # we initialize later, or never
            built = builder.build(spec, max_constant_elements)
            model = built.model
            facts = model_facts(model)
            _check_axes(facts, spec)
            report = ModelReport(
                params=_param_counts(model),
                summary=summary_text(model, *summary_options),
                notes=([_application_note(model, spec)] if spec.kind == "application" else [])
                + _identity_note(model)
                + _mask_note(model),
            )
            _check_weight_shapes(model, spec, built.computed)
            if spec.weights_file is not None:
                report.notes.append(_file_note(spec.weights_file, weights_file.check(model, spec.weights_file)))
            if compile_objects:
                # In the scope, so that the loss tracker's variables stay deferred and are never initialized:
                # nothing trains or evaluates, so nothing reads them.
                model.compile(loss=compile_objects[0], optimizer=compile_objects[1])
    finally:
        _BUILD_LIMIT.reset(bound)
        pending = private.take_deferred_variables()
    outside = tuple(
        layer_facts(computed.layer, (computed.constant.shape,), (tuple(computed.operand.shape),))
        for computed in built.computed
    )
    return PlannedModel(model, spec, report, facts, pending, outside, built.computed)
