"""The model drawn as SVG from its layer table: a layered (Sugiyama-style) drawing in pure Python, no Graphviz.

The steps, each deterministic (ties are broken by table order, so the same model gives the same bytes):
1. Levels by longest path: a layer sits one level below the lowest of the layers feeding it (rows come in
   Keras's model.layers order, which lists every feeder first). An edge spanning several levels gets a
   placeholder in each level it passes, so that it is routed through a lane that no box takes.
2. Order within a level by barycenter sweeps (down, then up, a few times), keeping the order with the fewest
   crossings: branches come out side by side.
3. x positions per level: each node as near the mean of its neighbours as the order and the gaps allow (pool
   adjacent violators over the level: the least-squares placement under the order).
4. Columns: a deep network (ResNet50: ~170 levels) is cut into columns side by side, at levels where the fewest
   edges cross, so that the picture is not a strip; an edge crossing to the next column runs below its column,
   up the gap between the columns and along the top.
5. Edges are orthogonal polylines: down from the feeder's bottom, across in the gap between two levels (each
   edge on a track of its own), down into the fed layer's top; through the placeholders' lanes in between.
   No segment enters a box but its own ends.
Each box is as wide as its longest line (12 px monospace, 7.2 px a character), so no text is cut.
Every text is the user's (layer names) or derived from it, so all of it is XML-escaped.
"""

import math
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence
from xml.sax.saxutils import escape, quoteattr

from keras_shape_service.facts import shape_text
from keras_shape_service.schemas import LayerRow, SummaryResponse

CHARACTER_WIDTH = 7.2  # of the 12 px monospace font below
PADDING_X, LINE_HEIGHT, BOX_HEIGHT = 10, 17, 100
MIN_BOX_WIDTH = 120
GAP_X, LANE_GAP, GAP_Y, TRACK, MARGIN = 28, 12, 36, 6, 16
COLUMN_GAP = 48
# A folded block's frame: within the gaps round its boxes (half a lane's gap; under a track's spacing, so that no
# frame line lies on an edge's track). A nested model's drawing: a heading line above it.
FRAME_X, FRAME_Y, HEADING = 6, 3, 24
LONGEST_BLOCK = 64  # layers: a block longer is not looked for (the search is quadratic in it)
SWEEPS = 8
TALL = 1.4  # the height a column aims at, in widths of the whole drawing: a page in portrait
NAME_CLASS = ' class="name"'
# Characters XML 1.0 cannot hold even escaped (control characters, lone surrogates): shown as U+FFFD.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
STYLE = (
    "text{font:12px monospace;fill:#1b1b1b}.name{font-weight:bold}.box{fill:#f4f7fb;stroke:#3b6ea5}"
    ".edge{stroke:#555;fill:none;marker-end:url(#arrow)}.repeat{fill:none;stroke:#3b6ea5;stroke-dasharray:6 4}"
    ".nested .box{stroke-width:3;cursor:pointer}.heading{font-weight:bold}"
)


@dataclass
class _Node:
    """A box (row is its index in the table) or a placeholder an edge passes through (row None)."""

    row: Optional[int]
    level: int
    width: float
    up: list[int] = field(default_factory=list)  # nodes one level above feeding this one
    down: list[int] = field(default_factory=list)
    x: float = 0.0  # left edge
    column: int = 0

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


def _clean(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)


def _xml(text: str) -> str:
    """User text as XML character data."""
    return escape(_clean(text))


def _lines(row: LayerRow, times: int = 1) -> list[str]:
    kind = (
        row.type + (f" ({len(row.layers)} layers inside)" if row.layers else "") + (f"  x {times}" if times > 1 else "")
    )
    return [
        row.name,
        kind,
        f"in  {shape_text(row.input_shape)}",
        f"out {shape_text(row.output_shape)}",
        f"{row.params:,} params",
    ]


def text_width(text: str) -> float:
    """Pixels a line takes at the drawing's font (monospace: characters times one width)."""
    return len(text) * CHARACTER_WIDTH


def _box_width(lines: list[str]) -> int:
    return max(MIN_BOX_WIDTH, math.ceil(max(text_width(line) for line in lines)) + 2 * PADDING_X)


