"""A sample of the property suite through the real gunicorn server, its workers answering in turn."""
import numpy as np
import pytest
from hypothesis import given

from tests.property.api import Service
from tests.property.oracles import expected_rows
from tests.property.profiles import share
from tests.property.strategies import broken_requests, model_cases

pytestmark = [pytest.mark.integration, pytest.mark.property]
SAMPLE = share(0.25)  # each request pays for HTTP and a worker's queue; the test client covers the rest


@pytest.fixture(scope="module")
def live(server, http):
    """The live server as the properties call it."""
    def post(path: str, data: bytes):
        response = http.post(f"{server}{path}", data=data, headers={"Content-Type": "application/json"},
                             timeout=60)
        return response.status_code, response.headers.get("Content-Type", "").split(";")[0], response.content
    return Service(post)


@SAMPLE
@given(case=model_cases())
def test_shapes_and_params_follow_the_oracles_over_http(live, case):
    """Properties 1-3 on live answers."""
    answer = live.predict(case.body(), case.may_overflow())
    expected = expected_rows(case.layers, case.input_shape)
    assert [(row.input_shape, row.output_shape, row.params) for row in answer.layers] == [
        ([None, *rows.input_shape], [None, *rows.output_shape], rows.params.total) for rows in expected]
    assert answer.output_shape == [case.batch, *expected[-1].output_shape] == list(np.shape(answer.predictions))
    assert answer.params.total == sum(rows.params.total for rows in expected)


@SAMPLE
@given(case=model_cases())
def test_every_worker_gives_the_same_bytes(live, case):
    """Property 7 across processes: the answer depends on the body, not on the worker or its history."""
    assert len({live.predict_bytes(case.body(), case.may_overflow()) for _ in range(4)}) == 1


@SAMPLE
@given(broken=broken_requests())
def test_broken_requests_get_a_4xx_problem_over_http(live, broken):
    """Property 9 on live answers."""
    live.problem(broken.path, broken.body)
