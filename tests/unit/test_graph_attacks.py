"""What an attacker's review of graphs, nested models and to_json documents found (issue 9): each body once a
500, an executor held to its compute budget by a few kB, or a refusal for a model within every limit; now each
is answered as a user of the service would want, a 4xx problem+json naming where and why where it is refused.
"""

import pytest

from keras_shape_service.schemas import Problem


def _input(name="i"):
    return {"class_name": "InputLayer", "name": name, "config": {"batch_shape": [None, 2], "name": name}}


def _document(nodes, input_layers=(("i", 0, 0),), output_layers=(("d", 0, 0),), layers=None):
    """A Functional to_json document: an InputLayer 'i' feeding a Dense 'd' through `nodes`."""
    dense = {"class_name": "Dense", "name": "d", "config": {"units": 2, "name": "d"}, "inbound_nodes": nodes}
    return {
        "class_name": "Functional",
        "config": {
            "name": "f",
            "layers": layers or [_input(), dense],
            "input_layers": [list(ref) for ref in input_layers],
            "output_layers": [list(ref) for ref in output_layers],
        },
    }


def _refusal(client, body, path="/v1/predict") -> Problem:
    response = client.post(path, json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:500])
    assert response.mimetype == "application/problem+json"
    return Problem.model_validate_json(response.data)


KERAS_TENSOR = {"class_name": "__keras_tensor__", "config": {"keras_history": ["i", 0, 0]}}


@pytest.mark.parametrize(
    "document, loc",
    [
        (_document([[["i", "abc", 0, {}]]]), ["model", "config", "layers", 1, "inbound_nodes", 0]),
        (_document([[["i", None, 0, {}]]]), ["model", "config", "layers", 1, "inbound_nodes", 0]),
        (_document([[["i", 0, 1.5, {}]]]), ["model", "config", "layers", 1, "inbound_nodes", 0]),
        (_document([{"args": [KERAS_TENSOR], "kwargs": [1]}]), ["model", "config", "layers", 1, "inbound_nodes", 0]),
        (_document([[["i", 0, 0, {}]]], input_layers=[("i", "x", 0)]), ["model", "config", "input_layers", 0]),
        (_document([[["i", 0, 0, {}]]], output_layers=[("d", "q", 0)]), ["model", "config", "output_layers", 0]),
    ],
    ids=["node 'abc'", "node null", "tensor 1.5", "kwargs a list", "input_layers node 'x'", "output_layers node 'q'"],
)
def test_a_tensor_reference_that_is_no_layer_node_and_tensor_is_a_422_where_it_is_written(client, document, loc):
    """Each of these was a 500 (int('abc') inside the executor), which also cost the executor its life."""
    problem = _refusal(client, {"model": document, "inputs": [[1.0, 2.0]]})
    assert problem.errors[0].loc == loc
    assert "[layer, node, tensor]" in problem.detail or "inbound node" in problem.detail


def test_two_input_layers_of_one_name_are_refused_at_the_second(client):
    second = dict(_input(), config={"batch_shape": [None, 5], "name": "i"})
    dense = {"class_name": "Dense", "name": "d", "config": {"units": 2}, "inbound_nodes": [[["i", 0, 0, {}]]]}
    document = _document(None, input_layers=[("i", 0, 0), ("i", 0, 0)], layers=[_input(), second, dense])
    problem = _refusal(client, {"model": document, "inputs": {"i": [[1.0, 2.0]]}})
    assert problem.errors[0].loc == ["model", "config", "layers", 1]
    assert "'i'" in problem.detail and "two InputLayers" in problem.detail


X2 = [{"name": "x", "shape": [2]}]


def _shared(layer: dict, calls: int, inputs=X2) -> dict:
    """A graph whose one layer 'a' is called `calls` times, each call on the last one's output."""
    chain = [[inputs[0]["name"]]] + [[f"a#{k}"] for k in range(calls - 1)]
    return {"inputs": inputs, "layers": [dict(layer, name="a", calls=chain)], "outputs": [f"a#{calls - 1}"]}


