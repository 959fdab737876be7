"""Where two models part: their layer tables aligned by name (then by position where names differ), and each
difference said with the two models' own shapes, parameter counts and why."""

from difflib import SequenceMatcher
from typing import Optional

from keras_shape_service.facts import shape_text
from keras_shape_service.schemas import Difference, LayerRow, SummaryResponse


def _label(row: LayerRow) -> str:
    return f"{row.name} ({row.type})"


def _one_side(row: LayerRow, side: str, other: str) -> Difference:
    text = (
        f"{_label(row)} is only in {side}: {row.why.shape}; {row.params} params. Without it, in {other}, the "
        f"layer after it gets what this one is given, {shape_text(row.input_shape)}"
    )
    return Difference(a_layer=row.name if side == "a" else None, b_layer=row.name if side == "b" else None, what=text)


def _pair(a: LayerRow, b: LayerRow) -> Optional[Difference]:
    """The difference between two aligned rows, or None where they agree."""
    if (a.type, a.input_shape, a.output_shape, a.params) == (b.type, b.input_shape, b.output_shape, b.params):
        return None
    if a.type != b.type:
        text = f"a has {_label(a)} where b has {_label(b)}. In a: {a.why.shape}. In b: {b.why.shape}"
    else:
        parts = [_label(a)]
        if a.input_shape != b.input_shape:
            parts.append(f" gets {shape_text(b.input_shape)} in b instead of {shape_text(a.input_shape)} in a")
        else:  # said, so that the difference is seen to be the layer's own
            parts.append(f" gets {shape_text(b.input_shape)} in both")
        parts.append(f". In b: {b.why.shape}. So in b it gives {shape_text(b.output_shape)}")
        parts.append("" if a.output_shape == b.output_shape else f" instead of {shape_text(a.output_shape)}")
        parts.append(f", with {b.params} params" + ("" if a.params == b.params else f" instead of {a.params}"))
        parts.append(f" ({b.why.params}, against {a.why.params})" if a.params != b.params else "")
        text = "".join(parts)
    return Difference(a_layer=a.name, b_layer=b.name, what=text)


def _aligned(a_rows: list[LayerRow], b_rows: list[LayerRow]) -> list[tuple[Optional[LayerRow], Optional[LayerRow]]]:
    """Rows of the same name paired in order; between them, the rest paired by position, extras alone."""
    matcher = SequenceMatcher(None, [r.name for r in a_rows], [r.name for r in b_rows], autojunk=False)
    pairs: list[tuple[Optional[LayerRow], Optional[LayerRow]]] = []
    for _, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        a_part, b_part = a_rows[a_start:a_end], b_rows[b_start:b_end]
        common = min(len(a_part), len(b_part))
        pairs += list(zip(a_part[:common], b_part[:common]))
        pairs += [(row, None) for row in a_part[common:]] + [(None, row) for row in b_part[common:]]
    return pairs


def differences(a: SummaryResponse, b: SummaryResponse) -> list[Difference]:
    """In model order: each layer only one side has, each aligned pair that differs, then the totals and the
    predictions' shapes where they differ."""
    found: list[Difference] = []
    for a_row, b_row in _aligned(a.layers, b.layers):
        if b_row is None:
            assert a_row is not None, "_aligned leaves out one side of a pair, never both"
            found.append(_one_side(a_row, "a", "b"))
        elif a_row is None:
            found.append(_one_side(b_row, "b", "a"))
        elif (pair := _pair(a_row, b_row)) is not None:
            found.append(pair)
    if a.params.total != b.params.total:
        found.append(
            Difference(a_layer=None, b_layer=None, what=f"params in all: {a.params.total} in a, {b.params.total} in b")
        )
    a_out, b_out = getattr(a, "output_shape", None), getattr(b, "output_shape", None)
    if a_out is not None and b_out is not None and a_out != b_out:
        found.append(
            Difference(a_layer=None, b_layer=None, what=f"the predictions have shape {a_out} in a and {b_out} in b")
        )
    return found
