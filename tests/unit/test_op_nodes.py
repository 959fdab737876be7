"""to_json documents Keras writes for its built-in layers, sent as they are (issue 22, item 2): keras.ops operation
nodes (a mask, Python operators on tensors, hard-swish), dict inputs and outputs, augmentation layers that do
nothing at inference, and keras.applications' own layers. Each model is built with real Keras here; the
service's answer must be Keras's: every row's shapes and params, the summary text byte for byte, and the
predictions with the model's own weights."""

import json

import keras
import numpy as np
import pytest
from keras import layers, ops

from keras_shape_service.adapter import private, summary
from keras_shape_service.schemas.keras_names import INFERENCE_IDENTITY_LAYER_TYPES, OPERATIONS


def _weights(model) -> dict:
    """Every layer's weights by name, as the API takes them (nested layers of a nested model by their own)."""
    found = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found |= _weights(layer)
        elif layer.weights:
            found[layer.name] = [w.tolist() for w in layer.get_weights()]
    return found


def _rows_of(model) -> list[tuple]:
    """Keras's own rows: each operation of the graph (layers and op nodes, in summary order), its class, its
    output shape and its parameters."""
    rows = []
    for op in private.model_operations(model):
        output = private.layer_nodes(op)[0].output_tensors
        shape = list(output[0].shape)
        rows.append((op.name, type(op).__name__, shape, op.count_params() if hasattr(op, "count_params") else 0))
    return rows