def _nested_calls(depth: int, calls: int) -> dict:
    """to_json documents nested `depth` deep, each calling the model inside it `calls` times in a chain."""
    model = {
        "class_name": "Sequential",
        "config": {"name": "base", "layers": [{"class_name": "Dense", "config": {"units": 2}}]},
    }
    for level in range(depth):
        name = f"level{level}"
        inner = dict(
            model,
            name=f"{name}_inner",
            inbound_nodes=[[[f"{name}_in", 0, 0, {}]]] + [[[f"{name}_inner", k, 0, {}]] for k in range(calls - 1)],
        )
        model = {
            "class_name": "Functional",
            "config": {
                "name": name,
                "layers": [dict(_input(f"{name}_in")), inner],
                "input_layers": [[f"{name}_in", 0, 0]],
                "output_layers": [[f"{name}_inner", calls - 1, 0]],
            },
        }
    return model


def _many_input_layers(count: int) -> dict:
    layers = [_input(f"i{k}") for k in range(count)]
    return _document(
        None, input_layers=[(f"i{k}", 0, 0) for k in range(count)], output_layers=[("i0", 0, 0)], layers=layers
    )


@pytest.mark.parametrize(
    "model, size",
    [
        (_shared({"type": "Dense", "units": 2}, 10_000), 1 + 20_000 + 1),
        ({"inputs": X2, "layers": [{"type": "Concatenate", "inbound": ["x"] * 100_000}]}, 1 + 100_001 + 1),
        # each level: its input and output, 40 calls reading 40 tensors, the model inside built once and traced 40 times
        (_nested_calls(depth=3, calls=40), 82 + 41 * (82 + 41 * (82 + 41 * 2))),
        (
            {"inputs": [{"name": f"x{k}", "shape": [1]} for k in range(10_000)], "layers": [{"type": "Flatten"}]},
            10_000 + 2 + 1,
        ),
        ({"inputs": X2, "layers": [{"type": "Flatten", "name": "a"}], "outputs": ["a"] * 100_000}, 1 + 2 + 100_000),
        (_many_input_layers(10_000), 10_000 + 1),
    ],
    ids=[
        "a shared layer called 10^4 times",
        "a Concatenate of 10^5 tensors",
        "models calling models 40 times, 3 deep",
        "10^4 inputs",
        "one output 10^5 times",
        "10^4 InputLayers",
    ],
)
def test_a_graph_whose_building_costs_seconds_is_refused_before_it_is_built(client, model, size):
    """Each held an executor to its compute budget (10 s) from at most a few hundred kB (the nested one: 4 kB,
    64,000 calls traced at predict time, which no estimate counted; six at once made the seed request a 503;
    each input a keras.Input of some milliseconds)."""
    problem = _refusal(client, {"model": model, "inputs": [[1.0, 2.0]]})
    assert (problem.limit, problem.limit_value, problem.request_value) == ("max_graph_size", 2_500, size)


def test_the_graph_size_counts_calls_the_tensors_they_read_and_nested_models_per_call(make_client):
    """An input and an output; a shared Dense called 3 times (3 calls, 3 tensors read) after a nested model called
    twice (2 calls reading 2 tensors; built once and traced twice, its own size of 1 input and 1 call each
    time): 2 + 3 + 3 + 2 + 2 + 3 * 2 = 18."""
    nested = {
        "class_name": "Sequential",
        "name": "inner",
        "config": {"name": "inner", "layers": [{"class_name": "Dense", "config": {"units": 2}}]},
        "inbound_nodes": [[["x", 0, 0, {}]], [["x", 0, 0, {}]]],
    }
    model = {
        "inputs": X2,
        "layers": [nested, {"type": "Dense", "units": 2, "name": "a", "calls": [["inner"], ["a"], ["a#1"]]}],
        "outputs": ["a#2"],
    }
    client = make_client(max_graph_size=17)
    problem = _refusal(client, {"model": model}, path="/v1/summary")
    assert (problem.limit, problem.request_value) == ("max_graph_size", 18)
    assert make_client(max_graph_size=18).post("/v1/summary", json={"model": model}).status_code == 200


