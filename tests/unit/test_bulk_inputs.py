"""Inputs checked in bulk (orjson, numpy) answer exactly what the element-by-element reading answered: the
same predictions, and every refusal at the same JSON location, however deep in a large array it sits."""

import json

import numpy as np
import pytest

from keras_shape_service.errors import LimitExceeded
from keras_shape_service.guards.limits import check_depth, json_depth, outline, strings_in_arrays
from keras_shape_service.http import body
from keras_shape_service.schemas import PredictResponse, Problem
from keras_shape_service.settings import Settings

MNIST_MODEL = {"layers": [{"type": "Flatten", "input_shape": [28, 28]}, {"type": "Dense", "units": 10}]}


def _images(batch: int = 20) -> list:
    return np.random.default_rng(0).random((batch, 28, 28)).tolist()


def _post(client, body) -> tuple[int, dict]:
    response = client.post(
        "/v1/predict", data=body if isinstance(body, str) else json.dumps(body), content_type="application/json"
    )
    return response.status_code, response.get_json()


def test_a_batch_of_images_predicts_what_the_model_computes(client):
    images = _images()
    status, answer = _post(client, {"model": MNIST_MODEL, "inputs": images})
    assert status == 200
    answer = PredictResponse.model_validate(answer)
    assert answer.output_shape == [20, 10]
    again = _post(client, {"model": MNIST_MODEL, "inputs": images[3:4]})[1]
    np.testing.assert_allclose(answer.predictions[3], again["predictions"][0], rtol=1e-5)


@pytest.mark.parametrize(
    "bad, error_type",
    [
        (True, "not_a_number"),
        (None, "not_a_number"),
        ("0.5", "not_a_number"),
        ({}, "not_a_number"),
        (10**39, "not_finite"),
    ],
)
def test_one_bad_number_deep_in_a_large_batch_is_refused_at_its_location(client, bad, error_type):
    images = _images()
    images[3][17][0] = bad
    status, problem = _post(client, {"model": MNIST_MODEL, "inputs": images})
    assert status == 422
    item = Problem.model_validate(problem).errors[0]
    assert (item.loc, item.type) == (["inputs", 3, 17, 0], error_type)


def test_a_short_row_deep_in_a_large_batch_is_refused_at_its_location(client):
    images = _images()
    images[3][17] = images[3][17][:-1]
    status, problem = _post(client, {"model": MNIST_MODEL, "inputs": images})
    assert status == 422 and problem["errors"][0]["loc"] == ["inputs", 3, 17] and "ragged" in problem["detail"]


# An integer just past float32's largest reads in float64 as that largest: it is refused as it is written.
@pytest.mark.parametrize(
    "number",
    [
        "1e39",
        "-1e39",
        "1" + "0" * 39,
        "340282346638528859811704183484516925441",
        "-340282346638528859811704183484516925441",
    ],
)
def test_a_number_beyond_float32_is_refused_at_its_location(client, number):
    """The model computes in float32: beyond its range a number would turn infinite inside the model."""
    status, problem = _post(
        client,
        '{"model": {"layers": [{"type": "Dense", "units": 1, "input_shape": [1]}]}, '
        '"inputs": [[0.5], [' + number + "]]}",
    )
    assert status == 422 and problem["errors"][0]["loc"] == ["inputs", 1, 0]
    assert problem["errors"][0]["msg"] == "numbers must fit a float32 (about ±3.4e38)"
    assert (
        _post(client, '{"model": {"layers": [{"type": "Dense", "units": 1, "input_shape": [1]}]}, "inputs": [[3e38]]}')[
            0
        ]
        == 200
    )


@pytest.mark.parametrize("text", ["[1234567890123456789012345]", '{"units": -99999999999999999999}'])
def test_an_integer_longer_than_int64_keeps_every_digit(text):
    """orjson reads such an integer as a float; bodies holding one are read by json, exactly as written."""
    assert body.parse(text.encode(), Settings()) == json.loads(text)


@pytest.mark.parametrize(
    "text, depth",
    [
        ("1", 0),
        ("[1]", 1),
        ('{"a": [[1]]}', 3),
        ('{"s": "[[[[\\"[[["}', 1),
        ("[[], [[[]]]]", 4),
        ('"\\\\"', 0),
        ('["]", {"k]": "{"}]', 2),
    ],
)
def test_depth_is_read_from_brackets_outside_strings(text, depth):
    assert json.loads(text) is not None or text == "null"
    assert json_depth(outline(text.encode())) == depth


@pytest.mark.parametrize(
    "text",
    [
        "[[[[[1]]]]]",
        "[[[[[[1]]]]]]",
        '{"a": [{"b": [[1]]}]}',
        "[[[[[]]]], [[[[[1]]]]]]",
        '[{"[[[[[[": 1}]',
        "[1, 2, 3]",
    ],
)
@pytest.mark.parametrize("limit", [4, 5, 6])
def test_a_body_is_refused_for_its_depth_exactly_when_it_is_deeper_than_the_limit(text, limit):
    """A body that opens no more brackets than the limit is not read for its depth (it cannot be deeper): the
    refusals are still exactly those of its depth, at the limit and one past it."""
    structure = outline(text.encode())
    if json_depth(structure) > limit:
        with pytest.raises(LimitExceeded, match="max_json_depth"):
            check_depth(structure, Settings(max_json_depth=limit))
    else:
        check_depth(structure, Settings(max_json_depth=limit))


