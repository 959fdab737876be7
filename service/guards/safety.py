"""The spec is data, never code: every object a config names must be one of Keras's own built-ins.

Keras configs can name any importable callable (`module` + `class_name`, `registered_name`, serialized
functions, Lambda's marshalled bytecode), at any depth: inside initializers, regularizers, constraints,
activations, and the layers that wrapper layers hold. This walk refuses all of it before Keras sees the
config; Keras's own safe mode stays on behind it.
"""
from typing import Any

from schemas.keras_names import ACTIVATIONS, ALLOWED_OBJECTS, is_builtin_registration

from ..canonical import CanonicalSpec
from ..errors import RefusedObject

_REFERENCE_KEYS = ("class_name", "module", "registered_name")


def _refuse(reason: str, detail: str, loc: list[Any]) -> RefusedObject:
    return RefusedObject(detail, loc=loc, error_type=f"refused_{reason}")


def _check_reference(node: dict, loc: list[Any]) -> None:
    """One serialized object: a built-in class of an allowed Keras module, or a built-in activation."""
    class_name, module, registered = (node.get(key) for key in _REFERENCE_KEYS)
    if class_name == "function":
        if module != "keras.activations" or node.get("config") not in ACTIVATIONS:
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
    if not is_builtin_registration(registered, class_name):
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

