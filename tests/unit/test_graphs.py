"""Every model Keras can serialize: built with Keras in the test, sent as its to_json (and in the concise graph
form where one is written), answered with Keras's own rows, totals and, with the model's own weights, its
predictions.

Keras's side is read through its public API only: layer.input / layer.output / count_params(), and the inbound
nodes of model.get_config(), so the service's reading of the graph (keras_shape_service/adapter/facts.py) is checked
against an independent one.
"""

import json

import keras
import numpy as np
import pytest

from keras_shape_service.schemas import PredictResponse, Problem, SummaryResponse


def _shape_list(tensors):
    shapes = [list(t.shape) for t in (tensors if isinstance(tensors, (list, tuple)) else [tensors])]
    return shapes[0] if len(shapes) == 1 else shapes


def _keras_inbound(model) -> dict[str, list[str]]:
    """Each layer's feeders, from the model's own serialized config (Keras's "Connected to")."""
    config = json.loads(model.to_json())["config"]
    if "input_layers" not in config:  # Sequential: each layer fed by the one before
        names = [layer.name for layer in model.layers]
        return {name: names[index - 1 : index] if index else [] for index, name in enumerate(names)}
    feeders = {}
    for layer in config["layers"]:
        found = []
        stack = list(layer["inbound_nodes"])
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
                found.append(item["config"]["keras_history"][0])
            elif isinstance(item, dict):
                stack = list(item.values()) + stack
            elif isinstance(item, list):
                stack = list(item) + stack
        feeders[layer["name"]] = list(dict.fromkeys(found))
    return feeders


def keras_rows(model) -> list[dict]:
    """What the answer's rows must say, from Keras."""
    inbound = _keras_inbound(model)
    rows = []
    for layer in model.layers:
        output = _shape_list(layer.output)
        given = layer.input if type(layer).__name__ != "InputLayer" else layer.output
        rows.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "input_shape": _shape_list(given),
                "output_shape": output,
                "params": layer.count_params(),
                "inbound": inbound[layer.name],
            }
        )
    return rows


def service_rows(answer: SummaryResponse) -> list[dict]:
    return [
        {
            "name": r.name,
            "type": r.type,
            "input_shape": r.input_shape,
            "output_shape": r.output_shape,
            "params": r.params,
            "inbound": r.inbound,
        }
        for r in answer.layers
    ]


def _summary(client, model_json: dict) -> SummaryResponse:
    response = client.post("/v1/summary", json={"model": model_json})
    assert response.status_code == 200, response.get_json()
    return SummaryResponse.model_validate_json(response.data)


def _predict(client, body: dict) -> PredictResponse:
    response = client.post("/v1/predict", json=body)
    assert response.status_code == 200, response.get_json()
    return PredictResponse.model_validate_json(response.data)


def _weights(model) -> dict:
    return {layer.name: [w.tolist() for w in layer.get_weights()] for layer in model.layers if layer.get_weights()}


def _inputs(model, batch: int = 2, seed: int = 0) -> list[np.ndarray]:
    generator = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = (batch,) + tuple(d or 5 for d in tensor.shape[1:])
        if "int" in str(tensor.dtype):
            arrays.append(generator.integers(0, 10, shape).astype("int32"))
        else:
            arrays.append(generator.uniform(-1, 1, shape).astype("float32"))
    return arrays


def assert_answers_like_keras(client, model, concise: dict = None):
    """Rows, totals and summary of the to_json (and concise) form; predictions with the model's own weights."""
    document = json.loads(model.to_json())
    forms = [document] + ([concise] if concise is not None else [])
    for form in forms:
        answer = _summary(client, form)
        assert service_rows(answer) == keras_rows(model), form.get("class_name", "concise")
        assert answer.params.total == model.count_params()
    arrays = _inputs(model)
    names = [t.name for t in model.inputs]
    inputs = arrays[0].tolist() if len(arrays) == 1 else {n: a.tolist() for n, a in zip(names, arrays)}
    expected = model(arrays if len(arrays) > 1 else arrays[0], training=False)
    expected = [np.asarray(e) for e in (expected if isinstance(expected, (list, tuple)) else [expected])]
    answer = _predict(client, {"model": document, "inputs": inputs, "weights": _weights(model)})
    got = answer.predictions if len(expected) > 1 else [answer.predictions]
    for value, want in zip(got, expected):
        np.testing.assert_allclose(np.asarray(value), want, rtol=1e-5, atol=1e-5)
    shapes = answer.output_shape if len(expected) > 1 else [answer.output_shape]
    assert shapes == [list(e.shape) for e in expected]
    return answer


