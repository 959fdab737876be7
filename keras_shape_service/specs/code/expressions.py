"""Expressions the reader computes without running them: constants, names, attributes of module paths and the
model, lists and tuples, arithmetic on numbers, call arguments by parameter, and the data a model predicts on.

Numbers are bounded as they are computed (integers by max_int, exponents by 64, floats finite); data is copied
into the answer element by element from one budget of max_literal_elements, since names may share lists. Calls
are read by models.py; the syntax no rule here reads is refused with the words of tables.UNSUPPORTED.

Arguments are copied into the spec as JSON: tuples become lists, `tf.nn.relu`-style functions and dtypes their
name, `keras.initializers.X(...)`, regularizer and constraint calls {"class_name": "X", "config": {...}}, a layer
given to another (Bidirectional(LSTM(4))) its own concise form.
"""

import ast
import math
from typing import Any, Callable, Sequence, Union

from .scope import Scope
from .tables import ARITHMETIC
from .values import (
    Array,
    FunctionalModel,
    KerasObject,
    KerasPath,
    LayerEntry,
    ModelMethod,
    SequentialModel,
    Tensor,
    describe,
    keras_path,
    source_text,
)

_EVALUATORS: dict[type[ast.AST], str] = {  # by name, since calls are read by the subclass in models.py
    ast.Constant: "constant",
    ast.Name: "name",
    ast.Attribute: "attribute",
    ast.Call: "call",
    ast.List: "sequence",
    ast.Tuple: "sequence",
    ast.UnaryOp: "unary",
    ast.BinOp: "binary",
}


