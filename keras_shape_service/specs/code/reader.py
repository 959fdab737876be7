"""Pasted Keras Python code read into a model spec, without running, importing, evaluating or opening anything.

The code is checked for size and nesting, parsed with `ast` and walked statement by statement by a reader that
understands only what a model script says about its model: imports (recorded so aliases resolve, never
performed), names bound to literals and small arithmetic, layer and model constructors, `model.add`, `.compile`,
`.build`, `.summary`, `.predict`, `model(x)` and `print(...)` (ignored, but checked, and model calls inside it
read). Missing imports of keras, tensorflow and numpy names are forgiven. Python 2 `print x` statements are
rewritten as calls first, on the same lines. Anything else is a `CodeRejected` naming its line and column
(1-based, in characters, as editors show them).

Forms produced, in the service's concise JSON:
- Sequential: {"name"?, "input_shape"?, "layers": [{"type": "Dense", "units": 16, ...}, ...], "compile"?}.
  A first `keras.Input(shape=...)` or `InputLayer(...)`, or `model.build((None, ...))`, gives "input_shape"
  (batch axis dropped). Layers carry only the names the code gave them.
- Functional: {"name"?, "inputs": [{"name": "features", "shape": [8], "dtype"?, "batch_size"?}],
  "layers": [{"type": "Dense", "name": "dense", "units": 16, "inbound": ["features"]}, ...],
  "outputs": ["dense"], "compile"?}. A *source* is the name of an input or of the layer whose output it is.
  Every input and layer is named: the code's name, else Keras's default (`keras_default_names`, counted in the
  order the code makes them, skipping names the code gives). A layer called more than once (a shared layer)
  appears once, with "calls": [[sources of call 0], [sources of call 1], ...] instead of "inbound", and the
  output of its call k is the source "<name>#k" ("#0" is left out). Layers come in the order of their first
  call; a shared layer's later calls may use layers listed after it, so sources resolve per call. Layers called
  but reaching no output are kept. `layers.concatenate([a, b])` and the other merge functions read as the
  layer (Concatenate) called on the list.
- "compile" holds "loss" and "optimizer" as strings; a loss or optimizer object gives its class name. The
  other compile arguments (metrics, ...) are read and dropped: they change no shape.
- Arguments: tuples become lists; `tf.nn.relu`-style functions their name; `keras.initializers.X(...)`,
  regularizer and constraint calls {"class_name": "X", "config": {...}} (`l2(0.01)` is "L2", {"l2": 0.01});
  a layer given to another (Bidirectional(LSTM(4))) its own concise form; tf/np dtypes their name.
- `ReadCode.inputs`: the data of the first `model.predict(x)` or `model(x)`: np.array/np.asarray of lists,
  plain lists, names bound to them, np.zeros/np.ones; np.random.random(size), .random_sample(size) and
  .rand(*dims) give the deterministic stand-in (i % 100) / 100 at flat index i, since the service answers
  shapes. A list of arrays feeds a model of several inputs. np.random.seed, tf.random.set_seed and
  keras.utils.set_random_seed are read and ignored.

Refusals, by error_type: "code_syntax" (not Python, null characters, lone surrogates); "code_limit" (a bound
of CodeLimits, named with the value met); "code_forbidden" (exec, eval, open, compile, getattr and the other
builtins in _FORBIDDEN, any name or attribute starting with "__", imports of anything but keras, tensorflow
and numpy); "code_unknown_name" (a name that is no Keras layer, model or module, with a did-you-mean from
`known_layers`); "code_unsupported" (loops, comprehensions, lambdas, function and class definitions,
decorators, with, try, if, global, del, walrus, comparisons, indexing, star-arguments, f-strings outside print
or calling things, attribute access on anything but a module path or the model, model methods other than
those above: the model is read, not run).

Bounds, each checked before the step it protects: the size in UTF-8 bytes first; bracket and indentation
depth by one regular expression, before `ast.parse` (whose own guards, MemoryError and RecursionError, become
refusals too); syntax nodes and expression depth after it, without recursion, before reading; integers by
max_int and exponents by 64 as they are computed; data by one budget of max_literal_elements elements, spent
as values are copied into the answer (names may share lists, so data is counted as copied, not as written).
"""

import ast
import difflib
import io
import math
import operator
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, NoReturn, Optional, Sequence, Union

from keras_shape_service.errors import ServiceError
from keras_shape_service.specs.naming import keras_default_names


@dataclass(frozen=True)
class CodeLimits:
    """Bounds on what one read may cost; each refusal names the bound it met."""

    max_source_bytes: int = 65_536
    max_nesting: int = 40  # bracket/indent depth before parsing, expression depth after it
    max_nodes: int = 20_000
    max_literal_elements: int = 100_000  # elements of data copied into the answer, all uses counted
    max_int: int = 2**31 - 1


@dataclass(frozen=True)
class ReadCode:
    """What the code says: the model spec, the data it predicts on, and the model methods it calls in order
    ("call" for `model(x)`)."""

    model: dict
    inputs: Optional[list]
    calls: tuple[str, ...]


class CodeRejected(ServiceError):
    """The code holds something the reader does not read; detail starts with its line and column."""

    status = 422
    title = "Code not understood"

    def __init__(self, detail: str, line: int, column: int, error_type: str = "code_unsupported"):
        super().__init__(detail, loc=["code"], error_type=error_type, line=line, column=column)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class _Path:
    """A dotted reference to a module, class or function, canonical: tensorflow.keras is keras."""

    parts: tuple[str, ...]


@dataclass(eq=False)
class _Input:
    entry: dict
    user_name: Optional[str]
    node: ast.AST
    class_name: str = "InputLayer"
    name: Optional[str] = None


