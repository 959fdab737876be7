"""The binary tensor data extension and compressed bodies of POST /v2/models/{name}/infer, with bodies made by
hand byte by byte (what tritonclient sends, and what it must not): the numbers the JSON path gives, and a
{"error"} saying what is wrong for each size that does not add up, each malformed BYTES tensor, a gzip bomb."""

import gzip
import json
import struct
import zlib

import numpy as np
import pytest

from keras_shape_service.schemas.examples import SEED_INPUTS
from keras_shape_service.schemas.inference import InferenceResponse
from tests.forms import SEED_LAYERS, TWO_INPUT_GRAPH

X = np.array(SEED_INPUTS, dtype=np.float32)  # shape (1, 3, 2)
HEADER = "Inference-Header-Content-Length"


@pytest.fixture(scope="module")
def client(make_client, tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    (folder / "seed.json").write_text(json.dumps({"layers": SEED_LAYERS}))
    (folder / "graph.json").write_text(json.dumps(TWO_INPUT_GRAPH))
    return make_client(model_repository=str(folder), max_body_bytes=100_000, max_input_elements=5_000)


def binary_body(inputs, outputs=None, parameters=None, extra=b""):
    """tritonclient's framing: the JSON, then each (name, datatype, shape, bytes) input's bytes in order."""
    document = {
        "inputs": [
            {"name": n, "datatype": t, "shape": list(s), "parameters": {"binary_data_size": len(b)}}
            for n, t, s, b in inputs
        ]
    }
    if outputs is not None:
        document["outputs"] = outputs
    if parameters is not None:
        document["parameters"] = parameters
    header = json.dumps(document).encode()
    return header + b"".join(b for *_, b in inputs) + extra, len(header)


def post(client, body, header_length=None, model="seed", **headers):
    if header_length is not None:
        headers[HEADER] = str(header_length)
    return client.post(f"/v2/models/{model}/infer", data=body, headers=headers)


def error_of(response, status):
    assert response.status_code == status, response.data
    assert list(response.get_json()) == ["error"]
    return response.get_json()["error"]


def json_answer(client, data=SEED_INPUTS, datatype="FP32"):
    tensor = {"name": "input_layer", "shape": [1, 3, 2], "datatype": datatype, "data": data}
    response = client.post("/v2/models/seed/infer", json={"inputs": [tensor]})
    assert response.status_code == 200, response.data
    return np.array(InferenceResponse.model_validate_json(response.data).outputs[0].data)


def binary_outputs(response):
    """The answer's outputs by name, read as tritonclient's InferResult reads them."""
    assert response.status_code == 200, response.data
    assert response.content_type == "application/octet-stream"
    length = int(response.headers[HEADER])
    document, rest = json.loads(response.data[:length]), response.data[length:]
    outputs, offset = {}, 0
    for output in document["outputs"]:
        if "parameters" not in output:  # asked for as JSON
            assert output["data"]
            continue
        size = output["parameters"]["binary_data_size"]
        assert "data" not in output
        outputs[output["name"]] = np.frombuffer(rest[offset : offset + size], "<f4").reshape(output["shape"])
        offset += size
    assert offset == len(rest)
    return outputs


def test_binary_fp32_in_and_out_gives_the_json_paths_numbers(client):
    body, length = binary_body([("input_layer", "FP32", X.shape, X.tobytes())], parameters={"binary_data_output": True})
    outputs = binary_outputs(post(client, body, length))
    assert list(outputs) == ["dense_1"] and outputs["dense_1"].shape == (1, 4)
    np.testing.assert_array_equal(outputs["dense_1"].ravel(), json_answer(client))


@pytest.mark.parametrize(
    "datatype, values",
    [
        ("FP16", X.astype("<f2")),
        ("FP64", X.astype("<f8")),
        ("INT8", np.array([[[1, -2], [3, 4], [-5, 6]]], "<i1")),
        ("UINT8", np.array([[[1, 200], [3, 4], [5, 255]]], "<u1")),
        ("INT16", np.array([[[1, -2], [300, 4], [-5, 6]]], "<i2")),
        ("INT64", np.array([[[1, -2], [3, 4], [-5, 6]]], "<i8")),
        ("UINT32", np.array([[[1, 2], [3, 4], [5, 70000]]], "<u4")),
    ],
)
def test_each_numeric_datatype_is_converted_as_the_json_path_converts_its_numbers(client, datatype, values):
    body, length = binary_body([("input_layer", datatype, values.shape, values.tobytes())])
    response = post(client, body, length)
    assert response.status_code == 200 and response.content_type == "application/json"  # no binary asked for
    [output] = InferenceResponse.model_validate_json(response.data).outputs
    np.testing.assert_allclose(output.data, json_answer(client, values.tolist(), datatype), rtol=1e-6)


def test_bf16_is_read_as_the_upper_half_of_a_float32(client):
    exact = np.array([[[1.5, -2.0], [0.25, 3.0], [-0.125, 96.0]]], dtype="<f4")  # bfloat16 holds these exactly
    bf16 = (exact.view("<u4") >> 16).astype("<u2")
    body, length = binary_body([("input_layer", "BF16", exact.shape, bf16.tobytes())])
    [output] = InferenceResponse.model_validate_json(post(client, body, length).data).outputs
    np.testing.assert_array_equal(output.data, json_answer(client, exact.tolist()))


def test_two_binary_inputs_in_order_and_the_output_asked_for_as_binary(client):
    tokens, features = np.array([[1, 2, 3], [4, 5, 9]], "<i4"), np.arange(8, dtype="<f4").reshape(2, 4)
    inputs = [("tokens", "INT32", (2, 3), tokens.tobytes()), ("features", "FP32", (2, 4), features.tobytes())]
    wanted = [{"name": "pooled", "parameters": {"binary_data": True}}, {"name": "score"}]
    outputs = binary_outputs(post(client, *binary_body(inputs, outputs=wanted), model="graph"))
    assert list(outputs) == ["pooled"]  # score asked for as JSON: it stays in the header, not read here
    as_json = client.post(
        "/v2/models/graph/infer",
        json={
            "inputs": [
                {"name": "tokens", "shape": [2, 3], "datatype": "INT32", "data": tokens.tolist()},
                {"name": "features", "shape": [2, 4], "datatype": "FP32", "data": features.tolist()},
            ]
        },
    )
    by_name = {o.name: o.data for o in InferenceResponse.model_validate_json(as_json.data).outputs}
    np.testing.assert_array_equal(outputs["pooled"].ravel(), by_name["pooled"])


def test_json_inputs_with_binary_data_output_answer_binary(client):
    tensor = {"name": "input_layer", "shape": [1, 3, 2], "datatype": "FP32", "data": SEED_INPUTS}
    body = json.dumps({"inputs": [tensor], "parameters": {"binary_data_output": True}})
    outputs = binary_outputs(client.post("/v2/models/seed/infer", data=body))
    np.testing.assert_array_equal(outputs["dense_1"].ravel(), json_answer(client))


@pytest.mark.parametrize("coding, compress", [("gzip", gzip.compress), ("deflate", zlib.compress)])
def test_compressed_requests_are_read_and_compressed_answers_given_when_accepted(client, coding, compress):
    body, length = binary_body([("input_layer", "FP32", X.shape, X.tobytes())])
    response = post(client, compress(body), length, **{"Content-Encoding": coding, "Accept-Encoding": coding})
    assert response.status_code == 200, response.data
    assert response.headers["Content-Encoding"] == coding
    plain = gzip.decompress(response.data) if coding == "gzip" else zlib.decompress(response.data)
    np.testing.assert_array_equal(json.loads(plain)["outputs"][0]["data"], json_answer(client))


def test_a_gzip_bomb_is_refused_past_the_body_limit_without_inflating_it_all(client):
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)  # 50 MB in about 50 kB, under the 100 kB limit
    assert len(bomb) < 100_000
    message = error_of(post(client, bomb, 10, **{"Content-Encoding": "gzip"}), 413)
    assert (
        message
        == "body size in bytes once gzip-decompressed (at least) is 100,001, over the limit max_body_bytes=100,000"
    )


