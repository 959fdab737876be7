"""text_transformer.py with the page's position embedding, written with keras.ops.arange as the page's
TokenAndPositionEmbedding.call writes it: Keras computes pos_emb(positions) once, outside the graph, and its
to_json writes the result as a constant of the first Add node; pos_emb is no layer of the model (CONSTANT_LAYERS).

Text classification with a Transformer (keras.io/examples/nlp/text_classification_with_transformer). The page
writes its TransformerBlock and TokenAndPositionEmbedding as `class`es (subclassed layers), which the service does
not read: here they are the functional equivalents, functions of the same built-in layers called in the same order
(the block's feed-forward `ffn` is the page's own Sequential), the positions the page's keras.ops.arange. The rest is
the page's code, smaller sizes marked."""

CODE = """import keras
from keras import ops
from keras import layers


# edit: the page's `class TransformerBlock(layers.Layer)`, its __init__ and call as one function
def transformer_block(inputs, embed_dim, num_heads, ff_dim, rate=0.1):
    att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
    ffn = keras.Sequential(
        [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim),]
    )
    layernorm1 = layers.LayerNormalization(epsilon=1e-6)
    layernorm2 = layers.LayerNormalization(epsilon=1e-6)
    dropout1 = layers.Dropout(rate)
    dropout2 = layers.Dropout(rate)
    attn_output = att(inputs, inputs)
    attn_output = dropout1(attn_output)
    out1 = layernorm1(inputs + attn_output)
    ffn_output = ffn(out1)
    ffn_output = dropout2(ffn_output)
    return layernorm2(out1 + ffn_output)


# edit: the page's `class TokenAndPositionEmbedding(layers.Layer)`, its __init__ and call as one function
def token_and_position_embedding(x, maxlen, vocab_size, embed_dim):
    token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
    pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)
    positions = ops.arange(start=0, stop=maxlen, step=1)
    positions = pos_emb(positions)
    x = token_emb(x)
    return x + positions


vocab_size = 50  # Only consider the top 20k words  # edit: 20000 on the page
maxlen = 10  # Only consider the first 200 words of each movie review  # edit: 200 on the page
embed_dim = 8  # Embedding size for each token  # edit: 32 on the page
num_heads = 2  # Number of attention heads
ff_dim = 8  # Hidden layer size in feed forward network inside transformer  # edit: 32 on the page

inputs = layers.Input(shape=(maxlen,))
x = token_and_position_embedding(inputs, maxlen, vocab_size, embed_dim)  # edit: embedding_layer(inputs)
x = transformer_block(x, embed_dim, num_heads, ff_dim)  # edit: transformer_block(x), the page's instance
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dropout(0.1)(x)
x = layers.Dense(20, activation="relu")(x)
x = layers.Dropout(0.1)(x)
outputs = layers.Dense(2, activation="softmax")(x)

model = keras.Model(inputs=inputs, outputs=outputs)
"""
MODEL = "model"
RUN_PRELUDE = ""
NOT_RUN: list[str] = []
CONCISE = None  # attention called on (query, value) and operators on tensors: code and to_json say them
INTEGERS_BELOW = 5  # token ids: the model embeds its inputs
# Layers the code calls on a constant, outside the model, by Keras's name: the operation node whose constant they
# computed, and its argument. Their weights are no layer's of the model; the code's answer takes them by name.
CONSTANT_LAYERS = {"embedding_1": ("add", 1)}  # pos_emb(ops.arange(maxlen)): its table, input_dim == maxlen
