"""The spec is data, never code: every object a config names must be one of Keras's own built-ins.

Keras configs can name any importable callable (`module` + `class_name`, `registered_name`, serialized
functions, Lambda's marshalled bytecode), at any depth: inside initializers, regularizers, constraints,
activations, and the layers that wrapper layers hold. This walk refuses all of it before Keras sees the
config; Keras's own safe mode stays on behind it.
"""
from typing import Any

from . import tf_runtime  # noqa: F401  (before Keras: it settles how TensorFlow runs)

import keras  # noqa: E402

from schemas.layer_names import ALLOWED_LAYER_TYPES, NESTED_ONLY_LAYER_TYPES

from .canonical import CanonicalSpec
from .errors import ServiceError


class RefusedObject(ServiceError):
    """A config names something outside Keras's built-in layers and their parts."""

    title = "Refused: not a built-in Keras object"


def _public_classes(module: Any, base: type) -> frozenset[str]:
    """Concrete classes a Keras module exports, its abstract base excluded."""
    return frozenset(name for name in dir(module) if not name.startswith("_")
                     and isinstance(getattr(module, name), type) and issubclass(getattr(module, name), base)
                     and getattr(module, name) is not base)


ALLOWED_OBJECTS: dict[str, frozenset[str]] = {
    "keras.layers": frozenset(ALLOWED_LAYER_TYPES + NESTED_ONLY_LAYER_TYPES),
    "keras.initializers": _public_classes(keras.initializers, keras.initializers.Initializer),
    "keras.regularizers": _public_classes(keras.regularizers, keras.regularizers.Regularizer),
    "keras.constraints": _public_classes(keras.constraints, keras.constraints.Constraint),
    "keras": frozenset({"DTypePolicy", "FloatDTypePolicy"}),
    "keras.dtype_policies": frozenset({"DTypePolicy", "FloatDTypePolicy"}),
}
ACTIVATION_NAMES = frozenset(name for name in dir(keras.activations)
                             if not name.startswith("_") and name not in ("get", "serialize", "deserialize"))
_REFERENCE_KEYS = ("class_name", "module", "registered_name")


def _refuse(reason: str, detail: str, loc: list[Any]) -> RefusedObject:
    return RefusedObject(detail, loc=loc, error_type=f"refused_{reason}")


def _check_reference(node: dict, loc: list[Any]) -> None:
    """One serialized object: a built-in class of an allowed Keras module, or a built-in activation."""
    class_name, module, registered = (node.get(key) for key in _REFERENCE_KEYS)
    if class_name == "function":
        if module != "keras.activations" or node.get("config") not in ACTIVATION_NAMES:
            raise _refuse("function", f"function {node.get('config')!r} of module {module!r} is not a built-in "
                                      "Keras activation", loc)
        return
    candidates = [ALLOWED_OBJECTS[module]] if module in ALLOWED_OBJECTS else []
    if module is None:
        candidates = list(ALLOWED_OBJECTS.values())
    elif not candidates:
        raise _refuse("module", f"module {module!r} is outside Keras's layers, initializers, regularizers and "
                                "constraints", loc + ["module"])
    if not isinstance(class_name, str) or not any(class_name in allowed for allowed in candidates):
        raise _refuse("class", f"class {class_name!r} is not an allowed built-in Keras object", loc + ["class_name"])
    if registered not in (None, class_name):
        raise _refuse("registered_name", f"registered_name {registered!r} points outside Keras's built-ins",
                      loc + ["registered_name"])


def check_config(node: Any, loc: list[Any]) -> None:
    """Walk a config (without recursion, so depth costs no stack) and refuse any non-built-in reference."""
    stack: list[tuple[Any, list[Any]]] = [(node, loc)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            if any(key in value for key in _REFERENCE_KEYS):
                _check_reference(value, where)
            stack.extend((child, where + [key]) for key, child in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((child, where + [index]) for index, child in enumerate(value))


def check_spec(spec: CanonicalSpec) -> None:
    """Every layer's config, down to its last nested object."""
    for layer in spec.layers:
        check_config(layer.config, list(layer.config_loc))