def test_compressed_bodies_that_are_no_such_thing_are_refused(client):
    body, length = binary_body([("input_layer", "FP32", X.shape, X.tobytes())])
    assert "not valid gzip data" in error_of(post(client, body, length, **{"Content-Encoding": "gzip"}), 400)
    truncated = gzip.compress(body)[:-12]
    assert "ends before its compressed stream does" in error_of(
        post(client, truncated, length, **{"Content-Encoding": "gzip"}), 400
    )
    assert "Content-Encoding 'br' is not supported" in error_of(
        post(client, body, length, **{"Content-Encoding": "br"}), 415
    )


@pytest.mark.parametrize(
    "header_length, message",
    [
        ("100000", "Inference-Header-Content-Length is '100000', but the body is"),
        ("0", "Inference-Header-Content-Length is '0'"),
        ("-5", "Inference-Header-Content-Length is '-5'"),
        ("twelve", "it must be the length in bytes of the JSON at the body's start"),
    ],
)
def test_a_header_length_past_the_body_or_no_length_is_refused(client, header_length, message):
    body, _ = binary_body([("input_layer", "FP32", X.shape, X.tobytes())])
    assert message in error_of(post(client, body, header_length), 400)


def test_a_header_length_that_cuts_the_json_is_refused_as_json(client):
    body, length = binary_body([("input_layer", "FP32", X.shape, X.tobytes())])
    assert "not valid JSON" in error_of(post(client, body, length - 3), 400)


