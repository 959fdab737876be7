"""Every layer the service accepts has a cost rule, and the attention families' rules see their score tensor:
the two attention bodies that used to pass the estimates and kill an executor are refused by estimate."""

import json

import keras
import pytest

from keras_shape_service.guards import cost
from keras_shape_service.schemas import Problem, SummaryResponse
from keras_shape_service.schemas.keras_names import (
    ALLOWED_LAYER_TYPES,
    APPLICATION_INTERNAL_LAYERS,
    MODEL_CLASSES,
    OPERATIONS,
)


@pytest.mark.parametrize("name", ALLOWED_LAYER_TYPES + MODEL_CLASSES)
def test_every_accepted_layer_class_has_an_explicit_rule(name):
    """By the name a spec gives and by its Keras class's name, which the facts carry (GroupQueryAttention is a
    GroupedQueryAttention): a class missing from the table would take the fallback, blind to its arithmetic."""
    keras_class = getattr(keras.layers, name, None) or getattr(keras, name, None) or keras.Model
    names = {name} if name in MODEL_CLASSES else {name, keras_class.__name__}
    missing = names - set(cost.RULES)
    assert not missing, f"{name}: no cost rule for {missing} in keras_shape_service/guards/cost.py RULES"


@pytest.mark.parametrize("name", sorted(set(OPERATIONS) | {name for _, name in APPLICATION_INTERNAL_LAYERS}))
def test_every_accepted_operation_and_applications_layer_has_an_explicit_rule(name):
    """A to_json document's operation nodes (x + y, masks) and keras.applications layers (LayerScale), by the
    class name their facts carry."""
    assert name in cost.RULES, f"{name}: no cost rule in keras_shape_service/guards/cost.py RULES"


def test_the_rule_table_names_no_class_the_service_does_not_accept():
    keras_names = {getattr(keras.layers, name).__name__ for name in ALLOWED_LAYER_TYPES}
    document_only = set(OPERATIONS) | {name for _, name in APPLICATION_INTERNAL_LAYERS}
    assert set(cost.RULES) <= set(ALLOWED_LAYER_TYPES) | keras_names | set(MODEL_CLASSES) | document_only


def _attention_body(layer: dict, positions: int, features: int) -> dict:
    """A query and a value of `positions` x `features`, one attention layer, one example of zeros."""
    example = [[0.0] * features] * positions
    return {
        "model": {
            "inputs": [{"name": "q", "shape": [positions, features]}, {"name": "v", "shape": [positions, features]}],
            "layers": [dict(layer, name="attention", inbound=["q", "v"])],
        },
        "inputs": {"q": [example], "v": [example]},
    }


# Issue 21: 2,200 heads of key_dim 1 over 500 positions: a 2.2 GB score tensor (2,200 x 500 x 500 floats)
# that no output shape shows; the memory budget killed the executor.
MHA_KILLER = _attention_body({"type": "MultiHeadAttention", "num_heads": 2200, "key_dim": 1}, 500, 1)
# 12,000 positions, head_dim 2048: ~5.9e11 multiply-adds, estimated at 1.7e8 by the rule for any layer with
# weights; it held an executor for the whole compute budget.
GQA_KILLER = _attention_body(
    {"type": "GroupQueryAttention", "head_dim": 2048, "num_query_heads": 1, "num_key_value_heads": 1}, 12_000, 1
)


def _post(client, path: str, body: dict):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_a_multi_head_attention_score_tensor_past_the_limit_is_refused_by_estimate(make_client):
    assert len(json.dumps(MHA_KILLER["model"])) < 3_000
    response = _post(make_client(), "/v1/predict", MHA_KILLER)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    problem = Problem.model_validate_json(response.data)
    assert problem.limit == "max_activation_elements" and problem.request_value == 2200 * 500 * 500
    assert "attention scores" in problem.detail and "'attention'" in problem.detail


def test_a_group_query_attention_is_refused_by_its_scores_and_by_its_multiply_adds(make_client):
    scores = _post(make_client(), "/v1/predict", GQA_KILLER)
    assert scores.status_code == 422
    problem = Problem.model_validate_json(scores.data)
    assert (problem.limit, problem.request_value) == ("max_activation_elements", 12_000 * 12_000)
    # With room for its scores, the compute estimate refuses it: two products of 12,000 x 12,000 x 2,048.
    compute = _post(make_client(max_activation_elements=10**9), "/v1/predict", GQA_KILLER)
    assert compute.status_code == 422
    problem = Problem.model_validate_json(compute.data)
    assert problem.limit == "max_multiply_adds" and problem.request_value >= 2 * 12_000**2 * 2048


def test_group_query_attention_multiply_adds_are_counted_per_query_head(client):
    """Projections to 4 query heads and 2 key-value heads, scores and weighted sums per query head, the
    output projection: by hand, and as the traced graph's einsums and batched products count them (2,064)."""
    query, value = keras.Input((5, 6), name="q"), keras.Input((7, 6), name="v")
    layer = keras.layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2, name="gqa")
    model = keras.Model([query, value], layer(query, value))
    response = _post(client, "/v1/summary", {"model": json.loads(model.to_json())})
    assert response.status_code == 200, response.data
    row = next(row for row in SummaryResponse.model_validate_json(response.data).layers if row.name == "gqa")
    by_hand = 5 * 6 * 4 * 3 + 7 * (6 + 6) * 2 * 3 + 4 * 5 * 7 * 2 * 3 + 5 * 4 * 3 * 6
    assert row.macs == by_hand == 2064


def test_einsum_dense_multiply_adds_follow_its_equation(client):
    """abc,cde->abde: each of the 5 x 3 x 4 outputs sums 6 products; the rule for any layer with weights
    counted each weight once per output position (5 x 3 here), 3 times too many."""
    model = keras.Sequential(
        [keras.Input((5, 6)), keras.layers.EinsumDense("abc,cde->abde", output_shape=(5, 3, 4), name="einsum")]
    )
    response = _post(client, "/v1/summary", {"model": json.loads(model.to_json())})
    assert response.status_code == 200, response.data
    row = SummaryResponse.model_validate_json(response.data).layers[0]
    assert row.macs == 5 * 3 * 4 * 6
