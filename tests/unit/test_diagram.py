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


def _unet() -> dict:
    """Keras's U-Net example for segmentation (keras.io, oxford_pets_image_segmentation) at a small size:
    each block's residual branch (a 1x1 convolution) runs beside the main path to an Add."""
    layers: list[dict] = [
        {"type": "Conv2D", "filters": 32, "kernel_size": 3, "strides": 2, "padding": "same", "name": "stem"},
        {"type": "BatchNormalization", "name": "stem_bn"},
        {"type": "Activation", "activation": "relu", "name": "stem_relu"},
    ]
    previous = "stem_relu"
    for filters in (64, 128, 256):
        names = [f"down{filters}_{part}" for part in ("relu1", "sep1", "bn1", "relu2", "sep2", "bn2", "pool")]
        layers += [
            {"type": "Activation", "activation": "relu", "name": names[0], "inbound": [previous]},
            {"type": "SeparableConv2D", "filters": filters, "kernel_size": 3, "padding": "same", "name": names[1]},
            {"type": "BatchNormalization", "name": names[2]},
            {"type": "Activation", "activation": "relu", "name": names[3]},
            {"type": "SeparableConv2D", "filters": filters, "kernel_size": 3, "padding": "same", "name": names[4]},
            {"type": "BatchNormalization", "name": names[5]},
            {"type": "MaxPooling2D", "pool_size": 3, "strides": 2, "padding": "same", "name": names[6]},
            {
                "type": "Conv2D",
                "filters": filters,
                "kernel_size": 1,
                "strides": 2,
                "padding": "same",
                "name": f"down{filters}_residual",
                "inbound": [previous],
            },
            {"type": "Add", "name": f"down{filters}_add", "inbound": [names[6], f"down{filters}_residual"]},
        ]
        previous = f"down{filters}_add"
    for filters in (256, 128, 64, 32):
        names = [f"up{filters}_{part}" for part in ("relu1", "conv1", "bn1", "relu2", "conv2", "bn2", "upsample")]
        layers += [
            {"type": "Activation", "activation": "relu", "name": names[0], "inbound": [previous]},
            {"type": "Conv2DTranspose", "filters": filters, "kernel_size": 3, "padding": "same", "name": names[1]},
            {"type": "BatchNormalization", "name": names[2]},
            {"type": "Activation", "activation": "relu", "name": names[3]},
            {"type": "Conv2DTranspose", "filters": filters, "kernel_size": 3, "padding": "same", "name": names[4]},
            {"type": "BatchNormalization", "name": names[5]},
            {"type": "UpSampling2D", "size": 2, "name": names[6]},
            {"type": "UpSampling2D", "size": 2, "name": f"up{filters}_residual_up", "inbound": [previous]},
            {
                "type": "Conv2D",
                "filters": filters,
                "kernel_size": 1,
                "padding": "same",
                "name": f"up{filters}_residual",
            },
            {"type": "Add", "name": f"up{filters}_add", "inbound": [names[6], f"up{filters}_residual"]},
        ]
        previous = f"up{filters}_add"
    layers.append(
        {
            "type": "Conv2D",
            "filters": 3,
            "kernel_size": 3,
            "activation": "softmax",
            "padding": "same",
            "name": "classes",
            "inbound": [previous],
        }
    )
    return {"inputs": [{"name": "image", "shape": [160, 160, 3]}], "layers": layers}


UNET = _unet()


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


def _rects(root):
    """Each box as (name, left, top, right, bottom)."""
    found = []
    for group in root.iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        x, y, width, height = (float(rect.get(key)) for key in ("x", "y", "width", "height"))
        found.append((group.get("data-name"), x, y, x + width, y + height))
    return found


def _edges(root):
    """Each edge as (feeder, fed, its points)."""
    found = []
    for path in root.iter(f"{SVG}path"):
        if path.get("class") != "edge":
            continue
        points = [tuple(float(v) for v in pair.split(",")) for pair in path.get("d").lstrip("M").split(" L")]
        found.append((path.get("data-from"), path.get("data-to"), points))
    return found


