"""The seed question, the one example the API, the warm-up, the docs and the tests all show."""

# Dense(16, input_shape=(3, 2)) -> Activation('relu') -> Flatten() -> Dense(4): predicts (1, 4); without the
# Flatten layer, (1, 3, 4), because Dense acts on the last axis only.
SEED_LAYERS: list[dict] = [{"type": "Dense", "units": 16, "input_shape": [3, 2]},
                           {"type": "Activation", "activation": "relu"},
                           {"type": "Flatten"},
                           {"type": "Dense", "units": 4}]
SEED_INPUTS: list = [[[1, 2], [3, 4], [5, 6]]]
SEED_COMPILE: dict = {"loss": "mean_squared_error", "optimizer": "SGD"}
SEED_MODEL: dict = {"layers": SEED_LAYERS, "compile": SEED_COMPILE}
SEED_PREDICT: dict = {"model": SEED_MODEL, "inputs": SEED_INPUTS}
SEED_SUMMARY: dict = {"model": SEED_MODEL}
# The seed model against itself without Flatten: the last Dense then acts on (None, 3, 16).
SEED_COMPARE: dict = {"a": SEED_SUMMARY,
                      "b": {"model": {"layers": [layer for layer in SEED_LAYERS if layer["type"] != "Flatten"],
                                      "compile": SEED_COMPILE}}}
