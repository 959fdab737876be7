"""Whom a request is from, which max_kills_per_client counts by: behind a trusted proxy, the right-most address
of X-Forwarded-For that is no trusted proxy; from any other peer, the peer, whatever X-Forwarded-For says
(issue 21)."""

import pytest
from pydantic import ValidationError

from keras_shape_service.executors import Answerer
from keras_shape_service.http.app import create_app
from keras_shape_service.http.clients import client_address
from keras_shape_service.settings import Settings
from tests.forms import SEED_BODY

PROXIES = "127.0.0.1, 10.1.0.0/16"


@pytest.mark.parametrize(
    "peer, forwarded_for, client",
    [
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # an untrusted peer's header is ignored
        ("203.0.113.9", [], "203.0.113.9"),
        ("127.0.0.1", ["198.51.100.1"], "198.51.100.1"),  # a trusted proxy's header names the client
        ("127.0.0.1", [], "127.0.0.1"),  # nothing forwarded: the proxy itself
        # A client's own X-Forwarded-For, left of what the proxy appended, is not believed
        ("127.0.0.1", ["1.2.3.4, 198.51.100.1"], "198.51.100.1"),
        ("127.0.0.1", ["1.2.3.4", "198.51.100.1"], "198.51.100.1"),  # the header sent twice reads as one list
        # Proxies in a chain, each trusted, are skipped to the first address none of them is
        ("127.0.0.1", ["1.2.3.4, 198.51.100.1, 10.1.4.2"], "198.51.100.1"),
        ("127.0.0.1", ["10.1.0.7, 10.1.4.2"], "127.0.0.1"),  # every hop a proxy: the peer
        ("::1", ["198.51.100.1"], "::1"),  # ::1 is not 127.0.0.1
    ],
)
def test_the_client_is_the_right_most_untrusted_address_from_a_trusted_peer(peer, forwarded_for, client):
    assert client_address(peer, forwarded_for, PROXIES) == client


def test_without_trusted_proxies_the_peer_is_the_client():
    assert client_address("127.0.0.1", ["198.51.100.1"], "") == "127.0.0.1"


def test_a_trusted_proxy_that_is_no_address_is_refused_at_start():
    with pytest.raises(ValidationError, match="proxy.example"):
        Settings(trusted_proxies="127.0.0.1,proxy.example")


class _Recording(Answerer):
    """An answerer that records whom each request was from."""

    def __init__(self):
        self.clients: list[str] = []

    def answer(self, operation_id, request, client=""):
        self.clients.append(client)
        return b"{}"

    def plans(self, request):
        return True


@pytest.mark.parametrize(
    "trusted, peer, client", [("", "127.0.0.1", "127.0.0.1"), ("127.0.0.0/8", "127.0.0.1", "198.51.100.1")]
)
def test_the_engine_is_told_the_client_of_each_request(trusted, peer, client):
    """Through the app: the address the kill window counts by."""
    recording = _Recording()
    app = create_app(Settings(trusted_proxies=trusted, response_cache_bytes=0), engine=recording)
    headers = {"X-Forwarded-For": "1.2.3.4, 198.51.100.1"}
    answer = app.test_client().post("/v1/predict", json=SEED_BODY, headers=headers, environ_base={"REMOTE_ADDR": peer})
    assert answer.status_code == 200
    assert recording.clients == [client]
