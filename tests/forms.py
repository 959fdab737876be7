"""Example models, and the three spec forms of one model made with real Keras, as a user would make them."""

import json

from keras_shape_service.schemas.examples import SEED_LAYERS, SEED_PREDICT

SEED_BODY = SEED_PREDICT
SEED_LAYERS_NO_FLATTEN = [layer for layer in SEED_LAYERS if layer["type"] != "Flatten"]

CONV_LAYERS = [
    {"type": "Conv2D", "filters": 4, "kernel_size": 3, "input_shape": [8, 8, 2]},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "BatchNormalization"},
    {"type": "Flatten"},
    {"type": "Dense", "units": 3, "activation": "softmax"},
]
RECURRENT_LAYERS = [
    {"type": "LSTM", "units": 5, "return_sequences": True, "input_shape": [4, 3]},
    {"type": "GRU", "units": 2},
    {"type": "Dense", "units": 1},
]
EMBEDDING_LAYERS = [
    {"type": "Embedding", "input_dim": 10, "output_dim": 3, "input_shape": [5]},
    {"type": "GlobalAveragePooling1D"},
]


def keras_model(concise_layers: list[dict], name: str = "sequential"):
    """The model a user would write in Python for these concise layers."""
    import keras

    from keras_shape_service.adapter import private

    # Keras names the layers as in a fresh Python session; clear_session() would do it too, with a full garbage
    # collection of a heap holding the service's cached models (a quarter of a second each).
    private.reset_layer_names()
    first = concise_layers[0]
    layers = [keras.Input(shape=tuple(first["input_shape"]))]
    for spec in concise_layers:
        arguments = {k: v for k, v in spec.items() if k not in ("type", "input_shape")}
        layers.append(getattr(keras.layers, spec["type"])(**arguments))
    return keras.Sequential(layers, name=name)


def native_form(concise_layers: list[dict]) -> dict:
    """Form 2: model.get_config()["layers"], InputLayer entry included."""
    config = keras_model(concise_layers).get_config()
    return {"layers": json.loads(json.dumps(config["layers"]))}


def document_form(concise_layers: list[dict]) -> dict:
    """Form 3: the whole json.loads(model.to_json())."""
    return json.loads(keras_model(concise_layers).to_json())


# A graph model of two inputs (one of variable length, integer) and two outputs, as a repository file holds it.
TWO_INPUT_GRAPH = {
    "inputs": [{"name": "features", "shape": [4]}, {"name": "tokens", "shape": [None], "dtype": "int32"}],
    "layers": [
        {"type": "Dense", "units": 3, "name": "score", "inbound": ["features"]},
        {"type": "Embedding", "input_dim": 10, "output_dim": 2, "name": "embedded", "inbound": ["tokens"]},
        {"type": "GlobalAveragePooling1D", "name": "pooled", "inbound": ["embedded"]},
    ],
    "outputs": ["score", "pooled"],
}