class Expressions(Scope):
    """Values of expressions, arguments of calls, and data, each bounded."""

    def value(self, node: ast.AST) -> Any:
        evaluator = _EVALUATORS.get(type(node))
        if evaluator is None:
            self.unsupported(node)
        return getattr(self, evaluator)(node)

    def constant(self, node: ast.Constant) -> Any:
        if node.value is None or isinstance(node.value, (bool, str)):
            return node.value
        if isinstance(node.value, (int, float)):
            return self.bounded(node.value, node)
        self.refuse(node, f"the literal `{source_text(node)}` is not supported")

    def bounded(self, number: Any, node: ast.AST) -> Any:
        if isinstance(number, int) and not isinstance(number, bool) and abs(number) > self.limits.max_int:
            shown = f"{number:,}" if number.bit_length() <= 128 else f"of {number.bit_length()} bits"
            self.refuse(node, f"the integer {shown} is over the limit max_int={self.limits.max_int:,}", "code_limit")
        if isinstance(number, complex) or isinstance(number, float) and not math.isfinite(number):
            self.refuse(node, f"`{source_text(node)}` is not a finite real number")
        return number

    def name(self, node: ast.Name) -> Any:
        self.check_name(node.id, node)
        if node.id in self.names:
            return self.names[node.id]
        return self.default(node.id) or self.unknown(node.id, node)

    def attribute(self, node: ast.Attribute) -> Any:
        self.check_name(node.attr, node, attribute=True)
        owner = self.value(node.value)
        if isinstance(owner, KerasPath):
            return keras_path(owner.parts + (node.attr,))
        if isinstance(owner, (SequentialModel, FunctionalModel)):
            return ModelMethod(owner, node.attr)
        if node.attr == "shape":
            self.refuse(node, "`.shape` is only read inside print(...): the reader does not run the model")
        self.refuse(node, f"attribute access `.{node.attr}` on {describe(owner)} is not supported")

    def sequence(self, node: Union[ast.List, ast.Tuple]) -> Any:
        items = [self.value(element) for element in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)

    def number(self, node: ast.AST) -> Any:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.refuse(node, f"arithmetic is only read on numbers; `{source_text(node)}` is {describe(value)}")
        return value

    def unary(self, node: ast.UnaryOp) -> Any:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            self.refuse(node, f"the operation `{source_text(node)}` is not supported")
        operand = self.number(node.operand)
        return self.bounded(-operand if isinstance(node.op, ast.USub) else operand, node)

    def binary(self, node: ast.BinOp) -> Any:
        operation = ARITHMETIC.get(type(node.op))
        if operation is None:
            self.refuse(node, f"the operation `{source_text(node)}` is not supported")
        left, right = self.number(node.left), self.number(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            self.refuse(node, f"the exponent {right} is over the limit 64", "code_limit")
        try:
            return self.bounded(operation(left, right), node)
        except (ArithmeticError, ValueError) as error:
            self.refuse(node, f"`{source_text(node)}` cannot be computed: {error}")

    def arguments(
        self, node: ast.Call, parameters: Sequence[str], what: str, any_keyword: bool = False
    ) -> dict[str, ast.AST]:
        """The call's argument nodes by parameter name: positionals in order, then keywords."""
        if len(node.args) > len(parameters):
            self.refuse(
                node.args[len(parameters)],
                f"`{what}` takes at most {len(parameters)} positional argument(s) here; it got {len(node.args)}",
            )
        nodes: dict[str, ast.AST] = dict(zip(parameters, node.args))
        for keyword in node.keywords:
            if keyword.arg is None:  # call() refused these already; this says so to type checkers too
                self.refuse(keyword, "star-arguments (`**kwargs`) are not supported")
            if keyword.arg in nodes:
                self.refuse(keyword, f"`{what}` got two values for `{keyword.arg}`")
            if not any_keyword and keyword.arg not in parameters:
                self.refuse(keyword, f"`{what}` has no argument `{keyword.arg}` this reader knows")
            self.check_name(keyword.arg, keyword)
            nodes[keyword.arg] = keyword.value
        return nodes

    # Data

    def spend(self, count: int, node: ast.AST) -> None:
        self.budget -= count
        if self.budget < 0:
            self.refuse(
                node,
                f"the code's data adds up to more than {self.limits.max_literal_elements:,} "
                f"elements; the limit is max_literal_elements={self.limits.max_literal_elements:,}",
                "code_limit",
            )

    def json(self, value: Any, node: ast.AST, depth: int = 0, numbers_only: bool = False) -> Any:
        """A fresh JSON copy of a value, each element spent from the budget, refusing what JSON cannot hold."""
        if depth > self.limits.max_nesting:
            self.refuse(
                node,
                f"the data here nests more than {self.limits.max_nesting} levels deep; the limit "
                f"is max_nesting={self.limits.max_nesting}",
                "code_limit",
            )
        self.spend(1, node)
        if isinstance(value, (list, tuple, Array)):
            items = value.data if isinstance(value, Array) else value
            return [self.json(item, node, depth + 1, numbers_only) for item in items]
        if numbers_only and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self.refuse(node, f"predict reads arrays of numbers; this one holds {describe(value)}")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, dict):
            return {key: self.json(item, node, depth + 1) for key, item in value.items()}
        if isinstance(value, KerasObject):
            return {"class_name": value.class_name, "config": self.json(value.config, node, depth + 1)}
        if isinstance(value, LayerEntry):
            return self.json({"type": value.class_name, **value.arguments}, node, depth)
        kind = self.kind(value) if isinstance(value, KerasPath) else None
        if kind in ("activation", "dtype", "object"):
            return value.parts[-1]
        self.refuse(node, f"{describe(value)} cannot be an argument here")

    def array(self, node: ast.AST) -> list:
        """Data for predict: an array as it is, a list of arrays (several inputs) as theirs, a list copied."""
        value = self.value(node)
        if isinstance(value, Tensor):
            self.refuse(node, "calling the model on a tensor (a nested model) is not supported")
        if isinstance(value, Array):
            return value.data
        if isinstance(value, (list, tuple)) and value and all(isinstance(item, Array) for item in value):
            return [item.data for item in value]
        if not isinstance(value, (list, tuple)):
            self.refuse(
                node, f"predict reads a list or np.array of numbers; `{source_text(node)}` is {describe(value)}"
            )
        return self.json(value, node, numbers_only=True)

    def filled(self, dimensions: Any, node: ast.AST, value_at: Callable[[int], float]) -> Array:
        """A nested list of this shape, the element at flat index i being value_at(i); its size bounded first."""
        dimensions = dimensions if isinstance(dimensions, (list, tuple)) else [dimensions]
        total = 1
        for size in dimensions:
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                self.refuse(node, f"an array's sizes are positive integers; `{source_text(node)}` asks for {size!r}")
            total *= size
            if total > self.limits.max_literal_elements:
                self.refuse(
                    node,
                    f"`{source_text(node)}` holds more than {self.limits.max_literal_elements:,} elements;"
                    f" the limit is max_literal_elements={self.limits.max_literal_elements:,}",
                    "code_limit",
                )
        if not 0 < len(dimensions) <= self.limits.max_nesting:
            self.refuse(
                node,
                f"an array here has {len(dimensions)} axes; the reader takes 1 to "
                f"max_nesting={self.limits.max_nesting}",
            )
        self.spend(total, node)
        flat: list[Any] = [value_at(index) for index in range(total)]
        for size in reversed(dimensions[1:]):
            flat = [flat[start : start + size] for start in range(0, len(flat), size)]
        return Array(flat)

    def shape(self, value: Any, node: ast.AST) -> list:
        shape = [value] if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(shape, (list, tuple)) or not all(
            size is None or isinstance(size, int) and not isinstance(size, bool) for size in shape
        ):
            self.refuse(node, f"a shape is a tuple of integers or None; `{source_text(node)}` is {describe(value)}")
        return self.json(shape, node)
