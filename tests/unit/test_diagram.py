"""POST /v1/diagram: the model as SVG drawn from its layer table; well-formed, the same bytes every time, every
layer's name, type, shapes and params in its box, an arrow per feed, user text escaped."""

import xml.etree.ElementTree as ElementTree
from typing import Optional

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
    picture = _diagram(client, {"model": UNET, "fold_repeats": False})
    width, height = _check_layout(picture, boxes=72)
    assert 1 <= height / width <= 2
    # Folded: the first up block's (ReLU, Conv2DTranspose, BatchNormalization) twice at 256 filters, drawn once.
    folded = _diagram(client, {"model": UNET})
    _check_layout(folded, boxes=69)
    assert _boxes(ElementTree.fromstring(folded))["up256_conv1"][1] == "Conv2DTranspose  x 2"
    root = ElementTree.fromstring(picture)
    tops = _box_tops(root)
    assert tops["down64_relu1"] == tops["down64_residual"]  # the branch beside the path, not below it
    assert "in  (None, 40, 40, 64), (None, 40, 40, 64)" in _boxes(root)["down64_add"]
    assert picture == _diagram(client, {"model": UNET, "fold_repeats": False})


def test_resnet50_is_drawn_with_no_edge_over_a_box(make_client):
    client = make_client(max_layers=1_200)
    body = {"model": {"application": "ResNet50"}, "fold_repeats": False}
    picture = _diagram(client, body)
    width, height = _check_layout(picture, boxes=177)
    assert 1 <= height / width <= 2
    assert picture == _diagram(make_client(max_layers=1_200), body)


def test_resnet50s_identity_blocks_are_folded_by_default(make_client):
    """ResNet50's stages hold 3, 4, 6 and 3 bottleneck blocks: the first of each projects its input (a block of
    its own), the others are identical (10 layers each, the same shapes in and out): drawn once, "x 2", "x 3",
    "x 5", "x 2", each framed; 177 - 10 * (1 + 2 + 4 + 1) = 97 boxes, laid out as cleanly."""
    client = make_client(max_layers=1_200)
    picture = _diagram(client, {"model": {"application": "ResNet50"}})
    _check_layout(picture, boxes=97)
    root = ElementTree.fromstring(picture)
    boxes = _boxes(root)
    assert boxes["conv2_block2_1_conv"][1] == "Conv2D  x 2" and "conv2_block3_1_conv" not in boxes
    assert boxes["conv4_block2_add"][1] == "Add  x 5" and boxes["conv4_block1_add"][1] == "Add"
    assert len([rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "repeat"]) >= 4
    # Each run cut where the block's branches part: stage 4's from block 2's first convolution to its output
    # ReLU; the last block's output fed stage 5's two branches: now the first block's does.
    assert "conv4_block2_out" in boxes and "conv4_block3_1_conv" not in boxes and "conv4_block6_out" not in boxes
    edges = {(feeder, fed) for feeder, fed, _ in _edges(root)}
    assert {("conv4_block2_out", "conv5_block1_1_conv"), ("conv4_block2_out", "conv5_block1_0_conv")} <= edges
    assert picture == _diagram(make_client(max_layers=1_200), {"model": {"application": "ResNet50"}})


def _dense_stack(widths: list[int], extra: Optional[list[dict]] = None) -> dict:
    layers = [{"type": "Dense", "units": width, "name": f"d{i}"} for i, width in enumerate(widths)]
    return {"inputs": [{"name": "x", "shape": [8]}], "layers": layers + (extra or [])}


