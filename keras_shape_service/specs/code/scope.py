"""Names and imports: what each name of the code stands for, and the refusals that say where reading stopped.

Imports of keras, tensorflow and numpy are recorded, never performed, so that aliases resolve (`tf.keras` is
`keras`); missing imports of the usual names (np, tf, layers, Dense...) are forgiven. Anything else imported, the
builtins that run, open or import things, and names with double underscores are refused ("code_forbidden"); a
name that is no Keras layer, model or module is "code_unknown_name", with a did-you-mean from `known_layers`.
"""

import ast
import difflib
import re
from typing import Any, Callable, NoReturn, Optional, Sequence, Union

from .bounds import CodeLimits, CodeRejected
from .tables import (
    DEFAULT_NAMES,
    DTYPES,
    FORBIDDEN,
    FORBIDDEN_INSTEAD,
    IMPORTABLE,
    INSTEAD,
    MAX_SUGGESTED_NAMES,
    MERGE_FUNCTIONS,
    MODELS,
    NUMPY,
    OBJECT_MODULES,
    OPERATION_FUNCTIONS,
    UNSUPPORTED,
)
from .values import InputEntry, KerasPath, LayerEntry, keras_path


class Scope:
    """The reader's state (names bound, layers made, the model) and what names stand for: imports (recorded so
    aliases resolve, never performed), the usual names without their import, Keras layers by their parameters."""

    def __init__(
        self,
        source: str,
        positional_arguments: Callable[[str], Sequence[str]],
        limits: CodeLimits,
        known_layers: Sequence[str],
    ):
        self.lines = re.split("\r\n|\r|\n", source)
        self.positional_arguments, self.limits, self.known_layers = positional_arguments, limits, known_layers
        self.names: dict[str, Any] = {}  # the innermost scope: the module's, or the running function's
        self.scopes: list[dict[str, Any]] = []  # the scopes around it, outermost first
        self.star_modules: list[tuple[str, ...]] = []
        self.layer_parameters_cache: dict[str, Optional[list[str]]] = {}
        # layers and inputs, in the order the code constructs them
        self.producers: list[Union[InputEntry, LayerEntry]] = []
        # (how many producers were made by then, class name): unnamed layers Keras makes as it builds a layer
        self.build_time_layers: list[tuple[int, str]] = []
        self.called: list[LayerEntry] = []  # layers, in the order of their first call
        self.models: list = []  # every model the code makes, in order; those used as layers are nested
        self.outermost: Any = None  # the model no other uses as a layer, once the code is read
        self.compile: Optional[dict] = None
        self.inputs: Any = None  # the data of the first prediction: a list, or a dict by key
        self.calls: list[str] = []
        self.budget = limits.max_literal_elements
        self.steps = limits.max_steps
        self.evaluating = 0  # expressions being read within one another

    def refuse(self, node: ast.AST, what: str, error_type: str = "code_unsupported") -> NoReturn:
        line = getattr(node, "lineno", 1)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        # ast's columns count UTF-8 bytes; editors count characters
        column = len(text.encode("utf-8")[: getattr(node, "col_offset", 0)].decode("utf-8", "ignore")) + 1
        raise CodeRejected(f"line {line}, column {column}: {what}", line, column, error_type)

    def unsupported(self, node: ast.AST) -> NoReturn:
        decorators = getattr(node, "decorator_list", None)  # a def's or a class's
        if decorators:
            self.refuse(decorators[0], "a decorator is not supported: the model is read, not run")
        what = UNSUPPORTED.get(type(node), f"`{type(node).__name__}`")
        instead = INSTEAD.get(type(node))
        self.refuse(node, f"{what} is not supported: the model is read, not run" + (f"; {instead}" if instead else ""))

    def step(self, node: ast.AST) -> None:
        """Spend one step: every statement read and every function called costs one, so loops and calls end."""
        self.steps -= 1
        if self.steps < 0:
            self.refuse(
                node,
                f"reading the code takes more than {self.limits.max_steps:,} steps (statements read, loops and "
                f"calls counted each time); the limit is max_steps={self.limits.max_steps:,}",
                "code_limit",
            )

    # Names and imports

    def lookup(self, name: str) -> tuple[bool, Any]:
        """Whether the code bound the name, in this scope or one around it, and to what."""
        for scope in (self.names, *reversed(self.scopes)):
            if name in scope:
                return True, scope[name]
        return False, None

    def check_name(self, name: str, node: ast.AST, attribute: bool = False, binding: bool = False) -> None:
        """`binding`: the code gives the name a value of its own (keras.io writes `input = layers.Input(...)`),
        which shadows the builtin, so nothing of it is reached."""
        if name in FORBIDDEN and not (attribute or binding):
            instead = FORBIDDEN_INSTEAD.get(name)
            self.refuse(
                node,
                f"`{name}` is refused: nothing in the code is run, opened or imported"
                + (f"; {instead}" if instead else ""),
                "code_forbidden",
            )
        if name.startswith("__"):
            self.refuse(
                node, f"`{name}` is refused: names with double underscores reach Python's internals", "code_forbidden"
            )

    def check_module(self, module: str, node: ast.AST) -> tuple[str, ...]:
        parts = tuple(module.split("."))
        for part in parts:
            self.check_name(part, node)
        if parts[0] not in IMPORTABLE:
            self.refuse(
                node,
                f"importing `{module}` is refused: only keras, tensorflow and numpy imports are "
                "read (and never performed); leave it out, and paste here what the model needs from it (functions "
                "that build layers are read), or send the model's model.to_json()",
                "code_forbidden",
            )
        return parts

    def import_names(self, node: ast.Import) -> None:
        for alias in node.names:
            parts = self.check_module(alias.name, alias)
            if alias.asname:
                self.check_name(alias.asname, alias)
            self.names[alias.asname or parts[0]] = keras_path(parts if alias.asname else parts[:1])

    def import_from(self, node: ast.ImportFrom) -> None:
        if node.module == "__future__":
            return
        if node.level or not node.module:
            self.refuse(
                node,
                "a relative import is refused: only keras, tensorflow and numpy imports are read",
                "code_forbidden",
            )
        parts = self.check_module(node.module, node)
        for alias in node.names:
            if alias.name == "*":
                self.star_modules.append(keras_path(parts).parts)
                continue
            self.check_name(alias.name, alias)
            self.check_name(alias.asname or alias.name, alias)
            self.names[alias.asname or alias.name] = keras_path(parts + (alias.name,))

    def is_layer(self, class_name: str) -> bool:
        if class_name not in self.layer_parameters_cache:
            parameters = None
            if re.fullmatch(r"[A-Z][A-Za-z0-9]*", class_name):
                try:
                    parameters = list(self.positional_arguments(class_name))
                except (KeyError, AttributeError, TypeError, ValueError):
                    pass  # not a layer class
            self.layer_parameters_cache[class_name] = parameters
        return self.layer_parameters_cache[class_name] is not None

    def kind(self, path: KerasPath) -> Optional[str]:
        """What a path names: a model, an input, a layer, a Keras object, an activation, a numpy function..."""
        parts, head, tail = path.parts, path.parts[:-1], path.parts[-1]
        if parts in MODELS:
            return MODELS[parts]
        if head[:2] == ("keras", "layers") and all(part.islower() for part in head[2:]):
            return "merge" if tail in MERGE_FUNCTIONS else "layer" if self.is_layer(tail) else None
        if head == ("keras", "ops") and tail in OPERATION_FUNCTIONS:
            return "operation"
        if parts == ("keras", "ops", "arange"):
            return "arange"
        if head in OBJECT_MODULES:
            return "object"
        if head in (("keras", "activations"), ("tensorflow", "nn")):
            return "activation"
        if head in (("numpy",), ("tensorflow",)) and tail in DTYPES:
            return "dtype"
        return NUMPY.get(parts)

    def default(self, name: str) -> Optional[KerasPath]:
        """What a name the code never bound stands for, as if the usual imports were there."""
        if name in DEFAULT_NAMES:
            return KerasPath(DEFAULT_NAMES[name])
        if name in MERGE_FUNCTIONS:
            return KerasPath(("keras", "layers", name))
        for module in self.star_modules:
            if self.kind(KerasPath(module + (name,))):
                return KerasPath(module + (name,))
        return KerasPath(("keras", "layers", name)) if self.is_layer(name) else None

    def unknown(self, name: str, node: ast.AST) -> NoReturn:
        # the latest names only: difflib compares every candidate, and code may bind thousands of names
        candidates = [*self.known_layers, *DEFAULT_NAMES, *list(self.names)[-MAX_SUGGESTED_NAMES:]]
        close = difflib.get_close_matches(name, candidates, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        self.refuse(
            node,
            f"`{name}` is not defined, and is no Keras layer, model or module this reader knows{hint}",
            "code_unknown_name",
        )
