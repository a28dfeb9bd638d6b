"""Settings for the API benchmark: production settings, with the abuse throttles opened up so
that one load generator on one address can measure throughput. Everything else (PostgreSQL,
Redis cache, encryption, receipt scrypt cost, the event chain) is as in production; the
throttles still run and still use the Redis cache, they just do not refuse."""

from config.settings import *  # noqa: F403
from config.settings import REST_FRAMEWORK

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    # Per second, so the throttle's history list stays short (as it would in production).
    "DEFAULT_THROTTLE_RATES": {
        scope: "100000/s" for scope in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    },
}

# Anonymous raising (page and API share this budget) and receipt codes: opened up likewise.
from dataclasses import replace as _replace  # noqa: E402

from config.settings import SPEAKUP_RECEIPTS  # noqa: E402

SPEAKUP_RECEIPTS = _replace(
    SPEAKUP_RECEIPTS,
    anonymous_raises_per_client_per_hour=10**9,
    attempts_per_client_per_hour=10**9,
    attempts_global_per_minute=10**9,
)
