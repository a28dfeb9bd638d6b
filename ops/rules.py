"""Typed, frozen operations settings (settings hold instances; read at call time)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class HealthPolicy:
    # A worker must answer a ping within this many seconds.
    worker_ping_seconds: float = 2.0
    # Beat schedules ops.heartbeat every heartbeat_seconds; older than this is "not ready".
    beat_max_age_seconds: int = 300
    heartbeat_seconds: int = 30
    # The oldest due, unsent delivery may wait this long before readiness fails.
    outbox_max_age_seconds: int = 3600


@dataclass(frozen=True)
class MetricsPolicy:
    token: str = ""
    allow_networks: tuple[str, ...] = ()

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(n, strict=False) for n in self.allow_networks]
