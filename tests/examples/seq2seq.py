"""Character-level recurrent sequence-to-sequence model (keras.io/examples/nlp/lstm_seq2seq): the training model as
the page writes it, with the sizes the page reads from its data set given small (marked)."""

CODE = """import keras

latent_dim = 5  # edit: 256 on the page
num_encoder_tokens = 7  # edit: the page counts the data set's characters (71)
num_decoder_tokens = 6  # edit: the page counts the data set's characters (93)

# Define an input sequence and process it.
encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
encoder = keras.layers.LSTM(latent_dim, return_state=True)
encoder_outputs, state_h, state_c = encoder(encoder_inputs)

# We discard `encoder_outputs` and only keep the states.
encoder_states = [state_h, state_c]

# Set up the decoder, using `encoder_states` as initial state.
decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))

# We set up our decoder to return full output sequences,
# and to return internal states as well. We don't use the
# return states in the training model, but we will use them in inference.
decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
decoder_outputs = decoder_dense(decoder_outputs)

# Define the model that will turn
# `encoder_input_data` & `decoder_input_data` into `decoder_target_data`
model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)

model.compile(
    optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"]
)
"""
MODEL = "model"
RUN_PRELUDE = ""
NOT_RUN: list[str] = []
# Named as Keras names the code's layers in a fresh session, so that the summary is Keras's byte for byte.
CONCISE = {
    "name": "functional",
    "inputs": [{"name": "input_layer", "shape": [None, 7]}, {"name": "input_layer_1", "shape": [None, 6]}],
    "layers": [
        {"type": "LSTM", "name": "lstm", "units": 5, "return_state": True, "inbound": ["input_layer"]},
        {
            "type": "LSTM",
            "name": "lstm_1",
            "units": 5,
            "return_sequences": True,
            "return_state": True,
            "inbound": ["input_layer_1"],
            "initial_state": [{"layer": "lstm", "tensor": 1}, {"layer": "lstm", "tensor": 2}],
        },
        {"type": "Dense", "name": "dense", "units": 6, "activation": "softmax", "inbound": ["lstm_1"]},
    ],
    "outputs": ["dense"],
}