@dataclass(eq=False)
class _Layer:
    class_name: str
    arguments: dict
    node: ast.AST
    calls: list = field(default_factory=list)
    name: Optional[str] = None

    @property
    def user_name(self) -> Optional[str]:
        return self.arguments.get("name")


@dataclass(frozen=True)
class _Tensor:
    producer: Any  # an _Input or a _Layer
    index: int


@dataclass(frozen=True)
class _KerasObject:
    class_name: str
    config: dict


@dataclass(eq=False)
class _Sequential:
    node: ast.AST
    name: Optional[str] = None
    input_shape: Optional[list] = None
    layers: list = field(default_factory=list)


@dataclass(eq=False)
class _Functional:
    node: ast.AST
    name: Optional[str]
    inputs: list
    outputs: list


@dataclass(frozen=True)
class _Method:
    model: Any
    name: str


@dataclass(frozen=True, eq=False)
class _Array:
    """What np.array, np.zeros... give: a nested list of numbers, made fresh and already counted."""

    data: list


class _Prediction:
    """What model.predict returns: known only when the model runs, so only printed."""


def _path(parts: tuple[str, ...]) -> _Path:
    return _Path(("keras",) + parts[2:] if parts[:2] == ("tensorflow", "keras") else parts)


_IMPORTABLE = ("keras", "tensorflow", "numpy")
_MAX_SUGGESTED_NAMES = 200
_DEFAULT_NAMES = {
    "np": ("numpy",),
    "numpy": ("numpy",),
    "tf": ("tensorflow",),
    "tensorflow": ("tensorflow",),
    "keras": ("keras",),
    "Sequential": ("keras", "Sequential"),
    "Model": ("keras", "Model"),
    "Input": ("keras", "Input"),
    "InputLayer": ("keras", "layers", "InputLayer"),
    **{
        module: ("keras", module)
        for module in (
            "layers",
            "models",
            "activations",
            "initializers",
            "regularizers",
            "constraints",
            "optimizers",
            "losses",
        )
    },
}
_MODELS = {
    ("keras", "Sequential"): "sequential",
    ("keras", "models", "Sequential"): "sequential",
    ("keras", "Model"): "functional",
    ("keras", "models", "Model"): "functional",
    ("keras", "Input"): "input",
    ("keras", "layers", "Input"): "input",
    ("keras", "layers", "InputLayer"): "input_layer",
}
_MERGE_FUNCTIONS = {
    "add": "Add",
    "subtract": "Subtract",
    "multiply": "Multiply",
    "average": "Average",
    "maximum": "Maximum",
    "minimum": "Minimum",
    "concatenate": "Concatenate",
    "dot": "Dot",
}
_OBJECT_MODULES = {
    ("keras", "initializers"),
    ("keras", "regularizers"),
    ("keras", "constraints"),
    ("keras", "optimizers"),
    ("keras", "optimizers", "legacy"),
    ("keras", "losses"),
}
_CAMEL_CASED = {("keras", "initializers"), ("keras", "regularizers"), ("keras", "constraints")}
_OBJECT_POSITIONALS = {
    name: tuple(parameters.split())
    for name, parameters in {
        "Constant": "value",
        "Identity": "gain",
        "Orthogonal": "gain seed",
        "RandomNormal": "mean stddev seed",
        "TruncatedNormal": "mean stddev seed",
        "RandomUniform": "minval maxval seed",
        "VarianceScaling": "scale mode distribution seed",
        "L1": "l1",
        "L2": "l2",
        "L1L2": "l1 l2",
        "OrthogonalRegularizer": "factor mode",
        "MaxNorm": "max_value axis",
        "UnitNorm": "axis",
        "MinMaxNorm": "min_value max_value rate axis",
        **dict.fromkeys(
            ("GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform"), "seed"
        ),
    }.items()
}
_NUMPY = {
    ("numpy", "array"): "array",
    ("numpy", "asarray"): "array",
    ("numpy", "zeros"): "filled",
    ("numpy", "ones"): "filled",
    ("numpy", "random", "random"): "filled",
    ("numpy", "random", "random_sample"): "filled",
    ("numpy", "random", "rand"): "filled",
    ("numpy", "random", "seed"): "ignored",
    ("tensorflow", "random", "set_seed"): "ignored",
    ("keras", "utils", "set_random_seed"): "ignored",
}
_FILLS = {
    "zeros": lambda i: 0.0,
    "ones": lambda i: 1.0,
    "random": lambda i: (i % 100) / 100,
    "random_sample": lambda i: (i % 100) / 100,
    "rand": lambda i: (i % 100) / 100,
}
_DTYPES = frozenset("float16 float32 float64 bfloat16 int8 int16 int32 int64 uint8 uint16 bool".split())
_INPUT_PARAMETERS = ("shape", "batch_size", "dtype", "sparse", "ragged", "batch_shape", "name", "tensor", "optional")
_INPUT_LAYER_PARAMETERS = (
    "shape",
    "batch_size",
    "dtype",
    "sparse",
    "ragged",
    "batch_shape",
    "input_tensor",
    "optional",
    "name",
)
_COMPILE_PARAMETERS = (
    "optimizer",
    "loss",
    "loss_weights",
    "metrics",
    "weighted_metrics",
    "run_eagerly",
    "steps_per_execution",
    "jit_compile",
    "auto_scale_loss",
)
_SUMMARY_PARAMETERS = ("line_length", "positions", "print_fn", "expand_nested", "show_trainable", "layer_range")
_FORBIDDEN = frozenset(
    "exec eval open compile getattr setattr delattr globals locals vars input breakpoint "
    "exit quit help memoryview".split()
)
_PRINTABLE_BUILTINS = frozenset(
    "len str repr int float round list tuple dict set abs min max sum sorted format bool "
    "type id dir range zip enumerate isinstance".split()
)
_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNSUPPORTED = {
    ast.For: "a `for` loop",
    ast.AsyncFor: "a `for` loop",
    ast.While: "a `while` loop",
    ast.If: "an `if` statement",
    ast.FunctionDef: "a function definition",
    ast.AsyncFunctionDef: "a function definition",
    ast.ClassDef: "a class definition",
    ast.With: "a `with` block",
    ast.AsyncWith: "a `with` block",
    ast.Try: "a `try` block",
    ast.TryStar: "a `try` block",
    ast.Global: "a `global` statement",
    ast.Nonlocal: "a `nonlocal` statement",
    ast.Delete: "`del`",
    ast.Return: "`return`",
    ast.Raise: "`raise`",
    ast.Assert: "`assert`",
    ast.AugAssign: "an augmented assignment",
    ast.AnnAssign: "an annotated assignment",
    ast.Match: "a `match` statement",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "the walrus operator `:=`",
    ast.IfExp: "a conditional expression",
    ast.Compare: "a comparison",
    ast.BoolOp: "`and`/`or`",
    ast.Subscript: "indexing or slicing",
    ast.JoinedStr: "an f-string outside print",
    ast.Await: "`await`",
    ast.Yield: "`yield`",
    ast.YieldFrom: "`yield`",
    ast.Starred: "a star-argument",
    ast.Set: "a set literal",
    ast.Dict: "a dict literal",
    ast.Slice: "a slice",
}
_NOT_IN_PRINT = (
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.NamedExpr,
    ast.Await,
    ast.Yield,
    ast.YieldFrom,
    ast.Starred,
)
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
_PYTHON2_PRINT = re.compile(r"^[ \t]*print\b[ \t]*(?:[\w'\"\[{~+-]|>>|#|$)", re.MULTILINE)
_NULL, _SURROGATE = re.compile("\0"), re.compile("[\ud800-\udfff]")
_PYTHON2_PRINT_STARTS = frozenset("[ { - + ~ >>".split())


