"""A sample of the property suite through the real gunicorn server, its workers answering in turn."""

import numpy as np
import pytest
import requests
from hypothesis import given

from tests.property.api import Service
from tests.property.oracles import expected_rows
from tests.property.profiles import share
from tests.property.strategies import broken_requests, model_cases

pytestmark = [pytest.mark.integration, pytest.mark.property]
SAMPLE = share(0.25)  # each request pays for HTTP and a worker's queue; the test client covers the rest


def _service(server: str, post) -> Service:
    def call(path: str, data: bytes):
        response = post(f"{server}{path}", data=data, headers={"Content-Type": "application/json"}, timeout=60)
        return response.status_code, response.headers.get("Content-Type", "").split(";")[0], response.content

    return Service(call)


@pytest.fixture(scope="module")
def live(server, http):
    """The live server as the properties call it, over one keep-alive connection (so one worker)."""
    return _service(server, http.post)


@pytest.fixture(scope="module")
def live_any_worker(server):
    """The live server over a new connection per request, which any worker may accept."""
    return _service(server, requests.post)


@SAMPLE
@given(case=model_cases())
def test_shapes_and_params_follow_the_oracles_over_http(live, case):
    """Properties 1-3 on live answers."""
    answer = live.predict(case.body(), case.may_overflow())
    expected = expected_rows(case.layers, case.input_shape)
    assert [(row.input_shape, row.output_shape, row.params) for row in answer.layers] == [
        ([None, *rows.input_shape], [None, *rows.output_shape], rows.params.total) for rows in expected
    ]
    assert answer.output_shape == [case.batch, *expected[-1].output_shape] == list(np.shape(answer.predictions))
    assert answer.params.total == sum(rows.params.total for rows in expected)


@SAMPLE
@given(case=model_cases())
def test_every_worker_gives_the_same_bytes(live_any_worker, case):
    """Property 7 across processes: the answer depends on the body, not on the worker or its history. (No
    answer says which worker gave it; six new connections reach both of the two with probability ~97%.)"""
    answers = {live_any_worker.predict_bytes(case.body(), case.may_overflow()) for _ in range(6)}
    assert len(answers) == 1


@SAMPLE
@given(broken=broken_requests())
def test_broken_requests_get_a_4xx_problem_over_http(live, broken):
    """Property 9 on live answers."""
    live.problem(broken.path, broken.body)
