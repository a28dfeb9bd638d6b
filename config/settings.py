"""Speak Up settings: one module, driven by environment variables.

With no environment at all the app runs on the embedded defaults: SQLite, Celery eager in
process, the in-memory channel layer, console mail and a key file created on first run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from kombu import Queue

from config.proxies import parse_networks as _parse_networks
from config.rules import (
    AttachmentPolicy,
    DisclosurePolicy,
    ReceiptPolicy,
    RetentionPolicy,
    SessionPolicy,
    TimelinessPolicy,
)
from ops.logs import logging_config
from ops.rules import HealthPolicy, MetricsPolicy
from ops.sentry import init_from_env as init_sentry

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SPEAKUP_DATA_DIR", BASE_DIR / "var"))


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _secret_file(name: str, make: callable) -> str:
    """A secret kept outside git, created on first run (embedded default only)."""
    path = DATA_DIR / name
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = _flag("DEBUG")
# Serving with DEBUG off refuses to start without SECRET_KEY (config/security.py, called by
# wsgi.py and asgi.py); management commands such as makemigrations run without one, on a
# random key kept outside git.
SECRET_KEY_FROM_ENV = bool(os.environ.get("SECRET_KEY"))
SECRET_KEY = os.environ.get("SECRET_KEY") or _secret_file(
    "secret-key", lambda: secrets.token_urlsafe(50)
)

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Field encryption: MultiFernet keys, newest first. Never derived from SECRET_KEY.
_keys = os.environ.get("FIELD_ENCRYPTION_KEYS", "")
FIELD_ENCRYPTION_KEYS = [k.strip() for k in _keys.split(",") if k.strip()] or [
    _secret_file("field-encryption.key", lambda: Fernet.generate_key().decode())
]
# Pepper for receipt-code hashes and the case-log HMAC: a separate secret from the keys.
SPEAKUP_PEPPER = os.environ.get("SPEAKUP_PEPPER") or _secret_file(
    "pepper", lambda: secrets.token_urlsafe(32)
)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    # Accounts, MFA and (issue 18) OpenID Connect: one stack, django-allauth (README).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    # API tokens stored as a SHA-512 digest, with an expiry.
    "knox",
    "channels",
    "concerns",
    "workflow",
    "notifications",
    "reports",
    "api",
    "ops",
    "csp",
    "accounts",
    "setup",
]

MIDDLEWARE = [
    # Outermost: a request id for every log line, then one line per request (route name,
    # status, duration) and its metrics.
    "ops.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session limits, then staff kept at MFA enrolment until they enrol.
    "accounts.middleware.SessionLimitsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireStaffMFAMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.PrivacyHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    # Innermost, so that it sees a view's database outage first (config/unavailable.py).
    "config.unavailable.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "concerns.context_processors.roles",
                "setup.context.setup_link",
            ],
        },
    },
]

_DB_POOL = _flag("DB_POOL", default=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'speakup.sqlite3'}",
        # Persistent connections leaked under ASGI (each request's thread opened its own and
        # left it idle: 193 held by two uvicorn workers until PostgreSQL refused clients), so
        # connections are pooled and bounded instead (below), or closed after each request.
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with timestamps read in C (config/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    # Parameters bound on the server, so that psycopg prepares a statement on its fifth run
    # on a connection and PostgreSQL stops parsing and planning it: the API's statements are
    # the same text each time (planning the queue page took longer than running it). Off
    # (DB_PREPARED_STATEMENTS=0: Django's client-side binding) behind a pooler in
    # transaction mode, which cannot keep a prepared statement between transactions.
    if _flag("DB_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
    # At most DB_POOL_MAX_SIZE connections per process (web worker, Celery process), however
    # many requests or threads want one: the others wait up to DB_POOL_TIMEOUT seconds, then
    # get a 503 (at once while PostgreSQL is unreachable: config/postgresql/base.py). Pooled
    # connections keep their prepared statements between requests.
    # DB_POOL=0 behind an external pooler (PgBouncer), with DB_CONN_MAX_AGE as before.
    if _DB_POOL:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "1")),
            "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "8")),
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
            # A connection unused this long is closed (the pool keeps min_size).
            "max_idle": float(os.environ.get("DB_POOL_MAX_IDLE", "300")),
        }
    # A PostgreSQL that does not answer must fail a request fast (a 503), not after the
    # OS's connect timeout of minutes.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(
        os.environ.get("DB_CONNECT_TIMEOUT", "3")
    )
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Concurrent writers on the embedded default: write-ahead logging (readers never block
    # the writer), every transaction takes the write lock when it begins (IMMEDIATE) so two
    # writers queue on the busy timeout instead of one failing "database is locked" when
    # both try to upgrade a read lock, and a busy timeout long enough to wait in that queue.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=int(os.environ.get("SQLITE_BUSY_TIMEOUT", "20")),
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    )
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---- Accounts and authentication (issue 15) -------------------------------------------
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("PASSWORD_MIN_LENGTH", "12"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "landing"  # each role's own workspace (workflow.pages.views)
LOGOUT_REDIRECT_URL = "home"

# (h15's adapter, extended by issue 18 with the provider's MFA and sign-out: accounts/oidc.)
ACCOUNT_ADAPTER = "accounts.oidc.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
# A password change ends every session of the account, this one too: sign in again.
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# The reset form answers the same for an address that has no account (and sends nothing).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
# Every password form (sign-in page, admin, API token) shares one failure count per account
# and one per client; the lockout ends when the window passes.
LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "5"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900"))
LOGIN_FAILURES_PER_CLIENT = int(os.environ.get("LOGIN_FAILURES_PER_CLIENT", "20"))
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{LOGIN_FAILURES_PER_CLIENT}/{LOGIN_LOCKOUT_SECONDS}s/ip,"
        f"{LOGIN_FAILURES_PER_ACCOUNT}/{LOGIN_LOCKOUT_SECONDS}s/key"
    ),
    "login": "30/m/ip",
    "reset_password": "20/m/ip,3/15m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
# allauth's own client address is not used: accounts.adapters.client_key applies
# config/proxies.py (TRUSTED_PROXY_ADDRESSES), the same rule as every other throttle.
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "Speak Up")
# Passkeys need a secure origin; plain http://127.0.0.1 is allowed only with DEBUG on.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_RATE_LIMITS = {
    "mfa_authenticate": "10/m/user",
    "mfa_reauthenticate": "10/m/user",
    "mfa_trust": "5/m/user",
    "mfa_activate_totp": "10/m/user",
}
SPEAKUP_SESSIONS = SessionPolicy(
    staff_idle_minutes=int(os.environ.get("SESSION_IDLE_MINUTES_STAFF", "30")),
    idle_minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "60")),
    absolute_hours=int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12")),
)


# ---- Sign-in with the organisation's identity provider (issue 18) -----------------------
# allauth.socialaccount's openid_connect provider (accounts/oidc adds what it lacks). One
# provider from OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_PROVIDER_NAME (the
# button) and OIDC_SCOPES; several from OIDC_PROVIDERS, a JSON list of objects with the keys
# id, name, issuer_url, client_id, client_secret and optionally scopes, fetch_userinfo,
# trusted_email_domains. README "Sign-in with the organisation's identity provider".
def _oidc_app(spec: dict) -> dict:
    scopes = spec.get("scopes") or "openid email profile"
    domains = spec.get("trusted_email_domains") or []
    if isinstance(domains, str):
        domains = [d.strip() for d in domains.split(",") if d.strip()]
    return {
        "provider_id": spec.get("id") or "org",
        "name": spec.get("name") or "your organisation's account",
        "client_id": spec["client_id"],
        "secret": spec.get("client_secret", ""),
        "settings": {
            "server_url": spec["issuer_url"],
            "scope": scopes.split() if isinstance(scopes, str) else list(scopes),
            "oauth_pkce_enabled": True,
            "fetch_userinfo": bool(spec.get("fetch_userinfo", False)),
            # A provider that sends no email_verified claim (Entra ID) may be trusted for
            # addresses in the organisation's own domains only.
            "verified_email": domains or False,
        },
    }


_oidc_specs = json.loads(os.environ.get("OIDC_PROVIDERS") or "[]")
if os.environ.get("OIDC_ISSUER_URL"):
    _oidc_specs.insert(
        0,
        {
            "id": os.environ.get("OIDC_PROVIDER_ID", "org"),
            "name": os.environ.get("OIDC_PROVIDER_NAME"),
            "issuer_url": os.environ["OIDC_ISSUER_URL"],
            "client_id": os.environ.get("OIDC_CLIENT_ID", ""),
            "client_secret": os.environ.get("OIDC_CLIENT_SECRET", ""),
            "scopes": os.environ.get("OIDC_SCOPES"),
            "fetch_userinfo": _flag("OIDC_FETCH_USERINFO"),
            "trusted_email_domains": os.environ.get("OIDC_TRUSTED_EMAIL_DOMAINS"),
        },
    )
SOCIALACCOUNT_ADAPTER = "accounts.oidc.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "provider_class": "accounts.oidc.OIDCProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [_oidc_app(spec) for spec in _oidc_specs],
    }
}
# No account is ever made by signing in with a provider; it must match an existing one.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # (accounts.oidc matches, without wiping passwords)
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # a POST (with the CSRF token) starts a provider sign-in
SOCIALACCOUNT_REQUESTS_TIMEOUT = int(os.environ.get("OIDC_TIMEOUT_SECONDS", "5"))
# When the provider asserts MFA (amr "mfa", or acr in OIDC_MFA_ACR_VALUES), local MFA may be
# skipped: off unless set.
OIDC_TRUST_PROVIDER_MFA = _flag("OIDC_TRUST_PROVIDER_MFA")
OIDC_MFA_ACR_VALUES = [
    v.strip() for v in os.environ.get("OIDC_MFA_ACR_VALUES", "").split(",") if v.strip()
]
OIDC_CLOCK_SKEW_SECONDS = int(os.environ.get("OIDC_CLOCK_SKEW_SECONDS", "30"))

REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(hours=float(os.environ.get("API_TOKEN_HOURS", "8"))),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_PREFIX": "su_",
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The NHS.UK design system, installed from npm by the set-up command (package.json pins it).
NHSUK_FRONTEND_DIR = BASE_DIR / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
STATICFILES_DIRS = [BASE_DIR / "static"] + (
    [("nhsuk", NHSUK_FRONTEND_DIR)] if NHSUK_FRONTEND_DIR.exists() else []
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads larger than this stay out of memory; attachments are checked again by size.
DATA_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 11 * 1024 * 1024

REDIS_URL = os.environ.get("REDIS_URL", "")

# Redis when configured, with a per-process fallback while it is unreachable
# (config/cache.py): throttles keep counting locally and no request fails for the cache.
CACHES = {
    "default": (
        {"BACKEND": "config.cache.FallbackRedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

CHANNEL_LAYERS = {
    "default": (
        {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": os.environ.get("CHANNELS_PREFIX", "asgi"),
                # All sockets of one process share one queue, so a broadcast to N sockets
                # needs room for N messages at once (the default of 100 silently dropped).
                "capacity": int(os.environ.get("CHANNELS_CAPACITY", "2000")),
            },
        }
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}
# Redis pub/sub (CHANNELS_REDIS_LAYER=pubsub) fans a broadcast out inside each process and
# cost about a fifth less server CPU in benchmarks/ws_bench.py; opt-in until it has run in
# production, since the list-based layer is the one Channels documents first.
if REDIS_URL and os.environ.get("CHANNELS_REDIS_LAYER", "core") == "pubsub":
    CHANNEL_LAYERS["default"] = {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("CHANNELS_PREFIX", "asgi")},
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "speakup")
# A committee family's audit on the worker runs for minutes (reports.tasks.audit_family): it
# has a queue of its own, so that deliveries never wait behind it. A worker started without
# --queues takes both; the production topology runs one process for each (deploy/Procfile).
CELERY_AUDIT_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-audits"
CELERY_TASK_QUEUES = (Queue(CELERY_TASK_DEFAULT_QUEUE), Queue(CELERY_AUDIT_QUEUE))
CELERY_TASK_ROUTES = {"reports.tasks.audit_family": {"queue": CELERY_AUDIT_QUEUE}}
# The audit worker runs with CELERY_REMOTE_CONTROL=0: it never answers the readiness ping
# (ops.health.CeleryWorker asks the first worker to answer for the deliveries' queue).
CELERY_WORKER_ENABLE_REMOTE_CONTROL = os.environ.get("CELERY_REMOTE_CONTROL", "1") != "0"
# A broker that is down must not hang a request: publishing gives up fast and the
# outbox sweeper delivers later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# socket_timeout bounds a Redis that accepts the connection but never answers: without it a
# publish was measured hanging for as long as the silent peer stayed up.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 3,
}
# No task runs for ever (a mail server that accepts and never answers held both worker
# processes for minutes): the soft limit raises inside the task, the hard one kills the
# process (prefork pool; the solo pool cannot enforce either). A delivery's lease
# (notifications.services.sending.LEASE) is longer than the hard limit.
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "60"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "90"))
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}  # filled in by notifications.schedule and ops
# Workers log through LOGGING below (JSON, no task arguments), not Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_REDIRECT_STDOUTS = False

_email_url = os.environ.get("EMAIL_URL", "")
if _email_url:
    from urllib.parse import unquote, urlparse

    _e = urlparse(_email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _e.hostname or "localhost"
    EMAIL_PORT = _e.port or 25
    EMAIL_HOST_USER = unquote(_e.username or "")
    EMAIL_HOST_PASSWORD = unquote(_e.password or "")
    EMAIL_USE_TLS = _e.scheme in {"smtp+tls", "submission"}
    EMAIL_USE_SSL = _e.scheme == "smtps"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Every SMTP operation gives up after this many seconds: a silent mail server delays its
# messages, and never holds a worker.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
# Emails sent at once by a sweep draining a backlog, each on its own SMTP connection. One on
# SQLite (the embedded default): its writers take turns anyway, and threads marking rows at
# once met "database table is locked".
SPEAKUP_EMAIL_CONCURRENCY = int(
    os.environ.get(
        "EMAIL_CONCURRENCY", "1" if DATABASES["default"]["ENGINE"].endswith("sqlite3") else "4"
    )
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "speakup@localhost")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Throttles (pages and API) key on REMOTE_ADDR, and believe X-Forwarded-For only when the
# request comes from one of these reverse proxies (CIDRs, comma-separated): then the client
# is the right-most hop that is not one of them (config/proxies.py). Behind a proxy, set it,
# or every client shares the proxy's address and its limits. (TRUSTED_PROXIES=N, a hop count
# that believed the header from any peer, is gone.)
SPEAKUP_TRUSTED_PROXY_ADDRESSES = tuple(
    a.strip() for a in os.environ.get("TRUSTED_PROXY_ADDRESSES", "").split(",") if a.strip()
)
_parse_networks(SPEAKUP_TRUSTED_PROXY_ADDRESSES)  # a typo stops the start, not the limits
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ReceiptTokenAuthentication",
        "api.authentication.AccountTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # The API speaks JSON only, and refuses oversized bodies (413) before reading them.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Our throttles take the address from config.proxies; 0 keeps DRF's own get_ident (for
    # any throttle that does not) off X-Forwarded-For, which it otherwise believes from anyone.
    "NUM_PROXIES": 0,
    # Receipt codes and anonymous raising are not here: page and API share one budget for
    # each (workflow/receipt_throttle.py, SPEAKUP_RECEIPTS).
    "DEFAULT_THROTTLE_RATES": {
        "token_client": "20/hour",
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Speak Up API",
    "DESCRIPTION": "Raise and handle concerns in healthcare education and training.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "EventKindEnum": "workflow.models.EventKind",
        "MessageKindEnum": "workflow.models.MessageKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
}

# Sessions live in the database only. Read through a cache (cached_db), a session written
# or ended while Redis was unreachable stayed in Redis in its old state, and a signed-out
# session came back to life when Redis did; one primary-key read per request is the price.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
# The cookie ends with the browser; SessionLimitsMiddleware ends the session itself on the
# server after the idle and absolute limits (SPEAKUP_SESSIONS).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = SPEAKUP_SESSIONS.absolute_hours * 3600
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _flag("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin", not "no-referrer": with no-referrer browsers send "Origin: null" on form
# posts and Django's CSRF check refuses every POST. Other sites still get no referrer.
SECURE_REFERRER_POLICY = "same-origin"

# TLS: with secure cookies on (the default when DEBUG is off) plain HTTP is redirected to
# HTTPS and browsers are told to use HTTPS only (HSTS). SECURE_COOKIES=0, as the tests and
# ./scripts/serve run, turns all three off together. Behind a TLS proxy the web servers
# take the scheme from X-Forwarded-Proto of FORWARDED_ALLOW_IPS only (scripts/production).
SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", default=SESSION_COOKIE_SECURE)
# Load balancers probe health over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SECURE_HSTS_SECONDS = int(
    os.environ.get("HSTS_SECONDS", "31536000" if SESSION_COOKIE_SECURE else "0")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = _flag("HSTS_PRELOAD")

# Content Security Policy (django-csp): this site only. Sockets go to SITE_URL's own host
# ('self' covers ws/wss of the page's origin in current browsers; the explicit origin is for
# those that predate CSP level 3). No other host: the NHS.UK fonts are not loaded (see
# scripts/nhsuk_css.py), and nothing else is fetched from outside.
_site = urlsplit(SITE_URL)
_socket_origin = f"{'wss' if _site.scheme == 'https' else 'ws'}://{_site.netloc}"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "style-src": [SELF],
        "script-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF, _socket_origin],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Logs: one JSON object a line (ops/logs.py), with the request or task id, and never a
# request body, client address, User-Agent, cookie or path (routes are logged by name).
LOGGING = logging_config(os.environ.get("LOG_LEVEL", "INFO"))
# Python's warnings go through the same JSON lines (py.warnings), not bare to stderr.
logging.captureWarnings(True)

# Readiness (/health/ready/) and metrics (/metrics, for a bearer token or listed networks).
SPEAKUP_HEALTH = HealthPolicy(
    worker_ping_seconds=float(os.environ.get("HEALTH_WORKER_PING_SECONDS", "2")),
    beat_max_age_seconds=int(os.environ.get("HEALTH_BEAT_MAX_AGE_SECONDS", "300")),
    heartbeat_seconds=int(os.environ.get("HEALTH_HEARTBEAT_SECONDS", "30")),
    outbox_max_age_seconds=int(os.environ.get("HEALTH_OUTBOX_MAX_AGE_SECONDS", "3600")),
)
SPEAKUP_METRICS = MetricsPolicy(
    token=os.environ.get("METRICS_TOKEN", ""),
    allow_networks=tuple(
        n.strip() for n in os.environ.get("METRICS_ALLOW_IPS", "").split(",") if n.strip()
    ),
)

SPEAKUP_TIMELINESS = TimelinessPolicy(
    acknowledge_working_days=int(os.environ.get("SLA_ACKNOWLEDGE_WORKING_DAYS", "2")),
    feedback_months=int(os.environ.get("SLA_FEEDBACK_MONTHS", "3")),
)
SPEAKUP_DISCLOSURE = DisclosurePolicy(
    exact_cells=int(os.environ.get("REPORTS_EXACT_CELLS", "2300")),
    background_cells=int(os.environ.get("REPORTS_BACKGROUND_AUDIT_CELLS", "18000")),
    proof_cells=int(os.environ.get("REPORTS_PROOF_CELLS", "9500")),
    background_seconds=int(os.environ.get("REPORTS_BACKGROUND_AUDIT_SECONDS", "900")),
)
SPEAKUP_RECEIPTS = ReceiptPolicy(scrypt_n=int(os.environ.get("RECEIPT_SCRYPT_N", str(2**14))))
SPEAKUP_ATTACHMENTS = AttachmentPolicy()
# Months a case's content is kept after it ends; "never" keeps it for ever.
_retention = os.environ.get("RETENTION_MONTHS_AFTER_END", "72").strip().lower()
SPEAKUP_RETENTION = RetentionPolicy(
    months_after_end=None if _retention == "never" else int(_retention)
)


def _seconds_range(name: str, default: str) -> tuple[int, int]:
    """ "120-600" (a range of seconds), "300" (exactly), or "0" (off)."""
    text = os.environ.get(name, default).strip()
    low, _, high = text.partition("-")
    try:
        bounds = (int(low), int(high or low))
    except ValueError as exc:
        raise ValueError(f"{name} must be seconds, or a range like 120-600: {text!r}") from exc
    if bounds[0] < 0 or bounds[0] > bounds[1]:
        raise ValueError(f"{name} must be a range of seconds from low to high: {text!r}")
    return bounds


# A new anonymous concern is announced to staff (email, in-app, live) after a random delay
# in this range (seconds), so that the moment it arrives does not point to who was free to
# raise it just then. On by default; "0" turns it off. Deadlines run from the exact time.
SPEAKUP_ANONYMOUS_NOTIFY_DELAY = _seconds_range("SPEAKUP_ANONYMOUS_NOTIFY_DELAY", "120-600")

# Optional error reports (SENTRY_DSN), scrubbed of anything personal (ops/sentry.py).
init_sentry()
