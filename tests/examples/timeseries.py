"""Timeseries classification from scratch (keras.io/examples/timeseries/timeseries_classification_from_scratch):
`make_model` as the page writes it; the shapes the page reads from its data set given small (marked)."""

CODE = """import keras
import numpy as np

num_classes = 2  # edit: the page counts the data set's classes, len(np.unique(y_train))


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)

    conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)

    conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)

    conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)

    gap = keras.layers.GlobalAveragePooling1D()(conv3)

    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=(50, 1))  # edit: x_train.shape[1:] on the page, (500, 1)
keras.utils.plot_model(model, show_shapes=True)
"""
MODEL = "model"
RUN_PRELUDE = ""
NOT_RUN = ["keras.utils.plot_model(model, show_shapes=True)"]  # needs pydot and graphviz; draws, builds nothing
CONCISE = None  # a graph of 12 layers: the code and to_json forms say it; by hand it would be a transcription