def _levels(rows: Sequence[LayerRow]) -> list[int]:
    """Each row's level: one below its lowest feeder listed before it, 0 where none is."""
    position = {row.name: index for index, row in enumerate(rows)}
    levels: list[int] = []
    for index, row in enumerate(rows):
        feeders = [levels[position[name]] for name in row.inbound if position.get(name, index) < index]
        levels.append(1 + max(feeders) if feeders else 0)
    return levels


@dataclass(frozen=True)
class Run:
    """Rows start .. start + length * count - 1 of a table: `count` identical blocks of `length` rows each."""

    start: int
    length: int
    count: int


def repeats(rows: Sequence[LayerRow]) -> list[Run]:
    """The runs of identical consecutive blocks, each drawn once when folded. A block is `length` consecutive
    rows fed only from inside it and from the row just before it (at least one of its rows is), whose rows but
    the last feed no row outside it. Two blocks are identical when row by row they have the same layer class,
    the same input and output shapes, the same params and the same feeds (counted in rows back): so a run never
    hides a change of shape, nor a feed to or from a row outside it (each block but the last feeds only the
    next). Runs are taken in table order, at each row the one covering the most rows (the shorter block on a
    tie), of two blocks or more."""
    position = {row.name: index for index, row in enumerate(rows)}
    feeds = [
        tuple(index - position[name] if position.get(name, index) < index else None for name in row.inbound)
        for index, row in enumerate(rows)
    ]
    last_fed = list(range(len(rows)))  # the last row each row feeds (itself where none)
    for index, row in enumerate(rows):
        for name in row.inbound:
            if name in position:  # a feed to a row listed before (a shared layer's later call): never folded
                last_fed[position[name]] = max(last_fed[position[name]], index, len(rows) * (position[name] > index))
    keys = [
        (row.type, repr(row.input_shape), repr(row.output_shape), row.params, feeds[index], bool(row.layers))
        for index, row in enumerate(rows)
    ]

    def block(start: int, length: int) -> bool:
        """Whether rows start .. start + length - 1 are a block: fed from within or the row before."""
        entered = False
        for index in range(start, start + length):
            back = index - start + 1
            if any(feed is None or feed > back for feed in feeds[index]):
                return False
            entered = entered or back in feeds[index]
            if index < start + length - 1 and last_fed[index] >= start + length:
                return False
        return entered

    def blocks_from(start: int, length: int) -> int:
        """How many identical blocks of `length` rows follow one another from `start` (0 where none is a block)."""
        if start + length > len(rows) or not block(start, length):
            return 0
        count = 1
        while (
            start + (count + 1) * length <= len(rows)
            and keys[start + (count - 1) * length : start + count * length]
            == keys[start + count * length : start + (count + 1) * length]
            and last_fed[start + count * length - 1] < start + (count + 1) * length
            and block(start + count * length, length)
        ):
            count += 1
        return count

    def branching(run: Run) -> int:
        """How many rows of a block the row before it feeds: a block begins best where its branches part."""
        return sum(index - run.start + 1 in feeds[index] for index in range(run.start, run.start + run.length))

    runs, start = [], 1
    while start < len(rows):
        best: Optional[Run] = None
        for length in range(1, min(LONGEST_BLOCK, (len(rows) - start) // 2) + 1):
            count = blocks_from(start, length)
            if count > 1 and (best is None or count * length > best.count * best.length):
                best = Run(start, length, count)
        if best is None:
            start += 1
            continue
        # The same blocks may be cut at another row (ResNet's: from a block's output ReLU to the next one's Add,
        # or from a block's first convolution to its output ReLU): of the cuts covering as many rows, the one
        # whose first row before the run feeds the most rows of its first block.
        shifted = [
            Run(best.start + shift, best.length, blocks_from(best.start + shift, best.length))
            for shift in range(best.length)
        ]
        chosen = max(
            (run for run in shifted if run.count * run.length == best.count * best.length),
            key=lambda run: (branching(run), -run.start),
        )
        runs.append(chosen)
        start = chosen.start + chosen.length * chosen.count
    return runs


def _folded(
    rows: Sequence[LayerRow], runs: list[Run]
) -> tuple[list[LayerRow], dict[int, int], dict[int, str], list[tuple[list[int], int]], dict[int, int]]:
    """The rows left when each run is drawn as its first block: the rows (a feed from a run's last row now from
    its first block's last), each shown row's repeat count and tooltip note by its new index, each folded block
    of several rows (new indices, count), and the new index of each row kept by its old one."""
    hidden: set[int] = set()
    renamed: dict[str, str] = {}
    times: dict[int, int] = {}
    notes: dict[int, str] = {}
    for run in runs:
        end = run.start + run.length * run.count
        hidden.update(range(run.start + run.length, end))
        renamed[rows[end - 1].name] = rows[run.start + run.length - 1].name
        for offset in range(run.length):
            times[run.start + offset] = run.count
            notes[run.start + offset] = (
                f" | x {run.count}: {rows[run.start + offset].name} .. {rows[end - run.length + offset].name}"
            )
    kept = {old: new for new, old in enumerate(index for index in range(len(rows)) if index not in hidden)}
    shown = [
        row.model_copy(update={"inbound": [renamed.get(name, name) for name in row.inbound]}) if renamed else row
        for index, row in enumerate(rows)
        if index not in hidden
    ]
    blocks = [([kept[run.start + offset] for offset in range(run.length)], run.count) for run in runs if run.length > 1]
    return (
        shown,
        {kept[old]: count for old, count in times.items()},
        {kept[old]: note for old, note in notes.items()},
        blocks,
        kept,
    )


class _Layout:
    """Nodes, their order per level, positions, and each edge's chain of nodes from feeder to fed."""

    def __init__(self, rows: Sequence[LayerRow], times: Optional[dict[int, int]] = None) -> None:
        self.lines = [_lines(row, (times or {}).get(index, 1)) for index, row in enumerate(rows)]
        levels = _levels(rows)
        self.nodes = [
            _Node(index, level, _box_width(lines)) for index, (level, lines) in enumerate(zip(levels, self.lines))
        ]
        position = {row.name: index for index, row in enumerate(rows)}
        # A shared layer's later call may be fed by a layer below it: that edge is laid out upwards, drawn reversed.
        self.chains: list[tuple[list[int], bool]] = []
        # An edge between two layers of one level (or a layer fed by itself) runs below them, bottom to bottom.
        self.beside: list[tuple[int, int]] = []
        for index, row in enumerate(rows):
            for name in row.inbound:
                if name in position and levels[position[name]] == levels[index]:
                    self.beside.append((position[name], index))
                elif name in position:
                    source, reverse = position[name], levels[position[name]] > levels[index]
                    top, bottom = (index, source) if reverse else (source, index)
                    self.chains.append((self._chain(top, bottom), reverse))
        self.depth = max(levels) + 1
        self.order: list[list[int]] = [[] for _ in range(self.depth)]
        for number, node in enumerate(self.nodes):
            self.order[node.level].append(number)

    def _chain(self, top: int, bottom: int) -> list[int]:
        chain = [top]
        for level in range(self.nodes[top].level + 1, self.nodes[bottom].level):
            self.nodes.append(_Node(None, level, 0))
            chain.append(len(self.nodes) - 1)
        chain.append(bottom)
        for upper, lower in zip(chain, chain[1:]):
            self.nodes[upper].down.append(lower)
            self.nodes[lower].up.append(upper)
        return chain

    # 2. order ---------------------------------------------------------------------------------------------

    def sort(self) -> None:
        best, fewest = [list(level) for level in self.order], self._crossings()
        for sweep in range(SWEEPS):
            levels = range(1, self.depth) if sweep % 2 == 0 else range(self.depth - 2, -1, -1)
            for level in levels:
                self._sort_level(level, "up" if sweep % 2 == 0 else "down")
            crossings = self._crossings()
            if crossings < fewest:
                best, fewest = [list(level) for level in self.order], crossings
        self.order = best

    def _sort_level(self, level: int, side: str) -> None:
        places = {node: index for nodes in self.order for index, node in enumerate(nodes)}

        def barycenter(node: int) -> float:
            neighbours = getattr(self.nodes[node], side)
            return sum(places[n] for n in neighbours) / len(neighbours) if neighbours else places[node]

        self.order[level].sort(key=lambda node: (barycenter(node), places[node]))

    def _crossings(self) -> int:
        places = {node: index for nodes in self.order for index, node in enumerate(nodes)}
        total = 0
        for nodes in self.order:
            edges = [(places[upper], places[lower]) for upper in nodes for lower in self.nodes[upper].down]
            total += sum(1 for i, (a, b) in enumerate(edges) for c, d in edges[i + 1 :] if (a - c) * (b - d) < 0)
        return total

    # 3. x -------------------------------------------------------------------------------------------------

    def _gap(self, left: int, right: int) -> int:
        both_boxes = self.nodes[left].row is not None and self.nodes[right].row is not None
        return GAP_X if both_boxes else LANE_GAP

    def place(self) -> None:
        for nodes in self.order:
            self._place_level(nodes, [0.0] * len(nodes))
        for sweep in range(SWEEPS):
            side = "up" if sweep % 2 == 0 else "down"
            levels = range(self.depth) if side == "up" else range(self.depth - 1, -1, -1)
            for level in levels:
                nodes = self.order[level]
                wanted = []
                for node in nodes:
                    neighbours = getattr(self.nodes[node], side)
                    centre = (
                        sum(self.nodes[n].centre for n in neighbours) / len(neighbours)
                        if neighbours
                        else self.nodes[node].centre
                    )
                    wanted.append(centre - self.nodes[node].width / 2)
                self._place_level(nodes, wanted)

    def _place_level(self, nodes: list[int], wanted: list[float]) -> None:
        """Left edges as near the wanted ones as the order and gaps allow: with offsets o_i of each node from
        the first when packed, left_i = p_i + o_i where p is the non-decreasing fit to wanted_i - o_i."""
        offsets, offset = [], 0.0
        for i, node in enumerate(nodes):
            offsets.append(offset)
            if i + 1 < len(nodes):
                offset += self.nodes[node].width + self._gap(node, nodes[i + 1])
        blocks: list[list[float]] = []  # [sum, count]
        for want, off in zip(wanted, offsets):
            blocks.append([want - off, 1])
            while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
                total, count = blocks.pop()
                blocks[-1][0] += total
                blocks[-1][1] += count
        i = 0
        for total, count in blocks:
            for _ in range(int(count)):
                self.nodes[nodes[i]].x = round(total / count + offsets[i], 1)
                i += 1

    # 4. columns -------------------------------------------------------------------------------------------

    def split(self) -> list[range]:
        """Levels per column: as many columns as make the drawing about TALL times as high as wide, cut where
        the fewest edges cross to the next level."""
        widths = [self._level_width(level) for level in range(self.depth)]
        height = self.depth * (BOX_HEIGHT + GAP_Y)
        width = max(widths) + COLUMN_GAP
        columns = max(1, round(math.sqrt(height / (TALL * width))))
        if columns == 1:
            return [range(self.depth)]
        per_column = self.depth / columns
        # Edges from one node share their way to the next column: count the nodes that edges leave from.
        crossing = [sum(1 for n in self.order[level] if self.nodes[n].down) for level in range(self.depth)]
        cuts, start = [], 0
        for number in range(1, columns):
            target = round(number * per_column)
            window = range(
                max(start + 1, target - int(per_column / 4)), min(self.depth - 1, target + int(per_column / 4)) + 1
            )
            if not window:
                break
            end = min(window, key=lambda level: (crossing[level - 1], abs(level - target), level))
            cuts.append(end)
            start = end
        bounds = [0, *cuts, self.depth]
        return [range(a, b) for a, b in zip(bounds, bounds[1:]) if a < b]

    def _level_width(self, level: int) -> float:
        nodes = self.order[level]
        return self.nodes[nodes[-1]].x + self.nodes[nodes[-1]].width - self.nodes[nodes[0]].x


def _points_text(points: list[tuple[float, float]]) -> str:
    simple: list[tuple[float, float]] = []
    for point in points:  # drop repeated points and the middle of three in a line
        if simple and simple[-1] == point:
            continue
        if len(simple) >= 2 and (
            simple[-2][0] == simple[-1][0] == point[0] or simple[-2][1] == simple[-1][1] == point[1]
        ):
            simple[-1] = point
            continue
        simple.append(point)
    return "M" + " L".join(f"{_number(x)},{_number(y)}" for x, y in simple)


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _box(
    lines: list[str], name: str, x: float, y: float, width: int, opens: Optional[int] = None, note: str = ""
) -> str:
    """One layer's box, its texts whole; a tooltip repeats them. A nested model's box names the drawing of its
    inside (data-opens), which the page shows on a click."""
    texts = "".join(
        f'<text x="{_number(x + PADDING_X)}" y="{_number(y + 20 + i * LINE_HEIGHT)}"{NAME_CLASS if i == 0 else ""}>'
        f"{_xml(line)}</text>"
        for i, line in enumerate(lines)
    )
    return (
        (
            f'<g class="layer" data-name={quoteattr(_clean(name))}>'
            if opens is None
            else f'<g class="layer nested" data-name={quoteattr(_clean(name))} data-opens="{opens}" tabindex="0">'
        )
        + f"<title>{_xml(' | '.join(lines) + note)}</title>"
        f'<rect class="box" x="{_number(x)}" y="{_number(y)}" width="{width}" height="{BOX_HEIGHT}" rx="6"/>'
        f"{texts}</g>"
    )


def _draw(rows: Sequence[LayerRow], fold_repeats: bool, opens: dict[int, int]) -> tuple[str, int, int]:
    """One model's layers drawn from (0, 0): the SVG elements, the width and the height. `opens`: the drawing
    number of the inside of each nested model's row."""
    runs = repeats(rows) if fold_repeats else []
    rows, times, notes, blocks, kept = _folded(rows, runs)
    opens = {kept[index]: number for index, number in opens.items() if index in kept}
    layout = _Layout(rows, times)
    layout.sort()
    layout.place()
    columns = layout.split()
    nodes = layout.nodes

    # Which column each level is in; each column shifted to start right of the one before.
    column_of = [0] * layout.depth
    for number, levels in enumerate(columns):
        for level in levels:
            column_of[level] = number
    for node in nodes:
        node.column = column_of[node.level]

    # Segments: (upper node, lower node, chain number). Ports: where each segment leaves and enters a box.
    segments = [(u, v, c) for c, (chain, _) in enumerate(layout.chains) for u, v in zip(chain, chain[1:])]
    crossing = [s for s in segments if nodes[s[0]].column != nodes[s[1]].column]
    lanes = {s: i for i, s in enumerate(crossing)}
    # Lanes up the gap after a column are numbered within that column: the gap is widened by their count.
    gap_lanes = {
        s: sum(1 for t in crossing[:i] if nodes[t[0]].column == nodes[s[0]].column) for i, s in enumerate(crossing)
    }
    top_tracks = len(crossing)
    first_y = MARGIN + (top_tracks + 1) * TRACK if crossing else MARGIN

    left = MARGIN
    column_left, column_right = [], []
    for levels in columns:
        members = [n for n in nodes if n.level in levels]
        low = min(n.x for n in members)
        for n in members:
            n.x = round(n.x - low + left, 1)
        right = max(n.x + n.width for n in members)
        column_left.append(left)
        column_right.append(right)
        lanes_here = sum(1 for s in crossing if nodes[s[0]].column == len(column_left) - 1)
        left = math.ceil(right + COLUMN_GAP + lanes_here * TRACK)

    def ports(side: str) -> dict[tuple[int, int, int], float]:
        """Each segment's x where it meets a box: a box's segments spread across its side, in the order of the
        nodes at their other ends (a placeholder's segments pass through its one lane)."""
        found: dict[tuple[int, int, int], float] = {}
        for number, node in enumerate(nodes):
            mine = [s for s in segments if (s[0] if side == "bottom" else s[1]) == number]
            if not mine:
                continue
            if node.row is None:
                for s in mine:
                    found[s] = node.centre
                continue
            mine.sort(key=lambda s: (nodes[s[1] if side == "bottom" else s[0]].centre, s))
            for i, s in enumerate(mine):
                found[s] = round(node.x + node.width * (i + 1) / (len(mine) + 1), 1)
        return found

    out_x, in_x = ports("bottom"), ports("top")

    # Tracks in the gap below each level: one per segment that moves sideways there.
    tracks: dict[tuple[int, int, int], int] = {}
    gap_tracks = [0] * layout.depth
    for level in range(layout.depth):
        sideways = sorted(
            (s for s in segments if nodes[s[0]].level == level and s not in lanes and out_x[s] != in_x[s]),
            key=lambda s: (min(out_x[s], in_x[s]), max(out_x[s], in_x[s]), s),
        )
        for i, s in enumerate(sideways):
            tracks[s] = i
        gap_tracks[level] = len(sideways)
    beside_tracks = []
    for feeder, _ in layout.beside:
        beside_tracks.append(gap_tracks[nodes[feeder].level])
        gap_tracks[nodes[feeder].level] += 1

    def gap_height(level: int) -> float:
        return max(GAP_Y, (gap_tracks[level] + 1) * TRACK)

    tops = [0.0] * layout.depth
    bottoms = []
    for levels in columns:
        y = float(first_y)
        for level in levels:
            tops[level] = y
            y += BOX_HEIGHT + gap_height(level)
        last = levels[-1]
        bottoms.append(tops[last] + BOX_HEIGHT + (gap_height(last) if gap_tracks[last] else 0))

    def track_y(level: int, track: int) -> float:
        return round(tops[level] + BOX_HEIGHT + (track + 1) * gap_height(level) / (gap_tracks[level] + 1), 1)

    def y_top(node: _Node) -> float:
        return tops[node.level]

    def y_bottom(node: _Node) -> float:
        return tops[node.level] + BOX_HEIGHT  # a placeholder's lane spans its level as a box would

    paths = []
    for c, (chain, reverse) in enumerate(layout.chains):
        points: list[tuple[float, float]] = []
        for u, v in zip(chain, chain[1:]):
            s = (u, v, c)
            upper, lower = nodes[u], nodes[v]
            x1, x2 = out_x[s], in_x[s]
            start, end = (x1, y_bottom(upper)), (x2, y_top(lower))
            if upper.row is None:
                start = (x1, y_top(upper))  # the lane through a placeholder's level, from its top
            if s in lanes:
                lane = lanes[s]
                below = bottoms[upper.column] + (lane + 1) * TRACK
                gap_x = column_right[upper.column] + COLUMN_GAP / 2 + gap_lanes[s] * TRACK
                above = MARGIN + (lane + 1) * TRACK
                points += [start, (x1, below), (gap_x, below), (gap_x, above), (x2, above), end]
            else:
                y = track_y(upper.level, tracks.get(s, 0))
                points += [start, (x1, y), (x2, y), end]
        if reverse:
            points.reverse()
            points[-1] = (points[-1][0], points[-1][1] + 2)  # the arrow's tip at the feeder's bottom edge
        else:
            points[-1] = (points[-1][0], points[-1][1] - 2)  # the arrow's tip on the box's top edge
        feeder, fed = (chain[-1], chain[0]) if reverse else (chain[0], chain[-1])
        names = (quoteattr(_clean(rows[nodes[n].row or 0].name)) for n in (feeder, fed))
        paths.append(f'<path class="edge" data-from={next(names)} data-to={next(names)} d="{_points_text(points)}"/>')

    for (feeder, fed), track in zip(layout.beside, beside_tracks):
        y = track_y(nodes[feeder].level, track)
        x1, x2 = nodes[feeder].x + PADDING_X, nodes[fed].x + nodes[fed].width - PADDING_X
        bottom = y_bottom(nodes[feeder])
        points = [(x1, bottom), (x1, y), (x2, y), (x2, bottom + 2)]
        paths.append(
            f'<path class="edge" data-from={quoteattr(_clean(rows[feeder].name))} '
            f'data-to={quoteattr(_clean(rows[fed].name))} d="{_points_text(points)}"/>'
        )

    boxes = [
        _box(
            layout.lines[index],
            rows[index].name,
            node.x,
            y_top(node),
            int(node.width),
            opens.get(index),
            notes.get(index, ""),
        )
        for index, node in enumerate(nodes[: len(rows)])  # the boxes come first, in table order
    ]
    frames = []
    for block, count in blocks:  # a folded block of several layers: a dashed frame round it, per column
        for column in sorted({nodes[index].column for index in block}):
            inside = [nodes[index] for index in block if nodes[index].column == column]
            frame_left, frame_right = min(n.x for n in inside) - FRAME_X, max(n.x + n.width for n in inside) + FRAME_X
            frame_top, frame_bottom = (
                min(y_top(n) for n in inside) - FRAME_Y,
                max(y_bottom(n) for n in inside) + FRAME_Y,
            )
            frame = (frame_left, frame_top, frame_right - frame_left, frame_bottom - frame_top)
            frames.append(
                '<rect class="repeat" x="{}" y="{}" width="{}" height="{}" rx="8">'.format(*map(_number, frame))
                + f"<title>{len(block)} layers, x {count}</title></rect>"
            )
    width = math.ceil(max(column_right) + MARGIN)
    height = math.ceil(max(bottoms) + MARGIN + (len(crossing) + 1) * TRACK)
    return "".join(frames) + "".join(paths) + "".join(boxes), width, height


def _inside_drawings(
    rows: Sequence[LayerRow], path: str, found: list[tuple[str, LayerRow]], fold_repeats: bool
) -> dict[int, int]:
    """Number each drawn nested model's drawing (in the order found, from 1: the model's own is 0), adding
    (its path of names, its row) to `found`; answers the drawing number of each nested row of `rows`."""
    folded = {
        index
        for run in (repeats(rows) if fold_repeats else [])
        for index in range(run.start + run.length, run.start + run.length * run.count)
    }
    opens = {}
    for index, row in enumerate(rows):
        if row.layers and index not in folded:
            found.append((f"{path}{row.name}", row))
            opens[index] = len(found)
    return opens


def svg(summary: SummaryResponse, fold_repeats: bool = False) -> str:
    """The diagram of a model's top-level layers, as a standalone SVG document; with fold_repeats, each run of
    identical blocks (see `repeats`) drawn once, marked "x N". Each nested model's inside is drawn too, below
    the model, in a group of its own (class "inside"): the page shows one drawing at a time."""
    rows = summary.layers
    insides: list[tuple[str, LayerRow]] = []
    content, width, height = _draw(rows, fold_repeats, _inside_drawings(rows, "", insides, fold_repeats))
    label = f"{len(rows)} layers, {summary.params.total:,} params"
    if insides:
        drawings = [f'<g class="drawing" data-drawing="0" data-view="0 0 {width} {height}">{content}</g>']
        number = 0
        while number < len(insides):  # insides of insides are appended as they are found
            path, row = insides[number]
            number += 1
            layers = row.layers or []
            opens = _inside_drawings(layers, f"{path}/", insides, fold_repeats)
            inner, inner_width, inner_height = _draw(layers, fold_repeats, opens)
            heading = (
                f"{path} ({row.type}): in {shape_text(row.input_shape)}, out {shape_text(row.output_shape)}, "
                f"{row.params:,} params"
            )
            inner_width = max(inner_width, math.ceil(text_width(heading)) + 2 * MARGIN)
            inner_height += HEADING
            drawings.append(
                f'<g class="drawing inside" data-drawing="{number}" data-model={quoteattr(_clean(path))} '
                f'data-view="0 {height} {inner_width} {inner_height}" transform="translate(0,{height + HEADING})">'
                f'<text class="heading" x="{MARGIN}" y="{MARGIN + 12 - HEADING}">{_xml(heading)}</text>{inner}</g>'
            )
            width, height = max(width, inner_width), height + inner_height
        content = "".join(drawings)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(label)}>'
        f'<title>{escape(label)}</title><style>{STYLE}</style><defs><marker id="arrow" viewBox="0 0 10 10" '
        'refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>' + content + "</svg>\n"
    )