def test_sizes_that_do_not_add_up_are_refused_saying_which(client):
    data = X.tobytes()
    body, length = binary_body([("input_layer", "FP32", X.shape, data)], extra=b"\0\0\0\0")
    assert error_of(post(client, body, length), 400) == (
        "the binary data after the JSON is 28 bytes, but the inputs' binary_data_size add up to 24 (input_layer: 24)"
    )
    body, length = binary_body([("input_layer", "FP32", X.shape, data[:20])])
    assert error_of(post(client, body, length), 400) == (
        "input 'input_layer': binary_data_size is 20 bytes, but shape [1, 3, 2] of FP32 takes 6 x 4 = 24 bytes"
    )
    body, length = binary_body([("input_layer", "FP16", X.shape, data)])  # 24 bytes: FP32's, not FP16's 12
    assert "shape [1, 3, 2] of FP16 takes 6 x 2 = 12 bytes" in error_of(post(client, body, length), 400)
    huge, length = binary_body([("input_layer", "FP32", (10**12, 3, 2), data)])  # checked before any allocation
    assert error_of(post(client, huge, length), 400) == (
        "number of inputs is 6,000,000,000,000, over the limit max_input_elements=5,000"
    )


def test_an_empty_binary_tensor_is_refused_as_an_empty_json_array_is(client):
    body, length = binary_body([("input_layer", "FP32", (0, 3, 2), b"")])
    assert error_of(post(client, body, length), 400) == (
        "input 'input_layer' has shape [0, 3, 2]: no values; send at least one example"
    )


def test_too_many_elements_are_refused_before_they_are_read(client):
    data = np.zeros((1000, 3, 2), "<u1").tobytes()  # 6,000 elements, 6 kB: within the body limit
    body, length = binary_body([("input_layer", "UINT8", (1000, 3, 2), data)])
    assert error_of(post(client, body, length), 400) == (
        "number of inputs is 6,000, over the limit max_input_elements=5,000"
    )


def test_binary_data_size_needs_the_header_and_excludes_data(client):
    body, _ = binary_body([("input_layer", "FP32", X.shape, X.tobytes())])
    assert "gives binary_data_size, but the request has no Inference-Header-Content-Length header" in error_of(
        client.post("/v2/models/seed/infer", data=body[: body.index(b"}]}") + 3]), 400
    )
    tensor = {"name": "input_layer", "shape": [1, 3, 2], "datatype": "FP32", "data": SEED_INPUTS}
    both = json.dumps({"inputs": [dict(tensor, parameters={"binary_data_size": 0})]}).encode()
    assert "has both `data` and binary_data_size" in error_of(post(client, both, len(both)), 400)
    odd = json.dumps({"inputs": [dict(tensor, data=None, parameters={"binary_data_size": "24"})]}).encode()
    assert "binary_data_size is '24'; it must be a byte count" in error_of(post(client, odd, len(odd)), 400)


def test_non_finite_and_non_boolean_binary_values_are_refused(client):
    nan = X.copy()
    nan[0, 1, 1] = np.nan
    body, length = binary_body([("input_layer", "FP32", X.shape, nan.tobytes())])
    assert "numbers must be finite and fit a float32" in error_of(post(client, body, length), 400)
    big = X.astype("<f8")
    big[0, 0, 0] = 1e300
    body, length = binary_body([("input_layer", "FP64", X.shape, big.tobytes())])
    assert "numbers must be finite and fit a float32" in error_of(post(client, body, length), 400)
    body, length = binary_body([("input_layer", "BOOL", X.shape, bytes([0, 1, 2, 0, 1, 1]))])
    assert "is BOOL: each byte must be 0 or 1" in error_of(post(client, body, length), 400)


def bytes_tensor(*elements):
    return b"".join(struct.pack("<I", len(e)) + e for e in elements)


@pytest.mark.parametrize(
    "data, message",
    [
        (bytes_tensor(b"a", b"b", b"c", b"d", b"e") + b"\1\0", "BYTES element 5 has no 4-byte length"),
        (bytes_tensor(b"a", b"b", b"c", b"d", b"e") + struct.pack("<I", 99) + b"xy", "element 5 says 99 bytes"),
        (bytes_tensor(*[b"ab"] * 6) + b"zz", "2 bytes are left after its 6 BYTES elements"),
        (b"\0" * 20, "shape [1, 3, 2] takes 6 BYTES elements, at least 24 bytes of lengths; binary_data_size is 20"),
    ],
)
def test_malformed_bytes_tensors_are_refused_saying_where(client, data, message):
    body, length = binary_body([("input_layer", "BYTES", (1, 3, 2), data)])
    assert message in error_of(post(client, body, length), 400)


def test_a_well_formed_bytes_tensor_is_read_then_refused_for_its_datatype(client):
    body, length = binary_body([("input_layer", "BYTES", (1, 3, 2), bytes_tensor(*[b"word"] * 6))])
    assert "input 'input_layer' has datatype BYTES; the model takes FP32" in error_of(post(client, body, length), 400)


def test_octet_stream_is_the_binary_bodys_content_type_and_server_metadata_lists_the_extension(client):
    body, length = binary_body([("input_layer", "FP32", X.shape, X.tobytes())])
    response = post(client, body, length, **{"Content-Type": "application/octet-stream"})
    assert response.status_code == 200, response.data
    assert client.get("/v2").get_json()["extensions"] == ["binary_tensor_data"]
