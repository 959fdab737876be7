"""DenseNet121 and EfficientNetB0 as users hold them: saved by real Keras (keras.applications, weights=None:
random weights, nothing downloaded) as .keras and .h5, uploaded, answered with Keras's own predictions.

Each is some 22-34 MB and about 300-400 layers: the slowest uploads of the suite (about 10 s a case on the
2-core development machine, most of it Keras's own load_model in the test). Small images (64 x 64: the
parameters do not depend on the size) and a batch of one keep them so.
"""

import io

import keras
import numpy as np
import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

pytestmark = pytest.mark.slow

SIZE = (64, 64, 3)
APPLICATIONS = {
    # Logits (no softmax): random weights make a softmax over 1,000 classes nearly flat, where 1e-5 says little.
    "DenseNet121": lambda: keras.applications.DenseNet121(weights=None, input_shape=SIZE, classifier_activation=None),
    "EfficientNetB0": lambda: keras.applications.EfficientNetB0(
        weights=None, input_shape=SIZE, classifier_activation=None
    ),
}


def _upload(client, path, x):
    inputs = io.BytesIO()
    np.save(inputs, x, allow_pickle=False)
    fields = {
        "model": FileStorage(io.BytesIO(path.read_bytes()), filename=path.name),
        "inputs": FileStorage(io.BytesIO(inputs.getvalue()), filename="x.npy"),
    }
    boundary, body = encode_multipart(fields)
    return client.post("/v1/predict", data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("name", list(APPLICATIONS))
def test_predictions_shapes_and_params_are_keras_own(client, tmp_path, name):
    """Both files against Keras's own reading of the .keras one: the .h5 holds the same weights, and a second
    load_model and its traced predict would double the test's time for no other check of the service."""
    model = APPLICATIONS[name]()
    # Each value moved off its initializer's: a freshly built network's batch norms and biases hold constants
    # (ones, zeros) that a service ignoring them would build alike.
    rng = np.random.default_rng(5)
    for variable in model.weights:
        if "float" in str(variable.dtype):
            value = np.asarray(variable)
            variable.assign(value * rng.uniform(0.9, 1.1, value.shape) + rng.uniform(-0.01, 0.01, value.shape))
    paths = {suffix: tmp_path / f"{name}.{suffix}" for suffix in ("keras", "h5")}
    for path in paths.values():
        model.save(path)
    x = np.random.default_rng(11).uniform(0, 255, size=(1, *SIZE)).astype(np.float32)
    keras_model = keras.saving.load_model(paths["keras"])
    expected = keras_model.predict(x, verbose=0)
    shapes = {layer.name: list(layer.output.shape[1:]) for layer in keras_model.layers}
    trainable = sum(int(np.prod(w.shape)) for w in keras_model.trainable_weights)
    for path in paths.values():
        response = _upload(client, path, x)
        assert response.status_code == 200, response.json
        answer = response.json
        assert answer["output_shape"] == list(expected.shape) == [1, 1000]
        np.testing.assert_allclose(np.array(answer["predictions"]), expected, atol=1e-5, rtol=0, err_msg=path.name)
        assert answer["params"]["total"] == keras_model.count_params()
        assert answer["params"]["trainable"] == trainable
        assert {row["name"]: row["output_shape"][1:] for row in answer["layers"]} == shapes
