"""The naive peer: Flask + Keras as a first version would be written, one model built per request.

It answers /v1/predict and /v1/summary in the service's contract for the concise-form bodies `make bench`
sends, the obvious way: build a keras.Sequential, `model.predict`, `model.summary(print_fn=...)`. Run it
as the bench does: `gunicorn --config bench/peer_conf.py bench.naive_app:app`.
"""

import os
import re
from collections import Counter

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("COLUMNS", "88")  # the summary's rich console is 80 wide without a terminal

import keras  # noqa: E402
import numpy as np  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402

app = Flask(__name__)


def _default_name(class_name: str, counts: Counter) -> str:
    """Keras's default layer name within one model: dense, dense_1, ..."""
    base = re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", class_name).lower()
    name = f"{base}_{counts[base]}" if counts[base] else base
    counts[base] += 1
    return name


def build_model(model_spec: dict, seed: int):
    """A compiled keras.Sequential from concise layers; the first layer carries input_shape."""
    keras.utils.set_random_seed(seed)
    counts: Counter = Counter()
    layers = [keras.Input(shape=tuple(model_spec["layers"][0]["input_shape"]))]
    for spec in model_spec["layers"]:
        arguments = {k: v for k, v in spec.items() if k not in ("type", "input_shape")}
        layers.append(getattr(keras.layers, spec["type"])(name=_default_name(spec["type"], counts), **arguments))
    model = keras.Sequential(layers, name="sequential")
    if "compile" in model_spec:
        model.compile(**model_spec["compile"])
    return model


def describe(model) -> dict:
    """The layer table, parameter counts and summary text of a built model."""
    lines: list[str] = []
    model.summary(line_length=88, print_fn=lines.append)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    total = model.count_params()
    layers = [
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "input_shape": list(layer.input.shape),
            "output_shape": list(layer.output.shape),
            "params": layer.count_params(),
            "inbound": [model.layers[index - 1].name] if index else [],
        }
        for index, layer in enumerate(model.layers)
    ]
    return {
        "layers": layers,
        "params": {"total": total, "trainable": trainable, "non_trainable": total - trainable},
        "summary": "".join(lines),
        "notes": [],
    }


@app.post("/v1/predict")
def predict():
    """Build, predict, describe: everything per request."""
    body = request.get_json()
    model = build_model(body["model"], body.get("seed", 0))
    predictions = model.predict(np.asarray(body["inputs"], dtype="float32"), verbose=0)
    return jsonify(output_shape=list(predictions.shape), predictions=predictions.tolist(), **describe(model))


@app.post("/v1/summary")
def summary():
    """Build and describe."""
    return jsonify(**describe(build_model(request.get_json()["model"], 0)))


@app.get("/readyz")
def readyz():
    """Ready once Keras is imported."""
    return jsonify(status="ok")
