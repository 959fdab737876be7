"""What an attacker's review of graphs, nested models and to_json documents found (issue 9): each body once a
500, an executor held to its compute budget by a few kB, or a refusal for a model within every limit; now each
is answered as a user of the service would want, a 4xx problem+json naming where and why where it is refused.
"""
import pytest

from schemas import Problem


def _input(name="i"):
    return {"class_name": "InputLayer", "name": name, "config": {"batch_shape": [None, 2], "name": name}}


def _document(nodes, input_layers=(("i", 0, 0),), output_layers=(("d", 0, 0),), layers=None):
    """A Functional to_json document: an InputLayer 'i' feeding a Dense 'd' through `nodes`."""
    dense = {"class_name": "Dense", "name": "d", "config": {"units": 2, "name": "d"}, "inbound_nodes": nodes}
    return {"class_name": "Functional", "config": {
        "name": "f", "layers": layers or [_input(), dense],
        "input_layers": [list(ref) for ref in input_layers], "output_layers": [list(ref) for ref in output_layers]}}


def _refusal(client, body, path="/v1/predict") -> Problem:
    response = client.post(path, json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:500])
    assert response.mimetype == "application/problem+json"
    return Problem.model_validate_json(response.data)


KERAS_TENSOR = {"class_name": "__keras_tensor__", "config": {"keras_history": ["i", 0, 0]}}


@pytest.mark.parametrize("document, loc", [
    (_document([[["i", "abc", 0, {}]]]), ["model", "config", "layers", 1, "inbound_nodes", 0]),
    (_document([[["i", None, 0, {}]]]), ["model", "config", "layers", 1, "inbound_nodes", 0]),
    (_document([[["i", 0, 1.5, {}]]]), ["model", "config", "layers", 1, "inbound_nodes", 0]),
    (_document([{"args": [KERAS_TENSOR], "kwargs": [1]}]), ["model", "config", "layers", 1, "inbound_nodes", 0]),
    (_document([[["i", 0, 0, {}]]], input_layers=[("i", "x", 0)]), ["model", "config", "input_layers", 0]),
    (_document([[["i", 0, 0, {}]]], output_layers=[("d", "q", 0)]), ["model", "config", "output_layers", 0]),
], ids=["node 'abc'", "node null", "tensor 1.5", "kwargs a list", "input_layers node 'x'", "output_layers node 'q'"])
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