def _post(client, path: str, body: dict):
    response = client.post(path, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _same_as_keras(client, model, inputs=None) -> dict:
    """The answer to the model's to_json document (predicting on `inputs` with its weights, if given), checked
    row by row, summary and predictions against Keras's."""
    body = {"model": json.loads(model.to_json())}
    if inputs is None:
        answer = _post(client, "/v1/summary", body)
    else:
        given = {k: v.tolist() for k, v in inputs.items()} if isinstance(inputs, dict) else inputs.tolist()
        answer = _post(client, "/v1/predict", body | {"inputs": given, "weights": _weights(model)})
        expected = model.predict(inputs, verbose=0)
        if isinstance(expected, dict):
            assert set(answer["predictions"]) == set(expected)
            for key, value in expected.items():
                np.testing.assert_allclose(np.array(answer["predictions"][key]), value, atol=1e-6, rtol=0)
                assert answer["output_shape"][key] == list(value.shape)
        else:
            np.testing.assert_allclose(np.array(answer["predictions"]), expected, atol=1e-6, rtol=0)
    got = [(row["name"], row["type"], row["output_shape"], row["params"]) for row in answer["layers"]]
    assert got == _rows_of(model)
    assert answer["summary"] == summary.keras_summary_text(model)  # Keras's own printing, through rich
    assert summary._draw(model) == answer["summary"]  # drawn by the service, not handed back to Keras
    assert answer["params"]["total"] == model.count_params()
    return answer


def _rows(answer: dict) -> dict:
    return {row["name"]: row for row in answer["layers"]}


def test_a_masked_functional_gru_writes_a_not_equal_node_and_predicts_as_keras(client):
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    embedded = layers.Embedding(50, 8, mask_zero=True, name="embedded")(tokens)
    model = keras.Model(tokens, layers.Dense(2, name="score")(layers.GRU(4, name="gru")(embedded)))
    assert "NotEqual" in model.to_json()
    padded = np.array([[3, 9, 4, 0, 0], [7, 0, 0, 0, 0]], dtype=np.int32)
    answer = _same_as_keras(client, model, padded)
    rows = _rows(answer)
    mask = rows[next(name for name in rows if rows[name]["type"] == "NotEqual")]
    assert mask["input_shape"] == [None, None] and mask["inbound"] == ["tokens"]
    assert "compares (!=) (None, None) and 0" in mask["why"]["shape"] and "a mask" in mask["why"]["shape"]
    assert rows["gru"]["inbound"] == ["embedded"] and rows["gru"]["input_shape"] == [None, None, 8]  # no mask
    assert f"masked: gru (from {mask['name']}) take a mask" in " ".join(answer["notes"])


def test_python_operators_and_keras_ops_on_tensors_are_keras_own_nodes(client):
    inputs = keras.Input((8,), name="features")
    x = layers.Dense(8, name="dense")(inputs)
    x = x + inputs  # residual
    x = -(x * 0.5) - 1.0
    x = 2.0 / (abs(x) + 3)
    x = ops.relu(x) ** 2
    left, right = layers.Reshape((4, 2))(x), layers.Reshape((2, 4))(x)
    product = left @ right
    model = keras.Model(inputs, ops.mean(product, axis=-1, keepdims=True), name="operators")
    written = {layer["class_name"] for layer in json.loads(model.to_json())["config"]["layers"]}
    assert {"Add", "Multiply", "Negative", "Subtract", "TrueDivide", "Absolute", "Relu", "Power", "Matmul"} <= written
    features = np.random.default_rng(3).normal(size=(3, 8)).astype(np.float32)
    answer = _same_as_keras(client, model, features)
    rows = _rows(answer)
    assert "adds (None, 8) and (None, 8)" in rows["add"]["why"]["shape"]
    assert "multiplies (None, 8) and 0.5" in rows["multiply"]["why"]["shape"]
    assert "divides the first by the second of 2.0 and (None, 8)" in rows["true_divide"]["why"]["shape"]
    assert "the last axis of the first (2) meets the second-to-last of the second (2)" in rows["matmul"]["why"]["shape"]
    assert "takes the mean over axis -1, kept as size 1" in rows["mean"]["why"]["shape"]
    assert rows["matmul"]["params"] == 0 and answer["cost"]["macs"] > 0


def test_every_allowed_operation_has_its_shape_rule_and_why_sentence(client):
    """Each operation of the allow-list, called as Keras records it (one model holds them all, one request),
    answers Keras's shapes with a sentence of its own family, never the generic one: its shape rule
    (explain/why.py operation_shape) fits Keras's shape."""
    wide, narrow = keras.Input((3, 4), name="wide"), keras.Input((1, 4), name="narrow")
    outputs = []
    for name, (module, family) in OPERATIONS.items():
        operation = private.operation_class(module, name)
        if family == "broadcast":
            made = operation(name=f"op_{name.lower()}")
            outputs.append(made(wide > 0, narrow > 0) if name.startswith("Logical") else made(wide, narrow))
        elif family == "reduce":
            outputs.append(operation(axis=1, name=f"op_{name.lower()}")(wide))
        elif family == "matmul":
            outputs.append(operation(name=f"op_{name.lower()}")(wide, layers.Reshape((4, 1))(narrow)))
        elif name == "Cast":
            outputs.append(operation("float16", name=f"op_{name.lower()}")(wide > 0))
        else:
            outputs.append(operation(name=f"op_{name.lower()}")(wide > 0 if name == "LogicalNot" else wide))
    answer = _same_as_keras(client, keras.Model([wide, narrow], outputs))
    rows = _rows(answer)
    for name in OPERATIONS:
        assert rows[f"op_{name.lower()}"]["type"] == name
        assert "keras.ops operation" in rows[f"op_{name.lower()}"]["why"]["shape"], rows[f"op_{name.lower()}"]["why"][
            "shape"
        ]


def _priorities_model(dict_inputs: bool):
    """The Functional API guide's multi-input, multi-output model (ticket priority and department)."""
    title = keras.Input(shape=(None,), name="title")
    body = keras.Input(shape=(None,), name="body")
    tags = keras.Input(shape=(12,), name="tags")
    title_features = layers.LSTM(16)(layers.Embedding(100, 8)(title))
    body_features = layers.LSTM(4)(layers.Embedding(100, 8)(body))
    x = layers.concatenate([title_features, body_features, tags])
    outputs = {"priority": layers.Dense(1, name="priority")(x), "department": layers.Dense(4, name="department")(x)}
    inputs = {"title": title, "body": body, "tags": tags} if dict_inputs else [title, body, tags]
    return keras.Model(inputs=inputs, outputs=outputs)


@pytest.mark.parametrize("dict_inputs", [False, True], ids=["list_inputs", "dict_inputs"])
def test_dict_outputs_are_answered_keyed_as_kerass_predict(client, dict_inputs):
    model = _priorities_model(dict_inputs)
    rng = np.random.default_rng(5)
    inputs = {
        "title": rng.integers(1, 100, size=(2, 6)).astype(np.int32),
        "body": rng.integers(1, 100, size=(2, 9)).astype(np.int32),
        "tags": rng.uniform(size=(2, 12)).astype(np.float32),
    }
    answer = _same_as_keras(client, model, inputs)
    assert answer["output_shape"] == {"priority": [2, 1], "department": [2, 4]}


def test_a_nested_structure_of_outputs_is_refused_saying_what_to_send(client):
    features = keras.Input((4,), name="features")
    model = keras.Model(features, [layers.Dense(1)(features), {"d": layers.Dense(2)(features)}])
    response = client.post("/v1/summary", json={"model": json.loads(model.to_json())})
    assert response.status_code == 422, response.get_json()
    detail = response.get_json()["detail"]
    assert "nested" in detail and "flat list or a flat dict" in detail


def _augmented_classifier():
    """Image classification from scratch (keras.io): augmentation as a Sequential, then a small network."""
    augmentation = keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.1)], name="augment"
    )
    images = keras.Input((16, 16, 3), name="images")
    x = layers.Rescaling(1.0 / 255)(augmentation(images))
    x = layers.Conv2D(4, 3, activation="relu")(x)
    x = layers.RandomContrast(0.2)(x)
    x = layers.RandomTranslation(0.1, 0.1)(x)
    return keras.Model(images, layers.Dense(2)(layers.GlobalAveragePooling2D()(x)))


