"""Keras's model.summary() text, drawn here without rich: the same characters, byte for byte.

Keras (keras/src/utils/summary_utils.py) builds a rich Table and prints it through a rich Console; that
rendering was about a third of what a never-seen model cost (issue 25). The table Keras asks for is simple
enough to draw directly: fixed column widths, plain text in each cell (the markup Keras adds is colour only,
dropped when captured), rich's word wrapping with an ellipsis for a word too long for its cell, and the
HEAVY_HEAD box with a line between rows. This module follows both sources step by step (the functions name
their counterpart) and draws only what it can draw exactly; anything else raises _Unsupported, and
summary_text asks Keras instead:
- a name with a character that is not printable ASCII, or with one of `[ ] \\ :` (rich reads markup and
  emoji codes in cells, and cell widths of other characters vary);
- a console that is not the service's: no digits in COLUMNS, COLUMNS narrower than Keras's table (Keras
  narrows the table, rich crops), an output encoding that is not UTF-8 (rich draws an ASCII box), Windows,
  Jupyter;
- a model that is neither Sequential nor a graph model, or a layer Keras sizes from its build shapes alone.
tests/unit/test_summary_text.py and tests/property/test_summary_text_properties.py compare the text with
Keras's own.
"""

import builtins
import os
import re
import sys
from typing import Any

import keras

from . import private
from .layers import strip_escapes

_SEQUENTIAL_COLUMNS = (("Layer (type)", "left"), ("Output Shape", "left"), ("Param #", "right"))
_GRAPH_COLUMNS = _SEQUENTIAL_COLUMNS + (("Connected to", "left"),)
# Keras's defaults: the line length and where each column ends, as a fraction of it.
_SEQUENTIAL_LAYOUT = (88, (0.45, 0.80, 1.0))
_GRAPH_LAYOUT = (108, (0.3, 0.56, 0.74, 1.0))
_PADDING = 1  # rich.table.Table's default padding, (0, 1): one space each side of a cell
_SAFE_TEXT = re.compile(r"[ -~]*")
_UNSAFE_CHARACTERS = re.compile(r"[\[\]\\:]")
_WORD = re.compile(r"\s*\S+\s*")  # rich._wrap.re_word: a word and the spaces after it
_TRAILING_SPACE = re.compile(r"\s+$")


class _Unsupported(Exception):
    """The model or the console is one this module does not draw exactly; Keras draws it."""


def summary_text(model: Any, expand_nested: bool = False, show_trainable: bool = False) -> str:
    """model.summary() as text, as Keras prints it when captured (print_fn), ending with a newline. With either
    option Keras draws it: this module draws neither the nested rows nor the Trainable column."""
    if expand_nested or show_trainable:
        return keras_summary_text(model, expand_nested, show_trainable)
    try:
        return _draw(model)
    except _Unsupported:
        return keras_summary_text(model)


def keras_summary_text(model: Any, expand_nested: bool = False, show_trainable: bool = False) -> str:
    """Keras's own rendering, through rich, at Keras's own widths (runtime.py keeps the terminal out of it); the
    reference the tests compare with."""
    lines: list[str] = []
    model.summary(
        print_fn=lambda text, line_break=True: lines.append(text),
        expand_nested=expand_nested,
        show_trainable=show_trainable,
    )
    return strip_escapes("".join(lines))


def _draw(model: Any) -> str:
    console_width = _console_width()
    rows, graph = _rows(model)
    line_length, positions = _GRAPH_LAYOUT if graph else _SEQUENTIAL_LAYOUT
    if console_width - 4 < line_length:  # Keras would narrow its table to the terminal
        raise _Unsupported("narrow console")
    columns = _GRAPH_COLUMNS if graph else _SEQUENTIAL_COLUMNS
    widths = _column_widths(line_length, positions)
    title = f'Model: "{_safe(model.name)}"'
    out = [title, *_table(columns, widths, rows), *_totals(model)]
    if max(len(line) for line in out) > console_width:  # rich would wrap it
        raise _Unsupported("line wider than the console")
    return "\n".join(out) + "\n"


