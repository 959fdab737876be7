"""The bodies the benchmark sends: the seed model again and again, and a stream of never-seen models."""

import json
from typing import Iterator

from keras_shape_service.schemas.examples import SEED_PREDICT as SEED_BODY

ACTIVATIONS = ("relu", "tanh", "sigmoid")
# Index ranges of the distinct stream, disjoint so that no phase sees a model an earlier phase sent.
WARM_UP_RANGE = range(0, 20)
GROWTH_RANGE = range(1_000, 2_500)  # 1,500 specs for the memory phase
COLD_RANGE = range(10_000, 10_100)
COLD_BLOCK = 10  # cold specs each contender answers back to back before the next contender's turn
SPEED_ROUNDS = 5  # each speed phase (repeated, summary, new inputs, image batch) in rounds, contenders in turn
TEXT_LENGTHS = range(1, 21)  # the variable-length phase: one text model called with 20 sentence lengths
VARIANTS = 5 * 5 * 40 * 2 * 3 * 8  # the mixed radix of distinct_body: every index below it is a new model


def encode(body: dict) -> bytes:
    """The body as sent on the wire."""
    return json.dumps(body, separators=(",", ":")).encode()


SEED_PREDICT = encode(SEED_BODY)
SEED_SUMMARY = encode({"model": SEED_BODY["model"]})


def distinct_body(index: int) -> dict:
    """Variant `index` of the seed model: input shape, units, depth, activation and outputs all vary.

    The first Dense has 17 to 56 units, never the seed's 16, so no variant is the seed model.
    """
    if not 0 <= index < VARIANTS:
        raise ValueError(f"only {VARIANTS} distinct variants")
    rows, rest = index % 5 + 1, index // 5
    columns, rest = rest % 5 + 1, rest // 5
    units, rest = rest % 40 + 17, rest // 40
    extra_dense, rest = rest % 2, rest // 2
    activation, rest = ACTIVATIONS[rest % 3], rest // 3
    outputs = rest % 8 + 1
    layers = [
        {"type": "Dense", "units": units, "input_shape": [rows, columns]},
        {"type": "Activation", "activation": activation},
        {"type": "Flatten"},
    ]
    if extra_dense:
        layers.append({"type": "Dense", "units": 8, "activation": activation})
    layers.append({"type": "Dense", "units": outputs})
    inputs = [[[(r * columns + c) % 7 - 3 for c in range(columns)] for r in range(rows)]]
    return {"model": {"layers": layers, "compile": SEED_BODY["model"]["compile"]}, "inputs": inputs}


def distinct_bodies(indices: range) -> list[bytes]:
    """The encoded variants for these indices."""
    return [encode(distinct_body(index)) for index in indices]


def seed_with_new_inputs(count: int, start: int = 0) -> list[bytes]:
    """The seed model with other inputs in every body, `start` the first body's index: the model is reused, the
    answer never (no two indices give the same inputs: the first number is the index over 1,000)."""
    bodies = []
    for index in range(start, start + count):
        inputs = [[[index / 1000 + (2 * row + column) / 10 for column in range(2)] for row in range(3)]]
        bodies.append(encode(dict(SEED_BODY, inputs=inputs)))
    return bodies


# A text model whose time axis is variable (None): the service builds it once whatever the sentences' lengths.
# Its vocabulary and sizes are no other phase's, so that its first request is a cold build.
TEXT_MODEL = {
    "layers": [
        {"type": "Embedding", "input_dim": 1000, "output_dim": 16, "input_shape": [None]},
        {"type": "LSTM", "units": 12},
        {"type": "Dense", "units": 3},
    ]
}


def text_bodies(lengths: range = TEXT_LENGTHS, batch: int = 2) -> list[bytes]:
    """The text model with `batch` sentences of each length (word ids below its vocabulary), one body a length."""
    vocabulary = TEXT_MODEL["layers"][0]["input_dim"]
    return [
        encode(
            {
                "model": TEXT_MODEL,
                "inputs": [
                    [(7 * length + 13 * row + 31 * step) % vocabulary for step in range(length)] for row in range(batch)
                ],
            }
        )
        for length in lengths
    ]


def builds(metrics: str) -> float:
    """The models the service built, from its /metrics text (Prometheus exposition): kss_model_builds_total summed
    over its labels (predict, summary)."""
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("kss_model_builds_total{") or line.startswith("kss_model_builds_total "):
            total += float(line.rsplit(" ", 1)[1])
    return total


IMAGE_MODEL = {"layers": [{"type": "Flatten", "input_shape": [28, 28]}, {"type": "Dense", "units": 10}]}
IMAGE_BATCH = 100
BATCH_STREAM = (2_000, 10_000)  # batches of 100 images before the first memory reading, and in all


def image_batch_stream(bodies: list[bytes], count: int) -> Iterator[bytes]:
    """`count` bodies of 100 images made from these, each with its own first number (the body's index over
    10^8), so that no two are the same bytes: the answer cache never serves them, and the client spends no
    time encoding 78,400 numbers a request."""
    marker = b'"inputs":[[['
    for index in range(count):
        body = bodies[index % len(bodies)]
        start = body.index(marker) + len(marker)
        end = body.index(b",", start)
        yield body[:start] + f"{index / 1e8:.8f}".encode() + body[end:]


def image_batches(count: int) -> list[bytes]:
    """Batches of 100 MNIST-sized images (78,400 numbers, ~0.8 MB of JSON), new numbers in every body."""
    import numpy as np

    generator = np.random.default_rng(0)
    return [
        encode({"model": IMAGE_MODEL, "inputs": np.round(generator.random((IMAGE_BATCH, 28, 28)), 7).tolist()})
        for _ in range(count)
    ]