@pytest.mark.parametrize(
    "text, found",
    [
        ('{"model": {"layers": [{"type": "Dense", "name": "a,b:[c]"}]}, "inputs": [[1, 2]]}', False),
        ('{"a": "", "b": {"": ""}, "c": [{"d": "e"}]}', False),
        ('{"inputs": [[1, "2"]]}', True),
        ('["x"]', True),
        ('{"a": [1, ""]}', True),
        ('"s"', True),
        ('{"k\\"": ["\\"]"]}', True),
        ('{"k\\"": "[\\"]"}', False),
    ],
)
def test_strings_held_by_arrays_are_found_from_the_outline(text, found):
    """Where an array may hold a string, numbers are not read in bulk: numpy would read "1.5" as 1.5."""
    assert json.loads(text) is not None
    assert strings_in_arrays(outline(text.encode())) == found


def test_a_long_string_among_many_short_ones_is_refused_at_once(client):
    """numpy reading such an array as strings would size every element for the longest: terabytes."""
    status, problem = _post(client, {"model": MNIST_MODEL, "inputs": ["a" * 2_000_000] + ["b"] * 1_000_000})
    assert status == 422 and problem["errors"][0]["loc"] == ["inputs", 0], problem


def test_brackets_inside_strings_do_not_count_toward_the_depth_limit(make_client):
    """Read past the depth limit, the body reaches the schema, which refuses the name for what it is."""
    body = {"model": {"name": "[" * 40, "layers": [{"type": "Dense", "units": 1, "input_shape": [1]}]}, "inputs": [[1]]}
    status, problem = _post(make_client(max_json_depth=5), body)
    assert status == 422 and problem["errors"][0]["loc"] == ["model", "name"], problem


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_body_in_utf16_or_utf32_is_checked_as_in_utf8(client, encoding):
    """json reads these encodings too; the body's bytes are scanned for true, false and strings as UTF-8."""
    model = {"layers": [{"type": "Dense", "units": 1, "input_shape": [2]}]}
    for bad, error_type in (("true", "not_a_number"), ('"1.5"', "not_a_number")):
        text = '{"model": %s, "inputs": [[0.5, 1], [0.5, %s]]}' % (json.dumps(model), bad)
        response = client.post("/v1/predict", data=text.encode(encoding), content_type="application/json")
        item = response.get_json()["errors"][0]
        assert (response.status_code, item["loc"], item["type"]) == (422, ["inputs", 1, 1], error_type)
    good = json.dumps({"model": model, "inputs": [[0.5, 1]]}).encode(encoding)
    assert client.post("/v1/predict", data=good, content_type="application/json").status_code == 200


TWO_INPUTS = {
    "inputs": [{"name": "a", "shape": [2]}, {"name": "b", "shape": [2]}],
    "layers": [{"type": "Concatenate", "inbound": ["a", "b"]}, {"type": "Dense", "units": 1}],
}


@pytest.mark.parametrize("bad, error_type", [("true", "not_a_number"), ("1e39", "not_finite"), ("[1]", "ragged_array")])
def test_a_bad_number_in_a_named_input_is_refused_at_its_name(client, bad, error_type):
    """Located by the input's name, with no name of the schema's own (inputs are an array or an object)."""
    status, problem = _post(
        client, '{"model": %s, "inputs": {"a": [[1, 2]], "b": [[3, %s]]}}' % (json.dumps(TWO_INPUTS), bad)
    )
    assert status == 422
    assert [(item["loc"], item["type"]) for item in problem["errors"]] == [
        (["inputs"], "list_type"),
        (["inputs", "b", 0, 1], error_type),
    ]


def test_a_batch_read_in_slices_is_the_batch_sent(client):
    """Past 65,536 numbers numpy reads a batch a slice at a time (the event loop gets the GIL in between):
    joined, they are the batch, each image predicted as it is alone; a short row in a later slice is refused."""
    images = _images(100)  # 78,400 numbers: two slices
    status, answer = _post(client, {"model": MNIST_MODEL, "inputs": images})
    assert status == 200 and answer["output_shape"] == [100, 10]
    alone = _post(client, {"model": MNIST_MODEL, "inputs": images[99:]})[1]
    np.testing.assert_allclose(answer["predictions"][99], alone["predictions"][0], rtol=1e-5)
    images[90][5] = images[90][5][:-1]
    status, problem = _post(client, {"model": MNIST_MODEL, "inputs": images})
    assert status == 422 and problem["errors"][0]["loc"] == ["inputs", 90, 5], problem