def test_repeated_dense_layers_are_one_box_marked_with_their_count(client):
    """Sixteen Dense(32) after a Dense(32) from 8 features: d0 changes the shape (8 to 32), so the run is d1..d16;
    the Dense(4) after it changes the shape too and stays a box of its own."""
    model = _dense_stack([32] * 17 + [4])
    root = ElementTree.fromstring(_diagram(client, {"model": model}))
    boxes = _boxes(root)
    assert list(boxes) == ["x", "d0", "d1", "d17"]
    assert boxes["d1"] == ["d1", "Dense  x 16", "in  (None, 32)", "out (None, 32)", "1,056 params"]
    assert {(feeder, fed) for feeder, fed, _ in _edges(root)} == {("x", "d0"), ("d0", "d1"), ("d1", "d17")}
    assert "d1 .. d16" in root.find(f"{SVG}g[@data-name='d1']/{SVG}title").text
    unfolded = ElementTree.fromstring(_diagram(client, {"model": model, "fold_repeats": False}))
    assert len(_boxes(unfolded)) == 19


def test_a_fold_never_hides_a_change_of_shape_nor_a_feed_from_inside_the_run(client):
    """Dense(32) x 2, then Dense(16) x 2 (each run keeps its shape: the 32 to 16 is a box of its own); and d2,
    inside the second run of Dense(32)s, feeds the Concatenate at the end: the run ends at d2."""
    model = _dense_stack(
        [32, 32, 32, 32, 32, 16, 16, 16],
        [{"type": "Concatenate", "name": "both", "inbound": ["d7", "d2"]}],
    )
    boxes = _boxes(ElementTree.fromstring(_diagram(client, {"model": model})))
    assert {name: texts[1] for name, texts in boxes.items()} == {
        "x": "InputLayer",
        "d0": "Dense",
        "d1": "Dense  x 2",  # d1, d2: d2 feeds "both", so d3 cannot join them
        "d3": "Dense  x 2",  # d3, d4
        "d5": "Dense",  # 32 to 16
        "d6": "Dense  x 2",  # d6, d7
        "both": "Concatenate",
    }


def _nested_model() -> dict:
    """A Functional model calling two Sequential models: an encoder (two Dense) and a head (Dense, Dropout, Dense)."""
    import json

    import keras

    layers = keras.layers
    encoder = keras.Sequential(
        [keras.Input((8,)), layers.Dense(16, name="enc1"), layers.Dense(8, name="enc2")], name="encoder"
    )
    head = keras.Sequential(
        [
            keras.Input((8,)),
            layers.Dense(4, name="head1"),
            layers.Dropout(0.1, name="drop"),
            layers.Dense(3, name="head2"),
        ],
        name="head",
    )
    features = keras.Input((8,), name="features")
    model = keras.Model(features, head(encoder(features)), name="outer")
    return json.loads(model.to_json())


def test_a_nested_model_is_one_box_and_its_inside_a_drawing_of_its_own(client):
    root = ElementTree.fromstring(_diagram(client, {"model": _nested_model()}))
    drawings = [group for group in root.iter(f"{SVG}g") if "drawing" in (group.get("class") or "").split()]
    assert [d.get("data-model") for d in drawings] == [None, "encoder", "head"]

    def names(drawing):
        return [group.get("data-name") for group in drawing.iter(f"{SVG}g") if group.get("data-name")]

    assert names(drawings[0]) == ["features", "encoder", "head"]
    assert names(drawings[1]) == ["enc1", "enc2"]
    assert names(drawings[2]) == ["head1", "drop", "head2"]
    encoder_box = drawings[0].find(f"{SVG}g[@data-name='encoder']")
    assert encoder_box.get("data-opens") == "1" and "nested" in encoder_box.get("class")
    texts = [text.text for text in encoder_box.iter(f"{SVG}text")]
    assert texts == ["encoder", "Sequential (2 layers inside)", "in  (None, 8)", "out (None, 8)", "280 params"]
    # each drawing's view is its own part of the picture, one below the other
    views = [[float(v) for v in d.get("data-view").split()] for d in drawings]
    assert views[0][1] == 0 and views[1][1] == views[0][3] and views[2][1] == views[1][1] + views[1][3]
    assert views[2][1] + views[2][3] == float(root.get("height"))


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
