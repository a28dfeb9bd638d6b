"""Which address a request comes from, for throttles only (pages and API alike).

``X-Forwarded-For`` is believed only when the peer that sent the request is one of the
reverse proxies named in ``TRUSTED_PROXY_ADDRESSES`` (CIDRs); then the client is the
right-most hop that is not itself a trusted proxy. Anyone else's ``X-Forwarded-For`` is
ignored, so a client cannot dodge a limit, or spend someone else's, by rotating it. (Django
and DRF have no such rule: DRF's NUM_PROXIES trusts the header from any peer.) Addresses are
only ever hashed into cache keys: never stored, never logged.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs or single addresses; ValueError names a bad entry."""
    networks = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError as exc:
            raise ValueError(f"Not an address or CIDR: {value!r}") from exc
    return tuple(networks)


@functools.cache
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks if network.version == ip.version)


def client_address(meta: Mapping[str, Any]) -> str:
    """The peer's address, or behind a trusted proxy the client it forwarded for."""
    peer = str(meta.get("REMOTE_ADDR") or "") or "unknown"
    networks = _networks(tuple(settings.SPEAKUP_TRUSTED_PROXY_ADDRESSES))
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [h.strip() for h in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    hops = [h for h in hops if h]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop
    return hops[0] if hops else peer
