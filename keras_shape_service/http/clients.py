"""Who sent a request: the address that max_kills_per_client counts by (keras_shape_service/executors/client.py).

Behind a proxy (nginx in docker-compose, the sidecar in deploy/) every request's peer is the proxy, so that one
client's kills would slow down everyone. A peer in KSS_TRUSTED_PROXIES is taken at its word: the client is
the right-most address of X-Forwarded-For that is no trusted proxy (each proxy appends the address it was
reached from; anything left of that a client may have written itself). werkzeug's ProxyFix trusts a fixed
number of hops whoever the peer is, so that a client reaching the service directly could name any address;
here the peer's address decides.
"""

import ipaddress
from functools import lru_cache
from typing import Union

from flask import request

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
_LONGEST_ADDRESS = 64  # an IPv6 address with a zone is shorter; anything longer is no address


@lru_cache(maxsize=8)
def _networks(trusted_proxies: str) -> tuple[Network, ...]:
    return tuple(
        ipaddress.ip_network(entry, strict=False)
        for entry in filter(None, (part.strip() for part in trusted_proxies.split(",")))
    )


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_address(peer: str, forwarded_for: list[str], trusted_proxies: str) -> str:
    """The client of a request from `peer` carrying these X-Forwarded-For headers (in order)."""
    networks = _networks(trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop[:_LONGEST_ADDRESS] or peer
    return peer  # every hop a trusted proxy: the request began among them


def request_client(trusted_proxies: str) -> str:
    """The client of the request being handled."""
    return client_address(request.remote_addr or "", request.headers.getlist("X-Forwarded-For"), trusted_proxies)
