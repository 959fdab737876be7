"""Expressions the reader computes without running them: constants, names, attributes of module paths and the
model, lists and tuples, dicts (for what takes one: models.py), arithmetic on numbers, call arguments by
parameter, and the data a model predicts on.

Numbers are bounded as they are computed (integers by max_int, exponents by 64, floats finite); data is copied
into the answer element by element from one budget of max_literal_elements, since names may share lists. Calls
are read by models.py; the syntax no rule here reads is refused with the words of tables.UNSUPPORTED.

Arguments are copied into the spec as JSON: tuples become lists, `tf.nn.relu`-style functions and dtypes their
name, `keras.initializers.X(...)`, regularizer and constraint calls {"class_name": "X", "config": {...}}, a layer
given to another (Bidirectional(LSTM(4))) its own concise form.
"""

import ast
import math
from typing import Any, Callable, Optional, Sequence, Union

from .scope import Scope
from .tables import ARITHMETIC, BUILTIN_FUNCTIONS, COMPARISONS
from .values import (
    Array,
    Builtin,
    ConstantArray,
    DictLiteral,
    FunctionalModel,
    InputEntry,
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
    ast.Subscript: "subscript",
    ast.Compare: "compare",
    ast.BoolOp: "boolean",
    ast.IfExp: "conditional",
    ast.JoinedStr: "formatted",
    ast.Dict: "dictionary",
}


