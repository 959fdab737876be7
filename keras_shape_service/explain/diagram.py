"""The model drawn as SVG from its layer table: a box per layer, an arrow per feed, no Graphviz.

Layers are placed in levels, top to bottom: a layer sits one level below the lowest of the layers feeding it
(rows come in Keras's model.layers order, which lists every feeder first; a shared layer's later call may be
fed by a layer listed after it, and such an arrow is drawn without moving the layer). Within a level, layers
keep their table order. The drawing is a function of the table alone, so the same model gives the same bytes.
Every text is the user's (layer names) or derived from it, so all of it is XML-escaped.
"""

import re
from typing import Sequence
from xml.sax.saxutils import escape, quoteattr

from keras_shape_service.facts import shape_text
from keras_shape_service.schemas import LayerRow, SummaryResponse

BOX_WIDTH, BOX_HEIGHT, LINE_HEIGHT = 260, 100, 17
GAP_X, GAP_Y, MARGIN = 28, 36, 16
NAME_CLASS = ' class="name"'
MAX_CHARACTERS = 34  # of one line in a box, at the 12 px monospace font below
# Characters XML 1.0 cannot hold even escaped (control characters, lone surrogates): shown as U+FFFD.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
STYLE = (
    "text{font:12px monospace;fill:#1b1b1b}.name{font-weight:bold}.box{fill:#f4f7fb;stroke:#3b6ea5}"
    ".edge{stroke:#555;fill:none;marker-end:url(#arrow)}"
)


def _levels(rows: Sequence[LayerRow]) -> list[int]:
    """Each row's level: one below its lowest feeder listed before it, 0 where none is."""
    position = {row.name: index for index, row in enumerate(rows)}
    levels: list[int] = []
    for index, row in enumerate(rows):
        feeders = [levels[position[name]] for name in row.inbound if position.get(name, index) < index]
        levels.append(1 + max(feeders) if feeders else 0)
    return levels


def _places(levels: list[int]) -> list[tuple[int, int]]:
    """Each box's top-left corner: levels top to bottom, a level's boxes side by side, centred."""
    per_level = [levels.count(level) for level in range(max(levels) + 1)]
    widest = max(per_level)
    seen = [0] * len(per_level)
    places = []
    for level in levels:
        offset = (widest - per_level[level]) * (BOX_WIDTH + GAP_X) // 2
        places.append((MARGIN + offset + seen[level] * (BOX_WIDTH + GAP_X), MARGIN + level * (BOX_HEIGHT + GAP_Y)))
        seen[level] += 1
    return places


def _clean(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)


def _xml(text: str) -> str:
    """User text as XML character data."""
    return escape(_clean(text))


def _fit(text: str) -> str:
    return text if len(text) <= MAX_CHARACTERS else text[: MAX_CHARACTERS - 1] + "\u2026"


def _lines(row: LayerRow) -> list[str]:
    kind = row.type + (f" ({len(row.layers)} layers inside)" if row.layers else "")
    return [
        row.name,
        kind,
        f"in  {shape_text(row.input_shape)}",
        f"out {shape_text(row.output_shape)}",
        f"{row.params:,} params",
    ]


def _box(row: LayerRow, x: int, y: int) -> str:
    """One layer's box; its full texts in a tooltip, since a line in the box may be cut short."""
    lines = _lines(row)
    texts = "".join(
        f'<text x="{x + 10}" y="{y + 20 + i * LINE_HEIGHT}"{NAME_CLASS if i == 0 else ""}>{_xml(_fit(line))}</text>'
        for i, line in enumerate(lines)
    )
    return (
        f'<g class="layer" data-name={quoteattr(_clean(row.name))}>'
        f"<title>{_xml(' | '.join(lines))}</title>"
        f'<rect class="box" x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="6"/>{texts}</g>'
    )


def _edge(start: tuple[int, int], end: tuple[int, int]) -> str:
    """An arrow from the bottom middle of one box to the top middle of another, curved."""
    x1, y1 = start[0] + BOX_WIDTH // 2, start[1] + BOX_HEIGHT
    x2, y2 = end[0] + BOX_WIDTH // 2, end[1]
    bend = max(GAP_Y // 2, abs(y2 - y1) // 2)
    return f'<path class="edge" d="M{x1},{y1} C{x1},{y1 + bend} {x2},{y2 - bend} {x2},{y2 - 2}"/>'


def svg(summary: SummaryResponse) -> str:
    """The diagram of a model's top-level layers, as a standalone SVG document."""
    rows = summary.layers
    places = _places(_levels(rows))
    position = {row.name: index for index, row in enumerate(rows)}
    edges = [
        _edge(places[position[name]], places[index])
        for index, row in enumerate(rows)
        for name in row.inbound
        if name in position
    ]
    boxes = [_box(row, *place) for row, place in zip(rows, places)]
    width = max(x for x, _ in places) + BOX_WIDTH + MARGIN
    height = max(y for _, y in places) + BOX_HEIGHT + MARGIN
    label = f"{len(rows)} layers, {summary.params.total:,} params"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(label)}>'
        f'<title>{escape(label)}</title><style>{STYLE}</style><defs><marker id="arrow" viewBox="0 0 10 10" '
        'refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>' + "".join(edges) + "".join(boxes) + "</svg>\n"
    )