def test_a_shared_layer_s_every_call_counts_in_the_compute_estimate(make_client):
    """Only a layer's first call was counted: a Dense(500) on 500 inputs called 30 times cost 30 times its
    estimate. Keras's own count: units x inputs multiply-adds per call."""
    client = make_client(max_multiply_adds=10 * 500 * 500)
    once = client.post(
        "/v1/predict",
        json={
            "model": _shared({"type": "Dense", "units": 500}, 1, [{"name": "x", "shape": [500]}]),
            "inputs": [[0.5] * 500],
        },
    )
    assert once.status_code == 200, once.get_json()
    problem = _refusal(
        client,
        {
            "model": _shared({"type": "Dense", "units": 500}, 30, [{"name": "x", "shape": [500]}]),
            "inputs": [[0.5] * 500],
        },
    )
    assert problem.limit == "max_multiply_adds" and problem.request_value >= 30 * 500 * 500


def test_a_shared_layer_s_later_calls_count_in_the_activation_limit(make_client):
    """UpSampling1D(10) called on its own output 4 times: its first output has 10 numbers, its last 10,000, the
    size that counts (before, only the first call's was seen, and a chain of such calls grew unseen)."""
    client = make_client(max_activation_elements=5_000)
    model = _shared({"type": "UpSampling1D", "size": 10}, 4, [{"name": "x", "shape": [1, 1]}])
    problem = _refusal(client, {"model": model, "inputs": [[[1.0]]]})
    assert (problem.limit, problem.request_value) == ("max_activation_elements", 10_000)


@pytest.mark.slow
def test_a_chain_of_more_layers_than_python_s_recursion_limit_is_answered(client):
    """A chain of 1,050 layers, within max_layers (1,200), was a 422 'maximum recursion depth exceeded':
    Keras walks a graph recursively, one frame per layer."""
    layers = [{"type": "Dense", "units": 1, "name": f"d{i}"} for i in range(1_050)]
    response = client.post("/v1/summary", json={"model": {"inputs": [{"name": "x", "shape": [1]}], "layers": layers}})
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["layers"]) == 1_051 and response.get_json()["params"]["total"] == 2 * 1_050


def test_input_layers_naming_one_input_many_times_is_refused_before_any_is_made(client):
    """100,000 mentions of one InputLayer made 100,000 keras.Input (the executor's whole compute budget)."""
    document = _document([[["i", 0, 0, {}]]], input_layers=[("i", 0, 0)] * 100_000)
    problem = _refusal(client, {"model": document}, path="/v1/summary")
    assert problem.errors[0].loc == ["model", "config", "input_layers"] and "twice" in problem.detail


def test_inputs_named_otherwise_than_the_model_s_are_refused_in_a_few_words(client):
    """100,000 input names were all listed in the refusal (2 MB of detail)."""
    inputs = {f"n{k}": [[1.0, 2.0]] for k in range(20_000)}
    response = client.post(
        "/v1/predict", json={"model": {"layers": [{"type": "Dense", "units": 2}], "input_shape": [2]}, "inputs": inputs}
    )
    assert response.status_code == 422 and len(response.data) < 2_000
    assert "the model's inputs are ['input_layer']" in response.get_json()["detail"]


def test_a_nested_model_s_variable_axis_is_sized_from_its_call_in_the_estimates(make_client):
    """A nested Functional whose own input leaves the time axis null, holding an LSTM, called on 10,000 steps:
    the estimate counted 1 step (the LSTM ran to the compute budget); sized from the call, it counts 10,000
    (60 us each, RECURRENT_STEP_S), over a budget of 0.5 s, and the answer's rows still say None."""
    inner = {
        "class_name": "Functional",
        "name": "inner",
        "config": {
            "name": "inner",
            "layers": [
                {"class_name": "InputLayer", "name": "t", "config": {"batch_shape": [None, None, 1], "name": "t"}},
                {
                    "class_name": "LSTM",
                    "name": "l",
                    "config": {"units": 2, "name": "l"},
                    "inbound_nodes": [[["t", 0, 0, {}]]],
                },
            ],
            "input_layers": [["t", 0, 0]],
            "output_layers": [["l", 0, 0]],
        },
    }
    client = make_client(compute_budget_s=0.5)
    problem = _refusal(client, {"model": {"layers": [inner], "input_shape": [10_000, 1]}, "inputs": [[[0.5]] * 10_000]})
    assert (problem.limit, problem.request_value) == ("compute_budget_s", 0.6)
    answer = client.post("/v1/summary", json={"model": {"layers": [inner], "input_shape": [10_000, 1]}}).get_json()
    assert answer["layers"][0]["layers"][1]["input_shape"] == [None, None, 1]
