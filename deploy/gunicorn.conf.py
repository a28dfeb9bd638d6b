"""gunicorn for HTTP (WSGI, sync workers): the measured choice, benchmarks/README.md.

Settings come from the environment that scripts/production (or a systemd unit) sets.
No access log (client addresses, paths); gunicorn's own log lines are JSON like the app's.
"""

import os

from ops.logs import logging_config

bind = [b.strip() for b in os.environ.get("WEB_BIND", "127.0.0.1:8000").split(",") if b.strip()]
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then, so that slow leaks cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
# The scheme (X-Forwarded-Proto) is taken only from the TLS proxy's address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None
disable_redirect_access_to_syslog = True
logconfig_dict = logging_config(os.environ.get("LOG_LEVEL", "INFO"))
