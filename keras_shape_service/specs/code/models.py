"""Calls: layer, input and model constructors, layers called on tensors, model methods, Keras objects, numpy
arrays, print; and the spec they add up to.

A Sequential model is its layers in order, with an input shape from a first Input/InputLayer or model.build. A
functional model is a graph: every input and layer named (the code's name, else Keras's default, counted in the
order the code makes them), a layer called more than once listed once with its "calls", the output of its call k
being the source "<name>#k", its keyword tensors (initial_state=, mask=) beside its sources. A model called on
tensors, or given to a Sequential, is a layer of the model that uses it (one layer however often it is called:
its weights are shared); the spec is the one model no other uses, those it uses nested in it, and a functional
model's layers are those between its inputs and outputs. Names are Keras's, counted over every model, the
Functional models and input layers Keras makes unseen as it builds a Sequential included. Model methods other
than add, build, compile, predict and summary are refused: the model is read, not run. print(...) is ignored,
but what it names is checked and model calls inside it are read; so is keras.utils.plot_model(model, ...).
"""

import ast
import math
from typing import Any, Callable, Optional, Sequence, Union

from keras_shape_service.specs.naming import keras_default_names, to_snake_case

from .bounds import CodeRejected
from .expressions import Expressions
from .tables import (
    BUILD_TIME_LAYERS,
    BUILTIN_COMPUTED,
    CAMEL_CASED,
    COMPILE_PARAMETERS,
    CONSTANT_DTYPES,
    CONSTANT_RANGES,
    DRAWING_CALLS,
    ELEMENTWISE_MERGES,
    FILLS,
    INPUT_LAYER_PARAMETERS,
    INPUT_PARAMETERS,
    KEYWORD_TENSORS,
    LAMBDA_INSTEAD,
    MERGE_FUNCTIONS,
    METHODS_INSTEAD,
    NOT_IN_PRINT,
    OBJECT_POSITIONALS,
    OPERATION_FUNCTIONS,
    OPERATIONS,
    POINTWISE_CONVOLUTIONS,
    PRINTABLE_BUILTINS,
    SEPARATE_INPUT_LAYERS,
    SHAPE_KEEPING_LAYERS,
    SUMMARY_PARAMETERS,
    TENSOR_OPERATORS,
    TRAINING_METHODS,
    calls_instead,
)
from .values import (
    Array,
    Builtin,
    ConstantArray,
    DictLiteral,
    Function,
    FunctionalModel,
    InputEntry,
    KerasObject,
    KerasPath,
    LayerEntry,
    ModelMethod,
    Prediction,
    SequentialModel,
    Tensor,
    camel_case,
    describe,
    source_name,
    source_text,
)

# How a Model's inputs={...} and outputs={...} are written, for refusals to show
EXAMPLE_DICTS = {
    "input": 'inputs={"title": title_input, "body": body_input}',
    "output": 'outputs={"priority": priority_pred, "department": department_pred}',
}