def _console_width() -> int:
    """The width rich.console.Console(...) gets in Keras's print_summary, where it is certain: COLUMNS, read
    the same way by shutil.get_terminal_size (Keras's line length) and by rich (its console)."""
    columns = os.environ.get("COLUMNS", "")
    if not columns.isdigit() or sys.platform == "win32" or hasattr(builtins, "get_ipython"):
        raise _Unsupported("console")
    output = getattr(sys.stdout, "rich_proxied_file", sys.stdout)
    if not (getattr(output, "encoding", "utf-8") or "utf-8").lower().startswith("utf"):
        raise _Unsupported("encoding")
    return int(columns)


def _safe(text: str) -> str:
    """The text, if rich prints it as it is and one character is one column."""
    if not _SAFE_TEXT.fullmatch(text) or _UNSAFE_CHARACTERS.search(text):
        raise _Unsupported("name")
    return text


# The model walk: keras.src.utils.summary_utils.print_summary ----------------------------------------------


def _rows(model: Any) -> tuple[list[list[str]], bool]:
    """The table's rows (plain text cells) and whether it is a graph's table ("Connected to")."""
    if isinstance(model, keras.Sequential):
        layers, sequential_like = model.layers, True
    elif private.is_functional(model):
        layers, sequential_like = private.model_operations(model), _sequential_like(model)
    else:
        raise _Unsupported("subclassed model")
    relevant = None if sequential_like else {id(node) for node in private.model_nodes(model)}
    rows = []
    for layer in layers:
        fields = [f"{_safe(layer.name)} ({_safe(type(layer).__name__)})", _shape(layer), _params(layer)]
        if relevant is not None:
            fields.append(_connections(layer, relevant))
        rows.append(fields)
    return rows, not sequential_like


def _sequential_like(model: Any) -> bool:
    """print_summary's test: a graph is drawn as a sequence unless a depth holds several calls, a call takes
    several tensors, or a layer is called more than once in it."""
    nodes = []
    for depth in private.nodes_by_depth(model):
        if len(depth) > 1 or (len(depth) == 1 and len(depth[0].input_tensors) > 1):
            return False
        nodes += depth
    ids = {id(node) for node in nodes}
    for layer in model.layers:
        if sum(id(node) in ids for node in private.layer_nodes(layer)) > 1:
            return False
    return True


def _shape(layer: Any) -> str:
    """format_layer_shape: the shapes of the layer's last call."""
    nodes = private.layer_nodes(layer)
    if not nodes:
        if not private.build_shapes(layer):
            return "?"
        raise _Unsupported("a layer built by hand")
    shapes = ["(" + ", ".join(str(axis) for axis in tensor.shape) + ")" for tensor in nodes[-1].output_tensors]
    return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"


def _params(layer: Any) -> str:
    if not hasattr(layer, "built"):
        return "0"
    if not layer.built:
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _connections(layer: Any, relevant: set) -> str:
    """get_connections: each input of each of the layer's calls in this graph, as name[call][output]."""
    named = []
    for node in private.layer_nodes(layer):
        if relevant and id(node) not in relevant:
            continue
        for tensor in node.input_tensors:
            source, call, position = private.tensor_history(tensor)
            named.append(f"{_safe(source.name)}[{call}][{position}]")
    return ", ".join(named) or "-"


def _totals(model: Any) -> list[str]:
    """The lines after the table, with Keras's own counting and byte-size formatting."""
    count, size = private.summary_utils.count_params, private.summary_utils.weight_memory_size
    readable = private.summary_utils.readable_memory_size
    trainable = private.summary_trainable_weights(model)
    frozen = model.non_trainable_weights
    parts = [("Trainable", count(trainable), size(trainable)), ("Non-trainable", count(frozen), size(frozen))]
    if model.compiled and model.optimizer and model.optimizer.built:
        variables = model.optimizer.variables
        parts.append(("Optimizer", count(variables), size(variables)))
    total = ("Total", sum(part[1] for part in parts), sum(part[2] for part in parts))
    return [f" {name} params: {number:,} ({readable(bytes_)})" for name, number, bytes_ in [total, *parts]]


