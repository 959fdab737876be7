"""Statements: the script read top to bottom into one model, functions read again at each call, loops unrolled.

Read: imports; assignments to names, to tuples of names (from a tuple or list of the same length, or from a layer's
several outputs: `outputs, state_h, state_c = layers.LSTM(4, return_state=True)(x)`), augmented assignments;
expressions; `def` of functions, called with positional and keyword arguments and defaults, each call reading the
body in a scope of its own, `return` giving its value; `for` over range(...), lists, tuples, enumerate and zip,
with `break` and `continue`; `if` on values the reader knows (numbers, strings, None...); `pass`. Every statement
read costs a step (max_steps), every iteration an iteration (max_loop_iterations), and functions nest at most
max_call_depth calls deep, so no code reads for long. Refused, with what to write instead: classes (send
model.to_json()), decorators, while, with, try, global, del and the rest: the model is read, not run.
"""

import ast
from typing import Any, Callable, NoReturn

from .models import Models
from .values import DictLiteral, Function, InputEntry, LayerEntry, ReadCode, Tensor, describe, source_text


class _Return(Exception):
    """A `return` read inside a function: unwinds the statements read so far to the call."""

    def __init__(self, value: Any):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Reader(Models):
    """Reads a parsed script statement by statement into one model, keeping names in scopes, running nothing."""

    depth = 0  # functions of the code being read within one another
    loops = 0  # loops being read, in the function being read
    iterations = 0  # loop iterations read so far, all loops together

    def read(self, tree: ast.Module) -> ReadCode:
        self.block(tree.body)
        spec = self.render()
        inputs = self.inputs
        if isinstance(inputs, dict):  # by input entry where the model takes a dict: the entry's name, now known
            inputs = {key.name if isinstance(key, InputEntry) else key: data for key, data in inputs.items()}
        return ReadCode(spec, inputs, tuple(self.calls))

    def block(self, statements: list[ast.stmt]) -> None:
        readers: dict[type[ast.stmt], Callable[[Any], object]] = {  # each takes its statement type
            ast.Import: self.import_names,
            ast.ImportFrom: self.import_from,
            ast.Assign: self.assign,
            ast.AugAssign: self.augmented_assign,
            ast.Expr: lambda node: self.value(node.value),
            ast.Pass: lambda node: None,
            ast.FunctionDef: self.define,
            ast.Return: self.return_value,
            ast.For: self.loop,
            ast.If: self.conditional_block,
            ast.Break: self.leave_loop,
            ast.Continue: self.leave_loop,
        }
        for statement in statements:
            self.step(statement)
            readers.get(type(statement), self.unsupported)(statement)

    def assign(self, node: ast.Assign) -> None:
        unpacking = any(isinstance(target, (ast.Tuple, ast.List)) for target in node.targets)
        if unpacking and isinstance(node.value, (ast.Tuple, ast.List)):
            elements = [self.value(element) for element in node.value.elts]
            value: Any = elements if isinstance(node.value, ast.List) else tuple(elements)
        else:
            value = self.value(node.value)
        for target in node.targets:
            self.bind(target, value)

    def bind(self, target: ast.AST, value: Any) -> None:
        """Bind a name, or each name of a tuple or list of names to each item of the value."""
        if isinstance(target, (ast.Tuple, ast.List)):
            items = self.unpack(value, len(target.elts), target)
            for element_target, element in zip(target.elts, items):
                self.bind(element_target, element)
            return
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            if isinstance(self.lookup(target.value.id)[1], DictLiteral):  # keras.io's `inputs[name] = keras.Input(...)`
                self.refuse(
                    target,
                    f"assigning to `{source_text(target)}` is not supported: a dict is read as written whole; write "
                    'it with its entries, e.g. inputs = {"title": keras.Input(...), "body": keras.Input(...)}',
                )
        if not isinstance(target, ast.Name):
            self.refuse(
                target,
                f"assigning to `{source_text(target)}` is not supported: names are bound one by one, or from a "
                "tuple of the same length; to change a list, build a new one (`sizes = sizes + [n]`)",
            )
        self.check_name(target.id, target, binding=True)
        self.names[target.id] = value

    def unpack(self, value: Any, count: int, node: ast.AST) -> list:
        if isinstance(value, Tensor) and value.output == 0 and isinstance(value.producer, LayerEntry):
            # a layer's several outputs (return_state=True, return_attention_scores=True): Keras checks the count
            return [Tensor(value.producer, value.index, output) for output in range(count)]
        if not isinstance(value, (list, tuple, range)):
            self.refuse(
                node,
                f"`{source_text(node)}` is unpacked from {describe(value)}; the reader unpacks lists, "
                "tuples and a layer's several outputs",
            )
        if len(value) != count:
            self.refuse(node, f"`{source_text(node)}` names {count} values, but there are {len(value)}")
        return list(value)

    def augmented_assign(self, node: ast.AugAssign) -> None:
        """`x += 1` as `x = x + 1`: read through the same rules as the binary operation."""
        if not isinstance(node.target, ast.Name):
            self.refuse(node.target, f"assigning to `{source_text(node.target)}` is not supported: only names")
        target = ast.copy_location(ast.Name(node.target.id, ast.Load()), node.target)
        self.bind(node.target, self.value(ast.copy_location(ast.BinOp(target, node.op, node.value), node)))

    # Functions

    def define(self, node: ast.FunctionDef) -> None:
        if node.decorator_list:
            self.refuse(
                node.decorator_list[0], "a decorator is not supported: the model is read, not run; leave it out"
            )
        arguments = node.args
        if arguments.vararg or arguments.kwarg:
            where = arguments.vararg or arguments.kwarg
            self.refuse(where or node, "`*args` and `**kwargs` parameters are not read: name each parameter")
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults = {
            parameter.arg: self.value(default)
            for parameter, default in zip(positional[len(positional) - len(arguments.defaults) :], arguments.defaults)
        }
        defaults.update(
            {
                parameter.arg: self.value(default)
                for parameter, default in zip(arguments.kwonlyargs, arguments.kw_defaults)
                if default is not None
            }
        )
        for parameter in [*positional, *arguments.kwonlyargs]:
            self.check_name(parameter.arg, parameter, binding=True)
        self.check_name(node.name, node)
        self.names[node.name] = Function(node, defaults, [*self.scopes, self.names])

    def call_function(self, function: Function, node: ast.Call) -> Any:
        definition = function.node
        arguments = definition.args
        positional = [parameter.arg for parameter in (*arguments.posonlyargs, *arguments.args)]
        keyword_only = [parameter.arg for parameter in arguments.kwonlyargs]
        if len(node.args) > len(positional):
            self.refuse(
                node.args[len(positional)],
                f"`{definition.name}` takes {len(positional)} positional argument(s); it got {len(node.args)}",
            )
        scope: dict[str, Any] = {name: self.value(argument) for name, argument in zip(positional, node.args)}
        for keyword in node.keywords:
            if keyword.arg not in (*positional[len(arguments.posonlyargs) :], *keyword_only):
                self.refuse(keyword, f"`{definition.name}` has no parameter `{keyword.arg}`")
            if keyword.arg in scope:
                self.refuse(keyword, f"`{definition.name}` got two values for `{keyword.arg}`")
            scope[str(keyword.arg)] = self.value(keyword.value)
        for name in (*positional, *keyword_only):
            if name not in scope:
                if name not in function.defaults:
                    self.refuse(node, f"`{definition.name}` is called without its argument `{name}`")
                scope[name] = function.defaults[name]
        if self.depth >= self.limits.max_call_depth:
            self.refuse(
                node,
                f"functions here call one another more than {self.limits.max_call_depth} deep; the limit is "
                f"max_call_depth={self.limits.max_call_depth}",
                "code_limit",
            )
        self.step(node)
        outer, loops = (self.names, self.scopes), self.loops
        self.names, self.scopes, self.depth, self.loops = scope, function.scopes, self.depth + 1, 0
        try:
            self.block(definition.body)
        except _Return as returned:
            return returned.value
        finally:
            (self.names, self.scopes), self.depth, self.loops = outer, self.depth - 1, loops
        return None

    def return_value(self, node: ast.Return) -> NoReturn:
        if self.depth == 0:
            self.refuse(node, "`return` outside a function")
        raise _Return(None if node.value is None else self.value(node.value))

    # Loops and conditions

    def loop(self, node: ast.For) -> None:
        items = self.value(node.iter)
        if not isinstance(items, (list, tuple, range)):
            self.refuse(
                node.iter,
                "a `for` loop is read over range(...), lists, tuples, enumerate(...) and zip(...), not "
                f"{describe(items)}",
            )
        if len(items) > self.limits.max_loop_iterations - self.iterations:
            self.iterations_over(node)
        self.loops += 1
        try:
            for item in items:
                self.iterations += 1
                if self.iterations > self.limits.max_loop_iterations:
                    self.iterations_over(node)
                self.bind(node.target, item)
                try:
                    self.block(node.body)
                except _Break:
                    return
                except _Continue:
                    continue
        finally:
            self.loops -= 1
        self.block(node.orelse)

    def iterations_over(self, node: ast.For) -> NoReturn:
        self.refuse(
            node,
            f"the code's loops run more than {self.limits.max_loop_iterations:,} times in all; the limit is "
            f"max_loop_iterations={self.limits.max_loop_iterations:,}",
            "code_limit",
        )

    def leave_loop(self, node: ast.stmt) -> NoReturn:
        if not self.loops:
            self.refuse(node, f"`{source_text(node)}` outside a loop")
        raise _Break() if isinstance(node, ast.Break) else _Continue()

    def conditional_block(self, node: ast.If) -> None:
        self.block(node.body if self.truth(self.value(node.test), node.test) else node.orelse)