class Expressions(Scope):
    """Values of expressions, arguments of calls, and data, each bounded."""

    def value(self, node: ast.AST) -> Any:
        evaluator = _EVALUATORS.get(type(node))
        if evaluator is None:
            self.unsupported(node)
        if self.evaluating >= self.limits.max_evaluation_depth:
            self.refuse(
                node,
                f"expressions here, with the functions they call, nest more than {self.limits.max_evaluation_depth} "
                f"deep; the limit is max_evaluation_depth={self.limits.max_evaluation_depth}",
                "code_limit",
            )
        self.evaluating += 1
        try:
            return getattr(self, evaluator)(node)
        finally:
            self.evaluating -= 1

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
        if node.id == "__name__":  # `if __name__ == "__main__":`: the code is read as the script it is
            return "__main__"
        bound, value = self.lookup(node.id)
        if bound:  # a name the code bound (never a builtin's or a dunder: binding refuses those)
            return value
        self.check_name(node.id, node)
        if node.id in BUILTIN_FUNCTIONS:
            return Builtin(node.id)
        return self.default(node.id) or self.unknown(node.id, node)

    def attribute(self, node: ast.Attribute) -> Any:
        self.check_name(node.attr, node, attribute=True)
        owner = self.value(node.value)
        if isinstance(owner, KerasPath):
            return keras_path(owner.parts + (node.attr,))
        if isinstance(owner, (SequentialModel, FunctionalModel)):
            return ModelMethod(owner, node.attr)
        if node.attr == "shape" and isinstance(owner, Tensor):
            shape = self.tensor_shape(owner)
            if shape is None:
                self.refuse(
                    node,
                    f"`{source_text(node)}`: the shape of this layer's output is known only when Keras builds the "
                    "model, which the reader does not do; write the number itself (the shapes of keras.Input "
                    "tensors, and of layers that keep them or only change the last axis, are read)",
                )
            self.spend(len(shape), node)
            return shape
        if node.attr == "shape":
            self.refuse(node, "`.shape` is only read inside print(...): the reader does not run the model")
        self.refuse(node, f"attribute access `.{node.attr}` on {describe(owner)} is not supported")

    def sequence(self, node: Union[ast.List, ast.Tuple]) -> Any:
        items = [self.value(element) for element in node.elts]
        self.spend(len(items), node)
        return items if isinstance(node, ast.List) else tuple(items)

    def number(self, node: ast.AST) -> Any:
        value = self.value(node)
        return self.numeric(value, node)

    def numeric(self, value: Any, node: ast.AST) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.refuse(node, f"arithmetic is only read on numbers; `{source_text(node)}` is {describe(value)}")
        return value

    def unary(self, node: ast.UnaryOp) -> Any:
        if isinstance(node.op, ast.Not):
            return not self.truth(self.value(node.operand), node.operand)
        operand = self.value(node.operand)
        if isinstance(operand, (Tensor, ConstantArray)):  # Keras's operation, or its refusal on a constant
            return self.tensor_operation(node, [operand], node.op)
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            self.refuse(node, f"the operation `{source_text(node)}` is not supported")
        operand = self.numeric(operand, node.operand)
        return self.bounded(-operand if isinstance(node.op, ast.USub) else operand, node)

    def binary(self, node: ast.BinOp) -> Any:
        left, right = self.value(node.left), self.value(node.right)
        if isinstance(left, (Tensor, ConstantArray)) or isinstance(right, (Tensor, ConstantArray)):
            return self.tensor_operation(node, [left, right], node.op)
        if isinstance(left, (list, tuple)) or isinstance(right, (list, tuple)):
            return self.sequence_arithmetic(node, left, right)
        if isinstance(left, str) and isinstance(right, str) and isinstance(node.op, ast.Add):  # "block" + str(i)
            self.spend((len(left) + len(right)) // 8, node)
            return left + right
        operation = ARITHMETIC.get(type(node.op))
        if operation is None:
            self.refuse(node, f"the operation `{source_text(node)}` is not supported")
        left, right = self.numeric(left, node.left), self.numeric(right, node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            self.refuse(node, f"the exponent {right} is over the limit 64", "code_limit")
        try:
            return self.bounded(operation(left, right), node)
        except (ArithmeticError, ValueError) as error:
            self.refuse(node, f"`{source_text(node)}` cannot be computed: {error}")

    def sequence_arithmetic(self, node: ast.BinOp, left: Any, right: Any) -> Any:
        """`img_size + (3,)` and `[1] * 3`, as Python computes them, their size spent from the data budget first."""
        if isinstance(node.op, ast.Add) and type(left) is type(right):
            self.spend(len(left) + len(right), node)
            return left + right
        if isinstance(node.op, ast.Mult):
            sequence, times = (left, right) if isinstance(left, (list, tuple)) else (right, left)
            if isinstance(times, int) and not isinstance(times, bool):
                self.spend(len(sequence) * max(times, 0), node)
                return sequence * times
        self.refuse(
            node,
            f"`{source_text(node)}`: lists and tuples are read with + (two of the same kind) and * (by an integer), "
            f"not {describe(left)} and {describe(right)}",
        )

    def tensor_operation(self, node: ast.AST, operands: list, operator: ast.AST) -> Any:
        """An operator on tensors: models.py reads it as Keras's functional API does."""
        self.refuse(node, f"`{source_text(node)}`: operators on tensors are not read here")

    def tensor_shape(self, tensor: Tensor) -> Optional[tuple]:
        """A tensor's shape where the code says it without Keras: an input's (models.py knows a few layers more)."""
        if isinstance(tensor.producer, InputEntry):
            return (tensor.producer.entry.get("batch_size"), *tensor.producer.entry["shape"])
        return None

    def subscript(self, node: ast.Subscript) -> Any:
        owner = self.value(node.value)
        if isinstance(owner, Tensor):
            self.refuse(
                node,
                f"`{source_text(node)}`: indexing a tensor is not read (Keras slices it when the model runs); for a "
                "layer's several outputs, unpack them: `outputs, state_h, state_c = layers.LSTM(4, "
                "return_state=True)(x)`; for part of a tensor, use layers.Cropping1D/2D or layers.Reshape",
            )
        if isinstance(owner, DictLiteral) and not isinstance(node.slice, ast.Slice):
            return self.entry(owner, node)
        if not isinstance(owner, (list, tuple, str, range)):
            self.refuse(
                node, f"`{source_text(node)}`: indexing is read on lists, tuples and shapes, not {describe(owner)}"
            )
        if isinstance(node.slice, ast.Slice):
            bounds = [
                None if part is None else self.value(part)
                for part in (node.slice.lower, node.slice.upper, node.slice.step)
            ]
            for part, bound in zip((node.slice.lower, node.slice.upper, node.slice.step), bounds):
                if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
                    self.refuse(part or node, f"a slice's bounds are integers, not {describe(bound)}")
            if bounds[2] == 0:
                self.refuse(node, "a slice's step cannot be zero")
            found = owner[slice(*bounds)]
            self.spend(len(found), node)
            return found
        index = self.value(node.slice)
        if isinstance(index, bool) or not isinstance(index, int):
            self.refuse(node.slice, f"an index is an integer, not {describe(index)}")
        if not -len(owner) <= index < len(owner):
            self.refuse(node, f"`{source_text(node)}`: index {index} is out of range for {len(owner)} item(s)")
        return owner[index]

    def entry(self, owner: DictLiteral, node: ast.Subscript) -> Any:
        """`inputs["title"]`: the value of a dict the code wrote, by a key it wrote."""
        key = self.value(node.slice)
        if not (key is None or isinstance(key, (bool, int, float, str))):
            self.refuse(node.slice, f"a dict is looked up by a string (or a number), not {describe(key)}")
        found, value = owner.get(key)
        if not found:
            keys = ", ".join(repr(entry[0]) for entry in owner.entries)[:200]
            self.refuse(node, f"`{source_text(node)}`: the dict has no key {key!r}; its keys are {keys}")
        return value

    def truth(self, value: Any, node: ast.AST) -> bool:
        """Whether a value the reader knows is true, as Python says; a tensor's truth is known only when run."""
        if isinstance(value, DictLiteral):
            return bool(value.entries)
        if value is None or isinstance(value, (bool, int, float, str, list, tuple, range)):
            return bool(value)
        self.refuse(node, f"`{source_text(node)}`: the truth of {describe(value)} is known only when the model runs")

    def compare(self, node: ast.Compare) -> Any:
        left = self.value(node.left)
        for operation, right_node in zip(node.ops, node.comparators):
            right = self.value(right_node)
            tensors = isinstance(left, (Tensor, ConstantArray)) or isinstance(right, (Tensor, ConstantArray))
            if tensors and not isinstance(operation, (ast.Is, ast.IsNot)):  # `is` stays Python's identity
                if len(node.ops) > 1:  # Python asks the truth of the first comparison, which Keras refuses
                    self.refuse(
                        node,
                        f"`{source_text(node)}`: a chained comparison of tensors asks for a tensor's truth, which "
                        "Keras refuses; write each comparison and join them with &, e.g. (x > 0) & (x < 1)",
                    )
                return self.tensor_operation(node, [left, right], operation)
            for operand, operand_node in ((left, node.left), (right, right_node)):
                if not isinstance(operation, (ast.Is, ast.IsNot)) and not self.comparable(operand, operand_node):
                    self.refuse(
                        operand_node,
                        "comparisons are read on numbers, strings, and lists, tuples and ranges of them, not "
                        f"{describe(operand)}",
                    )
            try:
                holds = COMPARISONS[type(operation)](left, right)
            except TypeError as error:
                self.refuse(node, f"`{source_text(node)}` cannot be compared: {error}")
            if not holds:
                return False
            left = right
        return True

    def comparable(self, value: Any, node: ast.AST) -> bool:
        """A scalar, or a flat list, tuple or range of them: nested lists may share parts, which Python compares
        again at each use, so their comparison could take exponential time."""
        scalars = (bool, int, float, str, type(None))
        if isinstance(value, (list, tuple)):
            self.spend(len(value), node)
            return all(isinstance(item, scalars) for item in value)
        return isinstance(value, (*scalars, range))

    def boolean(self, node: ast.BoolOp) -> Any:
        value = None
        for operand in node.values:
            value = self.value(operand)
            if self.truth(value, operand) == isinstance(node.op, ast.Or):
                return value
        return value

    def conditional(self, node: ast.IfExp) -> Any:
        return self.value(node.body if self.truth(self.value(node.test), node.test) else node.orelse)

    def formatted(self, node: ast.JoinedStr) -> str:
        """An f-string of names and numbers, such as name=f"block_{i}"; its format specs are refused, being
        a way to ask for strings of any length."""
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
                continue
            assert isinstance(part, ast.FormattedValue)
            if part.format_spec is not None or part.conversion != -1:
                self.refuse(
                    part, "an f-string's format spec or conversion (`:...`, `!r`) is not read; write {name} alone"
                )
            value = self.value(part.value)
            if not (value is None or isinstance(value, (bool, int, float, str))):
                self.refuse(part.value, f"an f-string is read with numbers and strings, not {describe(value)}")
            parts.append(str(value))
        text = "".join(parts)
        self.spend(len(text) // 8, node)
        return text

    def dictionary(self, node: ast.Dict) -> DictLiteral:
        """`{key: value, ...}`, for what takes a dict (a Model's inputs= and outputs=, predict's data)."""
        entries = []
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:
                self.refuse(value_node, "a dict is read with its keys written out, not **unpacked")
            key = self.value(key_node)
            # a scalar, compared in constant time where the dict is looked up (lists may nest shared parts)
            if not (key is None or isinstance(key, (bool, int, float, str))):
                self.refuse(key_node, f"a dict's keys are read as strings (or numbers), not {describe(key)}")
            entries.append((key, self.value(value_node), key_node, value_node))
        self.spend(len(entries), node)
        return DictLiteral(tuple(entries))

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
        if isinstance(value, DictLiteral):
            self.refuse(
                node,
                "a dict is read only as a Model's inputs={...} or outputs={...} and as the data of "
                "model.predict({...}); for a layer's argument that takes one, send the model's model.to_json()",
            )
        kind = self.kind(value) if isinstance(value, KerasPath) else None
        if kind in ("activation", "dtype", "object"):
            return value.parts[-1]
        self.refuse(node, f"{describe(value)} cannot be an argument here")

    def array(self, node: ast.AST, value: Any) -> list:
        """Data for predict (`value`, read from `node`): an array as it is, a list of arrays (several inputs) as
        theirs, a list copied."""
        if isinstance(value, Tensor):
            self.refuse(node, "predict runs the model on data; call the model on a tensor to use it as a layer")
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
