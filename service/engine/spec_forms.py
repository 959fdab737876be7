"""The spec forms a client may send, brought to the one CanonicalSpec."""
from typing import Any, Optional, Union

from schemas import LayersModelSpec, NativeLayer, SequentialDocument
from schemas.spec import EmbeddingLayer

from ..canonical import CanonicalLayer, CanonicalSpec
from ..errors import ModelRejected

# Keys that say what the model's input is rather than configure the layer they sit on.
_INPUT_HINT_KEYS = ("input_shape", "batch_input_shape", "batch_shape", "input_dim")


def _axes(value: Any, loc: tuple) -> tuple:
    """A shape from an unvalidated config: a list of axis sizes (checked positive later), else a 422."""
    if not isinstance(value, (list, tuple)):
        raise ModelRejected(f"a shape must be a list of axis sizes, got {value!r}"[:300], loc=list(loc),
                            error_type="input_shape")
    return tuple(value)


def _input_shape_from(hints: dict[str, Any], loc: tuple) -> Optional[tuple[int, ...]]:
    """The non-batch input shape named by a layer's input hints, if any."""
    if hints.get("input_shape") is not None:
        return _axes(hints["input_shape"], loc + ("input_shape",))
    for key in ("batch_input_shape", "batch_shape"):
        if hints.get(key) is not None:
            return _axes(hints[key], loc + (key,))[1:]
    if hints.get("input_dim") is not None:
        return (hints["input_dim"],)
    return None


def _split_hints(config: dict[str, Any], keep_input_dim: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate input-shape hints from the layer's own arguments (Embedding's input_dim is its own)."""
    hint_keys = [k for k in _INPUT_HINT_KEYS if not (keep_input_dim and k == "input_dim")]
    hints = {k: config[k] for k in hint_keys if k in config}
    return {k: v for k, v in config.items() if k not in hints}, hints


def _native_layer(layer: NativeLayer, loc: tuple) -> tuple[Optional[CanonicalLayer], dict[str, Any]]:
    """A Keras-native entry; an InputLayer contributes only its shape."""
    if layer.class_name == "InputLayer":
        config = layer.config
        if config.get("shape") is not None:
            return None, {"input_shape": config["shape"]}
        return None, {k: config[k] for k in ("batch_shape", "batch_input_shape") if k in config}
    config, hints = _split_hints(layer.config, keep_input_dim=layer.class_name == "Embedding")
    return CanonicalLayer(layer.class_name, config, layer.weights, loc, loc + ("config",)), hints


def _concise_layer(layer: Any, loc: tuple) -> tuple[CanonicalLayer, dict[str, Any]]:
    """A concise entry: every field the client set except `type` and `weights` is a Keras argument."""
    arguments = layer.model_dump(exclude_unset=True, exclude={"type", "weights"})
    config, hints = _split_hints(arguments, keep_input_dim=isinstance(layer, EmbeddingLayer))
    return CanonicalLayer(layer.type, config, layer.weights, loc, loc), hints


def _layers(entries: list, base_loc: tuple) -> tuple[list[CanonicalLayer], Optional[tuple[int, ...]]]:
    """Canonical layers and the input shape the first entries name."""
    layers: list[CanonicalLayer] = []
    first_hint: Optional[tuple[int, ...]] = None
    for index, entry in enumerate(entries):
        loc = base_loc + (index,)
        convert = _native_layer if isinstance(entry, NativeLayer) else _concise_layer
        layer, hints = convert(entry, loc)
        if not layers and first_hint is None:
            first_hint = _input_shape_from(hints, loc)
        if layer is not None:
            layers.append(layer)
    return layers, first_hint


def _compile_names(compile_config: Optional[dict[str, Any]]) -> tuple[Optional[str], Optional[str]]:
    """Loss and optimizer names from a to_json compile_config (strings or serialized objects)."""
    if not compile_config:
        return None, None
    def name_of(value: Any) -> Optional[str]:
        return value.get("class_name") if isinstance(value, dict) else value
    return name_of(compile_config.get("loss")), name_of(compile_config.get("optimizer"))


def canonical_spec(model: Union[LayersModelSpec, SequentialDocument]) -> CanonicalSpec:
    """Bring any accepted spec form to the one CanonicalSpec."""
    if isinstance(model, SequentialDocument):
        layers_loc = ("model", "config", "layers")
        layers, hint = _layers(model.config.layers, layers_loc)
        build_shape = model.config.build_input_shape or (model.build_config or {}).get("input_shape")
        build_hint = _axes(build_shape, ("model", "build_config", "input_shape"))[1:] if build_shape else None
        input_shape = hint or build_hint
        name, (loss, optimizer) = model.config.name, _compile_names(model.compile_config)
        compile_loc = ("model", "compile_config")
    else:
        layers_loc = ("model", "layers")
        layers, hint = _layers(model.layers, layers_loc)
        input_shape = tuple(model.input_shape) if model.input_shape else hint
        name = model.name
        loss, optimizer = (model.compile.loss, model.compile.optimizer) if model.compile else (None, None)
        compile_loc = ("model", "compile")
    if not layers:
        raise ModelRejected("the model has no layer besides its InputLayer", loc=list(layers_loc),
                            error_type="no_layers")
    return CanonicalSpec(name, input_shape, tuple(layers), loss, optimizer, compile_loc)
