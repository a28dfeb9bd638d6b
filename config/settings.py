"""Speak Up settings: one module, driven by environment variables.

With no environment at all the app runs on the embedded defaults: SQLite, Celery eager in
process, the in-memory channel layer, console mail and a key file created on first run.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet

from config.policies import (
    AttachmentPolicy,
    DisclosurePolicy,
    ReceiptPolicy,
    RetentionPolicy,
    TimelinessPolicy,
)

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
    "rest_framework.authtoken",
    "drf_spectacular",
    "channels",
    "concerns",
    "workflow",
    "notifications",
    "reports",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.PrivacyHeadersMiddleware",
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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'speakup.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
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
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "landing"  # each role's own workspace (workflow.views_pages)
LOGOUT_REDIRECT_URL = "home"

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

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
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
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}  # filled in by notifications.schedule

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
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "speakup@localhost")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Throttles (pages and API) key on REMOTE_ADDR unless told how many reverse proxies in front
# of the app to trust: then on the address that many hops back in X-Forwarded-For. Trusting
# none by default means a client cannot dodge a limit with its own X-Forwarded-For; behind a
# proxy, set it, or every client shares the proxy's address and its limits.
SPEAKUP_TRUSTED_PROXIES = int(
    os.environ.get("TRUSTED_PROXIES", os.environ.get("API_NUM_PROXIES", "0"))
)
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
    "NUM_PROXIES": SPEAKUP_TRUSTED_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "receipt_client": "10/hour",
        "receipt_global": "120/minute",
        "anonymous_raise": "20/hour",
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

# Sessions are read from the cache (Redis in production) and written through to the
# database: a signed-in request no longer reads the session table.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _flag("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin", not "no-referrer": with no-referrer browsers send "Origin: null" on form
# posts and Django's CSRF check refuses every POST. Other sites still get no referrer.
SECURE_REFERRER_POLICY = "same-origin"

# Logs never carry request bodies, IP addresses or user agents: no access log here, and
# Django's request logger reports only status and path (paths never hold identities).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # The Board pack's font subsetting reports every table it prunes, at INFO.
        "fontTools": {"level": "WARNING"},
        "fpdf": {"level": "WARNING"},
    },
}

SPEAKUP_TIMELINESS = TimelinessPolicy(
    acknowledge_working_days=int(os.environ.get("SLA_ACKNOWLEDGE_WORKING_DAYS", "2")),
    feedback_months=int(os.environ.get("SLA_FEEDBACK_MONTHS", "3")),
)
SPEAKUP_DISCLOSURE = DisclosurePolicy()
SPEAKUP_RECEIPTS = ReceiptPolicy(scrypt_n=int(os.environ.get("RECEIPT_SCRYPT_N", str(2**14))))
SPEAKUP_ATTACHMENTS = AttachmentPolicy()
# Months a case's content is kept after it ends; "never" keeps it for ever.
_retention = os.environ.get("RETENTION_MONTHS_AFTER_END", "72").strip().lower()
SPEAKUP_RETENTION = RetentionPolicy(
    months_after_end=None if _retention == "never" else int(_retention)
)
# Random delay (seconds) before notifying about a new anonymous concern.
SPEAKUP_ANONYMOUS_NOTIFY_DELAY = (
    int(os.environ.get("ANON_NOTIFY_DELAY_MIN", "0")),
    int(os.environ.get("ANON_NOTIFY_DELAY_MAX", "0")),
)
