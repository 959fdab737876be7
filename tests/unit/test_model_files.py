"""Model files uploaded as multipart/form-data: .keras archives and legacy .h5 files saved by real Keras,
answered with Keras's own predictions; and hostile files, each refused with a 4xx saying what is wrong."""

import io
import json
import zipfile

import h5py
import keras
import numpy as np
import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.unit.test_observability import metric

PATHS = ("/v1/predict", "/v1/summary")


def _cnn():
    return keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            keras.layers.Conv2D(6, 3, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(5, activation="softmax"),
        ]
    )


def _masked_gru():
    return keras.Sequential(
        [
            keras.Input((7,), dtype="int32"),
            keras.layers.Embedding(30, 8, mask_zero=True),
            keras.layers.GRU(6),
            keras.layers.Dense(2),
        ]
    )


def _masked_functional_gru():
    """A Functional model's config writes its mask as a NotEqual operation node, and `+` as an Add one."""
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    read = keras.layers.GRU(6)(keras.layers.Embedding(30, 8, mask_zero=True)(tokens))
    return keras.Model(tokens, keras.layers.Dense(6)(read) + read)


def _two_outputs():
    features = keras.Input((10,), name="features")
    hidden = keras.layers.Dense(16, activation="tanh")(features)
    score = keras.layers.Dense(1, name="score")(hidden)
    classes = keras.layers.Dense(3, activation="softmax", name="classes")(hidden)
    return keras.Model(features, [score, classes])


def _inputs(name):
    rng = np.random.default_rng(7)
    if name in ("gru", "masked_functional_gru"):
        tokens = rng.integers(1, 30, size=(4, 7))
        tokens[:, 5:] = 0  # padding, masked
        return tokens.astype(np.int32)
    return rng.normal(size=(3, 12, 12, 3) if name == "cnn" else (3, 10)).astype(np.float32)


