"""The names the reader knows, as tables: what may be imported, what a name stands for without its import, which
paths are models, merge functions, Keras objects, numpy functions and dtypes, the positional parameters of the
calls it reads, the builtins it refuses (they run, open or import things) and the syntax it refuses, with the words
its refusals use.
"""

import ast
import operator
from typing import Any, Optional

IMPORTABLE = ("keras", "tensorflow", "numpy")
MAX_SUGGESTED_NAMES = 200
DEFAULT_NAMES = {
    "np": ("numpy",),
    "numpy": ("numpy",),
    "tf": ("tensorflow",),
    "tensorflow": ("tensorflow",),
    "keras": ("keras",),
    "ops": ("keras", "ops"),
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
MODELS = {
    ("keras", "Sequential"): "sequential",
    ("keras", "models", "Sequential"): "sequential",
    ("keras", "Model"): "functional",
    ("keras", "models", "Model"): "functional",
    ("keras", "Input"): "input",
    ("keras", "layers", "Input"): "input",
    ("keras", "layers", "InputLayer"): "input_layer",
}
MERGE_FUNCTIONS = {
    "add": "Add",
    "subtract": "Subtract",
    "multiply": "Multiply",
    "average": "Average",
    "maximum": "Maximum",
    "minimum": "Minimum",
    "concatenate": "Concatenate",
    "dot": "Dot",
}
OBJECT_MODULES = {
    ("keras", "initializers"),
    ("keras", "regularizers"),
    ("keras", "constraints"),
    ("keras", "optimizers"),
    ("keras", "optimizers", "legacy"),
    ("keras", "losses"),
}
CAMEL_CASED = {("keras", "initializers"), ("keras", "regularizers"), ("keras", "constraints")}
OBJECT_POSITIONALS = {
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
NUMPY = {
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
FILLS = {
    "zeros": lambda i: 0.0,
    "ones": lambda i: 1.0,
    "random": lambda i: (i % 100) / 100,
    "random_sample": lambda i: (i % 100) / 100,
    "rand": lambda i: (i % 100) / 100,
}
# The dtypes a constant's numbers may take (keras.ops.arange's dtype=): the service's REAL_DTYPES, which the
# reader may not import (tests/unit/test_code_operations.py holds them equal)
CONSTANT_DTYPES = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
)
# The numbers each bounded dtype holds (the schema's constants.py refuses others, far from the code's line)
CONSTANT_RANGES = {
    **{f"int{bits}": (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) for bits in (8, 16, 32, 64)},
    **{f"uint{bits}": (0, 2**bits - 1) for bits in (8, 16, 32, 64)},
    "float16": (-65504.0, 65504.0),
}
DTYPES = frozenset("float16 float32 float64 bfloat16 int8 int16 int32 int64 uint8 uint16 bool".split())
INPUT_PARAMETERS = ("shape", "batch_size", "dtype", "sparse", "ragged", "batch_shape", "name", "tensor", "optional")
INPUT_LAYER_PARAMETERS = (
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
COMPILE_PARAMETERS = (
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
SUMMARY_PARAMETERS = ("line_length", "positions", "print_fn", "expand_nested", "show_trainable", "layer_range")
FORBIDDEN = frozenset(
    "exec eval open compile getattr setattr delattr globals locals vars input breakpoint "
    "exit quit help memoryview".split()
)
FORBIDDEN_INSTEAD = {
    "open": "send a file's data as the request's `inputs` or `weights`, or upload a saved model file in place of "
    "the code (multipart/form-data, field `model`)",
    "exec": "paste the code itself",
    "eval": "write the value itself",
}
PRINTABLE_BUILTINS = frozenset(
    "len str repr int float round list tuple dict set abs min max sum sorted format bool "
    "type id dir range zip enumerate isinstance".split()
)
COMPARISONS: dict[type, Any] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda item, container: operator.contains(container, item),
    ast.NotIn: lambda item, container: not operator.contains(container, item),
}
# Builtins the reader computes itself, each bounded (models.py); the others are only named inside print
BUILTIN_COMPUTED: dict[str, Any] = {
    "len": len,
    "enumerate": enumerate,
    "zip": zip,
    "list": list,
    "tuple": tuple,
    "min": min,
    "max": max,
    "abs": abs,
    "int": int,
    "float": float,
    "reversed": reversed,
}
BUILTIN_FUNCTIONS = frozenset({*BUILTIN_COMPUTED, "range", "str"})
# keras.ops operations the reader reads, as Keras records them in a Functional graph: class name -> the module
# Keras writes for it and whether it keeps its operands' shape (where they agree). The same operations as
# schemas.keras_names.OPERATIONS, which the reader may not import (tests/unit/test_code_operations.py checks it).
_NUMPY, _NN, _CORE = "keras.src.ops.numpy", "keras.src.ops.nn", "keras.src.ops.core"
OPERATIONS: dict[str, tuple[str, bool]] = {
    **dict.fromkeys(
        "Add Subtract Multiply Divide TrueDivide FloorDivide Mod Power Maximum Minimum Equal NotEqual Less LessEqual "
        "Greater GreaterEqual LogicalAnd LogicalOr LogicalXor Negative Absolute Abs LogicalNot Square Sqrt Exp Log "
        "Tanh".split(),
        (_NUMPY, True),
    ),
    **dict.fromkeys("Relu Relu6 Sigmoid HardSigmoid HardSilu Silu Gelu Softplus Elu".split(), (_NN, True)),
    **dict.fromkeys("Mean Sum Max Min Matmul".split(), (_NUMPY, False)),
    "Cast": (_CORE, True),
}
# keras.ops functions: function -> the operation Keras records, its operand parameters (tensors or numbers), and
# the arguments it writes in the node's config, in Keras's positional order.
_BINARY = ("x1", "x2")
_REDUCTION = ("axis", "keepdims")
OPERATION_FUNCTIONS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    **{
        function: (class_name, _BINARY, ())
        for function, class_name in {
            "add": "Add",
            "subtract": "Subtract",
            "multiply": "Multiply",
            "divide": "Divide",
            "true_divide": "TrueDivide",
            "floor_divide": "FloorDivide",
            "mod": "Mod",
            "power": "Power",
            "maximum": "Maximum",
            "minimum": "Minimum",
            "equal": "Equal",
            "not_equal": "NotEqual",
            "less": "Less",
            "less_equal": "LessEqual",
            "greater": "Greater",
            "greater_equal": "GreaterEqual",
            "logical_and": "LogicalAnd",
            "logical_or": "LogicalOr",
            "logical_xor": "LogicalXor",
            "matmul": "Matmul",
        }.items()
    },
    **{
        function: (class_name, ("x",), ())
        for function, class_name in {
            "negative": "Negative",
            "abs": "Absolute",
            "absolute": "Absolute",
            "logical_not": "LogicalNot",
            "square": "Square",
            "sqrt": "Sqrt",
            "exp": "Exp",
            "log": "Log",
            "tanh": "Tanh",
            "relu": "Relu",
            "relu6": "Relu6",
            "sigmoid": "Sigmoid",
            "hard_sigmoid": "HardSigmoid",
            "hard_silu": "HardSilu",
            "hard_swish": "HardSilu",
            "silu": "Silu",
            "swish": "Silu",
            "softplus": "Softplus",
        }.items()
    },
    "gelu": ("Gelu", ("x",), ("approximate",)),
    "elu": ("Elu", ("x",), ("alpha",)),
    "mean": ("Mean", ("x",), _REDUCTION),
    "sum": ("Sum", ("x",), _REDUCTION),
    "max": ("Max", ("x",), _REDUCTION + ("initial",)),
    "min": ("Min", ("x",), _REDUCTION + ("initial",)),
    "cast": ("Cast", ("x",), ("dtype",)),
}
# Python operators on tensors, as the keras.ops operation Keras's KerasTensor records for each (`+x` and `x == y`
# it does not: Keras raises a TypeError for the one and compares the tensor objects for the other)
TENSOR_OPERATORS: dict[type, str] = {
    ast.Add: "Add",
    ast.Sub: "Subtract",
    ast.Mult: "Multiply",
    ast.Div: "TrueDivide",
    ast.FloorDiv: "FloorDivide",
    ast.Mod: "Mod",
    ast.Pow: "Power",
    ast.MatMult: "Matmul",
    ast.BitAnd: "LogicalAnd",
    ast.BitOr: "LogicalOr",
    ast.BitXor: "LogicalXor",
    ast.USub: "Negative",
    ast.Invert: "LogicalNot",
    ast.NotEq: "NotEqual",
    ast.Lt: "Less",
    ast.LtE: "LessEqual",
    ast.Gt: "Greater",
    ast.GtE: "GreaterEqual",
}
# Layers whose output has their input's shape, whatever their arguments (for `x.shape` read without Keras)
SHAPE_KEEPING_LAYERS = frozenset(
    "Dropout SpatialDropout1D SpatialDropout2D GaussianNoise GaussianDropout AlphaDropout LayerNormalization "
    "BatchNormalization GroupNormalization UnitNormalization Activation ReLU LeakyReLU PReLU ELU Softmax".split()
)
ELEMENTWISE_MERGES = frozenset("Add Subtract Multiply Average Maximum Minimum".split())
POINTWISE_CONVOLUTIONS = frozenset("Conv1D Conv2D Conv3D".split())
# Unnamed layers a layer makes when Keras builds it (at its first call), each taking a default name as it is made
BUILD_TIME_LAYERS = {"MultiHeadAttention": ("Softmax", "Dropout"), "GroupQueryAttention": ("Softmax", "Dropout")}
# Layers called on separate tensors (query, value, key) rather than one list: as in schemas.keras_names, which
# the reader may not import
# Keyword arguments of a layer call that carry tensors, as the concise spec names them beside "inbound"
KEYWORD_TENSORS = ("initial_state", "mask")
SEPARATE_INPUT_LAYERS = ("MultiHeadAttention", "GroupQueryAttention")
ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
UNSUPPORTED = {
    ast.AsyncFor: "a `for` loop",
    ast.While: "a `while` loop",
    ast.AsyncFunctionDef: "a function definition",
    ast.ClassDef: "a class definition",
    ast.With: "a `with` block",
    ast.AsyncWith: "a `with` block",
    ast.Try: "a `try` block",
    ast.TryStar: "a `try` block",
    ast.Global: "a `global` statement",
    ast.Nonlocal: "a `nonlocal` statement",
    ast.Delete: "`del`",
    ast.Raise: "`raise`",
    ast.Assert: "`assert`",
    ast.AnnAssign: "an annotated assignment",
    ast.Match: "a `match` statement",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "the walrus operator `:=`",
    ast.Await: "`await`",
    ast.Yield: "`yield`",
    ast.YieldFrom: "`yield`",
    ast.Starred: "a star-argument",
    ast.Set: "a set literal",
}
LAMBDA_INSTEAD = (
    "use the built-in layer that does the same (layers.Rescaling for x * a + b, layers.Reshape, layers.Permute, "
    "layers.Activation, layers.Add/Subtract/Multiply/Concatenate; for a Siamese network's distance, "
    "layers.Subtract()([a, b]) or layers.Dot(axes=1, normalize=True)([a, b]), cosine similarity), or send "
    "model.to_json()"
)
# Calls that draw the model and build nothing (keras.io's pages end on them): read as no-ops, like print, once
# their model is checked. They would write a file and need pydot and graphviz: the answer's diagram is the drawing.
DRAWING_CALLS = frozenset({("keras", "utils", "plot_model")})
# Model methods that train, evaluate or save: what the answer is instead
TRAINING_METHODS = frozenset(
    "fit evaluate train_on_batch test_on_batch fit_generator evaluate_generator save save_weights load_weights "
    "export".split()
)
METHODS_INSTEAD = (
    "leave out the lines that train, evaluate, save or load it: the service answers for the model as built, with "
    "the request's `weights` (by layer name) or weights drawn from its `seed`, and a saved model file is uploaded "
    "in place of the code (multipart/form-data, field `model`)"
)
# Calls of modules the reader does not run, by where they come from: what to send instead
_CALLS_INSTEAD = {
    ("keras", "models", "load_model"): "upload the saved file in place of the code (multipart/form-data, field "
    "`model`), or send its model.to_json()",
    ("keras", "saving", "load_model"): "upload the saved file in place of the code (multipart/form-data, field "
    "`model`), or send its model.to_json()",
    ("numpy", "load"): "send the data as the request's `inputs`",
    ("numpy", "loadtxt"): "send the data as the request's `inputs`",
    ("numpy", "genfromtxt"): "send the data as the request's `inputs`",
}


def calls_instead(parts: tuple) -> Optional[str]:
    """What to send in place of a call the reader does not read, where there is an answer."""
    if parts in _CALLS_INSTEAD:
        return _CALLS_INSTEAD[parts]
    if parts[:2] == ("keras", "ops"):
        return (
            f"keras.ops is read for {', '.join(sorted(OPERATION_FUNCTIONS))} (Keras records each as an operation "
            "of the graph); for another, use the built-in layer that computes it (layers.Concatenate for "
            "concatenate, layers.Reshape, layers.Permute, layers.Softmax, layers.Dot), or send the model's "
            "model.to_json()"
        )
    if parts[:2] == ("keras", "backend") or parts[:1] == ("tensorflow",):
        return (
            "an operation on tensors is written with Python's operators (x + y, x * 0.5), keras.ops (e.g. "
            "keras.ops.mean(x, axis=1)), or the built-in layer that computes it (layers.Concatenate for concat, "
            "layers.Activation, layers.Reshape, layers.Dot), or send the model's model.to_json(), which records "
            "Keras's operations"
        )
    if parts[:2] == ("keras", "utils") or parts[:2] == ("keras", "datasets"):
        return "leave out loading data: send the data the model predicts on as the request's `inputs`"
    return None


# What to write instead, where the reader has an answer
INSTEAD: dict[type, str] = {
    ast.ClassDef: "a subclassed model or custom layer runs Python in its call(); send the model's model.to_json() "
    "instead, or write it with built-in layers",
    ast.Lambda: "for a Lambda layer, " + LAMBDA_INSTEAD,
    ast.While: "write a `for` loop over range(n)",
    ast.AsyncFor: "write a plain `for` loop",
    ast.AsyncFunctionDef: "write a plain `def`",
    ast.ListComp: "write a `for` loop, or the list itself",
    ast.GeneratorExp: "write the list itself",
    ast.With: "leave out the `with` line and keep its block",
    ast.AsyncWith: "leave out the `with` line and keep its block",
    ast.Try: "keep only the lines of the `try` block",
    ast.TryStar: "keep only the lines of the `try` block",
    ast.Global: "pass the value to the function and return it",
    ast.Nonlocal: "pass the value to the function and return it",
    ast.Starred: "write the arguments out",
    ast.Raise: "leave it out",
    ast.Assert: "leave it out",
    ast.AnnAssign: "leave out the annotation",
    ast.Delete: "leave it out",
}
NOT_IN_PRINT = (
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
