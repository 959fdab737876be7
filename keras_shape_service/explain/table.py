"""A summary as a table to paste or load elsewhere (keras#5930, torchinfo#241): Markdown for a README or an issue,
CSV for a spreadsheet or pandas. The columns of Keras's summary with show_trainable, the input shape added; then
the totals Keras prints under its table."""

import csv
import io

from keras_shape_service.facts import shape_text
from keras_shape_service.schemas import SummaryResponse

COLUMNS = ("name", "type", "input shape", "output shape", "params", "trainable")
_TOTALS = (
    ("Total params", "total", ""),
    ("Trainable params", "trainable", True),
    ("Non-trainable params", "non_trainable", False),
)
# A spreadsheet runs a cell that starts with one of these as a formula; layer names may start with "-".
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _layer_cells(summary: SummaryResponse) -> list[list[str | bool]]:
    """The top-level rows, as Keras's summary lists them (a nested model is one row, as without expand_nested)."""
    return [
        [row.name, row.type, shape_text(row.input_shape), shape_text(row.output_shape), str(row.params), row.trainable]
        for row in summary.layers
    ]


def _markdown_cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("\\", "\\\\").replace("|", "\\|")


def markdown(summary: SummaryResponse) -> str:
    """A GitHub-flavoured Markdown table (params right-aligned, with thousands separators), then the totals."""
    lines = [
        "| Layer | Type | Input shape | Output shape | Params | Trainable |",
        "| --- | --- | --- | --- | ---: | --- |",
    ]
    for name, type_, input_shape, output_shape, params, trainable in _layer_cells(summary):
        cells = [name, type_, f"`{input_shape}`", f"`{output_shape}`", f"{int(params):,}", trainable]
        lines.append("| " + " | ".join(_markdown_cell(cell) for cell in cells) + " |")
    lines.append("")
    for label, key, _ in _TOTALS:
        lines.append(f"- {label}: {getattr(summary.params, key):,}")
    return "\n".join(lines) + "\n"


def _csv_cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_text(summary: SummaryResponse) -> str:
    """One rectangular table, so that any CSV reader takes it whole: a header, a row per layer, then a row per
    total with its label as the name and its count as the params (plain integers: no separators)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180's line ends
    writer.writerow(COLUMNS)
    for cells in _layer_cells(summary):
        writer.writerow([_csv_cell(cell) for cell in cells])
    for label, key, trainable in _TOTALS:
        writer.writerow([label, "", "", "", getattr(summary.params, key), _csv_cell(trainable)])
    return out.getvalue()