def test_augmentation_layers_do_nothing_at_inference_and_the_answer_says_so(client):
    model = _augmented_classifier()
    images = np.random.default_rng(1).uniform(0, 255, size=(2, 16, 16, 3)).astype(np.float32)
    answer = _same_as_keras(client, model, images)
    note = next(note for note in answer["notes"] if "augmentation" in note)
    assert "random_flip (RandomFlip)" in note and "random_contrast (RandomContrast)" in note
    assert "does nothing" in note
    assert "passes its input through unchanged" in _rows(answer)["random_contrast"]["why"]["shape"]


@pytest.mark.parametrize("name", INFERENCE_IDENTITY_LAYER_TYPES)
def test_each_layer_listed_as_an_identity_at_inference_is_one(name):
    """The list in keras_names is Keras's behaviour: each layer leaves an image as it is when not training."""
    layer_class = getattr(keras.layers, name)
    required = {"factor": 0.3, "height_factor": 0.2, "width_factor": 0.2}
    if name == "RandomPosterization":
        required["factor"] = 4
    arguments = {
        key: value
        for key, value in required.items()
        if key in layer_class.__init__.__code__.co_varnames[: layer_class.__init__.__code__.co_argcount]
    }
    images = np.random.default_rng(2).uniform(0, 255, size=(2, 8, 8, 3)).astype(np.float32)
    layer = layer_class(**arguments)
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)
    assert tuple(layer.compute_output_shape((None, 8, 8, 3))) == (None, 8, 8, 3)


def _layer_scale_model():
    from keras.src.applications.convnext import LayerScale

    features = keras.Input((5, 4), name="features")
    scaled = LayerScale(1e-6, 4, name="layer_scale")(layers.Dense(4, name="dense")(features))
    return keras.Model(features, scaled + features, name="scaled")


def test_convnext_layer_scale_from_a_document_predicts_as_keras(client):
    model = _layer_scale_model()
    model.get_layer("layer_scale").set_weights([np.linspace(0.5, 2.0, 4).astype(np.float32)])
    features = np.random.default_rng(4).normal(size=(2, 5, 4)).astype(np.float32)
    answer = _same_as_keras(client, model, features)
    assert "multiplies each of the 4 channels" in _rows(answer)["layer_scale"]["why"]["shape"]


def test_an_applications_layer_the_service_does_not_build_is_refused_with_the_network_to_ask_for(client):
    document = json.loads(_layer_scale_model().to_json())
    scale = next(layer for layer in document["config"]["layers"] if layer["class_name"] == "LayerScale")
    scale["class_name"] = scale["registered_name"] = "StochasticDepth"
    response = client.post("/v1/summary", json={"model": document})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert "StochasticDepth" in problem["detail"]
    assert 'send {"model": {"application": "ConvNeXtTiny"}} instead' in problem["detail"]


