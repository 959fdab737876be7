"""Reading the answer's explanations back: the arithmetic of why.params, checked apart from the service's code."""

import ast
import re

_OPERANDS = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def evaluate(text: str) -> int:
    """What a why.params sentence's sum comes to: words dropped, `x` read as times ("kernel 2 x 16 + bias 16 =
    48" -> 2 * 16 + 16). Only digits, + * and parentheses may be left: anything else fails the test."""
    expr = text.rsplit(": ", 1)[-1]
    left, _, stated = expr.rpartition(" = ")
    arithmetic = _OPERANDS.sub(lambda word: "*" if word.group() == "x" else "", left or stated)
    assert re.fullmatch(r"[\d\s+*()]+", arithmetic), f"not plain arithmetic: {text!r} -> {arithmetic!r}"
    value = eval(compile(ast.parse(arithmetic.strip(), mode="eval"), "<why.params>", "eval"), {"__builtins__": {}})
    assert int(stated) == value, f"{text!r}: the sum comes to {value}, the sentence says {stated}"
    return value


def shape_text(shape: list) -> str:
    """A row's shape as Keras's summary writes it: [null, 3, 16] -> (None, 3, 16)."""
    return (
        "("
        + ", ".join("None" if axis is None else str(axis) for axis in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )
