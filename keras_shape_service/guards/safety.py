"""The spec is data, never code: every object a config names must be one of Keras's own built-ins.

Keras configs can name any importable callable (`module` + `class_name`, `registered_name`, serialized
functions, Lambda's marshalled bytecode), at any depth: inside initializers, regularizers, constraints,
activations, and the layers that wrapper layers hold. This walk refuses all of it before Keras sees the
config; Keras's own safe mode stays on behind it.
"""

from typing import Any

from keras_shape_service.errors import RefusedObject
from keras_shape_service.schemas.keras_names import ACTIVATIONS, ALLOWED_OBJECTS, is_builtin_registration
from keras_shape_service.specs.canonical import Application, CanonicalLayer, CanonicalSpec, Constant

_REFERENCE_KEYS = ("class_name", "module", "registered_name")
_ACTIVATION_KEYS = frozenset({"activation", "recurrent_activation"})
# The modules an object may come from, by the argument that holds it: an object of another kind there would
# be built by Keras all the same (a Dense passed as an activation built 400M parameters no limit saw).
_ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("_initializer", ("keras.initializers",)),
    ("_regularizer", ("keras.regularizers",)),
    ("_constraint", ("keras.constraints",)),
    ("layer", ("keras.layers",)),
    ("backward_layer", ("keras.layers",)),
    ("cell", ("keras.layers",)),
    ("dtype", ("keras", "keras.dtype_policies")),
)


def _refuse(reason: str, detail: str, loc: list[Any]) -> RefusedObject:
    return RefusedObject(detail, loc=loc, error_type=f"refused_{reason}")


def _argument(loc: list[Any]) -> str:
    """The argument an object is given for: the last key of its location (list items take their list's)."""
    return next((part for part in reversed(loc) if isinstance(part, str)), "")


def _modules_for(argument: str, loc: list[Any]) -> tuple[str, ...]:
    """The modules an object given for `argument` may come from."""
    for suffix, modules in _ROLES:
        if argument == suffix or (suffix.startswith("_") and argument.endswith(suffix)):
            return modules
    raise _refuse(
        "argument",
        f"{argument!r} takes no Keras object; only initializers, regularizers, "
        "constraints, activations, dtype policies and wrapped layers may be objects",
        loc,
    )


def _check_reference(node: dict, loc: list[Any]) -> None:
    """One serialized object: a built-in of the Keras module its argument takes, or a built-in activation."""
    class_name, module, registered = (node.get(key) for key in _REFERENCE_KEYS)
    argument = _argument(loc)
    if argument in _ACTIVATION_KEYS or class_name == "function":
        if class_name != "function" or module != "keras.activations" or node.get("config") not in ACTIVATIONS:
            raise _refuse(
                "function",
                f'{argument!r} takes a built-in Keras activation (a name such as "relu"), '
                f"not {class_name!r} of module {module!r}",
                loc,
            )
        return
    allowed_modules = _modules_for(argument, loc)
    if module is not None and module not in allowed_modules:
        raise _refuse(
            "module",
            f"{argument!r} takes an object of {' or '.join(allowed_modules)}, not of module {module!r}",
            loc + ["module"],
        )
    candidates = [ALLOWED_OBJECTS[name] for name in ((module,) if module else allowed_modules)]
    if not isinstance(class_name, str) or not any(class_name in allowed for allowed in candidates):
        raise _refuse("class", f"class {class_name!r} is not an allowed built-in Keras object", loc + ["class_name"])
    if not is_builtin_registration(registered, class_name):
        raise _refuse(
            "registered_name",
            f"registered_name {registered!r} points outside Keras's built-ins",
            loc + ["registered_name"],
        )


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


def _check_call_arguments(layer: CanonicalLayer) -> None:
    """A call's arguments beyond its tensors are plain values (a mask flag, None) or constants: never objects.
    A constant computed by a layer: that layer's arguments, as any layer's."""
    for call in layer.calls:
        stack: list[Any] = [call.args, list(call.kwargs.values())]
        while stack:
            value = stack.pop()
            if isinstance(value, Constant) and value.layer is not None:
                for argument, given in value.layer.config.items():
                    check_config(given, list(value.layer.config_loc) + [argument])
            elif isinstance(value, (list, tuple)):
                stack.extend(value)
            elif isinstance(value, dict) and value.get("class_name") in ("__tensor__", "__layer_output__"):
                raise _refuse(
                    "call",
                    f"a constant tensor (__tensor__) is read only as an operand of a keras.ops operation node, not "
                    f"as an argument of layer '{layer.name}' ({layer.class_name})",
                    list(call.loc),
                )
            elif isinstance(value, dict):
                raise _refuse("call", "a call's arguments may be tensors and plain values, not objects", list(call.loc))


def _check_application(application: Application, spec: CanonicalSpec) -> None:
    """Constructor arguments of a keras.applications network: plain values; weights and tensors never."""
    for argument, value in application.arguments.items():
        loc = list(spec.loc) + [argument]
        if argument in _APPLICATION_REFUSED:
            raise _refuse("argument", _APPLICATION_REFUSED[argument], loc)
        if isinstance(value, dict) or (isinstance(value, list) and argument != "input_shape"):
            raise _refuse(
                "argument", f"{argument!r} takes a plain value here (a number, a string, true/false or null)", loc
            )


_APPLICATION_REFUSED = {
    "weights": "weights are never downloaded: a network by name is always built with weights=None (seeded "
    'initial weights); give weights by layer name in the request\'s "weights" instead',
    "input_tensor": "input_tensor takes a Keras tensor, which JSON cannot carry: give input_shape",
}


def check_spec(spec: CanonicalSpec) -> None:
    """Every layer's arguments, down to their last nested object, in nested models too (a layer's config is
    its arguments, not an object: a `class_name` among them is an argument Keras will refuse, not a
    reference)."""
    if spec.application is not None:
        _check_application(spec.application, spec)
    for layer in spec.layers:
        if layer.model is not None:
            check_spec(layer.model)
        for argument, value in layer.config.items():
            check_config(value, list(layer.config_loc) + [argument])
        _check_call_arguments(layer)
