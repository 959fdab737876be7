"""The service's endpoints as the properties call them, over the test client or real HTTP alike.

Every body is noted, so a falsifying example prints the exact request to replay; every answer is checked
for its status and media type and parsed back through the response models.
"""

import json
from typing import Callable, Optional

from hypothesis import note, reject

from keras_shape_service.schemas import PredictResponse, Problem, SummaryResponse

# (path, JSON body as bytes) -> (status, media type, raw answer)
Post = Callable[[str, bytes], tuple[int, str, bytes]]


class Service:
    """/v1/predict and /v1/summary, answers parsed."""

    def __init__(self, post: Post):
        self._post = post

    def post(self, path: str, body: dict, indent: Optional[int] = None) -> tuple[int, str, bytes]:
        """POST the body as JSON; another `indent` sends the same document as other bytes."""
        note(f"POST {path} {json.dumps(body)}")
        return self._post(path, json.dumps(body, indent=indent).encode())

    def predict_bytes(self, body: dict, may_overflow: bool = False, indent: Optional[int] = None) -> bytes:
        """The raw 200 answer; a float32 overflow refused as 422 rejects the example when it may happen."""
        status, media_type, content = self.post("/v1/predict", body, indent)
        if status == 422 and may_overflow and b'"non_finite_output"' in content:
            reject()
        assert status == 200, f"/v1/predict answered {status}: {content[:3000].decode(errors='replace')}"
        assert media_type == "application/json"
        return content

    def predict(self, body: dict, may_overflow: bool = False) -> PredictResponse:
        return PredictResponse.model_validate_json(self.predict_bytes(body, may_overflow))

    def summary(self, model: dict) -> SummaryResponse:
        status, media_type, content = self.post("/v1/summary", {"model": model})
        assert status == 200, f"/v1/summary answered {status}: {content[:3000].decode(errors='replace')}"
        assert media_type == "application/json"
        return SummaryResponse.model_validate_json(content)

    def problem(self, path: str, body: dict) -> Problem:
        """A refusal: problem+json with a 4xx status, never a 5xx, never a 200."""
        status, media_type, content = self.post(path, body)
        assert 400 <= status < 500, f"{path} answered {status}: {content[:3000].decode(errors='replace')}"
        assert media_type == "application/problem+json"
        problem = Problem.model_validate_json(content)
        assert problem.status == status
        return problem
