"""Bounds checked before the code is read: its size, its characters, its nesting, its parse, its syntax nodes.

Each is checked before the step it protects, and each refusal names the bound it met ("code_limit") or says why
the text is no Python ("code_syntax"), with its line and column (1-based, in characters, as editors show them):
the size in UTF-8 bytes first; null characters and lone surrogates; bracket and indentation depth by one regular
expression, before `ast.parse` (whose own guards, MemoryError and RecursionError, become refusals too); syntax
nodes and expression depth after it, without recursion. CodeLimits also holds the budgets the reader spends as it
reads (integers, data elements).
"""

import ast
import re
import warnings
from dataclasses import dataclass
from typing import Callable, NoReturn

from keras_shape_service.errors import ServiceError


@dataclass(frozen=True)
class CodeLimits:
    """Bounds on what one read may cost; each refusal names the bound it met."""

    max_source_bytes: int = 65_536
    max_nesting: int = 40  # bracket/indent depth before parsing, expression depth after it
    max_nodes: int = 20_000
    max_literal_elements: int = 100_000  # elements of data copied into the answer, all uses counted
    max_int: int = 2**31 - 1
    max_steps: int = 100_000  # statements read and functions called, loops and calls counted each time
    max_loop_iterations: int = 10_000  # iterations of all `for` loops together
    max_call_depth: int = 20  # functions of the code called within one another
    max_evaluation_depth: int = 120  # expressions being read within one another, through calls: bounds the stack


class CodeRejected(ServiceError):
    """The code holds something the reader does not read; detail starts with its line and column."""

    status = 422
    title = "Code not understood"

    def __init__(self, detail: str, line: int, column: int, error_type: str = "code_unsupported"):
        super().__init__(detail, loc=["code"], error_type=error_type, line=line, column=column)
        self.line = line
        self.column = column


# Strings and comments are skipped whole, so brackets inside them do not count; raw and f-string prefixes need
# no care, since the backslash escapes a quote in every kind of string. Unrolled loops: no backtracking.
_NESTING = re.compile(
    r"""
    '{3}[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'{3} | "{3}[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"{3}
  | '[^'\\\n]*(?:\\.[^'\\\n]*)*' | "[^"\\\n]*(?:\\.[^"\\\n]*)*"
  | (?P<quote>['"]) | \#[^\n]* | \\\r?\n | (?P<indent>\n[ \t]*(?=[^\s\#\\])) | (?P<open>[(\[{]) | (?P<close>[)\]}])
""",
    re.VERBOSE | re.DOTALL,
)

_NULL, _SURROGATE = re.compile("\0"), re.compile("[\ud800-\udfff]")


def position(source: str, index: int) -> tuple[int, int]:
    return source.count("\n", 0, index) + 1, index - (source.rfind("\n", 0, index) + 1) + 1


def check_text(source: str, limits: CodeLimits) -> None:
    """Refuse code too large, with a null byte or with a lone surrogate, before tokenizing it."""
    size = len(source) if len(source) > limits.max_source_bytes else len(source.encode("utf-8", "surrogatepass"))
    if size > limits.max_source_bytes:
        raise CodeRejected(
            f"line 1, column 1: the code is at least {size:,} bytes; the limit is "
            f"max_source_bytes={limits.max_source_bytes:,}",
            1,
            1,
            "code_limit",
        )
    for pattern, what in ((_NULL, "a null character"), (_SURROGATE, "a lone surrogate")):
        found = pattern.search(source)
        if found:
            line, column = position(source, found.start())
            raise CodeRejected(
                f"line {line}, column {column}: the code holds {what}, which Python source cannot",
                line,
                column,
                "code_syntax",
            )


def too_deep(source: str, index: int, depth: int, limits: CodeLimits) -> CodeRejected:
    line, column = position(source, index)
    return CodeRejected(
        f"line {line}, column {column}: the code nests {depth} levels deep here (brackets and "
        f"indentation); the limit is max_nesting={limits.max_nesting}",
        line,
        column,
        "code_limit",
    )


def check_nesting(source: str, limits: CodeLimits) -> None:
    """Bound bracket and indentation depth before parsing, in one pass of a regular expression."""
    brackets, indents = 0, [0]
    for match in _NESTING.finditer(source):
        kind = match.lastgroup
        if kind == "quote":
            return  # a string that never ends: the parser says so, and guards its own depth meanwhile
        if kind in ("open", "close"):
            brackets = max(brackets + (1 if kind == "open" else -1), 0)
        elif kind == "indent" and not brackets:
            width = len(match.group().expandtabs(8)) - 1
            while width < indents[-1]:
                indents.pop()
            if width > indents[-1]:
                indents.append(width)
        if brackets + len(indents) - 1 > limits.max_nesting:
            raise too_deep(source, match.end() - 1, brackets + len(indents) - 1, limits)


def parse(source: str) -> ast.Module:
    """ast.parse, its warnings silenced and its failures as CodeRejected."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences warn; the reader has no use for that
            return ast.parse(source)
    except SyntaxError as error:
        line, column = error.lineno or 1, max(error.offset or 1, 1)
        raise CodeRejected(
            f"line {line}, column {column}: not valid Python: {error.msg}", line, column, "code_syntax"
        ) from None
    except (MemoryError, RecursionError):
        raise CodeRejected(
            "line 1, column 1: Python's parser ran out of room on this code (deep nesting, a long "
            "chain of operators or a long run of invalid syntax)",
            1,
            1,
            "code_limit",
        ) from None
    except ValueError as error:
        raise CodeRejected(f"line 1, column 1: not valid Python: {error}", 1, 1, "code_syntax") from None


def check_tree(tree: ast.Module, limits: CodeLimits, refuse: Callable[[ast.AST, str, str], NoReturn]) -> None:
    """Bound the syntax nodes and the expression depth, without recursion, before reading anything."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > limits.max_nodes:
            refuse(
                node,
                f"the code has more than {limits.max_nodes:,} syntax nodes; the limit is "
                f"max_nodes={limits.max_nodes:,}",
                "code_limit",
            )
        if isinstance(node, ast.expr):
            depth += 1
            if depth > limits.max_nesting:
                refuse(
                    node,
                    f"an expression nests {depth} levels deep here; the limit is max_nesting={limits.max_nesting}",
                    "code_limit",
                )
        stack.extend((child, depth) for child in reversed(list(ast.iter_child_nodes(node))))
