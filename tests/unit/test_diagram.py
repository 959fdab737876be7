"""POST /v1/diagram: the model as SVG drawn from its layer table; well-formed, the same bytes every time, every
layer's name, type, shapes and params in its box, an arrow per feed, user text escaped."""

import xml.etree.ElementTree as ElementTree

from keras_shape_service.explain.diagram import svg
from keras_shape_service.schemas import LayerRow, ParamCounts, SummaryResponse
from keras_shape_service.schemas.examples import SEED_CODE, SEED_SUMMARY

SVG = "{http://www.w3.org/2000/svg}"
GRAPH = {
    "inputs": [{"name": "features", "shape": [8]}],
    "layers": [
        {"type": "Dense", "units": 16, "name": "trunk"},
        {"type": "Dense", "units": 4, "name": "left", "inbound": ["trunk"]},
        {"type": "Dense", "units": 3, "name": "right", "inbound": ["trunk"]},
        {"type": "Concatenate", "name": "both", "inbound": ["left", "right"]},
    ],
}


def _diagram(client, body):
    response = client.post("/v1/diagram", json=body)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "image/svg+xml"
    return response.data


def _boxes(root):
    """Each layer group's texts, by layer name."""
    return {group.get("data-name"): [text.text for text in group.iter(f"{SVG}text")] for group in root.iter(f"{SVG}g")}


def _box_tops(root):
    return {group.get("data-name"): int(group.find(f"{SVG}rect").get("y")) for group in root.iter(f"{SVG}g")}


def test_the_seed_is_four_boxes_in_a_column_with_its_shapes_and_params(client):
    root = ElementTree.fromstring(_diagram(client, SEED_SUMMARY))
    assert _boxes(root) == {
        "dense": ["dense", "Dense", "in  (None, 3, 2)", "out (None, 3, 16)", "48 params"],
        "activation": ["activation", "Activation", "in  (None, 3, 16)", "out (None, 3, 16)", "0 params"],
        "flatten": ["flatten", "Flatten", "in  (None, 3, 16)", "out (None, 48)", "0 params"],
        "dense_1": ["dense_1", "Dense", "in  (None, 48)", "out (None, 4)", "196 params"],
    }
    tops = _box_tops(root)
    assert tops["dense"] < tops["activation"] < tops["flatten"] < tops["dense_1"]
    assert len([p for p in root.iter(f"{SVG}path") if p.get("class") == "edge"]) == 3
    assert root.get("aria-label") == "4 layers, 244 params"


def test_code_draws_the_same_picture_as_its_spec(client):
    assert _diagram(client, {"code": SEED_CODE}) == _diagram(client, SEED_SUMMARY)


def test_a_graph_branches_and_joins(client):
    root = ElementTree.fromstring(_diagram(client, {"model": GRAPH}))
    tops = _box_tops(root)
    assert tops["features"] < tops["trunk"] < tops["left"] == tops["right"] < tops["both"]
    assert _boxes(root)["both"][2] == "in  (None, 4), (None, 3)"
    assert len([p for p in root.iter(f"{SVG}path") if p.get("class") == "edge"]) == 5  # 1 + 1 + 1 + 2


def test_the_same_model_gives_the_same_bytes(make_client):
    """Two apps with their own caches draw it alike: nothing in the drawing depends on time or order of work."""
    first, second = make_client(), make_client()
    assert _diagram(first, {"model": GRAPH}) == _diagram(second, {"model": GRAPH})


def test_layer_names_are_escaped():
    """Rows made by hand with the fields the drawing reads (model_construct: no why, macs or cost to make up)."""
    hostile = '</text><script>alert("x")</script>&'
    rows = [
        LayerRow.model_construct(
            name=hostile, type="Dense", input_shape=[None, 2], output_shape=[None, 3], params=9, inbound=[]
        ),
        LayerRow.model_construct(
            name="b", type="Dense", input_shape=[None, 3], output_shape=[None, 1], params=4, inbound=[hostile]
        ),
    ]
    text = svg(
        SummaryResponse.model_construct(
            layers=rows, params=ParamCounts(total=13, trainable=13, non_trainable=0), summary=""
        )
    )
    root = ElementTree.fromstring(text.encode())
    assert not list(root.iter(f"{SVG}script"))
    assert hostile[:30] in _boxes(root)[hostile][0]  # the name, cut to the box's width, as text
    assert len([p for p in root.iter(f"{SVG}path") if p.get("class") == "edge"]) == 1


def test_a_refused_model_is_a_problem_not_a_picture(client):
    response = client.post("/v1/diagram", json={"model": {"layers": [{"type": "Dense", "units": 0}]}})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