def test_an_operation_outside_the_allow_list_is_refused_naming_it(client):
    features = keras.Input((4,), name="features")
    model = keras.Model(features, layers.Dense(2)(features)[:, 0])  # indexing writes a GetItem node
    response = client.post("/v1/summary", json={"model": json.loads(model.to_json())})
    assert response.status_code == 422
    detail = response.get_json()["detail"]
    assert "the operation 'GetItem'" in detail and "use a built-in layer instead" in detail


def test_a_true_false_output_is_refused_in_a_prediction_and_answered_once_cast(client):
    features = keras.Input((3,), name="features")
    positive = layers.Dense(3, name="dense")(features) > 0
    refused = client.post(
        "/v1/predict", json={"model": json.loads(keras.Model(features, positive).to_json()), "inputs": [[1, 2, 3]]}
    )
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert 'keras.ops.cast(x > 0, "float32")' in refused.get_json()["detail"]
    cast = keras.Model(features, ops.cast(positive, "float32"))
    _same_as_keras(client, cast, np.array([[1.0, -2.0, 3.0], [0.5, 0.5, -0.5]], dtype=np.float32))


def test_a_cast_to_no_real_dtype_is_refused(client):
    features = keras.Input((3,), name="features")
    document = json.loads(keras.Model(features, ops.cast(features, "int32")).to_json())
    cast = next(layer for layer in document["config"]["layers"] if layer["class_name"] == "Cast")
    cast["config"]["dtype"] = "string"
    response = client.post("/v1/summary", json={"model": document})
    assert response.status_code == 422 and "takes a string 'dtype' (one of float16" in response.get_json()["detail"]


def test_an_operation_node_cannot_name_another_module(client):
    """The module a node names is checked against the table, never imported: os.system is no operation."""
    document = json.loads(keras.Model(*_residual()).to_json())
    add = next(layer for layer in document["config"]["layers"] if layer["class_name"] == "Add")
    add["module"] = "keras.src.ops.core"
    response = client.post("/v1/summary", json={"model": document})
    assert (
        response.status_code == 422
        and "the operation 'Add' of module 'keras.src.ops.core'" in (response.get_json()["detail"])
    )
    add["module"], add["class_name"], add["registered_name"] = "keras.src.ops.numpy", "system", "system"
    assert client.post("/v1/summary", json={"model": document}).status_code == 422


def _residual():
    features = keras.Input((4,), name="features")
    return features, layers.Dense(4)(features) + features


@pytest.mark.slow
@pytest.mark.parametrize("name", ["MobileNetV3Small", "ConvNeXtTiny"])
def test_applications_to_json_documents_answer_as_keras(client, name):
    """MobileNetV3Small's hard-swish writes Add and Multiply nodes, ConvNeXtTiny its LayerScale layers and
    residual Adds; built with weights=None, never downloaded."""
    model = getattr(keras.applications, name)(weights=None, input_shape=(64, 64, 3))
    _same_as_keras(client, model)


