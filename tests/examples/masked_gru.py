"""Masking and padding (keras.io/guides/understanding_masking_and_padding): an Embedding with mask_zero=True feeding
a recurrent layer, as the guide's functional example writes it; a GRU where the guide has an LSTM, smaller sizes
(marked)."""

CODE = """import keras
from keras import layers

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(input_dim=50, output_dim=16, mask_zero=True)(inputs)  # edit: input_dim=5000 on the page
outputs = layers.GRU(8)(x)  # edit: layers.LSTM(32) on the page

model = keras.Model(inputs, outputs)
"""
MODEL = "model"
RUN_PRELUDE = ""
NOT_RUN: list[str] = []
# The concise Embedding takes mask_zero; the graph form names Keras's default names, so the summary is Keras's.
CONCISE = {
    "name": "functional",
    "inputs": [{"name": "input_layer", "shape": [None], "dtype": "int32"}],
    "layers": [
        {
            "type": "Embedding",
            "name": "embedding",
            "input_dim": 50,
            "output_dim": 16,
            "mask_zero": True,
            "inbound": ["input_layer"],
        },
        {"type": "GRU", "name": "gru", "units": 8, "inbound": ["embedding"]},
    ],
    "outputs": ["gru"],
}
INTEGERS_BELOW = 5  # token ids: the model embeds its inputs
