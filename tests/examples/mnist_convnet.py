"""Simple MNIST convnet (keras.io/examples/vision/mnist_convnet), its model as the page writes it, sizes as on the
page."""

CODE = """import numpy as np
import keras
from keras import layers

# Model / data parameters
num_classes = 10
input_shape = (28, 28, 1)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)

model.summary()
"""
MODEL = "model"
RUN_PRELUDE = ""
NOT_RUN: list[str] = []
CONCISE = {
    "name": "sequential",
    "input_shape": [28, 28, 1],
    "layers": [
        {"type": "Conv2D", "name": "conv2d", "filters": 32, "kernel_size": [3, 3], "activation": "relu"},
        {"type": "MaxPooling2D", "name": "max_pooling2d", "pool_size": [2, 2]},
        {"type": "Conv2D", "name": "conv2d_1", "filters": 64, "kernel_size": [3, 3], "activation": "relu"},
        {"type": "MaxPooling2D", "name": "max_pooling2d_1", "pool_size": [2, 2]},
        {"type": "Flatten", "name": "flatten"},
        {"type": "Dropout", "name": "dropout", "rate": 0.5},
        {"type": "Dense", "name": "dense", "units": 10, "activation": "softmax"},
    ],
}
