"""The HTTP floor: parse the JSON body, answer a canned seed answer; no Keras, no validation.

It measures what gunicorn, Flask, JSON parsing and the client cost on their own. The canned answer,
bench/seed_answer.json, is the service's own answer to the seed body (tests/forms.py SEED_BODY), so the
floor sends as many bytes as the service. Run it under the service's gunicorn settings:
`gunicorn --config service/gunicorn_conf.py bench.floor_app:app`.
"""
import json
from pathlib import Path

from flask import Flask, Response, request

SEED_ANSWER = json.loads((Path(__file__).parent / "seed_answer.json").read_text(encoding="utf-8"))
PREDICT_ANSWER = json.dumps(SEED_ANSWER, ensure_ascii=False, separators=(",", ":")).encode()
SUMMARY_ANSWER = json.dumps({key: SEED_ANSWER[key] for key in ("layers", "params", "summary", "notes")},
                            ensure_ascii=False, separators=(",", ":")).encode()

app = Flask(__name__)


def _canned(answer: bytes) -> Response:
    """Read and parse the body as the service does, then answer without looking at it."""
    try:
        json.loads(request.get_data(cache=False))
    except ValueError:
        return Response(b'{"status": 400}', status=400, mimetype="application/problem+json")
    return Response(answer, mimetype="application/json")


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