def read_code(
    source: str,
    positional_arguments: Callable[[str], Sequence[str]],
    limits: CodeLimits = CodeLimits(),
    known_layers: Sequence[str] = (),
) -> ReadCode:
    """The model spec, predict inputs and model calls that pasted Keras code describes, read without running it."""
    source = source.removeprefix("\ufeff")  # a byte order mark some editors add: not code, and no column
    _check_text(source, limits)
    _check_nesting(source, limits)
    if _PYTHON2_PRINT.search(source):
        source = _rewrite_prints(source, _python2_prints(source))
    reader = _Reader(source, positional_arguments, limits, known_layers)
    tree = _parse(source)
    reader.check_tree(tree)
    return reader.read(tree)


def _position(source: str, index: int) -> tuple[int, int]:
    return source.count("\n", 0, index) + 1, index - (source.rfind("\n", 0, index) + 1) + 1


def _check_text(source: str, limits: CodeLimits) -> None:
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
            line, column = _position(source, found.start())
            raise CodeRejected(
                f"line {line}, column {column}: the code holds {what}, which Python source cannot",
                line,
                column,
                "code_syntax",
            )


def _too_deep(source: str, index: int, depth: int, limits: CodeLimits) -> CodeRejected:
    line, column = _position(source, index)
    return CodeRejected(
        f"line {line}, column {column}: the code nests {depth} levels deep here (brackets and "
        f"indentation); the limit is max_nesting={limits.max_nesting}",
        line,
        column,
        "code_limit",
    )


def _check_nesting(source: str, limits: CodeLimits) -> None:
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
            raise _too_deep(source, match.end() - 1, brackets + len(indents) - 1, limits)


def _python2_prints(source: str) -> list[tuple]:
    """Where Python 2 print statements are: (end of `print`, start of what it prints, end of the statement)."""
    at_start, print_token, pending, last_end, prints, brackets = True, None, None, (1, 0), [], 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            kind, text = token.type, token.string
            if kind == tokenize.OP and text in "([{)]}":
                brackets = max(brackets + (1 if text in "([{" else -1), 0)
            ends = kind in (tokenize.NEWLINE, tokenize.ENDMARKER) or (text == ";" and not brackets)
            if pending and ends:
                prints.append((*pending, last_end))
                pending = None
            if print_token and (
                kind in (tokenize.NAME, tokenize.NUMBER, tokenize.STRING)
                or (kind == tokenize.OP and text in _PYTHON2_PRINT_STARTS)
            ):
                pending = (print_token.end, token.start)
            elif print_token and (ends or kind == tokenize.COMMENT):  # a bare `print`: an empty line
                prints.append((print_token.end, print_token.end, print_token.end))
            if kind in (tokenize.NL, tokenize.COMMENT):
                continue
            if kind not in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                last_end = token.end
            print_token = token if at_start and kind == tokenize.NAME and text == "print" else None
            at_start = ends or kind in (tokenize.INDENT, tokenize.DEDENT)
    except (tokenize.TokenError, SyntaxError):
        pass  # the parser reports the error, with a better message
    return prints


def _rewrite_prints(source: str, prints: list[tuple]) -> str:
    """`print x, y` as `print(x, y)`, on the same lines, with the columns after `print` kept where it can."""
    lines = io.StringIO(source).readlines()
    edits = []
    for (row, column), (arguments_row, arguments_column), (end_row, end_column) in prints:
        gap = arguments_column - column if arguments_row == row else 0
        edits += [(end_row, end_column, 0, ")"), (row, column, 1 if gap else 0, "(")]
    for row, column, width, text in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:column] + text + line[column + width :]
    return "".join(lines)