def _crosses(segment, box) -> bool:
    """Whether an axis-parallel segment passes through a box's inside (touching its border is not crossing)."""
    (x1, y1), (x2, y2) = segment
    assert x1 == x2 or y1 == y2, f"a segment that is not orthogonal: {segment}"
    _, left, top, right, bottom = box
    low_x, high_x, low_y, high_y = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
    return low_x < right and high_x > left and low_y < bottom and high_y > top


def _check_layout(svg_bytes: bytes, boxes: int) -> tuple[float, float]:
    """What a reader needs of the picture: every edge routed around the boxes it does not join, every text
    inside its box. Answers the picture's width and height."""
    root = ElementTree.fromstring(svg_bytes)
    rects = _rects(root)
    assert len(rects) == boxes
    for feeder, fed, points in _edges(root):
        for segment in zip(points, points[1:]):
            crossed = [box[0] for box in rects if box[0] not in (feeder, fed) and _crosses(segment, box)]
            assert not crossed, f"the edge {feeder} -> {fed} crosses {crossed} at {segment}"
    for group in root.iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        right = float(rect.get("x")) + float(rect.get("width"))
        for text in group.iter(f"{SVG}text"):
            # 12 px monospace: about 7.2 px a character
            assert float(text.get("x")) + len(text.text) * 7.2 <= right, f"{text.text!r} is wider than its box"
    width, height = float(root.get("width")), float(root.get("height"))
    for name, left, top, right, bottom in rects:
        assert 0 <= left and right <= width and 0 <= top and bottom <= height, f"{name} is outside the picture"
    return width, height


def test_a_unet_is_drawn_with_its_branches_beside_the_path_and_no_edge_over_a_box(client):
    """Keras's U-Net example (72 layers): residual branches side by side with the main path, edges routed
    between boxes, merge boxes wide enough for all their input shapes, in columns rather than a strip: the
    picture no more than twice as high as wide, nor wider than high (a page in portrait, about)."""
    picture = _diagram(client, {"model": UNET})
    width, height = _check_layout(picture, boxes=72)
    assert 1 <= height / width <= 2
    root = ElementTree.fromstring(picture)
    tops = _box_tops(root)
    assert tops["down64_relu1"] == tops["down64_residual"]  # the branch beside the path, not below it
    assert "in  (None, 40, 40, 64), (None, 40, 40, 64)" in _boxes(root)["down64_add"]
    assert picture == _diagram(client, {"model": UNET})


def test_resnet50_is_drawn_with_no_edge_over_a_box(make_client):
    client = make_client(max_layers=1_200)
    picture = _diagram(client, {"model": {"application": "ResNet50"}})
    width, height = _check_layout(picture, boxes=177)
    assert 1 <= height / width <= 2
    assert picture == _diagram(make_client(max_layers=1_200), {"model": {"application": "ResNet50"}})


def test_edges_to_the_next_column_each_keep_a_lane_of_their_own():
    """A deep table where every cut between columns is crossed by several edges (each layer fed by the one before
    and the one three before, as DenseNet's concatenations are): the lanes up the gap between two columns must
    stay in that gap, whatever the lanes of the columns before."""
    rows = [
        LayerRow.model_construct(
            name=f"layer{i}",
            type="Concatenate",
            input_shape=[None, 4],
            output_shape=[None, 4],
            params=0,
            inbound=[f"layer{j}" for j in (i - 1, i - 3) if j >= 0],
        )
        for i in range(90)
    ]
    picture = svg(
        SummaryResponse.model_construct(layers=rows, params=ParamCounts(total=0, trainable=0, non_trainable=0))
    ).encode()
    width, height = _check_layout(picture, boxes=90)
    assert width > 3 * 200  # in columns
