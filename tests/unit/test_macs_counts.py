"""The answer's multiply-adds against counts made without the service's code: TensorFlow's profiler on the
same model's graph (its float ops, two per multiply-add), and the counts the networks' papers publish."""

import json

import keras
import pytest
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

from keras_shape_service.schemas import SummaryResponse

L = keras.layers
# The ops whose float ops are two per multiply-add (TensorFlow registers their statistics that way).
MULTIPLY_ADD_OPS = {"MatMul", "BatchMatMulV2", "Conv2D", "Conv3D", "DepthwiseConv2dNative"}


def _profiled_multiply_adds(model: keras.Model) -> int:
    """Half the float ops TensorFlow's profiler counts in the model's inference graph, batch of 1."""
    function = tf.function(lambda x: model(x, training=False))
    concrete = function.get_concrete_function(tf.TensorSpec((1, *model.input_shape[1:]), tf.float32))
    graph = convert_variables_to_constants_v2(concrete).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(
        graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="scope", options=options
    )
    types = {op.name: op.type for op in graph.get_operations()}
    nodes, total = list(profile.children), 0
    while nodes:
        node = nodes.pop()
        total += node.float_ops if types.get(node.name) in MULTIPLY_ADD_OPS else 0
        nodes.extend(node.children)
    return total // 2


def _cost(client, model: dict):
    response = client.post("/v1/summary", json={"model": model})
    assert response.status_code == 200, response.get_json()
    return SummaryResponse.model_validate_json(response.data).cost


def test_multiply_adds_agree_with_tensorflows_profiler(client):
    """Convolutions (strided, depthwise, separable, 1-D) and Dense on 2-D and 4-D inputs."""
    model = keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            L.Conv2D(8, 3, strides=2, padding="same"),
            L.DepthwiseConv2D(3, depth_multiplier=2),
            L.SeparableConv2D(4, 3, padding="same"),
            L.Dense(6),
            L.Reshape((-1, 6)),
            L.Conv1D(4, 3),
            L.Flatten(),
            L.Dense(5),
        ]
    )
    profiled = _profiled_multiply_adds(model)
    assert profiled > 10_000
    assert _cost(client, json.loads(model.to_json())).macs == profiled


# (network, multiply-adds its paper states for 224 x 224 x 3, where): our count within 3% of it.
PUBLISHED = [
    ("ResNet50", 3.8e9, "He et al. 2015, Table 1: 3.8 x 10^9 FLOPs (multiply-adds)"),
    ("MobileNet", 569e6, "Howard et al. 2017, Table 8: 569 million Mult-Adds"),
    ("MobileNetV2", 300e6, "Sandler et al. 2018, Table 4: 300M MAdds"),
]


@pytest.mark.parametrize("name, published, source", PUBLISHED, ids=[row[0] for row in PUBLISHED])
def test_multiply_adds_of_keras_applications_agree_with_their_papers(client, name, published, source):
    cost = _cost(client, {"application": name, "input_shape": [224, 224, 3]})
    assert abs(cost.macs - published) <= 0.03 * published, f"{name}: {cost.macs:,} against {source}"