def test_the_inference_protocol_names_each_output_of_a_dict_model_by_its_key():
    """A served model made with outputs={...}: its metadata names outputs by key (Keras's output_names, in
    its sorted order), and each protocol output carries that key's predictions, whatever the dict's order."""
    from keras_shape_service.engine import protocol_v2
    from keras_shape_service.schemas import PredictResponse
    from keras_shape_service.schemas.inference import InferenceRequest, ModelMetadata, TensorMetadata

    metadata = ModelMetadata(
        name="tickets",
        inputs=[TensorMetadata(name="tags", datatype="FP32", shape=[-1, 2])],
        outputs=[
            TensorMetadata(name="department", datatype="FP32", shape=[-1, 2]),
            TensorMetadata(name="priority", datatype="FP32", shape=[-1, 1]),
        ],
    )
    request = InferenceRequest.model_validate(
        {"inputs": [{"name": "tags", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}
    )
    answer = PredictResponse.model_construct(
        output_shape={"priority": [1, 1], "department": [1, 2]},
        predictions={"priority": [[0.5]], "department": [[0.25, 0.75]]},
    )
    outputs = protocol_v2.response(metadata, request, answer).outputs
    assert [(o.name, o.shape, o.data) for o in outputs] == [
        ("department", [1, 2], [0.25, 0.75]),
        ("priority", [1, 1], [0.5]),
    ]


@pytest.mark.parametrize(
    "wrapped",
    [
        {"class_name": "LayerScale", "module": "keras.src.applications.convnext", "config": {}},
        {"class_name": "Abs", "module": "keras.src.ops.numpy", "config": {}},
    ],
)
def test_a_graph_node_given_to_a_wrapper_is_refused_saying_why(client, wrapped):
    """A wrapper's layer is a keras.layers layer: an operation or an application's own layer there was a 500."""
    body = {
        "model": {
            "layers": [
                {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 2}, "backward_layer": wrapped},
            ]
        }
    }
    body["model"]["layers"][0]["input_shape"] = [3, 2]
    response = client.post("/v1/summary", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "cannot be wrapped" in response.get_json()["detail"]
    assert response.get_json()["errors"][0]["loc"] == ["model", "layers", 0, "backward_layer"]


# ---- Constant tensors: what Keras computed outside the graph, written as a __tensor__ argument -----------------


def _with_constant():
    """`x + ops.ones((3,)) * 2`: Keras computes the ones times 2 eagerly and writes the sum's node with it."""
    features = keras.Input((4, 3), name="features")
    return keras.Model(features, layers.Dense(3, name="dense")(features) + ops.ones((3,)) * 2)


def _constant_of(document: dict) -> dict:
    add = next(layer for layer in document["config"]["layers"] if layer["class_name"] == "Add")
    return add["inbound_nodes"][0]["args"][1]


def test_a_constant_keras_writes_in_an_operation_answers_as_keras_and_is_named_in_the_why(client):
    model = _with_constant()
    document = json.loads(model.to_json())
    assert _constant_of(document) == {"class_name": "__tensor__", "config": {"value": [2.0] * 3, "dtype": "float32"}}
    inputs = np.random.default_rng(3).uniform(-1, 1, (2, 4, 3)).astype(np.float32)
    answer = _same_as_keras(client, model, inputs)
    why = _rows(answer)["add"]["why"]["shape"]
    assert "adds (None, 4, 3) and a constant of shape (3,)" in why and why.endswith("-> (None, 4, 3)")


def test_a_position_embedding_keras_computed_once_is_a_constant_and_predicts_as_keras(client):
    """The page's TokenAndPositionEmbedding: pos_emb(ops.arange(maxlen)) is computed once, outside the graph;
    its table is the constant of the Add node, and pos_emb is no layer of the model."""
    keras.backend.clear_session()
    tokens = keras.Input((5,), name="tokens")
    positions = layers.Embedding(5, 4)(ops.arange(start=0, stop=5, step=1))
    model = keras.Model(tokens, layers.Embedding(20, 4)(tokens) + positions)
    assert [layer.name for layer in model.layers] == ["tokens", "embedding_1"]
    answer = _same_as_keras(client, model, np.array([[1, 2, 3, 4, 0], [19, 0, 0, 7, 1]], dtype=np.int32))
    assert "a constant of shape (5, 4)" in _rows(answer)["add"]["why"]["shape"]
    assert [row["name"] for row in answer["layers"]] == ["tokens", "embedding_1", "add"]


@pytest.mark.parametrize(
    "value, dtype, where, said",
    [
        ([[1.0, 2.0], [3.0]], "float32", ["value", 1], "ragged"),
        ([1.0, 3.5e38], "float32", ["value", 1], "numbers must fit a float32"),
        ([1.0, 2.0, 3.0], "complex64", ["dtype"], "'float16'"),
        ([1.5, 2.0, 3.0], "int32", [], "whole numbers from -2147483648 to 2147483647; got 1.5"),
        ([1, 2, 300], "uint8", [], "whole numbers from 0 to 255; got 300"),
        ([[-128, 5], [-129, 0]], "int8", [], "whole numbers from -128 to 127; got -129"),
        ([[1.0], [65505.0]], "float16", [], "within ±65504"),
        ([-3.4e38, 1.0], "bfloat16", [], "within ±3.38953e+38"),
    ],
    ids=[
        "ragged",
        "past_float32",
        "unknown_dtype",
        "fraction_as_int",
        "past_uint8",
        "below_int8",
        "past_float16",
        "past_bfloat16",
    ],
)
def test_a_constant_that_is_no_tensor_of_its_dtype_is_refused_saying_where(client, value, dtype, where, said):
    document = json.loads(_with_constant().to_json())
    _constant_of(document)["config"] = {"value": value, "dtype": dtype}
    response = client.post("/v1/summary", json={"model": document})
    problem = response.get_json()
    assert response.status_code == 422 and response.mimetype == "application/problem+json", problem
    error = problem["errors"][0]
    add = next(i for i, layer in enumerate(document["config"]["layers"]) if layer["class_name"] == "Add")
    place = ["model", "config", "layers", add, "inbound_nodes", 0, "args", 1, "config"]
    assert error["loc"][: len(place) + len(where)] == place + where, error
    assert said in error["msg"] and "__tensor__" in error["msg"], error


def test_a_constants_numbers_are_checked_against_its_dtype_with_no_python_step_per_number():
    """3.9 million numbers fit a body: checked a Python step each, they held the HTTP worker 1.7 s before
    max_constant_elements refused them. Counted here as the lines of schemas/constants.py run, not as time."""
    import sys

    from keras_shape_service.schemas import constants

    lines = []

    def trace(frame, event, arg):
        if frame.f_code.co_filename != constants.__file__:
            return None
        if event == "line":
            lines.append(frame.f_lineno)
        return trace

    for dtype in ("int8", "uint64", "float16", "bfloat16"):
        value = [[[1, 0]] * 50] * 1000
        sys.settrace(trace)
        try:
            constants.ConstantTensorConfig.model_validate({"value": value, "dtype": dtype})
        finally:
            sys.settrace(None)
        assert len(lines) < 200, (dtype, len(lines))
        lines.clear()


def test_a_constant_holding_nan_is_refused_where_it_is():
    """NaN is no JSON number: a body holding one is refused whole (400, tests/unit/test_body_limits); a NaN that
    reaches the schema (a client of the Python API) is refused at its place."""
    from pydantic import ValidationError

    from keras_shape_service.schemas.spec import OperationNode

    node = {"class_name": "Add", "module": "keras.src.ops.numpy", "config": {"name": "add"}}
    constant = {"class_name": "__tensor__", "config": {"value": [[1.0], [float("nan")]], "dtype": "float32"}}
    with pytest.raises(ValidationError) as raised:
        OperationNode.model_validate(node | {"inbound_nodes": [{"args": [1.0, constant], "kwargs": {}}]})
    error = raised.value.errors()[0]
    assert error["ctx"]["path"] == ["inbound_nodes", 0, "args", 1, "config", "value", 1, 0]
    assert "numbers must be finite" in error["msg"]


def test_a_constant_past_max_constant_elements_is_refused_naming_the_limit(make_client):
    model = _with_constant()
    document = json.loads(model.to_json())
    response = make_client(max_constant_elements=2).post("/v1/summary", json={"model": document})
    problem = response.get_json()
    assert response.status_code in (413, 422) and problem["limit"] == "max_constant_elements", problem
    assert "over the limit max_constant_elements=2" in problem["detail"] and "of shape [3]" in problem["detail"]
    assert make_client(max_constant_elements=3).post("/v1/summary", json={"model": document}).status_code == 200


def test_an_argument_whose_class_name_is_no_string_is_refused_not_a_server_error(client):
    """schemathesis sent {"class_name": []} among an operation's arguments: a 500 (unhashable list)."""
    document = json.loads(_with_constant().to_json())
    add = next(layer for layer in document["config"]["layers"] if layer["class_name"] == "Add")
    add["inbound_nodes"][0]["args"][1] = {"class_name": []}
    response = client.post("/v1/summary", json={"model": document})
    assert response.status_code == 422 and "not objects" in response.get_json()["detail"]


def test_a_constant_is_read_only_in_an_operations_arguments_never_a_layers(client):
    features = keras.Input((3,), name="features")
    document = json.loads(keras.Model(features, layers.Dense(2, name="dense")(features)).to_json())
    dense = document["config"]["layers"][1]
    dense["inbound_nodes"][0]["kwargs"]["extra"] = {"class_name": "__tensor__", "config": {"value": [1.0]}}
    response = client.post("/v1/summary", json={"model": document})
    assert response.status_code == 422
    assert "read only as an operand of a keras.ops operation node" in response.get_json()["detail"]


def test_the_work_estimate_counts_a_constants_numbers():
    from keras_shape_service.facts import LayerFacts
    from keras_shape_service.guards import cost

    def add(operands: list) -> LayerFacts:
        config = {"name": "add", "operands": operands}
        return LayerFacts("add", "Add", config, ((None, 10, 8),), ((None, 10, 8),), operation="broadcast")

    assert cost.work(add([None, {"constant": [10, 8]}])) == cost.work(add([None, 2.0])) + 80


@pytest.mark.parametrize(
    "layer, where, said",
    [
        ({"class_name": "Os", "config": {"name": "os"}}, ["layer"], "'Os' is no built-in Keras layer"),
        ({"class_name": "Embedding", "config": {"input_dim": 3}}, ["layer", "config", "name"], "is named"),
    ],
    ids=["unknown_layer", "unnamed"],
)
def test_a_layer_output_constant_names_a_built_in_layer_by_name(client, layer, where, said):
    """The service's own form of a constant a layer computes (the code reader writes pos_emb(ops.arange(3)) so)."""
    document = json.loads(_with_constant().to_json())
    numbers = {"class_name": "__tensor__", "config": {"value": [0, 1, 2], "dtype": "int32"}}
    add = next(i for i, entry in enumerate(document["config"]["layers"]) if entry["class_name"] == "Add")
    document["config"]["layers"][add]["inbound_nodes"][0]["args"][1] = {
        "class_name": "__layer_output__",
        "config": {"layer": layer, "inputs": numbers},
    }
    response = client.post("/v1/summary", json={"model": document})
    error = response.get_json()["errors"][0]
    place = ["model", "config", "layers", add, "inbound_nodes", 0, "args", 1, "config"]
    assert response.status_code == 422 and error["loc"] == place + where and said in error["msg"], error


def _position_embedding(layer: dict, value: list, dtype: str) -> dict:
    """The page's position embedding's document, its constant computed by `layer` from `value` instead."""
    keras.backend.clear_session()
    tokens = keras.Input((5,), name="tokens")
    positions = layers.Embedding(5, 4)(ops.arange(5))
    document = json.loads(keras.Model(tokens, layers.Embedding(20, 4)(tokens) + positions).to_json())
    add = next(i for i, entry in enumerate(document["config"]["layers"]) if entry["class_name"] == "Add")
    numbers = {"class_name": "__tensor__", "config": {"value": value, "dtype": dtype}}
    document["config"]["layers"][add]["inbound_nodes"][0]["args"][1] = {
        "class_name": "__layer_output__",
        "config": {"layer": layer, "inputs": numbers},
    }
    return document


def test_a_layer_output_past_max_constant_elements_is_refused_before_keras_allocates_it(client, make_client):
    """A few numbers in may make any number out: RepeatVector(n=10**9) on [[1.0]] allocated 4 GB of zeros while
    the model was planned, before any limit (its output held whole in the model as a given constant is)."""
    repeated = {"class_name": "RepeatVector", "config": {"name": "repeat", "n": 10**9}}
    response = client.post("/v1/summary", json={"model": _position_embedding(repeated, [[1.0]], "float32")})
    problem = response.get_json()
    assert response.status_code == 422 and problem["limit"] == "max_constant_elements", problem
    assert "layer 'repeat' (RepeatVector) computes one of shape [1, 1000000000, 1]" in problem["detail"], problem
    # A table that fits its operation: its 20 numbers, with the 5 given, count against the limit.
    embedding = {"class_name": "Embedding", "config": {"name": "pos", "input_dim": 5, "output_dim": 4}}
    document = _position_embedding(embedding, [0, 1, 2, 3, 4], "int32")
    problem = make_client(max_constant_elements=24).post("/v1/summary", json={"model": document}).get_json()
    assert problem["limit"] == "max_constant_elements" and problem["request_value"] == 25, problem
    assert problem["errors"][0]["loc"][-6:] == ["inbound_nodes", 0, "args", 1, "config", "layer"], problem
    assert make_client(max_constant_elements=25).post("/v1/summary", json={"model": document}).status_code == 200


def test_a_recurrent_layer_over_a_long_constant_counts_against_the_compute_budget(make_client):
    """An LSTM over a 20,000-step constant ran its steps once, eagerly, before the prediction, counted by no
    estimate (23 s in-process; in a server, to the compute budget, each time): its steps are the model's too."""
    lstm = {"class_name": "LSTM", "config": {"name": "steps", "units": 4}}
    body = {"model": _position_embedding(lstm, [[[0.1]] * 20_000], "float32"), "inputs": [[1, 2, 3, 4, 0]]}
    response = make_client(compute_budget_s=0.5).post("/v1/predict", json=body)
    problem = response.get_json()
    assert response.status_code == 422 and problem["limit"] == "compute_budget_s", problem
    assert problem["request_value"] >= 20_000 * 60e-6, problem


def test_an_operations_plain_arguments_are_bounded_before_they_are_read(client):
    """A plain list of numbers where Keras writes a __tensor__: 3.9 million in a 7.8 MB body were walked by the
    graph reader and formatted one by one in Keras's error: 46 s and 800 MB to refuse. Refused where the count
    passes the bound, saying what Keras writes."""
    from keras_shape_service.schemas.constants import MAX_ARGUMENT_ITEMS

    document = json.loads(_with_constant().to_json())
    add = next(i for i, layer in enumerate(document["config"]["layers"]) if layer["class_name"] == "Add")
    document["config"]["layers"][add]["inbound_nodes"][0]["args"][1] = [0.0] * MAX_ARGUMENT_ITEMS
    response = client.post("/v1/summary", json={"model": document})
    problem = response.get_json()
    assert response.status_code == 422 and response.mimetype == "application/problem+json", problem
    assert "more than 10,000 values besides constant tensors" in problem["detail"], problem
    assert '{"class_name": "__tensor__", "config": {"value": [...], "dtype": "float32"}}' in problem["detail"]
    place = ["model", "config", "layers", add, "inbound_nodes", 0, "args", 1]
    assert problem["errors"][0]["loc"][: len(place)] == place, problem


def test_a_layers_call_arguments_are_bounded_before_they_are_read(client):
    """The same in a layer's call: a plain list of millions in Dense's kwargs took 46 s and 700 MB to refuse."""
    features = keras.Input((3,), name="features")
    document = json.loads(keras.Model(features, layers.Dense(2, name="dense")(features)).to_json())
    document["config"]["layers"][1]["inbound_nodes"][0]["kwargs"]["extra"] = [0] * 20_000
    response = client.post("/v1/summary", json={"model": document})
    problem = response.get_json()
    assert response.status_code == 422 and "more than 10,000 values" in problem["detail"], problem
    place = ["model", "config", "layers", 1, "inbound_nodes", 0, "kwargs", "extra"]
    assert problem["errors"][0]["loc"] == place, problem


def test_layers_computing_constants_count_against_max_layers(make_client):
    """They are made and built as the model's layers are: 3,000 in one operation's argument took seconds to build
    before Keras refused the call. One per name (one layer may compute several constants)."""
    code = (
        "import keras\nfrom keras import layers, ops\ntokens = keras.Input((5,))\n"
        "a, b = layers.Embedding(5, 4), layers.Embedding(5, 4)\n"
        "x = layers.Embedding(20, 4)(tokens) + a(ops.arange(5)) - b(ops.arange(5)) + a(ops.arange(5))\n"
        "model = keras.Model(tokens, x)\n"
    )
    # the model's layers: an embedding and three operations (its rows add the input); a and b compute constants
    problem = make_client(max_layers=5).post("/v1/summary", json={"code": code}).get_json()
    assert problem["limit"] == "max_layers" and problem["request_value"] == 6, problem
    assert make_client(max_layers=6).post("/v1/summary", json={"code": code}).status_code == 200