class Models(Expressions):
    """Calls read into layers, inputs and the model, and the model rendered as a spec."""

    def call(self, node: ast.Call) -> Any:
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                self.refuse(argument, "star-arguments (`*args`) are not supported")
        for keyword in node.keywords:
            if keyword.arg is None:
                self.refuse(keyword, "star-arguments (`**kwargs`) are not supported")
        if isinstance(node.func, ast.Name) and node.func.id == "print" and not self.lookup("print")[0]:
            return self.print_call(node)
        callee = self.value(node.func)
        if isinstance(callee, Function):
            return self.call_function(callee, node)
        if isinstance(callee, Builtin):
            return self.builtin(callee.name, node)
        if isinstance(callee, ModelMethod):
            return self.model_method(callee, node)
        if isinstance(callee, (SequentialModel, FunctionalModel)):
            return self.call_model(callee, node)
        if isinstance(callee, LayerEntry):
            return self.call_layer(callee, node)
        if isinstance(callee, KerasPath) and callee.parts in DRAWING_CALLS:
            return self.drawing_call(node)
        kind = self.kind(callee) if isinstance(callee, KerasPath) else None
        if kind is None and isinstance(callee, KerasPath) and callee.parts[:2] == ("keras", "layers"):
            self.unknown(callee.parts[-1], node.func)
        if kind in (None, "activation", "dtype"):
            what = f"`{source_text(node.func)}`" if isinstance(callee, KerasPath) else describe(callee)
            instead = calls_instead(callee.parts) if isinstance(callee, KerasPath) else None
            self.refuse(
                node.func,
                f"calling {what} is not supported: it is no Keras layer, model or function this reader knows"
                + (f"; {instead}" if instead else ""),
                "code_unknown_name" if kind is None else "code_unsupported",
            )
        return getattr(self, "make_" + kind)(callee, node)

    def call_function(self, function: Function, node: ast.Call) -> Any:
        """A function of the code called: statements.py reads its body."""
        self.refuse(node, "calling a function of the code is not read here")

    def builtin(self, name: str, node: ast.Call) -> Any:
        """range, len, enumerate, zip, list, tuple, min, max, abs, int, float, str, reversed on values the reader
        knows; whatever they make is spent from the data budget."""
        if node.keywords:
            self.refuse(node.keywords[0], f"`{name}(...)` is read with positional arguments only")
        values = [self.value(argument) for argument in node.args]
        if name == "abs" and len(values) == 1 and isinstance(values[0], Tensor):
            return self.operation("Absolute", values, {}, node)  # a KerasTensor's __abs__ is keras.ops.absolute
        for value, argument in zip(values, node.args):
            if not (value is None or isinstance(value, (bool, int, float, str, list, tuple, range))):
                self.refuse(
                    argument, f"`{name}(...)` is read on numbers, strings, lists and tuples, not {describe(value)}"
                )
        try:
            if name == "range":
                if not 1 <= len(values) <= 3 or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                    self.refuse(node, "range(...) is read with one to three integers")
                return range(*values)
            sizes = [len(value) for value in values if isinstance(value, (list, tuple, range, str))]
            self.spend(min(sizes, default=0) if name == "zip" else sum(sizes), node)  # before the work, not after
            if name in ("enumerate", "zip", "reversed", "list", "tuple"):
                made = list(BUILTIN_COMPUTED[name](*values))
                return made if name in ("list", "enumerate", "zip", "reversed") else tuple(made)
            if name == "str":
                if not all(value is None or isinstance(value, (bool, int, float, str)) for value in values):
                    self.refuse(node, "str(...) is read on a number or a string")
                return str(*values)
            return self.bounded(BUILTIN_COMPUTED[name](*values), node)
        except (TypeError, ValueError, OverflowError) as error:
            self.refuse(node, f"`{source_text(node)}` cannot be computed: {error}")

    def tensor_operation(self, node: ast.AST, operands: list, operator: ast.AST) -> Any:
        """A Python operator on tensors (`x + y`, `x * 0.5`, `-x`, `x > 0`): Keras's functional API records it as
        the keras.ops operation the tensor's operator method calls, a node of the graph with Keras's name for it
        (`add`, `true_divide`), its operands in order, numbers among them."""
        class_name = TENSOR_OPERATORS.get(type(operator))
        if class_name is None:
            said = {
                ast.UAdd: "Keras raises a TypeError for unary + on a tensor; leave the + out",
                ast.Eq: (
                    "on tensors, == compares the two tensor objects, not their values (Keras records no operation); "
                    "write keras.ops.equal(x, y)"
                ),
            }.get(type(operator), "Keras records no operation for it")
            self.refuse(
                node,
                f"`{source_text(node)}`: {said}; the operators read on tensors are + - * / // % ** @ & | ^ ~, unary "
                "-, and the comparisons < <= > >= !=",
            )
        return self.operation(class_name, operands, {}, node)

    def operation(self, class_name: str, operands: list, arguments: dict, node: ast.AST) -> Tensor:
        """A keras.ops operation on tensors and numbers: a node of the graph called once, named as Keras names it
        when the operation is made."""
        for operand in operands:
            if isinstance(operand, ConstantArray):
                continue  # Keras writes it in the operation's node as a constant
            if not isinstance(operand, Tensor) and (isinstance(operand, bool) or not isinstance(operand, (int, float))):
                self.refuse(
                    node,
                    f"`{source_text(node)}`: an operation on a tensor is read with tensors and numbers, not "
                    f"{describe(operand)}; for a constant array, use a layer that holds it as a weight (e.g. "
                    "layers.Dense, layers.Rescaling), or send the model's model.to_json()",
                )
        if not any(isinstance(operand, Tensor) for operand in operands):
            constant = any(isinstance(operand, ConstantArray) for operand in operands)
            self.refuse(
                node,
                f"`{source_text(node)}`: Keras records an operation only on a tensor; here none is"
                + (
                    " (Keras computes it on the constant at once, outside the graph, which the reader does not: "
                    "send the model's model.to_json(), where Keras writes the result as a constant)"
                    if constant
                    else ""
                ),
            )
        layer = LayerEntry(class_name, arguments, node, module=OPERATIONS[class_name][0], operands=list(operands))
        self.producers.append(layer)
        return self.connect(layer, [operand for operand in operands if isinstance(operand, Tensor)])

    def make_operation(self, path: KerasPath, node: ast.Call) -> Tensor:
        """`keras.ops.mean(x, axis=1)`: the operation Keras records, its operands and its config's arguments."""
        function = path.parts[-1]
        class_name, operand_names, argument_names = OPERATION_FUNCTIONS[function]
        for keyword in node.keywords:
            if keyword.arg not in operand_names + argument_names:
                self.refuse(
                    keyword,
                    f"`keras.ops.{function}` is read with {', '.join(operand_names + argument_names)}, the arguments "
                    f"Keras writes in its graph, not `{keyword.arg}`; leave it out, or send model.to_json()",
                )
        nodes = self.arguments(node, operand_names + argument_names, f"keras.ops.{function}")
        missing = [name for name in operand_names if name not in nodes]
        if missing:
            self.refuse(node, f"`keras.ops.{function}` is read with its operand(s) {', '.join(operand_names)}")
        operands = [self.value(nodes[name]) for name in operand_names]
        arguments = {name: self.json(self.value(nodes[name]), nodes[name]) for name in argument_names if name in nodes}
        return self.operation(class_name, operands, arguments, node)

    def make_arange(self, path: KerasPath, node: ast.Call) -> ConstantArray:
        """`keras.ops.arange(10)`, `ops.arange(start=0, stop=maxlen, step=1)`: numbers Keras makes at once, outside
        the graph (int32 from whole numbers, float32 otherwise, unless `dtype=`), counted against
        max_literal_elements as the code's other data."""
        nodes = self.arguments(node, ("start", "stop", "step", "dtype"), "keras.ops.arange")
        values = {key: self.value(value) for key, value in nodes.items()}
        for key in ("start", "stop", "step"):
            if key in values and (isinstance(values[key], bool) or not isinstance(values[key], (int, float))):
                self.refuse(nodes[key], f"`keras.ops.arange` takes a number as `{key}`, not {describe(values[key])}")
        if "start" not in values:
            self.refuse(node, "`keras.ops.arange` is read with its `start` (and `stop`, `step`) as numbers")
        start, stop = (0, values["start"]) if "stop" not in values else (values["start"], values["stop"])
        step = values.get("step", 1)
        if step == 0:
            self.refuse(nodes.get("step", node), "`keras.ops.arange` takes a step that is not 0")
        dtype = values.get("dtype")
        if dtype is not None and dtype not in CONSTANT_DTYPES:
            self.refuse(nodes["dtype"], f"`keras.ops.arange` is read with a dtype among {', '.join(CONSTANT_DTYPES)}")
        if dtype == "uint8":  # TensorFlow's range has no uint8 kernel (Keras: "Value for attr 'Tidx' of uint8 ...")
            self.refuse(
                nodes["dtype"],
                '`keras.ops.arange` makes no uint8 numbers (TensorFlow\'s range refuses it): give dtype="int32" '
                'and cast after it, keras.ops.cast(..., "uint8")',
            )
        whole = all(isinstance(number, int) for number in (start, stop, step))
        count = max(0, math.ceil((stop - start) / step))
        self.spend(count, node)
        if count == 0:
            self.refuse(node, "`keras.ops.arange` makes no number here: an empty constant")
        numbers = [start + index * step for index in range(count)]
        dtype = dtype or ("int32" if whole else "float32")
        is_integer = dtype.startswith(("int", "uint"))
        low, high = CONSTANT_RANGES.get(dtype, (-math.inf, math.inf))
        if not low <= min(numbers) <= max(numbers) <= high:
            self.refuse(
                node,
                f"`{source_text(node)}` makes numbers from {numbers[0]} to {numbers[-1]}, which a {dtype} does not "
                f"hold (from {low} to {high}): Keras wraps them around or refuses them; give a wider dtype",
            )
        return ConstantArray([int(n) if is_integer else float(n) for n in numbers], dtype)

    def tensor_shape(self, tensor: Tensor) -> Optional[tuple]:
        """A tensor's shape where it follows from the code alone: an input's; through layers that keep their input's
        shape, element-wise merges of equal shapes, attention (the query's), and layers that only set the last axis
        (Dense, and convolutions of kernel size 1, stride 1, channels last). Anything else: None, said to the user."""
        producer = tensor.producer
        if isinstance(producer, InputEntry):
            return super().tensor_shape(tensor)
        return producer.shapes[tensor.index] if isinstance(producer, LayerEntry) and not tensor.output else None

    def output_shape(self, producer: LayerEntry, inputs: list[Tensor]) -> Optional[tuple]:
        found: Optional[tuple] = None
        arguments = producer.arguments
        shapes = [self.tensor_shape(item) for item in inputs]
        if not shapes:
            return None
        if any(shape is None for shape in shapes):
            return None
        first = shapes[0]
        assert first is not None
        if producer.module is not None and any(isinstance(o, ConstantArray) for o in producer.operands):
            return None  # broadcast with a constant whose shape the reader does not know (a layer computes it)
        if producer.module is not None:  # an operation: its operands' shape where they agree and it keeps it
            keeps = OPERATIONS[producer.class_name][1]
            return first if keeps and all(shape == first for shape in shapes) else None
        if producer.class_name in SHAPE_KEEPING_LAYERS and len(shapes) == 1:
            found = first
        elif producer.class_name in ELEMENTWISE_MERGES and all(shape == first for shape in shapes):
            found = first
        elif producer.class_name in SEPARATE_INPUT_LAYERS and "output_shape" not in arguments:
            found = first
        elif producer.class_name == "Dense" and isinstance(arguments.get("units"), int):
            found = (*first[:-1], arguments["units"])
        elif producer.class_name in POINTWISE_CONVOLUTIONS and isinstance(arguments.get("filters"), int):
            kernel = arguments.get("kernel_size")
            kernel_sizes = kernel if isinstance(kernel, list) else [kernel]
            plain = all(arguments.get(key, 1) in (1, [1] * len(kernel_sizes)) for key in ("strides", "dilation_rate"))
            if kernel_sizes and all(size == 1 for size in kernel_sizes) and plain and "data_format" not in arguments:
                found = (*first[:-1], arguments["filters"])
        return found

    def drawing_call(self, node: ast.Call) -> None:
        """keras.utils.plot_model(model, ...) is ignored: it draws the model, builds nothing. Its model must be one
        the code made; its options (a file name, booleans, a dpi) literals, never calls."""
        drawn = self.value(node.args[0]) if node.args else None
        if len(node.args) != 1 or not isinstance(drawn, (SequentialModel, FunctionalModel)):
            self.refuse(
                node, f"`{source_text(node.func)}(...)` draws a model: its one positional argument is the model"
            )
        for keyword in node.keywords:
            if not isinstance(keyword.value, ast.Constant):
                self.refuse(keyword.value, f"`{source_text(node.func)}(...)` is read with literal options only")

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
            if isinstance(item, NOT_IN_PRINT):
                self.unsupported(item)
            if isinstance(item, ast.keyword) and item.arg is None:
                self.refuse(item, "star-arguments (`**kwargs`) are not supported")
            if isinstance(item, ast.Name) and not self.lookup(item.id)[0]:
                self.check_name(item.id, item)
                if not (item.id in PRINTABLE_BUILTINS or self.default(item.id)):
                    self.unknown(item.id, item)
            if isinstance(item, ast.Attribute):
                self.check_name(item.attr, item, attribute=True)
            inside = in_f_string or isinstance(item, ast.JoinedStr)
            stack.extend((child, inside) for child in reversed(list(ast.iter_child_nodes(item))))

    def is_model_call(self, node: ast.Call) -> bool:
        target = node.func.value if isinstance(node.func, ast.Attribute) else node.func
        return isinstance(target, ast.Name) and isinstance(
            self.lookup(target.id)[1], (SequentialModel, FunctionalModel)
        )

    # Constructors

    def make_sequential(self, path: KerasPath, node: ast.Call) -> SequentialModel:
        nodes = self.arguments(node, ("layers", "trainable", "name"), "Sequential")
        values = {key: self.value(value_node) for key, value_node in nodes.items()}
        model = self.new_model(SequentialModel(node, name=self.text(values.get("name"), nodes.get("name", node))))
        layers = values.get("layers") or []
        if not isinstance(layers, (list, tuple)):
            self.refuse(nodes["layers"], f"Sequential takes a list of layers, not {describe(layers)}")
        for layer in layers:
            self.add_layer(model, layer, nodes["layers"], rebuild=False)
        self.rebuild(model)
        return model

    def make_functional(self, path: KerasPath, node: ast.Call) -> FunctionalModel:
        nodes = self.arguments(node, ("inputs", "outputs", "name", "trainable"), "Model")
        if "inputs" not in nodes or "outputs" not in nodes:
            self.refuse(node, "Model(...) is read with inputs= and outputs=; subclassed models are not read")
        input_keys, inputs = self.keyed(nodes["inputs"], "input")
        output_keys, outputs = self.keyed(nodes["outputs"], "output")
        for tensor in inputs:
            if not isinstance(tensor.producer, InputEntry):
                self.refuse(nodes["inputs"], "a Model's inputs are keras.Input(...) tensors")
        name = self.text(self.value(nodes["name"]), node) if "name" in nodes else None
        if "trainable" in nodes:
            self.value(nodes["trainable"])
        model = FunctionalModel(node, name, inputs, outputs, output_keys=output_keys, input_keys=input_keys)
        return self.new_model(model)

    def keyed(self, node: ast.AST, side: str) -> tuple[tuple, list[Tensor]]:
        """A Model's inputs or outputs: tensors, or a dict of them by name, written there or bound to a name (the
        Functional API guide's inputs={"title": title_input, ...}, outputs={"priority": ..., ...}), in Keras's
        order: sorted by name, as it flattens a dict."""
        value = self.value(node)
        if not isinstance(value, DictLiteral):
            return (), self.tensors(node, "Model", value)
        if not value.entries:
            self.refuse(node, f"a Model's {side}s={{}} is empty: name each {side}, e.g. {EXAMPLE_DICTS[side]}")
        by_key: dict[str, Tensor] = {}
        for key, tensor, key_node, value_node in value.entries:
            if not isinstance(key, str) or not key:
                self.refuse(
                    key_node,
                    f"a Model's {side}s={{...}} is read with names (strings) as keys, not {describe(key)}: write "
                    f"{EXAMPLE_DICTS[side]}",
                )
            if key in by_key:
                self.refuse(key_node, f"the {side} name {key!r} is given twice")
            if side == "input" and not (isinstance(tensor, Tensor) and isinstance(tensor.producer, InputEntry)):
                self.refuse(
                    value_node,
                    "a Model's inputs={...} maps each name to one keras.Input(...) tensor, not "
                    + ("a layer's output" if isinstance(tensor, Tensor) else describe(tensor))
                    + f": write {EXAMPLE_DICTS[side]}",
                )
            if side == "input" and any(tensor.producer is given.producer for given in by_key.values()):
                self.refuse(value_node, f"`{source_text(value_node)}` is given as two inputs; give each input once")
            if not isinstance(tensor, Tensor):
                self.refuse(
                    value_node, f"a Model's {side}s={{...}} maps each name to one tensor, not {describe(tensor)}"
                )
            by_key[key] = tensor
        keys = tuple(sorted(by_key))
        return keys, [by_key[key] for key in keys]

    def new_model(self, model: Any) -> Any:
        """A model made: Keras names it as it makes it (`functional`, `sequential_1`), so its entry as a layer
        is made now too, in the producers' order, whether or not another model uses it as a layer."""
        class_name = "Sequential" if isinstance(model, SequentialModel) else "Functional"
        model.entry = LayerEntry(class_name, {} if model.name is None else {"name": model.name}, model.node)
        model.entry.model = model
        self.producers.append(model.entry)
        self.models.append(model)
        return model

    def text(self, value: Any, node: ast.AST) -> Optional[str]:
        if value is not None and not isinstance(value, str):
            self.refuse(node, f"a name is a string, not {describe(value)}")
        return value

    def make_input(self, path: KerasPath, node: ast.Call) -> Tensor:
        return Tensor(self.new_input(node, INPUT_PARAMETERS, "Input"), 0)

    def make_input_layer(self, path: KerasPath, node: ast.Call) -> InputEntry:
        return self.new_input(node, INPUT_LAYER_PARAMETERS + ("input_shape", "batch_input_shape"), "InputLayer")

    def new_input(self, node: ast.Call, parameters: Sequence[str], what: str) -> InputEntry:
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
        item = InputEntry(entry, self.text(values.get("name"), node), node)
        self.producers.append(item)
        return item

    def layer_parameters(self, class_name: str, node: ast.AST) -> list[str]:
        if not self.is_layer(class_name):
            self.unknown(class_name, node)
        parameters = self.layer_parameters_cache[class_name]
        assert parameters is not None, "is_layer holds only where the parameters were found"
        return parameters

    def make_layer(self, path: KerasPath, node: ast.Call) -> LayerEntry:
        class_name = path.parts[-1]
        if class_name == "Lambda":  # its function is Python the service would have to run
            self.refuse(node.func, f"a Lambda layer is not read: it runs Python; {LAMBDA_INSTEAD}")
        nodes = self.arguments(node, self.layer_parameters(class_name, node.func), class_name, any_keyword=True)
        return self.new_layer(class_name, nodes, node)

    def new_layer(self, class_name: str, nodes: dict[str, ast.AST], node: ast.Call) -> LayerEntry:
        arguments = {key: self.json(self.value(value), value) for key, value in nodes.items()}
        if "name" in nodes:
            self.text(arguments["name"], nodes["name"])
        layer = LayerEntry(class_name, arguments, node)
        self.producers.append(layer)
        return layer

    def make_merge(self, path: KerasPath, node: ast.Call) -> Tensor:
        class_name = MERGE_FUNCTIONS[path.parts[-1]]
        parameters = ["inputs", *self.layer_parameters(class_name, node.func)]
        nodes = self.arguments(node, parameters, path.parts[-1], any_keyword=True)
        if "inputs" not in nodes:
            self.refuse(node, f"`{path.parts[-1]}` is read with its list of input tensors")
        inputs = self.tensors(nodes.pop("inputs"), path.parts[-1])
        return self.connect(self.new_layer(class_name, nodes, node), inputs)

    def make_object(self, path: KerasPath, node: ast.Call) -> KerasObject:
        module, name = path.parts[:-1], path.parts[-1]
        class_name = camel_case(name) if module in CAMEL_CASED else name
        nodes = self.arguments(node, OBJECT_POSITIONALS.get(class_name, ()), class_name, any_keyword=True)
        return KerasObject(class_name, {key: self.json(self.value(value), value) for key, value in nodes.items()})

    def make_array(self, path: KerasPath, node: ast.Call) -> Array:
        nodes = self.arguments(node, ("object", "dtype"), path.parts[-1])
        if "dtype" in nodes:
            self.value(nodes["dtype"])
        if "object" not in nodes:
            self.refuse(node, f"`{path.parts[-1]}` is read with its list of numbers")
        return Array(self.array(nodes["object"], self.value(nodes["object"])))

    def make_filled(self, path: KerasPath, node: ast.Call) -> Array:
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
        return self.filled(dimensions, node, FILLS[function])

    def make_ignored(self, path: KerasPath, node: ast.Call) -> None:
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            self.value(argument)

    # Models and layers at work

    def add_layer(self, model: SequentialModel, value: Any, node: ast.AST, rebuild: bool = True) -> None:
        if isinstance(value, Tensor) and isinstance(value.producer, InputEntry):
            value = value.producer
        if isinstance(value, InputEntry):
            if model.layers or model.input_shape is not None:
                self.refuse(node, "an Input is only read as the first layer of a Sequential model")
            model.input_shape = value.entry["shape"]
        elif isinstance(value, LayerEntry):
            if not model.layers and model.input_shape is None and self.input_argument(value):
                self.hidden("InputLayer")  # Keras makes the input layer that `input_shape=` asks for
            model.layers.append(value)
        elif isinstance(value, (SequentialModel, FunctionalModel)):
            if value is model or self.contains(value, model):
                self.refuse(node, "a model cannot be a layer of itself")
            model.layers.append(value.entry)  # a nested model: a layer of this one, its weights its own
        else:
            self.refuse(node, f"a Sequential model takes layers, not {describe(value)}")
        if rebuild:
            self.rebuild(model)

    @staticmethod
    def input_argument(layer: LayerEntry) -> bool:
        """Whether the layer is given its input's shape (`input_shape=`, or `input_dim=` but Embedding's own)."""
        arguments = layer.arguments
        return "input_shape" in arguments or ("input_dim" in arguments and layer.class_name != "Embedding")

    def hidden(self, class_name: str) -> None:
        """A layer or model Keras makes unseen, taking a default name then (a Sequential's input layer, the
        Functional model it builds itself into)."""
        self.build_time_layers.append((len(self.producers), class_name))

    def rebuild(self, model: SequentialModel) -> None:
        """Keras rebuilds a Sequential whose input it knows at every layer added (and once for its list of
        layers), each time into a Functional model of its own, which takes a default name."""
        first = model.layers[0] if model.layers else None
        if model.input_shape is not None or (first is not None and self.input_argument(first)):
            if model.layers:  # Keras's layers: the input layer and at least one more
                model.built = True
                self.hidden("Functional")
        elif first is not None and len(model.layers) > 1 and first.model is not None and self.is_built(first.model):
            model.built = True
            self.hidden("InputLayer")
            self.hidden("Functional")

    @staticmethod
    def is_built(model: Any) -> bool:
        return isinstance(model, FunctionalModel) or model.built

    def contains(self, outer: Any, inner: Any) -> bool:
        """Whether `inner` is a layer of `outer` (a Sequential's), at any depth."""
        layers = list(outer.layers) if isinstance(outer, SequentialModel) else []
        while layers:
            layer = layers.pop()
            if layer.model is inner:
                return True
            if isinstance(layer.model, SequentialModel):
                layers.extend(layer.model.layers)
        return False

    def call_model(self, model: Any, node: ast.Call) -> Any:
        """`model(x)`: on tensors, the model nested as a layer of the model being built (called twice, it is
        one layer whose weights both calls share, as in a Siamese network); on data, a prediction."""
        nodes = self.arguments(node, ("inputs", "training", "mask"), "model")
        if "inputs" not in nodes:
            self.refuse(node, "a model is called on tensors (as a layer of another model) or on data")
        inputs = self.value(nodes["inputs"])
        items = (
            [entry[1] for entry in inputs.entries]
            if isinstance(inputs, DictLiteral)
            else list(inputs)
            if isinstance(inputs, (list, tuple))
            else [inputs]
        )
        if not (items and all(isinstance(item, Tensor) for item in items)):
            self.calls.append("call")
            return self.predict(model, node, ("inputs", "training", "mask"), inputs)
        if getattr(model, "output_keys", ()):
            self.refuse(
                node,
                "a model made with outputs={...} is not read as a layer of another (its outputs a dict); make it "
                "with a list of outputs, or send the outer model's model.to_json()",
            )
        if getattr(model, "input_keys", ()):
            self.refuse(
                node,
                "a model made with inputs={...} is not read as a layer of another (its inputs a dict); make it "
                "with a list of inputs, or send the outer model's model.to_json()",
            )
        for key in ("training", "mask"):
            if key in nodes and not (key == "training" and isinstance(self.value(nodes[key]), (bool, type(None)))):
                self.refuse(
                    nodes[key],
                    f"calling a model as a layer with `{key}=` is not read; call it on its inputs alone, or send the "
                    "outer model's model.to_json(), which carries every argument of every call",
                )
        if isinstance(model, SequentialModel) and not model.built:
            self.hidden("InputLayer")  # Keras builds it at this first call, on the tensor's shape
            self.hidden("Functional")
            model.built = True
        return self.connect(model.entry, items, {})

    def tensors(self, node: ast.AST, what: str, value: Any = None) -> list[Tensor]:
        """The tensors `node` gives (its `value`, where already read: reading it again would record its
        operations twice)."""
        value = self.value(node) if value is None else value
        tensors = list(value) if isinstance(value, (list, tuple)) else [value]
        for tensor in tensors:
            if not isinstance(tensor, Tensor):
                self.refuse(
                    node,
                    f"`{what}` is read only on keras.Input(...) tensors and layer outputs, not on {describe(tensor)}",
                )
        return tensors

    def call_layer(self, layer: LayerEntry, node: ast.Call) -> Tensor:
        what = layer.class_name + "(...)"
        separate = layer.class_name in SEPARATE_INPUT_LAYERS
        tensor_parameters = ("query", "value", "key") if separate else ("inputs",)
        nodes = self.arguments(node, tensor_parameters, what, any_keyword=True)
        keywords: dict[str, Any] = {}
        for key, value_node in nodes.items():
            if key in tensor_parameters:
                continue
            if key == "training" and isinstance(self.value(value_node), (bool, type(None))):
                continue  # inference is what the service answers for: training=False changes nothing it shows
            if key in KEYWORD_TENSORS:
                keywords[key] = self.keyword_tensors(key, value_node)
                continue
            self.refuse(
                value_node,
                f"calling a layer with `{key}=` is not read: the spec the code reads into gives a layer its input "
                f"tensors, `initial_state=` and `mask=`; send the model's model.to_json() instead, which carries "
                "every argument of every call",
            )
        if not separate:
            if "inputs" not in nodes:
                self.refuse(node, "a layer is called on a tensor or a list of tensors")
            given = self.value(nodes["inputs"])
            if isinstance(given, ConstantArray):
                return self.compute_constant(layer, given, keywords, node)
            if layer.computes_constant:
                self.refuse(node, self.both_ways(layer))
            return self.connect(layer, self.tensors(nodes["inputs"], layer.class_name, given), keywords)
        inputs = []
        for key in tensor_parameters:
            if key in nodes:
                tensor = self.value(nodes[key])
                if not isinstance(tensor, Tensor):
                    self.refuse(
                        nodes[key],
                        f"{layer.class_name} takes its {key} as one tensor, not {describe(tensor)}: write "
                        "`mha(query, value)` or `mha(query, value, key)` (Keras itself refuses `mha([query, value])`)",
                    )
                inputs.append(tensor)
            elif key != "key":
                self.refuse(
                    node, f"{layer.class_name} is called on its query and value: `mha(x, x)` or `mha(query=x, value=x)`"
                )
        return self.connect(layer, inputs, keywords)

    def compute_constant(self, layer: LayerEntry, given: ConstantArray, keywords: dict, node: ast.Call) -> Any:
        """`pos_emb(positions)` on a constant: Keras computes it once, outside the graph, with the layer's own
        weights; the layer is no layer of the model. Its output is an operand the operation's node holds."""
        if given.layer is not None or keywords or layer.calls or layer.model is not None:
            self.refuse(
                node,
                self.both_ways(layer)
                if layer.calls
                else f"`{source_text(node)}`: the reader reads one built-in layer called on a keras.ops.arange "
                "constant (as `pos_emb(ops.arange(maxlen))`), with no other argument; send the model's "
                "model.to_json(), where Keras writes what it computed as a constant",
            )
        if not layer.computes_constant:
            layer.computes_constant = True
            # Keras builds the layer at this call, eagerly: layers it makes then take their default names now
            self.build_time_layers += [
                (len(self.producers), name) for name in BUILD_TIME_LAYERS.get(layer.class_name, ())
            ]
        return ConstantArray(given.data, given.dtype, layer)

    @staticmethod
    def both_ways(layer: LayerEntry) -> str:
        return (
            f"the layer `{layer.name or layer.class_name}` is called both on a constant (which Keras computes outside "
            "the graph) and on tensors of the graph; the reader reads one or the other: send the model's "
            "model.to_json()"
        )

    def keyword_tensors(self, key: str, node: ast.AST) -> Any:
        """`initial_state=[h, c]` (a list of tensors, or one) and `mask=m` (one tensor), as Keras takes them."""
        value = self.value(node)
        if key == "mask" and isinstance(value, Tensor):
            return value
        items = value if isinstance(value, (list, tuple)) else [value]
        if key == "initial_state" and items and all(isinstance(item, Tensor) for item in items):
            return list(items)
        wanted = "a tensor" if key == "mask" else "a list of tensors (e.g. `initial_state=[state_h, state_c]`)"
        self.refuse(node, f"`{key}=` takes {wanted}, not {describe(value)}")

    def connect(self, layer: LayerEntry, inputs: list[Tensor], keywords: Optional[dict] = None) -> Tensor:
        layer.calls.append(inputs)
        layer.keywords.append(keywords or {})
        layer.shapes.append(self.output_shape(layer, inputs))  # as the layer is called, so never recursively
        if len(layer.calls) == 1:
            self.called.append(layer)
            # Keras builds a layer at its first call; some make unnamed layers then, taking default names
            self.build_time_layers += [
                (len(self.producers), name) for name in BUILD_TIME_LAYERS.get(layer.class_name, ())
            ]
        return Tensor(layer, len(layer.calls) - 1)

    def model_method(self, method: ModelMethod, node: ast.Call) -> Any:
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
                "understands add, build, compile, predict and summary"
                + (f"; {METHODS_INSTEAD}" if method.name in TRAINING_METHODS else ""),
            )
        self.calls.append(method.name)
        return readers[method.name](method.model, node)

    def add(self, model: Any, node: ast.Call) -> None:
        if not isinstance(model, SequentialModel):
            self.refuse(node, "`add` is for Sequential models")
        nodes = self.arguments(node, ("layer",), "add")
        if "layer" not in nodes:
            self.refuse(node, "`add` takes a layer")
        self.add_layer(model, self.value(nodes["layer"]), nodes["layer"])

    def compile_model(self, model: Any, node: ast.Call) -> None:
        spec = {}
        for key, value_node in self.arguments(node, COMPILE_PARAMETERS, "compile").items():
            value = self.value(value_node)
            if key in ("optimizer", "loss"):
                spec[key] = self.compile_name(value, value_node)
            else:
                self.json(value, value_node)  # read to be sure it is data, then dropped: it changes no shape
        self.compile = spec

    def compile_name(self, value: Any, node: ast.AST) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, KerasObject):
            return value.class_name
        if isinstance(value, KerasPath) and self.kind(value) in ("object", "activation"):
            return value.parts[-1]
        self.refuse(node, f"compile reads a loss or optimizer as a string or a Keras object, not {describe(value)}")

    def build(self, model: Any, node: ast.Call) -> None:
        nodes = self.arguments(node, ("input_shape",), "build")
        shape = self.value(nodes["input_shape"]) if "input_shape" in nodes else None
        if shape is None or not isinstance(model, SequentialModel):
            return
        if not isinstance(shape, (list, tuple)) or len(shape) < 2:
            self.refuse(node, "build takes a shape with its batch axis, e.g. model.build((None, 3, 2))")
        if model.input_shape is None and not (model.layers and self.input_argument(model.layers[0])):
            self.hidden("InputLayer")
        model.input_shape = self.shape(shape[1:], nodes["input_shape"])
        model.built = True
        self.hidden("Functional")

    def summary(self, model: Any, node: ast.Call) -> None:
        for value_node in self.arguments(node, SUMMARY_PARAMETERS, "summary").values():
            self.value(value_node)

    def predict(
        self,
        model: Any,
        node: ast.Call,
        parameters: Sequence[str] = ("x", "batch_size", "verbose", "steps", "callbacks"),
        data_value: Any = None,
    ) -> Prediction:
        """`data_value`: the data, read already (a model called on data)."""
        nodes = self.arguments(node, parameters, "predict")
        if parameters[0] not in nodes:
            self.refuse(node, "predict is read with its input data")
        data_node = nodes.pop(parameters[0])
        given = self.value(data_node) if data_value is None else data_value
        data = (
            self.keyed_data(model, data_node, given) if isinstance(given, DictLiteral) else self.array(data_node, given)
        )
        for value_node in nodes.values():
            if not isinstance(self.value(value_node), (bool, int, type(None))):
                self.refuse(value_node, "predict's other arguments are read as numbers or booleans")
        self.inputs = data if self.inputs is None else self.inputs
        return Prediction()

    def keyed_data(self, model: Any, node: ast.AST, given: DictLiteral) -> dict:
        """`model.predict({"title": ..., "body": ...})`: each array by its key, which is the input's key in
        keras.Model(inputs={...}) (Keras asks for exactly those), else an input's name (as Keras matches a dict to a
        list of inputs). Keyed by the input entry where the model has keys: its name is known once all are named."""
        keys = dict(zip(model.input_keys, model.inputs)) if isinstance(model, FunctionalModel) else {}
        data: dict[Any, Any] = {}
        for key, value, key_node, value_node in given.entries:
            if not isinstance(key, str) or not key:
                self.refuse(key_node, f"predict's dict is keyed by input name (a string), not {describe(key)}")
            if keys and key not in keys:
                self.refuse(
                    key_node, f"predict's dict has the key {key!r}; the model's inputs are keyed {sorted(keys)}"
                )
            data[keys[key].producer if keys else key] = self.array(value_node, value)
        missing = sorted(set(keys) - {entry[0] for entry in given.entries})
        if missing:
            self.refuse(node, f"predict's dict has no data for the input(s) {missing}; Keras asks for every key")
        return data

    # The spec

    def render(self) -> dict:
        """The spec of the one model no other model uses as a layer; those it uses are nested in it."""
        if not self.models:
            raise CodeRejected(
                "line 1, column 1: no model found: the reader looks for Sequential(...) or "
                "keras.Model(inputs, outputs)",
                1,
                1,
                "code_unsupported",
            )
        nested = {id(layer) for model in self.models for layer in getattr(model, "layers", ()) if layer.model}
        nested |= {id(model.entry) for model in self.models if model.entry.calls}
        outermost = [model for model in self.models if id(model.entry) not in nested]
        if len(outermost) != 1:
            second = outermost[1] if outermost else self.models[0]
            first = f" (the first is on line {outermost[0].node.lineno})" if outermost else ""
            self.refuse(
                second.node,
                f"a second model is not supported{first}: one model per request; a model called on tensors, or "
                "given to a Sequential as a layer, is read as a layer of the model that uses it",
            )
        self.name_producers(outermost[0].entry)
        self.outermost = outermost[0]
        spec = self.model_spec(outermost[0], len(self.models) > 1)
        if self.compile is not None:
            spec["compile"] = self.compile
        return spec

    def model_spec(self, model: Any, several: bool) -> dict:
        """One model's concise spec. With `several` models, each layer is named: names are Keras's, counted over
        all the models of the code, where the spec would count each model's on its own."""
        entry = model.entry
        spec: dict[str, Any] = {}
        if model.name is not None or (several and entry.name != to_snake_case(entry.class_name)):
            spec["name"] = entry.name
        if isinstance(model, SequentialModel):
            if model.input_shape is not None:
                spec["input_shape"] = model.input_shape
            spec["layers"] = [self.layer_spec(layer, several) for layer in model.layers]
        else:
            spec.update(self.graph(model, several))
        return spec

    def layer_spec(self, layer: LayerEntry, several: bool) -> dict:
        """A layer as the concise spec gives it; a nested model as {"type": "Sequential" or "Functional", ...}."""
        if layer.model is not None:
            inner = self.model_spec(layer.model, several)
            inner.pop("name", None)
            return {"type": layer.class_name, "name": layer.name, **inner}
        named = {"name": layer.name} if several or layer.user_name is not None else {}
        return {"type": layer.class_name, **named, **{k: v for k, v in layer.arguments.items() if k != "name"}}

    def name_producers(self, outermost: LayerEntry) -> None:
        """Every producer named: the code's name, else Keras's default, counted in the order Keras takes them.
        The outermost model's name is no layer's: it may be one of its layers' names too. A lone Sequential's
        spec keeps the code's names as they are: the spec's own check then names the layer given a name twice."""
        named: dict[str, Union[InputEntry, LayerEntry]] = {}
        lone_sequential = len(self.models) == 1 and isinstance(outermost.model, SequentialModel)
        for producer in self.producers:
            if producer is outermost:
                producer.name = producer.user_name
                continue
            if producer.user_name is not None and lone_sequential:
                named.setdefault(producer.user_name, producer)
            elif producer.user_name is not None and named.setdefault(producer.user_name, producer) is not producer:
                self.refuse(producer.node, f"the name `{producer.user_name}` is given to two layers")
            producer.name = producer.user_name
        # default names in the order Keras takes them: each layer made, and those layers make when first called
        made: list[tuple[Optional[Union[InputEntry, LayerEntry]], str]] = []
        hidden = iter(self.build_time_layers)
        pending = next(hidden, None)
        for position, maker in enumerate([*self.producers, None]):
            while pending is not None and pending[0] <= position:
                made.append((None, pending[1]))
                pending = next(hidden, None)
            if maker is not None and maker.user_name is None:
                made.append((maker, maker.class_name))
        for (maker, _), name in zip(made, keras_default_names([class_name for _, class_name in made], set(named))):
            if maker is not None:
                maker.name = name

    def graph(self, model: FunctionalModel, several: bool) -> dict:
        """The concise graph: its layers in the order of their first call, each naming what feeds each of its
        calls. A layer between another model's inputs and outputs is that model's; the outermost model also lists
        the layers no model uses (Keras leaves them out as it builds the model, and so do the answer's rows)."""
        reached = self.reached(model)
        elsewhere: set[int] = set()
        for other in self.models:
            if other is not model and isinstance(other, FunctionalModel):
                elsewhere |= set(self.reached(other))
        layers = []
        for layer in self.called:
            if id(layer) in reached and id(layer) in elsewhere:
                self.refuse(
                    layer.node,
                    f"the layer `{layer.name}` is called in two models (one nested in the other, or side by side); "
                    "the reader gives a layer to one model: make one layer for each, or send the outer model's "
                    "model.to_json()",
                )
            if id(layer) not in reached and (id(layer) in elsewhere or model is not self.outermost):
                continue
            if layer.module is not None:
                layers.append(self.operation_node(layer))
                continue
            entry = self.layer_spec(layer, several)
            entry["name"] = layer.name
            sources = [[source_name(tensor) for tensor in call] for call in layer.calls]
            entry.update({"inbound": sources[0]} if len(sources) == 1 else {"calls": sources})
            keywords = [call for call in layer.keywords if call]
            if keywords and len(layer.calls) > 1:
                self.refuse(
                    layer.node,
                    f"the layer `{layer.name}` is called more than once, with `initial_state=` or `mask=`: the spec "
                    "gives those to a layer called once; send the model's model.to_json() instead",
                )
            for key, value in (keywords[0] if keywords else {}).items():
                entry[key] = [source_name(t) for t in value] if isinstance(value, list) else source_name(value)
            layers.append(entry)
        inputs = [{"name": tensor.producer.name, **tensor.producer.entry} for tensor in model.inputs]
        return {
            "inputs": dict(zip(model.input_keys, inputs)) if model.input_keys else inputs,
            "layers": layers,
            "outputs": (
                {key: source_name(tensor) for key, tensor in zip(model.output_keys, model.outputs)}
                if model.output_keys
                else [source_name(tensor) for tensor in model.outputs]
            ),
        }

    @staticmethod
    def operation_node(layer: LayerEntry) -> dict:
        """An operation as Keras's to_json writes it, which the concise graph takes among its layers: its module,
        its config, and its one call's operands, each tensor by [layer, call, output] and each number as it is."""
        operands = [
            {
                "class_name": "__keras_tensor__",
                "config": {"keras_history": [operand.producer.name, operand.index, operand.output]},
            }
            if isinstance(operand, Tensor)
            else Models.constant_operand(operand)
            if isinstance(operand, ConstantArray)
            else operand
            for operand in layer.operands
        ]
        return {
            "class_name": layer.class_name,
            "module": layer.module,
            "name": layer.name,
            "config": {"name": layer.name, **layer.arguments},
            "inbound_nodes": [{"args": operands, "kwargs": {}}],
        }

    @staticmethod
    def constant_operand(constant: ConstantArray) -> dict:
        """A constant as to_json writes it (__tensor__); one a layer computes from it, as the service's
        __layer_output__ (schemas/constants.py): the layer by its Keras name, its weights found by it."""
        numbers = {"class_name": "__tensor__", "config": {"value": constant.data, "dtype": constant.dtype}}
        if constant.layer is None:
            return numbers
        layer = constant.layer
        config = {**{k: v for k, v in layer.arguments.items() if k != "name"}, "name": layer.name}
        return {
            "class_name": "__layer_output__",
            "config": {"layer": {"class_name": layer.class_name, "config": config}, "inputs": numbers},
        }

    def reached(self, model: FunctionalModel) -> dict[int, set[int]]:
        """The calls (by layer, which of its calls) the model's outputs depend on, back to its inputs: a layer
        called on tensors the model never uses is no layer of it, as Keras builds it."""
        reached: dict[int, set[int]] = {}
        stack = list(model.outputs)
        while stack:
            tensor = stack.pop()
            producer = tensor.producer
            if not isinstance(producer, LayerEntry) or tensor.index in reached.setdefault(id(producer), set()):
                continue
            reached[id(producer)].add(tensor.index)
            stack.extend(producer.calls[tensor.index])
            for value in producer.keywords[tensor.index].values():
                stack.extend(value if isinstance(value, list) else [value])
        return reached