@pytest.fixture(autouse=True)
def fresh_names():
    """Keras names layers from a process-wide counter: each test's model starts it afresh, as a user's script."""
    keras.backend.clear_session()


def test_two_heads_concatenated_in_both_forms(client):
    features = keras.Input((8,), name="features")
    trunk = keras.layers.Dense(16, name="trunk")(features)
    left = keras.layers.Dense(4, name="left")(trunk)
    right = keras.layers.Dense(3, name="right")(trunk)
    model = keras.Model(features, keras.layers.Concatenate(name="concatenate")([left, right]), name="heads")
    concise = {
        "inputs": [{"name": "features", "shape": [8]}],
        "name": "heads",
        "layers": [
            {"type": "Dense", "units": 16, "name": "trunk"},
            {"type": "Dense", "units": 4, "name": "left", "inbound": ["trunk"]},
            {"type": "Dense", "units": 3, "name": "right", "inbound": ["trunk"]},
            {"type": "Concatenate", "inbound": ["left", "right"]},
        ],
    }
    answer = assert_answers_like_keras(client, model, concise)
    assert answer.output_shape == [2, 7] and "Connected to" in answer.summary


def test_a_residual_block(client):
    x = keras.Input((8, 8, 4))
    y = keras.layers.Conv2D(4, 3, padding="same")(x)
    y = keras.layers.BatchNormalization()(y)
    y = keras.layers.Activation("relu")(y)
    y = keras.layers.Conv2D(4, 3, padding="same")(y)
    out = keras.layers.Add()([x, y])
    assert_answers_like_keras(client, keras.Model(x, keras.layers.GlobalAveragePooling2D()(out)))


def test_several_inputs_and_outputs(client):
    text = keras.Input((6,), name="text")
    meta = keras.Input((3,), name="meta")
    joined = keras.layers.Concatenate()([keras.layers.Dense(5)(text), meta])
    score = keras.layers.Dense(1, name="score")(joined)
    kind = keras.layers.Dense(4, activation="softmax", name="kind")(joined)
    answer = assert_answers_like_keras(client, keras.Model([text, meta], [score, kind]))
    assert answer.output_shape == [[2, 1], [2, 4]]


def test_a_shared_layer_called_on_two_inputs(client):
    left, right = keras.Input((5,), name="left"), keras.Input((5,), name="right")
    shared = keras.layers.Dense(4, name="shared")
    distance = keras.layers.Subtract()([shared(left), shared(right)])
    model = keras.Model([left, right], distance)
    concise = {
        "inputs": [{"name": "left", "shape": [5]}, {"name": "right", "shape": [5]}],
        "layers": [
            {"type": "Dense", "units": 4, "name": "shared", "calls": [["left"], ["right"]]},
            {"type": "Subtract", "inbound": ["shared", "shared#1"]},
        ],
    }
    answer = assert_answers_like_keras(client, model, concise)
    assert next(r for r in answer.layers if r.name == "shared").inbound == ["left", "right"]


@pytest.mark.parametrize(
    "merge", ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"]
)
def test_every_merge_layer(client, merge):
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    layer = keras.layers.Dot(axes=1) if merge == "Dot" else getattr(keras.layers, merge)()
    assert_answers_like_keras(client, keras.Model([a, b], layer([a, b])))


@pytest.mark.parametrize("attention", ["Attention", "AdditiveAttention", "MultiHeadAttention", "GroupQueryAttention"])
def test_every_attention_layer(client, attention):
    query, value = keras.Input((5, 6), name="query"), keras.Input((7, 6), name="value")
    if attention == "MultiHeadAttention":
        output = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)(query, value)
    elif attention == "GroupQueryAttention":
        output = keras.layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2)(query, value)
    else:
        output = getattr(keras.layers, attention)()([query, value])
    assert_answers_like_keras(client, keras.Model([query, value], output))


def test_models_nested_as_layers_at_any_depth(client):
    innermost = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)], name="innermost")
    x = keras.Input((4,))
    middle = keras.Model(x, innermost(keras.layers.Dense(4)(x)), name="middle")
    outer = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4), middle, keras.layers.Dense(2)], name="outer")
    answer = assert_answers_like_keras(client, outer)
    nested = next(row for row in answer.layers if row.name == "middle")
    assert nested.type == "Functional" and [r.name for r in nested.layers][-1] == "innermost"
    assert next(r for r in nested.layers if r.name == "innermost").layers[0].output_shape == [None, 3]


