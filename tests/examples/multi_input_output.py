"""The Functional API guide's model with multiple inputs and outputs (keras.io/guides/functional_api): ticket
title, body and tags in, priority and department out, as a dict; smaller vocabulary and widths (marked)."""

CODE = """import keras
from keras import layers

num_tags = 12  # Number of unique issue tags
num_words = 100  # Size of vocabulary obtained when preprocessing text data  # edit: 10000 on the page
num_departments = 4  # Number of departments for predictions

title_input = keras.Input(
    shape=(None,), name="title"
)  # Variable-length sequence of ints
body_input = keras.Input(shape=(None,), name="body")  # Variable-length sequence of ints
tags_input = keras.Input(
    shape=(num_tags,), name="tags"
)  # Binary vectors of size `num_tags`


# Embed each word in the title into a 64-dimensional vector
title_features = layers.Embedding(num_words, 8)(title_input)  # edit: 64 on the page
# Embed each word in the text into a 64-dimensional vector
body_features = layers.Embedding(num_words, 8)(body_input)  # edit: 64 on the page

# Reduce sequence of embedded words in the title into a single 128-dimensional vector
title_features = layers.LSTM(16)(title_features)  # edit: 128 on the page
# Reduce sequence of embedded words in the body into a single 32-dimensional vector
body_features = layers.LSTM(4)(body_features)  # edit: 32 on the page

# Merge all available features into a single large vector via concatenation
x = layers.concatenate([title_features, body_features, tags_input])

# Stick a logistic regression for priority prediction on top of the features
priority_pred = layers.Dense(1, name="priority")(x)
# Stick a department classifier on top of the features
department_pred = layers.Dense(num_departments, name="department")(x)

# Instantiate an end-to-end model predicting both priority and department
model = keras.Model(
    inputs=[title_input, body_input, tags_input],
    outputs={"priority": priority_pred, "department": department_pred},
)
"""
MODEL = "model"
RUN_PRELUDE = ""
NOT_RUN: list[str] = []
# Named as Keras names the code's layers in a fresh session; its outputs a dict by name, as the code's.
CONCISE = {
    "name": "functional",
    "inputs": [{"name": "title", "shape": [None]}, {"name": "body", "shape": [None]}, {"name": "tags", "shape": [12]}],
    "layers": [
        {"type": "Embedding", "name": "embedding", "input_dim": 100, "output_dim": 8, "inbound": ["title"]},
        {"type": "Embedding", "name": "embedding_1", "input_dim": 100, "output_dim": 8, "inbound": ["body"]},
        {"type": "LSTM", "name": "lstm", "units": 16, "inbound": ["embedding"]},
        {"type": "LSTM", "name": "lstm_1", "units": 4, "inbound": ["embedding_1"]},
        {"type": "Concatenate", "name": "concatenate", "inbound": ["lstm", "lstm_1", "tags"]},
        {"type": "Dense", "name": "priority", "units": 1, "inbound": ["concatenate"]},
        {"type": "Dense", "name": "department", "units": 4, "inbound": ["concatenate"]},
    ],
    "outputs": {"priority": "priority", "department": "department"},
}
INTEGERS_BELOW = 5  # token ids: the model embeds its inputs
