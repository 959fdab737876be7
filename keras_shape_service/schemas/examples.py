"""The seed question, the one example the API, the warm-up, the docs and the tests all show."""

# Dense(16, input_shape=(3, 2)) -> Activation('relu') -> Flatten() -> Dense(4): predicts (1, 4); without the
# Flatten layer, (1, 3, 4), because Dense acts on the last axis only.
SEED_LAYERS: list[dict] = [
    {"type": "Dense", "units": 16, "input_shape": [3, 2]},
    {"type": "Activation", "activation": "relu"},
    {"type": "Flatten"},
    {"type": "Dense", "units": 4},
]
SEED_INPUTS: list = [[[1, 2], [3, 4], [5, 6]]]
SEED_COMPILE: dict = {"loss": "mean_squared_error", "optimizer": "SGD"}
SEED_MODEL: dict = {"layers": SEED_LAYERS, "compile": SEED_COMPILE}
SEED_PREDICT: dict = {"model": SEED_MODEL, "inputs": SEED_INPUTS}
SEED_SUMMARY: dict = {"model": SEED_MODEL}

# The seed's code exactly as its asker pasted it, Python 2 print included: the code reader reads it as SEED_MODEL
# with SEED_INPUTS, without running it. The page at / opens on it (it reads it from /openapi.json's examples).
SEED_CODE: str = """model = Sequential()
model.add(Dense(16, input_shape=(3, 2)))
model.add(Activation('relu'))
model.add(Flatten())
model.add(Dense(4))
model.compile(loss='mean_squared_error', optimizer='SGD')
x = np.array([[[1, 2], [3, 4], [5, 6]]])
y = model.predict(x)
print y.shape
"""
SEED_PREDICT_EXAMPLES: dict = {"spec": SEED_PREDICT, "code": {"code": SEED_CODE}}
SEED_SUMMARY_EXAMPLES: dict = {"spec": SEED_SUMMARY, "code": {"code": SEED_CODE}}

# The seed model against itself without Flatten: the last Dense then acts on (None, 3, 16).
SEED_COMPARE: dict = {
    "a": SEED_SUMMARY,
    "b": {"model": {"layers": [layer for layer in SEED_LAYERS if layer["type"] != "Flatten"], "compile": SEED_COMPILE}},
}
