"""What a training step holds, in the answer's cost: weights, their gradients (the trainable ones), the compiled
optimizer's state counted as Keras builds it, and every layer's output kept for the backward pass; and, for a
memory budget, the largest batch that fits. The optimizer's state is compared with Keras's own optimizer built
here for the same model."""

import math

import keras
import numpy as np
import pytest

from keras_shape_service.schemas import SummaryResponse

L = keras.layers

# A frozen Dense (its weights get no gradient and no slots), a BatchNormalization whose moving statistics are
# never trained, a trainable Dense, and a Conv1D for a kernel of rank 3 (Adafactor factors it).
LAYERS = [
    {"type": "Dense", "units": 8, "trainable": False},
    {"type": "BatchNormalization"},
    {"type": "Conv1D", "filters": 4, "kernel_size": 3},
    {"type": "Flatten"},
    {"type": "Dense", "units": 3},
]
INPUT_SHAPE = [6, 5]


def _keras_model():
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            L.Dense(8, trainable=False),
            L.BatchNormalization(),
            L.Conv1D(4, 3),
            L.Flatten(),
            L.Dense(3),
        ]
    )


def _cost(client, optimizer=None, **fields):
    model = {"layers": LAYERS, "input_shape": INPUT_SHAPE}
    if optimizer:
        model["compile"] = {"loss": "mse", "optimizer": optimizer}
    response = client.post("/v1/summary", json={"model": model, **fields})
    assert response.status_code == 200, response.get_json()
    return SummaryResponse.model_validate_json(response.data).cost


OPTIMIZERS = ["SGD", "Adam", "adamw", "Adamax", "Nadam", "RMSprop", "Adagrad", "Adadelta", "Ftrl", "Lion", "Adafactor"]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_optimizer_state_is_what_keras_builds_for_the_model(client, name):
    model = _keras_model()
    optimizer = keras.optimizers.get(name)
    optimizer.build(model.trainable_variables)
    numbers = sum(math.prod(v.shape) for v in optimizer.variables)
    size = sum(math.prod(v.shape) * np.dtype(v.dtype).itemsize for v in optimizer.variables)
    cost = _cost(client, name)
    assert (cost.optimizer_params, cost.optimizer_bytes) == (numbers, size)
    assert cost.optimizer == name


def test_adam_holds_two_slots_per_trainable_weight_and_sgd_none(client):
    model = _keras_model()
    trainable = sum(math.prod(v.shape) for v in model.trainable_variables)
    assert trainable == 2 * 8 + (3 * 8 * 4 + 4) + (4 * 4 * 3 + 3)  # the frozen Dense and the moving statistics left out
    assert _cost(client, "Adam").optimizer_params == 2 * trainable + 2  # + its iteration and learning rate
    assert _cost(client, "SGD").optimizer_params == 2


def test_a_training_step_holds_weights_gradients_optimizer_state_and_outputs(client):
    model = _keras_model()
    cost = _cost(client, "Adam")
    weights = sum(math.prod(v.shape) for v in model.weights)
    trainable = sum(math.prod(v.shape) for v in model.trainable_variables)
    outputs = sum(math.prod(layer.output.shape[1:]) for layer in model.layers)
    assert cost.params_bytes == 4 * weights
    assert cost.gradient_bytes == 4 * trainable
    assert cost.activation_bytes == 4 * outputs
    assert cost.training_bytes == 4 * (weights + trainable + outputs) + cost.optimizer_bytes


def test_without_compile_the_optimizer_is_kerass_default_sgd(client):
    cost = _cost(client)
    assert (cost.optimizer, cost.optimizer_params) == ("SGD", 2)


def test_a_memory_budget_answers_the_largest_batch_that_fits(client):
    """The batch answered is the largest whose training step, as a prediction of that batch counts it, fits."""
    one = _cost(client, "Adam")
    fixed, per_example = one.training_bytes - one.activation_bytes, one.activation_bytes
    budget = fixed + 37 * per_example + per_example // 2
    assert _cost(client, "Adam", memory_budget=budget).max_batch == 37
    assert _cost(client, "Adam", memory_budget=fixed + 37 * per_example).max_batch == 37
    assert _cost(client, "Adam", memory_budget=fixed + 37 * per_example - 1).max_batch == 36
    assert _cost(client, "Adam", memory_budget=fixed - 1).max_batch == 0
    assert _cost(client, "Adam").max_batch is None
    body = {
        "model": {"layers": LAYERS, "input_shape": INPUT_SHAPE, "compile": {"loss": "mse", "optimizer": "Adam"}},
        "inputs": np.zeros([37, *INPUT_SHAPE]).tolist(),
        "memory_budget": budget,
    }
    response = client.post("/v1/predict", json=body)
    assert response.status_code == 200, response.get_json()
    cost = response.get_json()["cost"]
    assert cost["training_bytes"] <= budget < cost["training_bytes"] + per_example
    assert cost["max_batch"] == 37


@pytest.mark.parametrize("budget", [0, -5, "1GB", 1.5])
def test_a_budget_that_is_no_positive_number_of_bytes_is_refused(client, budget):
    response = client.post(
        "/v1/summary", json={"model": {"layers": LAYERS, "input_shape": INPUT_SHAPE}, "memory_budget": budget}
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["loc"][-1] == "memory_budget"
