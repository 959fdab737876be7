"""The diagram, for any layer table: well-formed XML whatever the names hold, a box per row and an arrow per
feed of a known row, boxes that never overlap, and the same bytes for the same table. No Keras: the tables are
drawn by hand, feeds to rows listed later (a shared layer's later call) and to no row at all included."""

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


def _boxes(root) -> list[tuple[int, int]]:
    return [(int(rect.get("x")), int(rect.get("y"))) for rect in root.iter(f"{SVG}rect")]


@given(layer_tables())
def test_any_table_draws_a_well_formed_picture_of_it(table):
    text = svg(table)
    root = ElementTree.fromstring(text.encode())
    assert len(list(root.iter(f"{SVG}g"))) == len(table.layers)
    known = {row.name for row in table.layers}
    feeds = sum(1 for row in table.layers for name in row.inbound if name in known)
    assert len([path for path in root.iter(f"{SVG}path") if path.get("class") == "edge"]) == feeds
    boxes = _boxes(root)
    assert len(set(boxes)) == len(boxes)  # boxes share no corner; same size each, on a grid: no overlap
    assert svg(table.model_copy(deep=True)) == text