def test_a_variable_length_text_model_shows_none_and_predicts_any_length(client):
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(50, 8)(tokens)
    x = keras.layers.Bidirectional(keras.layers.LSTM(4))(x)
    model = keras.Model(tokens, keras.layers.Dense(2)(x))
    answer = _summary(client, json.loads(model.to_json()))
    assert service_rows(answer) == keras_rows(model)
    assert answer.layers[1].output_shape == [None, None, 8]
    work = []
    for length in (3, 11):
        body = {
            "model": json.loads(model.to_json()),
            "inputs": [[1] * length, [2] * length],
            "weights": _weights(model),
        }
        predicted = _predict(client, body)
        # The rows are Keras's, as the summary's (the model is built once with None there); the cost is the run's.
        assert service_rows(predicted) == keras_rows(model)
        assert predicted.output_shape == [2, 2]
        work.append(predicted.cost.batch_macs)
        np.testing.assert_allclose(predicted.predictions, model(np.array([[1] * length, [2] * length])), atol=1e-5)
    assert work[1] > work[0], "an 11-step run does more than a 3-step one"


def test_concise_wrappers_take_their_layer_in_the_concise_form(client):
    model = keras.Sequential(
        [
            keras.Input((5, 3)),
            keras.layers.Bidirectional(keras.layers.LSTM(4, name="lstm")),
            keras.layers.RepeatVector(2),
            keras.layers.TimeDistributed(keras.layers.Dense(3)),
        ]
    )
    concise = {
        "layers": [
            {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 4}, "input_shape": [5, 3]},
            {"type": "RepeatVector", "n": 2},
            {"type": "TimeDistributed", "layer": {"type": "Dense", "units": 3}},
        ]
    }
    assert service_rows(_summary(client, concise)) == keras_rows(model)


def test_refusals_name_the_layer_as_the_answer_would(client):
    """The only LSTM is 'lstm' in the answer, and so in the refusal (it was 'lstm_1')."""
    layers = [{"type": "Dense", "units": 3, "input_shape": [4]}, {"type": "LSTM", "units": 2}]
    problem = Problem.model_validate_json(client.post("/v1/summary", json={"model": {"layers": layers}}).data)
    assert "'lstm'" in problem.detail and "lstm_1" not in problem.detail
    assert problem.errors[0].loc == ["model", "layers", 1]


@pytest.mark.parametrize(
    "body, loc, words",
    [
        (
            {"inputs": [{"name": "x", "shape": [3]}], "layers": [{"type": "Dense", "units": 2, "inbound": ["y"]}]},
            ["model", "layers", 0, "inbound"],
            "names no input or layer",
        ),
        (
            {
                "inputs": [{"name": "x", "shape": [3]}],
                "layers": [
                    {"type": "Dense", "units": 2, "name": "a", "inbound": ["b"]},
                    {"type": "Dense", "units": 2, "name": "b", "inbound": ["a"]},
                ],
            },
            ["model", "layers", 0, "inbound"],
            "cycle",
        ),
        (
            {"inputs": [{"name": "x", "shape": [3]}], "layers": [{"type": "Dense", "units": 2, "name": "x"}]},
            ["model", "layers", 0],
            "unique",
        ),
        (
            {
                "layers": [
                    {"type": "Dense", "units": 2, "input_shape": [3]},
                    {"type": "Dense", "units": 2, "inbound": ["dense"]},
                ]
            },
            ["model", "layers", 1],
            "graph model",
        ),
    ],
)
def test_a_graph_that_cannot_be_built_is_refused_where_and_why(client, body, loc, words):
    problem = Problem.model_validate_json(client.post("/v1/summary", json={"model": body}).data)
    assert problem.errors[0].loc == loc and words in problem.detail, problem


def test_weights_by_layer_name_are_checked_against_the_layer(client):
    body = {"model": {"layers": [{"type": "Dense", "units": 2, "input_shape": [3]}]}, "inputs": [[1, 2, 3]]}
    unknown = client.post("/v1/predict", json=dict(body, weights={"nope": [[[1.0, 2.0]] * 3, [0.0, 0.0]]}))
    problem = Problem.model_validate_json(unknown.data)
    assert problem.errors[0].loc == ["weights", "nope"] and "'dense'" in problem.detail
    wrong = client.post("/v1/predict", json=dict(body, weights={"dense": [[[1.0]] * 3, [0.0]]}))
    problem = Problem.model_validate_json(wrong.data)
    assert "[[3, 2], [2]]" in problem.detail and problem.errors[0].loc == ["weights", "dense"]
    right = _predict(client, dict(body, weights={"dense": [[[1.0, 0.0]] * 3, [0.5, 0.0]]}))
    assert right.predictions == [[6.5, 0.0]]


