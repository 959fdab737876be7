"""Image similarity with a Siamese network and a contrastive loss (keras.io/examples/vision/siamese_contrastive):
the embedding tower, called on both inputs, as the page writes it. One edit: the page's
Lambda(euclidean_distance). The service never runs a Lambda's Python; its refusal of a Lambda advises the built-in
layers.Dot(axes=1, normalize=True), cosine similarity in place of the Euclidean distance, which is what is here."""

CODE = """import keras

# edit: the page defines euclidean_distance(vects) here, with keras.ops, for its Lambda layer (see below)


input = keras.layers.Input((28, 28, 1))
x = keras.layers.BatchNormalization()(input)
x = keras.layers.Conv2D(4, (5, 5), activation="tanh")(x)
x = keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
x = keras.layers.Conv2D(16, (5, 5), activation="tanh")(x)
x = keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
x = keras.layers.Flatten()(x)

x = keras.layers.BatchNormalization()(x)
x = keras.layers.Dense(10, activation="tanh")(x)
embedding_network = keras.Model(input, x)


input_1 = keras.layers.Input((28, 28, 1))
input_2 = keras.layers.Input((28, 28, 1))

# As mentioned above, Siamese Network share weights between
# tower networks (sister networks). To allow this, we will use
# same embedding network for both tower networks.
tower_1 = embedding_network(input_1)
tower_2 = embedding_network(input_2)

# edit: keras.layers.Lambda(euclidean_distance, output_shape=(1,))([tower_1, tower_2]) on the page; the built-in
# layer the service's refusal of a Lambda advises, cosine similarity
merge_layer = keras.layers.Dot(axes=1, normalize=True)([tower_1, tower_2])
normal_layer = keras.layers.BatchNormalization()(merge_layer)
output_layer = keras.layers.Dense(1, activation="sigmoid")(normal_layer)
siamese = keras.Model(inputs=[input_1, input_2], outputs=output_layer)
"""
MODEL = "siamese"
RUN_PRELUDE = ""
NOT_RUN: list[str] = []
CONCISE = None  # a nested model called twice, 15 layers: the code and to_json forms say it
