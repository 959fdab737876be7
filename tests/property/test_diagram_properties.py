"""The diagram, for any layer table: well-formed XML whatever the names hold, a box per row and an arrow per
feed of a known row, boxes of any width that never overlap, edges that never cross a box they do not join, and
the same bytes for the same table. No Keras: the tables are drawn by hand, feeds to rows listed later (a shared
layer's later call), to the row itself, and to no row at all included."""

import xml.etree.ElementTree as ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keras_shape_service.explain.diagram import svg
from keras_shape_service.schemas import LayerRow, ParamCounts, SummaryResponse

pytestmark = pytest.mark.property

SVG = "{http://www.w3.org/2000/svg}"
names = st.text(min_size=1, max_size=40)  # any text: markup, quotes, control characters, lone surrogates
shapes = st.lists(st.one_of(st.none(), st.integers(1, 10_000)), min_size=1, max_size=5)


@st.composite
def layer_tables(draw) -> SummaryResponse:
    """Rows with distinct names, each fed by any names: earlier rows, later rows, or none of them (made with the
    fields the drawing reads: model_construct leaves the explanations out)."""
    row_names = draw(st.lists(names, min_size=1, max_size=12, unique=True))
    rows = [
        LayerRow.model_construct(
            name=name,
            type=draw(st.sampled_from(["Dense", "Conv2D", "InputLayer", "Add"])),
            input_shape=[None, *draw(shapes)],
            output_shape=[None, *draw(shapes)],
            params=draw(st.integers(0, 10**10)),
            inbound=draw(st.lists(st.one_of(st.sampled_from(row_names), names), max_size=3, unique=True)),
        )
        for name in row_names
    ]
    total = sum(row.params for row in rows)
    return SummaryResponse.model_construct(
        layers=rows, params=ParamCounts(total=total, trainable=total, non_trainable=0), summary=""
    )


def _boxes(root) -> list[tuple[float, float, float, float]]:
    """Each box as (left, top, right, bottom)."""
    found = []
    for rect in root.iter(f"{SVG}rect"):
        x, y, width, height = (float(rect.get(key)) for key in ("x", "y", "width", "height"))
        found.append((x, y, x + width, y + height))
    return found


@given(layer_tables())
def test_any_table_draws_a_well_formed_picture_of_it(table):
    text = svg(table)
    root = ElementTree.fromstring(text.encode())
    assert len(list(root.iter(f"{SVG}g"))) == len(table.layers)
    known = {row.name for row in table.layers}
    feeds = sum(1 for row in table.layers for name in row.inbound if name in known)
    assert len([path for path in root.iter(f"{SVG}path") if path.get("class") == "edge"]) == feeds
    boxes = _boxes(root)
    for i, (left, top, right, bottom) in enumerate(boxes):
        for other_left, other_top, other_right, other_bottom in boxes[i + 1 :]:
            assert right <= other_left or other_right <= left or bottom <= other_top or other_bottom <= top
    names = [group.get("data-name") for group in root.iter(f"{SVG}g")]
    for path in root.iter(f"{SVG}path"):
        if path.get("class") != "edge":
            continue
        points = [tuple(float(v) for v in pair.split(",")) for pair in path.get("d").lstrip("M").split(" L")]
        ends = {path.get("data-from"), path.get("data-to")}
        for (x1, y1), (x2, y2) in zip(points, points[1:]):
            assert x1 == x2 or y1 == y2
            for name, (left, top, right, bottom) in zip(names, boxes):
                inside = min(x1, x2) < right and max(x1, x2) > left and min(y1, y2) < bottom and max(y1, y2) > top
                assert name in ends or not inside, f"an edge crosses {name!r}"
    assert svg(table.model_copy(deep=True)) == text


@st.composite
def repeating_tables(draw) -> SummaryResponse:
    """A chain whose rows repeat a few kinds of layer (so that runs of identical blocks are common), some rows also
    fed from further back: the tables folding works on."""
    count = draw(st.integers(2, 24))
    kinds = draw(st.lists(st.sampled_from(["Dense", "Add", "ReLU"]), min_size=count, max_size=count))
    rows = []
    for index, kind in enumerate(kinds):
        back = draw(st.sets(st.integers(1, 4), max_size=2)) if index else set()
        inbound = [f"row{index - step}" for step in sorted(back | ({1} if index else set())) if index - step >= 0]
        rows.append(
            LayerRow.model_construct(
                name=f"row{index}", type=kind, input_shape=[None, 4], output_shape=[None, 4], params=0, inbound=inbound
            )
        )
    return SummaryResponse.model_construct(
        layers=rows, params=ParamCounts(total=0, trainable=0, non_trainable=0), summary=""
    )


@given(repeating_tables())
def test_a_folded_picture_keeps_boxes_apart_and_edges_off_them(table):
    """Folded: every box drawn is a row of the table, and a row's feeds are drawn or folded with it (each box
    drawn has an edge per feed, from a drawn row); boxes never overlap and no edge crosses a box it does not
    join; the same bytes every time."""
    text = svg(table, fold_repeats=True)
    root = ElementTree.fromstring(text.encode())
    groups = list(root.iter(f"{SVG}g"))
    names = [group.get("data-name") for group in groups]
    rows = {row.name: row for row in table.layers}
    assert set(names) <= set(rows)
    edges = [path for path in root.iter(f"{SVG}path") if path.get("class") == "edge"]
    assert len(edges) == sum(len(rows[name].inbound) for name in names)
    assert {path.get("data-from") for path in edges} <= set(names)
    boxes = [box for box, rect in zip(_boxes(root), root.iter(f"{SVG}rect")) if rect.get("class") == "box"]
    assert len(boxes) == len(names)
    for i, (left, top, right, bottom) in enumerate(boxes):
        for other_left, other_top, other_right, other_bottom in boxes[i + 1 :]:
            assert right <= other_left or other_right <= left or bottom <= other_top or other_bottom <= top
    for path in edges:
        points = [tuple(float(v) for v in pair.split(",")) for pair in path.get("d").lstrip("M").split(" L")]
        ends = {path.get("data-from"), path.get("data-to")}
        for (x1, y1), (x2, y2) in zip(points, points[1:]):
            for name, (left, top, right, bottom) in zip(names, boxes):
                inside = min(x1, x2) < right and max(x1, x2) > left and min(y1, y2) < bottom and max(y1, y2) > top
                assert name in ends or not inside, f"an edge crosses {name!r}"
    assert svg(table.model_copy(deep=True), fold_repeats=True) == text
