"""Statements: the script read top to bottom into one model.

Read: imports, assignments to names (and from a tuple of the same length), expressions, `pass`. Refused, with
the words of tables.UNSUPPORTED: loops, conditionals, function and class definitions, decorators, with, try,
global, del, return and the rest: the model is read, not run.
"""

import ast
from typing import Any, Callable

from .models import Models
from .values import ReadCode, source_text


class Reader(Models):
    """Reads a parsed script statement by statement into one model, keeping names in a table, running nothing."""

    def read(self, tree: ast.Module) -> ReadCode:
        statements: dict[type[ast.stmt], Callable[[Any], object]] = {  # each takes its statement type
            ast.Import: self.import_names,
            ast.ImportFrom: self.import_from,
            ast.Assign: self.assign,
            ast.Expr: lambda node: self.value(node.value),
            ast.Pass: lambda node: None,
        }
        for statement in tree.body:
            statements.get(type(statement), self.unsupported)(statement)
        return ReadCode(self.render(), self.inputs, tuple(self.calls))

    def assign(self, node: ast.Assign) -> None:
        unpacking = any(isinstance(target, (ast.Tuple, ast.List)) for target in node.targets)
        if unpacking and isinstance(node.value, (ast.Tuple, ast.List)):
            elements = [self.value(element) for element in node.value.elts]
            value = elements if isinstance(node.value, ast.List) else tuple(elements)
        else:
            elements, value = None, self.value(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.bind(target, value)
            elif (
                isinstance(target, (ast.Tuple, ast.List)) and elements is not None and len(target.elts) == len(elements)
            ):
                for element_target, element in zip(target.elts, elements):
                    self.bind(element_target, element)
            else:
                self.refuse(
                    target,
                    f"assigning to `{source_text(target)}` is not supported: names are bound one by "
                    "one, or from a tuple of the same length",
                )

    def bind(self, target: ast.AST, value: Any) -> None:
        if not isinstance(target, ast.Name):
            self.refuse(target, f"assigning to `{source_text(target)}` is not supported: only plain names are bound")
        self.check_name(target.id, target)
        self.names[target.id] = value
