"""/v1/summary as a Markdown or CSV table when the Accept header asks for one: the rows and totals of Keras's own
model, the media types the OpenAPI document declares, JSON for any other Accept."""

import csv
import io

import keras
import pytest

from tests.forms import SEED_BODY

L = keras.layers
SEED_SUMMARY = {"model": SEED_BODY["model"]}
SEED_MARKDOWN = """\
| Layer | Type | Input shape | Output shape | Params | Trainable |
| --- | --- | --- | --- | ---: | --- |
| dense | Dense | `(None, 3, 2)` | `(None, 3, 16)` | 48 | yes |
| activation | Activation | `(None, 3, 16)` | `(None, 3, 16)` | 0 | yes |
| flatten | Flatten | `(None, 3, 16)` | `(None, 48)` | 0 | yes |
| dense_1 | Dense | `(None, 48)` | `(None, 4)` | 196 | yes |

- Total params: 244
- Trainable params: 244
- Non-trainable params: 0
"""


def _post(client, body: dict, accept: str | None):
    return client.post("/v1/summary", json=body, headers={"Accept": accept} if accept else {})


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_seed_as_markdown(client):
    response = _post(client, SEED_SUMMARY, "text/markdown")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert "Accept" in response.headers["Vary"]
    assert response.get_data(as_text=True) == SEED_MARKDOWN


def test_the_seed_as_csv_holds_kerass_rows_and_totals(client):
    model = keras.Sequential([keras.Input((3, 2)), L.Dense(16), L.Activation("relu"), L.Flatten(), L.Dense(4)])
    response = _post(client, SEED_SUMMARY, "text/csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    header, *layers, total, trainable, non_trainable = _csv_rows(response)
    assert header == ["name", "type", "input shape", "output shape", "params", "trainable"]
    assert [(row[1], row[3], int(row[4]), row[5]) for row in layers] == [
        (type(layer).__name__, str(layer.output.shape), layer.count_params(), str(layer.trainable).lower())
        for layer in model.layers
    ]
    assert [row[2] for row in layers] == ["(None, 3, 2)", "(None, 3, 16)", "(None, 3, 16)", "(None, 48)"]
    assert (
        total == ["Total params", "", "", "", str(model.count_params()), ""] == ["Total params", "", "", "", "244", ""]
    )
    assert trainable == ["Trainable params", "", "", "", "244", "true"]
    assert non_trainable == ["Non-trainable params", "", "", "", "0", "false"]


def test_code_answers_the_same_table_as_its_spec(client):
    code = {
        "code": "model = Sequential()\nmodel.add(Dense(16, input_shape=(3, 2)))\nmodel.add(Activation('relu'))\n"
        "model.add(Flatten())\nmodel.add(Dense(4))\n"
    }
    assert _post(client, code, "text/markdown").get_data(as_text=True) == SEED_MARKDOWN


def test_a_frozen_layer_in_both_tables(client):
    body = {
        "model": {
            "layers": [
                {"type": "Dense", "units": 8, "input_shape": [4], "trainable": False},
                {"type": "Dense", "units": 3},
            ]
        }
    }
    layers = _csv_rows(_post(client, body, "text/csv"))[1:3]
    assert [(row[0], row[4], row[5]) for row in layers] == [("dense", "40", "false"), ("dense_1", "27", "true")]
    markdown = _post(client, body, "text/markdown").get_data(as_text=True)
    assert "| dense | Dense | `(None, 4)` | `(None, 8)` | 40 | no |" in markdown
    assert "- Non-trainable params: 40" in markdown


def test_a_name_a_spreadsheet_would_run_is_written_as_text(client):
    body = {"model": {"layers": [{"type": "Dense", "units": 2, "input_shape": [3], "name": "-2-1"}]}}
    response = _post(client, body, "text/csv")
    assert response.status_code == 200, response.get_json()
    assert _csv_rows(response)[1][0] == "'-2-1"


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("text/html", "application/json"),  # no format of ours: JSON, the default, rather than a 406
        ("application/xml, image/png", "application/json"),
        ("text/csv;q=0.5, text/markdown", "text/markdown"),
        ("application/json;q=0.1, text/csv", "text/csv"),
    ],
)
def test_the_accept_header_chooses_and_anything_else_is_json(client, accept, media):
    response = _post(client, SEED_SUMMARY, accept)
    assert response.status_code == 200
    assert response.mimetype == media
    if media == "application/json":
        assert response.get_json()["params"]["total"] == 244


def test_a_refusal_is_a_problem_whatever_the_accept(client):
    body = {"model": {"layers": [{"type": "Dense", "units": 0, "input_shape": [3]}]}}
    response = _post(client, body, "text/csv")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["loc"] == ["model", "layers", 0, "units"]


def test_the_document_declares_what_is_served(client):
    document = client.get("/openapi.json").get_json()
    content = document["paths"]["/v1/summary"]["post"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/markdown", "text/csv"}
    assert content["text/csv"]["schema"]["type"] == content["text/markdown"]["schema"]["type"] == "string"
    for media in content:
        assert _post(client, SEED_SUMMARY, media).mimetype == media
    assert set(document["paths"]["/v1/predict"]["post"]["responses"]["200"]["content"]) == {"application/json"}
