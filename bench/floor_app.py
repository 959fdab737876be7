"""The HTTP floor: parse the JSON body, answer a canned seed answer; no Keras, no validation. For a batch of
several examples (the bench's image batches), the array floor: the inputs as a float32 numpy array, checked
finite, and ten numbers answered per example.

It measures what gunicorn, Flask, JSON parsing and the client cost on their own. The canned answer,
bench/seed_answer.json, is the service's own answer to the seed body (tests/forms.py SEED_BODY), so the
floor sends as many bytes as the service. Run it as the bench does:
`gunicorn --config bench/peer_conf.py bench.floor_app:app`.
"""

import json
from pathlib import Path

import numpy as np
from flask import Flask, Response, request

SEED_ANSWER = json.loads((Path(__file__).parent / "seed_answer.json").read_text(encoding="utf-8"))
PREDICT_ANSWER = json.dumps(SEED_ANSWER, ensure_ascii=False, separators=(",", ":")).encode()
SUMMARY_ANSWER = json.dumps(
    {key: SEED_ANSWER[key] for key in ("layers", "params", "summary", "notes", "cost")},
    ensure_ascii=False,
    separators=(",", ":"),
).encode()

app = Flask(__name__)


def _canned(answer: bytes) -> Response:
    """Read and parse the body as the service does, then answer without looking at it (but a batch)."""
    try:
        body = json.loads(request.get_data(cache=False))
    except ValueError:
        return Response(b'{"status": 400}', status=400, mimetype="application/problem+json")
    if isinstance(body.get("inputs"), list) and len(body["inputs"]) > 1:
        return _array_floor(body["inputs"])
    return Response(answer, mimetype="application/json")


def _array_floor(inputs: list) -> Response:
    """The least a service can do with a batch: an array, a finite check, ten numbers an example."""
    array = np.asarray(inputs, dtype=np.float32)
    if not np.isfinite(array).all():
        return Response(b'{"status": 422}', status=422, mimetype="application/problem+json")
    answer = {"output_shape": [len(array), 10], "predictions": np.zeros((len(array), 10)).tolist()}
    return Response(json.dumps(answer), mimetype="application/json")


@app.post("/v1/predict")
def predict() -> Response:
    """The seed answer, whatever the model."""
    return _canned(PREDICT_ANSWER)


@app.post("/v1/summary")
def summary() -> Response:
    """The seed answer without predictions."""
    return _canned(SUMMARY_ANSWER)


@app.get("/readyz")
def readyz() -> Response:
    """Ready as soon as it is imported."""
    return Response(b'{"status":"ok"}', mimetype="application/json")
