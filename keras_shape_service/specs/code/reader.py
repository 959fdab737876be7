"""Pasted Keras Python code read into a model spec, without running, importing, evaluating or opening anything.

The code is bounded (bounds.py), its Python 2 prints rewritten (python2.py), parsed with `ast`, and read
statement by statement (statements.py) by a reader that understands only what a model script says about its
model: names and imports (scope.py), values (expressions.py), layers, models and their methods (models.py).
Anything else is a CodeRejected naming its line and column.

The spec is the service's concise JSON: Sequential {"name"?, "input_shape"?, "layers": [...], "compile"?} or
functional {"name"?, "inputs": [...] or {key: ...}, "layers": [... "inbound"/"calls", "initial_state"/"mask"? ...],
"outputs": [...] or {name: ...}, "compile"?}, a model the code uses as a layer nested in it as {"type": "Sequential" or
"Functional", ...}.
`ReadCode.inputs` is the data of the first `model.predict(x)` or `model(x)` (a dict of it by input name); np.random
arrays become the deterministic stand-in (i % 100) / 100 at flat index i, since the service answers shapes.
"""

from typing import Callable, Sequence

from .bounds import CodeLimits, CodeRejected, check_nesting, check_text, check_tree, parse
from .python2 import rewrite_python2_prints
from .statements import Reader
from .values import ReadCode

__all__ = ["CodeLimits", "CodeRejected", "ReadCode", "read_code"]


def read_code(
    source: str,
    positional_arguments: Callable[[str], Sequence[str]],
    limits: CodeLimits = CodeLimits(),
    known_layers: Sequence[str] = (),
) -> ReadCode:
    """The model spec, predict inputs and model calls that pasted Keras code describes, read without running it."""
    source = source.removeprefix("\ufeff")  # a byte order mark some editors add: not code, and no column
    check_text(source, limits)
    check_nesting(source, limits)
    source = rewrite_python2_prints(source)
    reader = Reader(source, positional_arguments, limits, known_layers)
    tree = parse(source)
    check_tree(tree, limits, reader.refuse)
    try:
        return reader.read(tree)
    except RecursionError:  # the bounds keep the stack short; this is the backstop, not the rule
        raise CodeRejected(
            "line 1, column 1: the code nests too deep to read (expressions within function calls within loops)",
            1,
            1,
            "code_limit",
        ) from None