# The table: rich.table.Table(*columns, width=line_length, show_lines=True) as rich 15 draws it -------------


def _column_widths(line_length: int, positions: tuple[float, ...]) -> list[int]:
    """Each column's width with its padding. Keras fixes each column's width; rich adds the padding, and takes
    the excess over the line (borders aside) from the columns evenly (Table._calculate_column_widths)."""
    fixed, current = [], 0
    for position in positions:
        fixed.append(int(position * line_length) - current)
        current += fixed[-1]
    widths = [width + 2 * _PADDING for width in fixed]
    available = line_length - (len(widths) + 1)  # the borders: an edge each side, a line between columns
    if sum(widths) > available:
        widths = _ratio_reduce(sum(widths) - available, [1] * len(widths), widths, widths)
    return widths


def _ratio_reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    """rich._ratio.ratio_reduce."""
    ratios = [ratio if maximum else 0 for ratio, maximum in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining, result = total, []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            distributed = min(maximum, round(ratio * remaining / total_ratio))
            result.append(value - distributed)
            remaining -= distributed
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def _table(columns: tuple[tuple[str, str], ...], widths: list[int], rows: list[list[str]]) -> list[str]:
    """The HEAVY_HEAD box: a heavy header, a line between rows (show_lines)."""
    justify = [how for _, how in columns]
    out = ["┏" + "┳".join("━" * width for width in widths) + "┓"]
    out += _row([name for name, _ in columns], widths, justify, "┃")
    out.append("┡" + "╇".join("━" * width for width in widths) + "┩")
    for number, row in enumerate(rows):
        if number:
            out.append("├" + "┼".join("─" * width for width in widths) + "┤")
        out += _row(row, widths, justify, "│")
    out.append("└" + "┴".join("─" * width for width in widths) + "┘")
    return out


def _row(cells: list[str], widths: list[int], justify: list[str], bar: str) -> list[str]:
    """One row's lines: each cell wrapped in its width, the shorter cells filled with blank lines below."""
    inner = [width - 2 * _PADDING for width in widths]
    wrapped = [_wrap(cell, width, how) for cell, width, how in zip(cells, inner, justify)]
    height = max(len(lines) for lines in wrapped)
    for lines, width in zip(wrapped, inner):
        lines += [" " * width] * (height - len(lines))  # rich aligns a cell to the top of its row
    pad = " " * _PADDING
    return [bar + bar.join(pad + lines[i] + pad for lines in wrapped) + bar for i in range(height)]


def _wrap(text: str, width: int, justify: str) -> list[str]:
    """rich.text.Text.wrap with overflow="ellipsis" (a Column's default): lines of exactly `width` columns."""
    if len(text) <= width:  # one line, as rich would wrap it: no break, nothing to crop
        return [_justify(text, width, justify)]
    lines = []
    for line in _divide(text, _break_offsets(text, width)):
        if len(line) > width:  # Text.rstrip_end: trailing spaces go first
            trailing = _TRAILING_SPACE.search(line)
            if trailing:
                line = line[: len(line) - min(len(trailing.group(0)), len(line) - width)]
        lines.append(_justify(line, width, justify))
    return lines


def _justify(line: str, width: int, justify: str) -> str:
    """rich.containers.Lines.justify, then Text.truncate with an ellipsis."""
    if justify == "right":
        line = _truncate(line.rstrip(), width)
        return " " * (width - len(line)) + line
    return _truncate(line, width).ljust(width)


def _truncate(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def _break_offsets(text: str, width: int) -> list[int]:
    """rich._wrap.divide_line without folding: a word too long for any line gets a line of its own."""
    breaks: list[int] = []
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            if start:
                breaks.append(start)
            offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def _divide(text: str, offsets: list[int]) -> list[str]:
    bounds = [0, *offsets, len(text)]
    return [text[start:end] for start, end in zip(bounds, bounds[1:])]