MODELS = {
    "cnn": _cnn,
    "gru": _masked_gru,
    "masked_functional_gru": _masked_functional_gru,
    "two_outputs": _two_outputs,
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Each model trained a step off its initial weights (so that a seeded build would not match), saved in
    both formats."""
    folder = tmp_path_factory.mktemp("models")
    files = {}
    for name, make in MODELS.items():
        model = make()
        for variable in model.weights:  # positive (moving variances too), and no seed draws them
            variable.assign(np.random.default_rng(len(variable.path)).uniform(0.05, 0.5, size=variable.shape))
        for suffix in ("keras", "h5"):
            path = folder / f"{name}.{suffix}"
            model.save(path)
            files[name, suffix] = path
    return files


def _upload(client, path, model_bytes, filename="m.keras", **parts):
    """POST a multipart upload, encoded here in memory: the test client spools a body over 500 kB to a
    temporary file it never closes (a ResourceWarning, an error under this suite's filters)."""
    files = {"model": (io.BytesIO(model_bytes), filename), **parts}
    fields = {
        name: FileStorage(stream=value[0], filename=value[1], content_type="application/octet-stream")
        if isinstance(value, tuple)
        else value
        for name, value in files.items()
    }
    boundary, body = encode_multipart(fields)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return (io.BytesIO(buffer.getvalue()), "x.npy")


# Keras's legacy .h5 writes no module for an operation node, and Keras itself cannot load it back ("Unknown
# layer: 'NotEqual'"): that model is read from its .keras archive only.
SAVED = [
    (name, suffix) for name in MODELS for suffix in ("keras", "h5") if (name, suffix) != ("masked_functional_gru", "h5")
]


@pytest.mark.parametrize("name, suffix", SAVED)
def test_predictions_are_keras_own(client, saved, name, suffix):
    path = saved[name, suffix]
    x = _inputs(name)
    response = _upload(client, "/v1/predict", path.read_bytes(), path.name, inputs=_npy(x))
    assert response.status_code == 200, response.json
    answer = response.json
    keras_model = keras.saving.load_model(path)  # Keras's own reading, in the test only
    expected = keras_model.predict(x, verbose=0)
    expected = expected if isinstance(expected, list) else [expected]
    got = answer["predictions"] if len(expected) > 1 else [answer["predictions"]]
    for mine, theirs in zip(got, expected):
        np.testing.assert_allclose(np.array(mine), theirs, atol=1e-5, rtol=0)
    assert answer["params"]["total"] == keras_model.count_params()
    shapes = answer["output_shape"] if len(expected) > 1 else [answer["output_shape"]]
    assert shapes == [list(e.shape) for e in expected]
    assert any("read from the uploaded file" in note for note in answer["notes"])


def test_inputs_as_json_text_and_summary(client, saved):
    path = saved["two_outputs", "keras"]
    x = _inputs("two_outputs")
    response = _upload(client, "/v1/predict", path.read_bytes(), inputs=json.dumps(x.tolist()))
    assert response.status_code == 200, response.json
    expected = keras.saving.load_model(path).predict(x, verbose=0)
    np.testing.assert_allclose(np.array(response.json["predictions"][1]), expected[1], atol=1e-5, rtol=0)
    summary = _upload(client, "/v1/summary", path.read_bytes())
    assert summary.status_code == 200, summary.json
    assert [row["name"] for row in summary.json["layers"]][-2:] == ["score", "classes"]
    assert summary.json["params"]["total"] == keras.saving.load_model(path).count_params()


def _archive(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _refused(response, status, *phrases):
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    text = json.dumps(response.json)
    for phrase in phrases:
        assert phrase in text, text
    return response.json


def test_a_zip_bomb_is_refused_before_it_inflates(client, saved):
    members = _members(saved["cnn", "keras"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", members["config.json"])
        with archive.open("model.weights.h5", "w", force_zip64=True) as bomb:
            zeros = bytes(2**20)
            for _ in range(1024):  # 1 GiB of zeros, deflated a thousand to one
                bomb.write(zeros)
    assert len(buffer.getvalue()) < 2 * 2**20
    _refused(
        _upload(client, "/v1/summary", buffer.getvalue()), 422, "inflates 1,073,741,824 bytes", "more than 100 times"
    )


def test_a_member_past_its_limit_is_refused_unread(make_client, saved):
    small = make_client(max_body_bytes=1000)  # config.json is bounded as a JSON body is
    _refused(_upload(small, "/v1/summary", saved["cnn", "keras"].read_bytes()), 422, "config.json", "declares")


@pytest.mark.parametrize(
    "extra, phrase",
    [("../x", "a path out of the archive"), ("assets/evil.py", "holds only")],
)
def test_unexpected_members_are_refused(client, saved, extra, phrase):
    members = _members(saved["cnn", "keras"]) | {extra: b"print('hi')"}
    _refused(_upload(client, "/v1/summary", _archive(members)), 422, phrase)


def test_a_config_naming_a_module_is_refused(client, saved):
    members = _members(saved["cnn", "keras"])
    config = json.loads(members["config.json"])
    config["module"] = "os"
    config["class_name"] = "system"
    members["config.json"] = json.dumps(config).encode()
    body = _refused(_upload(client, "/v1/summary", _archive(members)), 422)
    assert body["errors"][0]["loc"][0] == "model"


def _rewritten_weights(path, change):
    """The .keras archive with its model.weights.h5 rewritten by `change(h5 file)`."""
    members = _members(path)
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as weights:
        change(weights)
    members["model.weights.h5"] = buffer.getvalue()
    return _archive(members)


def test_an_external_link_is_refused(client, saved, tmp_path):
    outside = tmp_path / "outside.h5"
    with h5py.File(outside, "w") as target:
        target["vars/0"] = np.ones((5,), np.float32)

    def link(weights):
        del weights["layers/dense/vars"]
        weights["layers/dense/vars"] = h5py.ExternalLink(str(outside), "/vars")

    _refused(
        _upload(client, "/v1/summary", _rewritten_weights(saved["cnn", "keras"], link)), 422, "ExternalLink", "no links"
    )


def test_a_dataset_larger_than_its_variable_is_refused(client, saved):
    def grow(weights):
        del weights["layers/dense/vars/0"]
        weights.create_dataset("layers/dense/vars/0", shape=(10**6, 10**6), dtype="float32")  # never allocated

    _refused(
        _upload(client, "/v1/predict", _rewritten_weights(saved["cnn", "keras"], grow), inputs=_npy(_inputs("cnn"))),
        422,
        "[1000000, 1000000]",
        "does not belong to this config",
    )


def test_weights_of_another_model_are_refused(client, saved):
    members = _members(saved["cnn", "keras"])
    members["model.weights.h5"] = _members(saved["two_outputs", "keras"])["model.weights.h5"]
    _refused(_upload(client, "/v1/summary", _archive(members)), 422, "weights of 'm.keras'")


def test_an_h5_weight_name_out_of_its_group_is_refused(client, saved, tmp_path):
    path = tmp_path / "climb.h5"
    path.write_bytes(saved["cnn", "h5"].read_bytes())
    with h5py.File(path, "a") as file:
        group = file["model_weights/dense"]
        group.attrs["weight_names"] = [b"../conv2d/conv2d/kernel", b"dense/bias"]
    _refused(_upload(client, "/v1/summary", path.read_bytes(), "climb.h5"), 422, "a path out of its group")


def test_other_files_and_parts_are_refused(client, saved):
    _refused(_upload(client, "/v1/summary", b"import os"), 422, "neither a .keras archive")
    _refused(
        _upload(client, "/v1/summary", saved["cnn", "keras"].read_bytes(), inputs="[[1]]"),
        422,
        "'model' (the file) only",
    )
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _refused(
        _upload(
            client, "/v1/predict", saved["cnn", "keras"].read_bytes(), inputs=(io.BytesIO(pickled.getvalue()), "x.npy")
        ),
        422,
        "inputs are numbers",
    )


def test_a_file_over_max_file_bytes_is_413(make_client, saved):
    small = make_client(max_file_bytes=1000)
    _refused(_upload(small, "/v1/summary", saved["cnn", "keras"].read_bytes()), 413, "max_file_bytes")


def _soft_link(weights):
    weights["elsewhere"] = weights["layers/dense/vars/0"][()]
    del weights["layers/dense/vars/0"]
    weights["layers/dense/vars/0"] = h5py.SoftLink("/elsewhere")


def _virtual(weights):
    shape = weights["layers/dense/vars/0"].shape
    del weights["layers/dense/vars/0"]
    layout = h5py.VirtualLayout(shape=shape, dtype="float32")
    layout[:] = h5py.VirtualSource("/etc/passwd-as-hdf5.h5", "data", shape=shape)
    weights["layers/dense/vars"].create_virtual_dataset("0", layout)


def _compressed(weights):
    values = weights["layers/dense/vars/0"][()]
    del weights["layers/dense/vars/0"]
    weights["layers/dense/vars"].create_dataset("0", data=values, compression="gzip")


def _external(weights):
    shape = weights["layers/dense/vars/0"].shape
    del weights["layers/dense/vars/0"]
    weights["layers/dense/vars"].create_dataset(
        "0", shape=shape, dtype="float32", external=[("/etc/hostname", 0, h5py.h5f.UNLIMITED)]
    )


@pytest.mark.parametrize(
    "change, phrase",
    [
        (_soft_link, "is a SoftLink; only the file's own members are read"),
        (_virtual, "is a virtual dataset"),
        (_compressed, "filter(s)"),
        (_external, "keeps its data in external files"),
    ],
)
def test_datasets_that_reach_outside_the_file_are_refused(client, saved, change, phrase):
    archive = _rewritten_weights(saved["cnn", "keras"], change)
    _refused(_upload(client, "/v1/predict", archive, inputs=_npy(_inputs("cnn"))), 422, phrase)


def test_parts_of_any_name_are_refused_as_client_errors(client, saved):
    """Found by schemathesis: a part named "" was a 500 (its name made the problem's location)."""
    response = _upload(client, "/v1/summary", saved["cnn", "keras"].read_bytes(), **{"": "null", "\r": "null"})
    _refused(response, 422, "this endpoint takes 'model' (the file) only")


def _answers(client, operation, source):
    return metric(client, "kss_answers_total", operation=operation, form="upload", source=source)


def test_the_same_upload_again_is_answered_from_the_cache(make_client, saved):
    client = make_client()  # its own caches: other tests upload these files too
    path, x = saved["cnn", "keras"], _inputs("cnn")
    built = metric(client, "kss_model_builds_total", kind="predict")
    cached, computed = _answers(client, "predict", "cache"), _answers(client, "predict", "computed")
    first = _upload(client, "/v1/predict", path.read_bytes(), path.name, inputs=_npy(x))
    again = _upload(client, "/v1/predict", path.read_bytes(), path.name, inputs=_npy(x))
    assert first.status_code == again.status_code == 200 and first.data == again.data
    assert _answers(client, "predict", "cache") == cached + 1
    assert _answers(client, "predict", "computed") == computed + 1
    assert metric(client, "kss_model_builds_total", kind="predict") == built + 1
    # Other inputs, or another file of the same name, are another request: computed.
    other = _upload(client, "/v1/predict", path.read_bytes(), path.name, inputs=_npy(x[:1]))
    assert other.status_code == 200 and other.json["output_shape"] == [1, 5]
    h5 = saved["cnn", "h5"]
    renamed = _upload(client, "/v1/predict", h5.read_bytes(), path.name, inputs=_npy(x))
    assert renamed.status_code == 200 and renamed.data != first.data  # its notes name the other layout
    assert _answers(client, "predict", "cache") == cached + 1
    summary = _upload(client, "/v1/summary", path.read_bytes(), path.name)
    assert _upload(client, "/v1/summary", path.read_bytes(), path.name).data == summary.data
    assert _answers(client, "summary", "cache") >= 1


def _compare(client, **parts):
    return _upload_parts(client, "/v1/compare", parts)


def _upload_parts(client, path, parts):
    fields = {
        name: FileStorage(stream=value[0], filename=value[1], content_type="application/octet-stream")
        if isinstance(value, tuple)
        else value
        for name, value in parts.items()
    }
    boundary, body = encode_multipart(fields)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _file(path):
    return (io.BytesIO(path.read_bytes()), path.name)


def test_compare_two_uploaded_files_with_their_inputs(client, saved):
    x = _inputs("cnn")
    response = _compare(
        client,
        a=_file(saved["cnn", "keras"]),
        b=_file(saved["cnn", "h5"]),
        **{"a.inputs": _npy(x), "b.inputs": _npy(x[:2])},
    )
    assert response.status_code == 200, response.json
    expected = keras.saving.load_model(saved["cnn", "keras"]).predict(x, verbose=0)
    np.testing.assert_allclose(np.array(response.json["a"]["predictions"]), expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(np.array(response.json["b"]["predictions"]), expected[:2], atol=1e-5, rtol=0)
    assert response.json["a"]["output_shape"] == [3, 5] and response.json["b"]["output_shape"] == [2, 5]
    assert [d["what"] for d in response.json["differences"]] == [
        "the predictions have shape [3, 5] in a and [2, 5] in b"
    ]


def test_compare_a_file_with_a_json_body(client, saved):
    """One side a file (a summary), the other the JSON of a summary body: the two-output model against the CNN."""
    cnn_config = json.loads(_members(saved["cnn", "keras"])["config.json"])
    response = _compare(client, a=_file(saved["two_outputs", "keras"]), b=json.dumps({"model": cnn_config}))
    assert response.status_code == 200, response.json
    keras_model = keras.saving.load_model(saved["two_outputs", "keras"])
    assert response.json["a"]["params"]["total"] == keras_model.count_params()
    assert response.json["b"]["params"]["total"] == keras.saving.load_model(saved["cnn", "keras"]).count_params()
    assert response.json["differences"], "two other models part somewhere"
    assert "predictions" not in response.json["a"]


def test_compare_uploads_are_refused_by_side(client, saved):
    keras_file = saved["cnn", "keras"]
    _refused(_compare(client, a=_file(keras_file)), 422, "send the side 'b' as a model file")
    _refused(_compare(client, a=_file(keras_file), b=_file(keras_file), model=_file(keras_file)), 422, "'a' and 'b'")
    stray = _compare(client, a=_file(keras_file), b='{"model": {}}', **{"b.inputs": "[[1]]"})
    _refused(stray, 422, "the side 'b' is a JSON body")
    members = _members(keras_file)
    members["model.weights.h5"] = _members(saved["two_outputs", "keras"])["model.weights.h5"]
    mismatched = _compare(client, a=_file(keras_file), b=(io.BytesIO(_archive(members)), "other.keras"))
    body = _refused(mismatched, 422, "b: ", "weights of 'other.keras'")
    assert body["errors"][0]["loc"][:2] == ["b", "model"]
    garbage = _compare(client, a=(io.BytesIO(b"import os"), "m.keras"), b=_file(keras_file))
    _refused(garbage, 422, "a: ", "neither a .keras archive")


def test_compare_over_twice_max_file_bytes_is_413(make_client, saved):
    small = make_client(max_file_bytes=2000)  # a side fits; the two files do not
    response = _compare(small, a=_file(saved["cnn", "keras"]), b=_file(saved["cnn", "keras"]))
    _refused(response, 413, "max_file_bytes")


def test_a_json_side_past_max_body_bytes_is_413(make_client, saved):
    small = make_client(max_body_bytes=6000)  # the file's config (4 kB) fits
    big_side = json.dumps({"model": {"layers": [{"type": "Dense", "units": 1}] * 300, "input_shape": [3]}})
    response = _compare(small, a=_file(saved["cnn", "keras"]), b=big_side)
    _refused(response, 413, "max_body_bytes", "part 'b'")