def _parse(source: str) -> ast.Module:
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


def _source(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(value: Any) -> str:
    """What a value is, for messages."""
    if isinstance(value, _Path):
        return f"`{'.'.join(value.parts)}`"
    if isinstance(value, _Layer):
        return f"a `{value.class_name}` layer"
    if isinstance(value, _Method):
        return f"`model.{value.name}`"
    descriptions = {
        _Tensor: "a tensor",
        _Array: "an array",
        _Input: "an input layer",
        _KerasObject: "a Keras object",
        _Sequential: "the model",
        _Functional: "the model",
        _Prediction: "a prediction",
        list: "a list",
        tuple: "a tuple",
        str: "a string",
        bool: "a boolean",
        type(None): "None",
    }
    return descriptions.get(type(value), "a number")


def _camel_case(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_")) if name.islower() else name


def _source_name(tensor: _Tensor) -> str:
    return tensor.producer.name + (f"#{tensor.index}" if tensor.index else "")


class _Reader:
    """Reads a parsed script statement by statement into one model, keeping names in a table, running nothing."""

    def __init__(
        self,
        source: str,
        positional_arguments: Callable[[str], Sequence[str]],
        limits: CodeLimits,
        known_layers: Sequence[str],
    ):
        self.lines = re.split("\r\n|\r|\n", source)
        self.positional_arguments, self.limits, self.known_layers = positional_arguments, limits, known_layers
        self.names: dict[str, Any] = {}
        self.star_modules: list[tuple[str, ...]] = []
        self.layer_parameters_cache: dict[str, Optional[list[str]]] = {}
        self.producers: list[Union[_Input, _Layer]] = []  # layers and inputs, in the order the code constructs them
        self.called: list[_Layer] = []  # layers, in the order of their first call
        self.model: Any = None
        self.compile: Optional[dict] = None
        self.inputs: Optional[list] = None
        self.calls: list[str] = []
        self.budget = limits.max_literal_elements
        self.evaluators: dict[type[ast.AST], Callable[[Any], Any]] = {  # each takes its node type
            ast.Constant: self.constant,
            ast.Name: self.name,
            ast.Attribute: self.attribute,
            ast.Call: self.call,
            ast.List: self.sequence,
            ast.Tuple: self.sequence,
            ast.UnaryOp: self.unary,
            ast.BinOp: self.binary,
        }

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
        what = _UNSUPPORTED.get(type(node), f"`{type(node).__name__}`")
        self.refuse(node, f"{what} is not supported: the model is read, not run")

    def check_tree(self, tree: ast.Module) -> None:
        """Bound the syntax nodes and the expression depth, without recursion, before reading anything."""
        count = 0
        stack: list[tuple[ast.AST, int]] = [(tree, 0)]
        while stack:
            node, depth = stack.pop()
            count += 1
            if count > self.limits.max_nodes:
                self.refuse(
                    node,
                    f"the code has more than {self.limits.max_nodes:,} syntax nodes; the limit "
                    f"is max_nodes={self.limits.max_nodes:,}",
                    "code_limit",
                )
            if isinstance(node, ast.expr):
                depth += 1
                if depth > self.limits.max_nesting:
                    self.refuse(
                        node,
                        f"an expression nests {depth} levels deep here; the limit is "
                        f"max_nesting={self.limits.max_nesting}",
                        "code_limit",
                    )
            stack.extend((child, depth) for child in reversed(list(ast.iter_child_nodes(node))))

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

    # Names and imports

    def check_name(self, name: str, node: ast.AST, attribute: bool = False) -> None:
        if name in _FORBIDDEN and not attribute:
            self.refuse(node, f"`{name}` is refused: nothing in the code is run, opened or imported", "code_forbidden")
        if name.startswith("__"):
            self.refuse(
                node, f"`{name}` is refused: names with double underscores reach Python's internals", "code_forbidden"
            )

    def check_module(self, module: str, node: ast.AST) -> tuple[str, ...]:
        parts = tuple(module.split("."))
        for part in parts:
            self.check_name(part, node)
        if parts[0] not in _IMPORTABLE:
            self.refuse(
                node,
                f"importing `{module}` is refused: only keras, tensorflow and numpy imports are "
                "read (and never performed)",
                "code_forbidden",
            )
        return parts

    def import_names(self, node: ast.Import) -> None:
        for alias in node.names:
            parts = self.check_module(alias.name, alias)
            if alias.asname:
                self.check_name(alias.asname, alias)
            self.names[alias.asname or parts[0]] = _path(parts if alias.asname else parts[:1])

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
                self.star_modules.append(_path(parts).parts)
                continue
            self.check_name(alias.name, alias)
            self.check_name(alias.asname or alias.name, alias)
            self.names[alias.asname or alias.name] = _path(parts + (alias.name,))

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

    def kind(self, path: _Path) -> Optional[str]:
        """What a path names: a model, an input, a layer, a Keras object, an activation, a numpy function..."""
        parts, head, tail = path.parts, path.parts[:-1], path.parts[-1]
        if parts in _MODELS:
            return _MODELS[parts]
        if head[:2] == ("keras", "layers") and all(part.islower() for part in head[2:]):
            return "merge" if tail in _MERGE_FUNCTIONS else "layer" if self.is_layer(tail) else None
        if head in _OBJECT_MODULES:
            return "object"
        if head in (("keras", "activations"), ("tensorflow", "nn")):
            return "activation"
        if head in (("numpy",), ("tensorflow",)) and tail in _DTYPES:
            return "dtype"
        return _NUMPY.get(parts)

    def default(self, name: str) -> Optional[_Path]:
        """What a name the code never bound stands for, as if the usual imports were there."""
        if name in _DEFAULT_NAMES:
            return _Path(_DEFAULT_NAMES[name])
        if name in _MERGE_FUNCTIONS:
            return _Path(("keras", "layers", name))
        for module in self.star_modules:
            if self.kind(_Path(module + (name,))):
                return _Path(module + (name,))
        return _Path(("keras", "layers", name)) if self.is_layer(name) else None

    def unknown(self, name: str, node: ast.AST) -> NoReturn:
        # the latest names only: difflib compares every candidate, and code may bind thousands of names
        candidates = [*self.known_layers, *_DEFAULT_NAMES, *list(self.names)[-_MAX_SUGGESTED_NAMES:]]
        close = difflib.get_close_matches(name, candidates, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        self.refuse(
            node,
            f"`{name}` is not defined, and is no Keras layer, model or module this reader knows{hint}",
            "code_unknown_name",
        )

    # Statements

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
                    f"assigning to `{_source(target)}` is not supported: names are bound one by "
                    "one, or from a tuple of the same length",
                )

    def bind(self, target: ast.AST, value: Any) -> None:
        if not isinstance(target, ast.Name):
            self.refuse(target, f"assigning to `{_source(target)}` is not supported: only plain names are bound")
        self.check_name(target.id, target)
        self.names[target.id] = value

    # Expressions

    def value(self, node: ast.AST) -> Any:
        evaluator = self.evaluators.get(type(node))
        if evaluator is None:
            self.unsupported(node)
        return evaluator(node)

    def constant(self, node: ast.Constant) -> Any:
        if node.value is None or isinstance(node.value, (bool, str)):
            return node.value
        if isinstance(node.value, (int, float)):
            return self.bounded(node.value, node)
        self.refuse(node, f"the literal `{_source(node)}` is not supported")

    def bounded(self, number: Any, node: ast.AST) -> Any:
        if isinstance(number, int) and not isinstance(number, bool) and abs(number) > self.limits.max_int:
            shown = f"{number:,}" if number.bit_length() <= 128 else f"of {number.bit_length()} bits"
            self.refuse(node, f"the integer {shown} is over the limit max_int={self.limits.max_int:,}", "code_limit")
        if isinstance(number, complex) or isinstance(number, float) and not math.isfinite(number):
            self.refuse(node, f"`{_source(node)}` is not a finite real number")
        return number

    def name(self, node: ast.Name) -> Any:
        self.check_name(node.id, node)
        if node.id in self.names:
            return self.names[node.id]
        return self.default(node.id) or self.unknown(node.id, node)

    def attribute(self, node: ast.Attribute) -> Any:
        self.check_name(node.attr, node, attribute=True)
        owner = self.value(node.value)
        if isinstance(owner, _Path):
            return _path(owner.parts + (node.attr,))
        if isinstance(owner, (_Sequential, _Functional)):
            return _Method(owner, node.attr)
        if node.attr == "shape":
            self.refuse(node, "`.shape` is only read inside print(...): the reader does not run the model")
        self.refuse(node, f"attribute access `.{node.attr}` on {_describe(owner)} is not supported")

    def sequence(self, node: Union[ast.List, ast.Tuple]) -> Any:
        items = [self.value(element) for element in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)

    def number(self, node: ast.AST) -> Any:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.refuse(node, f"arithmetic is only read on numbers; `{_source(node)}` is {_describe(value)}")
        return value

    def unary(self, node: ast.UnaryOp) -> Any:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            self.refuse(node, f"the operation `{_source(node)}` is not supported")
        operand = self.number(node.operand)
        return self.bounded(-operand if isinstance(node.op, ast.USub) else operand, node)

    def binary(self, node: ast.BinOp) -> Any:
        operation = _ARITHMETIC.get(type(node.op))
        if operation is None:
            self.refuse(node, f"the operation `{_source(node)}` is not supported")
        left, right = self.number(node.left), self.number(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            self.refuse(node, f"the exponent {right} is over the limit 64", "code_limit")
        try:
            return self.bounded(operation(left, right), node)
        except (ArithmeticError, ValueError) as error:
            self.refuse(node, f"`{_source(node)}` cannot be computed: {error}")

    def call(self, node: ast.Call) -> Any:
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                self.refuse(argument, "star-arguments (`*args`) are not supported")
        for keyword in node.keywords:
            if keyword.arg is None:
                self.refuse(keyword, "star-arguments (`**kwargs`) are not supported")
        if isinstance(node.func, ast.Name) and node.func.id == "print" and "print" not in self.names:
            return self.print_call(node)
        callee = self.value(node.func)
        if isinstance(callee, _Method):
            return self.model_method(callee, node)
        if isinstance(callee, (_Sequential, _Functional)):
            self.calls.append("call")
            return self.predict(callee, node, ("inputs", "training", "mask"))
        if isinstance(callee, _Layer):
            return self.call_layer(callee, node)
        kind = self.kind(callee) if isinstance(callee, _Path) else None
        if kind is None and isinstance(callee, _Path) and callee.parts[:2] == ("keras", "layers"):
            self.unknown(callee.parts[-1], node.func)
        if kind in (None, "activation", "dtype"):
            what = f"`{_source(node.func)}`" if isinstance(callee, _Path) else _describe(callee)
            self.refuse(
                node.func,
                f"calling {what} is not supported: it is no Keras layer, model or function this reader knows",
                "code_unknown_name" if kind is None else "code_unsupported",
            )
        return getattr(self, "make_" + kind)(callee, node)

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

    def print_call(self, node: ast.Call) -> None:
        """print(...) is ignored, but what it names is checked, and model calls inside it are read."""
        stack = [(child, False) for child in reversed([*node.args, *node.keywords])]
        while stack:
            item, in_f_string = stack.pop()
            if isinstance(item, ast.Call) and in_f_string:
                self.refuse(item, "an f-string that calls something is not supported")
            if isinstance(item, ast.Call) and self.is_model_call(item):
                self.value(item)
                continue
            if isinstance(item, _NOT_IN_PRINT):
                self.unsupported(item)
            if isinstance(item, ast.keyword) and item.arg is None:
                self.refuse(item, "star-arguments (`**kwargs`) are not supported")
            if isinstance(item, ast.Name):
                self.check_name(item.id, item)
                if not (item.id in self.names or item.id in _PRINTABLE_BUILTINS or self.default(item.id)):
                    self.unknown(item.id, item)
            if isinstance(item, ast.Attribute):
                self.check_name(item.attr, item, attribute=True)
            inside = in_f_string or isinstance(item, ast.JoinedStr)
            stack.extend((child, inside) for child in reversed(list(ast.iter_child_nodes(item))))

    def is_model_call(self, node: ast.Call) -> bool:
        target = node.func.value if isinstance(node.func, ast.Attribute) else node.func
        return isinstance(target, ast.Name) and isinstance(self.names.get(target.id), (_Sequential, _Functional))

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
        if isinstance(value, (list, tuple, _Array)):
            items = value.data if isinstance(value, _Array) else value
            return [self.json(item, node, depth + 1, numbers_only) for item in items]
        if numbers_only and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self.refuse(node, f"predict reads arrays of numbers; this one holds {_describe(value)}")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, dict):
            return {key: self.json(item, node, depth + 1) for key, item in value.items()}
        if isinstance(value, _KerasObject):
            return {"class_name": value.class_name, "config": self.json(value.config, node, depth + 1)}
        if isinstance(value, _Layer):
            return self.json({"type": value.class_name, **value.arguments}, node, depth)
        kind = self.kind(value) if isinstance(value, _Path) else None
        if kind in ("activation", "dtype", "object"):
            return value.parts[-1]
        self.refuse(node, f"{_describe(value)} cannot be an argument here")

    def array(self, node: ast.AST) -> list:
        """Data for predict: an array as it is, a list of arrays (several inputs) as theirs, a list copied."""
        value = self.value(node)
        if isinstance(value, _Tensor):
            self.refuse(node, "calling the model on a tensor (a nested model) is not supported")
        if isinstance(value, _Array):
            return value.data
        if isinstance(value, (list, tuple)) and value and all(isinstance(item, _Array) for item in value):
            return [item.data for item in value]
        if not isinstance(value, (list, tuple)):
            self.refuse(node, f"predict reads a list or np.array of numbers; `{_source(node)}` is {_describe(value)}")
        return self.json(value, node, numbers_only=True)

    def filled(self, dimensions: Any, node: ast.AST, value_at: Callable[[int], float]) -> _Array:
        """A nested list of this shape, the element at flat index i being value_at(i); its size bounded first."""
        dimensions = dimensions if isinstance(dimensions, (list, tuple)) else [dimensions]
        total = 1
        for size in dimensions:
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                self.refuse(node, f"an array's sizes are positive integers; `{_source(node)}` asks for {size!r}")
            total *= size
            if total > self.limits.max_literal_elements:
                self.refuse(
                    node,
                    f"`{_source(node)}` holds more than {self.limits.max_literal_elements:,} elements;"
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
        return _Array(flat)

    def shape(self, value: Any, node: ast.AST) -> list:
        shape = [value] if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(shape, (list, tuple)) or not all(
            size is None or isinstance(size, int) and not isinstance(size, bool) for size in shape
        ):
            self.refuse(node, f"a shape is a tuple of integers or None; `{_source(node)}` is {_describe(value)}")
        return self.json(shape, node)

    # Constructors

    def make_sequential(self, path: _Path, node: ast.Call) -> _Sequential:
        nodes = self.arguments(node, ("layers", "trainable", "name"), "Sequential")
        values = {key: self.value(value_node) for key, value_node in nodes.items()}
        model = self.new_model(_Sequential(node, name=self.text(values.get("name"), nodes.get("name", node))))
        layers = values.get("layers") or []
        if not isinstance(layers, (list, tuple)):
            self.refuse(nodes["layers"], f"Sequential takes a list of layers, not {_describe(layers)}")
        for layer in layers:
            self.add_layer(model, layer, nodes["layers"])
        return model

    def make_functional(self, path: _Path, node: ast.Call) -> _Functional:
        nodes = self.arguments(node, ("inputs", "outputs", "name", "trainable"), "Model")
        if "inputs" not in nodes or "outputs" not in nodes:
            self.refuse(node, "Model(...) is read with inputs= and outputs=; subclassed models are not read")
        inputs, outputs = self.tensors(nodes["inputs"], "Model"), self.tensors(nodes["outputs"], "Model")
        for tensor in inputs:
            if not isinstance(tensor.producer, _Input):
                self.refuse(nodes["inputs"], "a Model's inputs are keras.Input(...) tensors")
        name = self.text(self.value(nodes["name"]), node) if "name" in nodes else None
        if "trainable" in nodes:
            self.value(nodes["trainable"])
        return self.new_model(_Functional(node, name, inputs, outputs))

    def new_model(self, model: Any) -> Any:
        if self.model is not None:
            self.refuse(
                model.node,
                f"a second model is not supported (the first is on line "
                f"{self.model.node.lineno}): one model per request",
            )
        self.model = model
        return model

    def text(self, value: Any, node: ast.AST) -> Optional[str]:
        if value is not None and not isinstance(value, str):
            self.refuse(node, f"a name is a string, not {_describe(value)}")
        return value

    def make_input(self, path: _Path, node: ast.Call) -> _Tensor:
        return _Tensor(self.new_input(node, _INPUT_PARAMETERS, "Input"), 0)

    def make_input_layer(self, path: _Path, node: ast.Call) -> _Input:
        return self.new_input(node, _INPUT_LAYER_PARAMETERS + ("input_shape", "batch_input_shape"), "InputLayer")

    def new_input(self, node: ast.Call, parameters: Sequence[str], what: str) -> _Input:
        values = {key: self.value(value) for key, value in self.arguments(node, parameters, what).items()}
        for key in ("tensor", "input_tensor"):
            if values.get(key) is not None:
                self.refuse(node, f"`{what}({key}=...)` is not supported: inputs are read from their shape")
        shape = values.get("shape", values.get("input_shape"))
        batch_shape = values.get("batch_shape", values.get("batch_input_shape"))
        if shape is None and isinstance(batch_shape, (list, tuple)):
            shape = batch_shape[1:]
        if shape is None:
            self.refuse(node, f"`{what}` is read only with a shape, e.g. {what}(shape=(3, 2))")
        entry = {"shape": self.shape(shape, node)}
        entry.update(
            {key: self.json(values[key], node) for key in ("dtype", "batch_size") if values.get(key) is not None}
        )
        item = _Input(entry, self.text(values.get("name"), node), node)
        self.producers.append(item)
        return item

    def layer_parameters(self, class_name: str, node: ast.AST) -> list[str]:
        if not self.is_layer(class_name):
            self.unknown(class_name, node)
        parameters = self.layer_parameters_cache[class_name]
        assert parameters is not None, "is_layer holds only where the parameters were found"
        return parameters

    def make_layer(self, path: _Path, node: ast.Call) -> _Layer:
        class_name = path.parts[-1]
        nodes = self.arguments(node, self.layer_parameters(class_name, node.func), class_name, any_keyword=True)
        return self.new_layer(class_name, nodes, node)

    def new_layer(self, class_name: str, nodes: dict[str, ast.AST], node: ast.Call) -> _Layer:
        arguments = {key: self.json(self.value(value), value) for key, value in nodes.items()}
        if "name" in nodes:
            self.text(arguments["name"], nodes["name"])
        layer = _Layer(class_name, arguments, node)
        self.producers.append(layer)
        return layer

    def make_merge(self, path: _Path, node: ast.Call) -> _Tensor:
        class_name = _MERGE_FUNCTIONS[path.parts[-1]]
        parameters = ["inputs", *self.layer_parameters(class_name, node.func)]
        nodes = self.arguments(node, parameters, path.parts[-1], any_keyword=True)
        if "inputs" not in nodes:
            self.refuse(node, f"`{path.parts[-1]}` is read with its list of input tensors")
        inputs = self.tensors(nodes.pop("inputs"), path.parts[-1])
        return self.connect(self.new_layer(class_name, nodes, node), inputs)

    def make_object(self, path: _Path, node: ast.Call) -> _KerasObject:
        module, name = path.parts[:-1], path.parts[-1]
        class_name = _camel_case(name) if module in _CAMEL_CASED else name
        nodes = self.arguments(node, _OBJECT_POSITIONALS.get(class_name, ()), class_name, any_keyword=True)
        return _KerasObject(class_name, {key: self.json(self.value(value), value) for key, value in nodes.items()})

    def make_array(self, path: _Path, node: ast.Call) -> _Array:
        nodes = self.arguments(node, ("object", "dtype"), path.parts[-1])
        if "dtype" in nodes:
            self.value(nodes["dtype"])
        if "object" not in nodes:
            self.refuse(node, f"`{path.parts[-1]}` is read with its list of numbers")
        return _Array(self.array(nodes["object"]))

    def make_filled(self, path: _Path, node: ast.Call) -> _Array:
        function = path.parts[-1]
        if function == "rand":
            self.arguments(node, ("d",) * len(node.args), "rand")  # sizes only, each positional
            dimensions: Any = [self.value(argument) for argument in node.args]  # filled() checks what it is
        else:
            name = "shape" if function in ("zeros", "ones") else "size"
            nodes = self.arguments(node, (name, "dtype") if name == "shape" else (name,), function)
            if "dtype" in nodes:
                self.value(nodes["dtype"])
            dimensions = self.value(nodes[name]) if name in nodes else ()
        return self.filled(dimensions, node, _FILLS[function])

    def make_ignored(self, path: _Path, node: ast.Call) -> None:
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            self.value(argument)

    # Models and layers at work

    def add_layer(self, model: _Sequential, value: Any, node: ast.AST) -> None:
        if isinstance(value, _Tensor) and isinstance(value.producer, _Input):
            value = value.producer
        if isinstance(value, _Input):
            if model.layers or model.input_shape is not None:
                self.refuse(node, "an Input is only read as the first layer of a Sequential model")
            model.input_shape = value.entry["shape"]
        elif isinstance(value, _Layer):
            model.layers.append(value)
        else:
            self.refuse(node, f"a Sequential model takes layers, not {_describe(value)}")

    def tensors(self, node: ast.AST, what: str) -> list[_Tensor]:
        value = self.value(node)
        tensors = list(value) if isinstance(value, (list, tuple)) else [value]
        for tensor in tensors:
            if not isinstance(tensor, _Tensor):
                self.refuse(
                    node,
                    f"`{what}` is read only on keras.Input(...) tensors and layer outputs, not on {_describe(tensor)}",
                )
        return tensors

    def call_layer(self, layer: _Layer, node: ast.Call) -> _Tensor:
        nodes = self.arguments(node, ("inputs",), layer.class_name + "(...)", any_keyword=True)
        for key, value_node in nodes.items():
            if key != "inputs" and (key != "training" or not isinstance(self.value(value_node), (bool, type(None)))):
                self.refuse(value_node, f"calling a layer with `{key}=` is not supported")
        if "inputs" not in nodes:
            self.refuse(node, "a layer is called on a tensor or a list of tensors")
        return self.connect(layer, self.tensors(nodes["inputs"], layer.class_name))

    def connect(self, layer: _Layer, inputs: list[_Tensor]) -> _Tensor:
        layer.calls.append(inputs)
        if len(layer.calls) == 1:
            self.called.append(layer)
        return _Tensor(layer, len(layer.calls) - 1)

    def model_method(self, method: _Method, node: ast.Call) -> Any:
        readers: dict[str, Callable[[Any, ast.Call], Any]] = {
            "add": self.add,
            "compile": self.compile_model,
            "build": self.build,
            "summary": self.summary,
            "predict": self.predict,
        }
        if method.name not in readers:
            self.refuse(
                node,
                f"`model.{method.name}` is not supported: the model is read, not run; the reader "
                "understands add, build, compile, predict and summary",
            )
        self.calls.append(method.name)
        return readers[method.name](method.model, node)

    def add(self, model: Any, node: ast.Call) -> None:
        if not isinstance(model, _Sequential):
            self.refuse(node, "`add` is for Sequential models")
        nodes = self.arguments(node, ("layer",), "add")
        if "layer" not in nodes:
            self.refuse(node, "`add` takes a layer")
        self.add_layer(model, self.value(nodes["layer"]), nodes["layer"])

    def compile_model(self, model: Any, node: ast.Call) -> None:
        spec = {}
        for key, value_node in self.arguments(node, _COMPILE_PARAMETERS, "compile").items():
            value = self.value(value_node)
            if key in ("optimizer", "loss"):
                spec[key] = self.compile_name(value, value_node)
            else:
                self.json(value, value_node)  # read to be sure it is data, then dropped: it changes no shape
        self.compile = spec

    def compile_name(self, value: Any, node: ast.AST) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, _KerasObject):
            return value.class_name
        if isinstance(value, _Path) and self.kind(value) in ("object", "activation"):
            return value.parts[-1]
        self.refuse(node, f"compile reads a loss or optimizer as a string or a Keras object, not {_describe(value)}")

    def build(self, model: Any, node: ast.Call) -> None:
        nodes = self.arguments(node, ("input_shape",), "build")
        shape = self.value(nodes["input_shape"]) if "input_shape" in nodes else None
        if shape is None or not isinstance(model, _Sequential):
            return
        if not isinstance(shape, (list, tuple)) or len(shape) < 2:
            self.refuse(node, "build takes a shape with its batch axis, e.g. model.build((None, 3, 2))")
        model.input_shape = self.shape(shape[1:], nodes["input_shape"])

    def summary(self, model: Any, node: ast.Call) -> None:
        for value_node in self.arguments(node, _SUMMARY_PARAMETERS, "summary").values():
            self.value(value_node)

    def predict(
        self,
        model: Any,
        node: ast.Call,
        parameters: Sequence[str] = ("x", "batch_size", "verbose", "steps", "callbacks"),
    ) -> _Prediction:
        nodes = self.arguments(node, parameters, "predict")
        if parameters[0] not in nodes:
            self.refuse(node, "predict is read with its input data")
        data = self.array(nodes.pop(parameters[0]))
        for value_node in nodes.values():
            if not isinstance(self.value(value_node), (bool, int, type(None))):
                self.refuse(value_node, "predict's other arguments are read as numbers or booleans")
        self.inputs = data if self.inputs is None else self.inputs
        return _Prediction()

    # The spec

    def render(self) -> dict:
        model = self.model
        if model is None:
            raise CodeRejected(
                "line 1, column 1: no model found: the reader looks for Sequential(...) or "
                "keras.Model(inputs, outputs)",
                1,
                1,
                "code_unsupported",
            )
        spec: dict[str, Any] = {} if model.name is None else {"name": model.name}
        if isinstance(model, _Sequential):
            if model.input_shape is not None:
                spec["input_shape"] = model.input_shape
            spec["layers"] = [{"type": layer.class_name, **layer.arguments} for layer in model.layers]
        else:
            spec.update(self.graph(model))
        if self.compile is not None:
            spec["compile"] = self.compile
        return spec

    def graph(self, model: _Functional) -> dict:
        """The concise graph: every producer named, layers in the order of their first call."""
        named: dict[str, Union[_Input, _Layer]] = {}
        for producer in self.producers:
            if producer.user_name is not None and named.setdefault(producer.user_name, producer) is not producer:
                self.refuse(producer.node, f"the name `{producer.user_name}` is given to two layers")
            producer.name = producer.user_name
        unnamed = [producer for producer in self.producers if producer.user_name is None]
        for producer, name in zip(unnamed, keras_default_names([p.class_name for p in unnamed], set(named))):
            producer.name = name
        layers = []
        for layer in self.called:
            entry = {
                "type": layer.class_name,
                "name": layer.name,
                **{key: value for key, value in layer.arguments.items() if key != "name"},
            }
            sources = [[_source_name(tensor) for tensor in call] for call in layer.calls]
            entry.update({"inbound": sources[0]} if len(sources) == 1 else {"calls": sources})
            layers.append(entry)
        return {
            "inputs": [{"name": tensor.producer.name, **tensor.producer.entry} for tensor in model.inputs],
            "layers": layers,
            "outputs": [_source_name(tensor) for tensor in model.outputs],
        }
