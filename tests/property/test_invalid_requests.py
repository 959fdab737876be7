"""Property 9: a request made invalid by breaking a valid one is refused with a problem+json 4xx that
points at the flaw, never a 5xx and never a 200."""

import pytest
from hypothesis import event, given

from tests.property.profiles import share
from tests.property.strategies import broken_requests

pytestmark = pytest.mark.property
THRICE = share(3)  # refusals are cheap: no weights, no forward pass


@THRICE
@given(broken=broken_requests())
def test_broken_requests_get_a_4xx_problem_that_locates_the_flaw(service, broken):
    """9. Impossible Reshape, windows larger than their axis, layers of the wrong rank, non-positive sizes,
    unknown arguments, refused activations, ragged or misshapen inputs: each a 4xx problem+json whose first
    error is at the flaw."""
    event(broken.flaw)
    problem = service.problem(broken.path, broken.body)
    assert problem.errors, f"{broken.flaw}: the problem names no location: {problem.detail}"
    where = problem.errors[0].loc
    assert where[: len(broken.loc)] == broken.loc, f"{broken.flaw} located at {where}, not at {broken.loc}"