def test_inputs_of_a_graph_are_keyed_by_name(client):
    concise = {
        "inputs": [{"name": "a", "shape": [2]}, {"name": "b", "shape": [2]}],
        "layers": [{"type": "Add", "inbound": ["a", "b"]}],
    }
    answer = _predict(client, {"model": concise, "inputs": {"a": [[1, 2]], "b": [[10, 20]]}})
    assert answer.predictions == [[11.0, 22.0]]
    for inputs, words in (([[1, 2]], "keyed by those names"), ({"a": [[1, 2]], "c": [[1, 2]]}, "named")):
        problem = Problem.model_validate_json(
            client.post("/v1/predict", json={"model": concise, "inputs": inputs}).data
        )
        assert words in problem.detail and problem.errors[0].loc == ["inputs"]


@pytest.mark.parametrize("name", ["MobileNetV2", "ResNet50"])
def test_keras_applications_by_name_are_keras_own_networks(client, name):
    answer = _summary(client, {"application": name})
    keras.backend.clear_session()  # as in a fresh script: the service's build used this process's counters
    with keras.StatelessScope(initialize_variables=False):
        model = getattr(keras.applications, name)(weights=None)
        expected = keras_rows(model)
    assert service_rows(answer) == expected and answer.params.total == sum(r["params"] for r in expected)
    assert any("weights=None" in note for note in answer.notes)


def test_an_application_predicts_on_one_image(client):
    body = {
        "model": {"application": "MobileNetV2", "alpha": 0.35, "input_shape": [96, 96, 3], "classes": 7},
        "inputs": np.full((1, 96, 96, 3), 0.5).tolist(),
    }
    answer = _predict(client, body)
    assert answer.output_shape == [1, 7] and abs(sum(answer.predictions[0]) - 1) < 1e-4  # a softmax


@pytest.mark.parametrize(
    "arguments, loc",
    [({"weights": "imagenet"}, ["model", "weights"]), ({"no_such_argument": 1}, ["model", "no_such_argument"])],
)
def test_an_application_refuses_downloads_and_unknown_arguments(client, arguments, loc):
    problem = Problem.model_validate_json(
        client.post("/v1/summary", json={"model": dict({"application": "MobileNetV2"}, **arguments)}).data
    )
    assert problem.errors[0].loc == loc


def _small_mobilenet():
    arguments = {"alpha": 0.25, "input_shape": [32, 32, 3], "classes": 2}
    with keras.StatelessScope(initialize_variables=False):
        built = keras.applications.MobileNet(weights=None, **arguments)
    return {"application": "MobileNet", **arguments}, {layer.name: layer for layer in built.layers if layer.weights}


def test_an_applications_note_says_its_weights_are_the_requests_when_the_request_gives_them_all(client):
    """Regression: the note said the weights were "drawn from the request's seed" whatever the request gave."""
    model, weighted = _small_mobilenet()
    zeros = {name: [np.zeros(tuple(v.shape)).tolist() for v in layer.weights] for name, layer in weighted.items()}
    body = {"model": model, "inputs": np.full((1, 32, 32, 3), 0.5).tolist(), "weights": zeros}
    answer = _predict(client, body)
    assert answer.predictions == [[0.5, 0.5]]  # zero logits: the weights sent are the ones used
    assert answer.notes == [
        "weights=None: a keras.applications network is never built with downloaded (ImageNet) weights; "
        "every layer's weights are the request's"
    ]


def test_an_applications_note_names_the_layers_whose_weights_are_drawn_from_the_seed(client):
    model, weighted = _small_mobilenet()
    given = {"conv1": [np.zeros(tuple(v.shape)).tolist() for v in weighted["conv1"].weights]}
    body = {"model": model, "inputs": np.full((1, 32, 32, 3), 0.5).tolist(), "weights": given}
    (note,) = _predict(client, body).notes
    others = [name for name in weighted if name != "conv1"]
    assert note.endswith(
        f"1 layer(s) have the request's weights, and the initial weights of the {len(others)} other(s) with weights "
        f"({', '.join(others[:5])} and {len(others) - 5} more) are drawn from the request's seed"
    )
    (seeded,) = _predict(client, dict(body, weights=None)).notes
    assert seeded.startswith("weights=None: a keras.applications network is built with initial weights drawn from")
