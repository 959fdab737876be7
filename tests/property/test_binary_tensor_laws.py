"""Laws of the binary tensor data reader, on the function the view calls: any tensor numpy writes little-endian
is read back as the float64 numbers JSON would have given; any other byte count, and any byte string as a
BYTES tensor, is a refusal saying so, never another exception."""

import json
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from keras_shape_service.errors import InvalidInputs, LimitExceeded, MalformedBody
from keras_shape_service.http.tensors import DTYPES, with_binary_data
from keras_shape_service.schemas.inference import InferenceRequest
from keras_shape_service.settings import Settings

pytestmark = pytest.mark.property

SETTINGS = Settings()
# The extension's byte layouts, written out here (not read from the module under test): little-endian
LITTLE_ENDIAN = {"UINT8": "<u1", "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8", "INT8": "<i1", "INT16": "<i2"}
LITTLE_ENDIAN |= {"INT32": "<i4", "INT64": "<i8", "FP16": "<f2", "FP32": "<f4", "FP64": "<f8"}
NUMERIC = sorted(LITTLE_ENDIAN)
SHAPES = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5)


def request_of(datatype, shape, size):
    header = {"inputs": [{"name": "x", "shape": list(shape), "datatype": datatype, "parameters": {}}]}
    header["inputs"][0]["parameters"]["binary_data_size"] = size
    return InferenceRequest.model_validate_json(json.dumps(header))


@given(st.sampled_from(NUMERIC).flatmap(lambda t: st.tuples(st.just(t), hnp.arrays(LITTLE_ENDIAN[t], SHAPES))))
def test_what_numpy_writes_is_read_back_as_its_numbers(drawn):
    datatype, values = drawn
    wide = values.astype(np.float64)
    if not (np.isfinite(wide).all() and np.abs(wide).max() <= 3.4028234663852886e38):
        return  # refused as JSON numbers are: another law's
    data = values.tobytes()
    [tensor] = with_binary_data(request_of(datatype, values.shape, len(data)), data, SETTINGS).inputs
    assert tensor.data.shape == values.shape
    np.testing.assert_array_equal(tensor.data, wide)


@given(st.sampled_from(sorted(DTYPES)), SHAPES, st.integers(0, 400))
def test_any_other_byte_count_is_refused_naming_the_sizes(datatype, shape, size):
    width = np.dtype(DTYPES[datatype]).itemsize
    if size == int(np.prod(shape)) * width:
        return
    with pytest.raises(InvalidInputs, match=f"binary_data_size is {size:,} bytes, but shape"):
        with_binary_data(request_of(datatype, shape, size), b"\1" * size, SETTINGS)


@given(SHAPES, st.binary(max_size=200))
def test_any_bytes_tensor_is_read_whole_or_refused(shape, data):
    try:
        [tensor] = with_binary_data(request_of("BYTES", shape, len(data)), data, SETTINGS).inputs
    except (InvalidInputs, MalformedBody, LimitExceeded):
        return
    elements = list(tensor.data.ravel())
    assert tensor.data.shape == shape
    assert b"".join(struct.pack("<I", len(e)) + e for e in elements) == data
