"""Django settings for Corkboard, every value read from the environment.

With nothing set, Corkboard runs on a SQLite file and the in-memory channel layer, so
one process serves a small team on a bare machine. ``DATABASE_URL`` and ``REDIS_URL``
switch to PostgreSQL and Redis; see README.md and .env.example for every variable.
"""

from pathlib import Path
from typing import Any

import environ

from project.logconfig import logging_config
from project.secret_key import INSECURE_DEFAULT_SECRET

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("READ_DOT_ENV", default=False):
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEFAULT_SECRET)
# Previous keys, still accepted for sessions signed before a rotation (docs/runbook.md).
SECRET_KEY_FALLBACKS: list[str] = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOW_INSECURE_KEY = env.bool("CORKBOARD_ALLOW_INSECURE_KEY", default=False)
# Whether the environment configures DEBUG at all: a bare checkout does not, and may
# run management commands with the published key (project/secret_key.py).
DEBUG_CONFIGURED = "DEBUG" in env.ENVIRON

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "project.apps.ProjectConfig",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "project.apps.FeatureFlagsConfig",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "collab",
    "realtime",
    "api",
]

MIDDLEWARE = [
    # Request id (X-Request-ID) and one log line per request; outermost, so it sees all.
    "project.request_log.RequestLogMiddleware",
    # Prometheus request counts and latency by route (project/metrics.py).
    "project.metrics.MetricsMiddleware",
    # Refuses the published secret key when a server starts, then steps aside.
    "project.secret_key.RefusePublishedKeyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "project.security.ContentSecurityPolicyMiddleware",
    # Outside WhiteNoise, so that the app shell it serves at / is not frameable either.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "waffle.middleware.WaffleMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
ASGI_APPLICATION = "project.asgi.application"

FRONTEND_DIST = BASE_DIR / "frontend" / "dist"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps' own templates: the admin's index gets a status block.
        "DIRS": [BASE_DIR / "project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # An unreachable database fails a request in seconds instead of hanging it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [d for d in [FRONTEND_DIST] if d.is_dir()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_ROOT = FRONTEND_DIST if FRONTEND_DIST.is_dir() else None
# "/" is answered by spa_index (no-cache, CSRF cookie), not by WhiteNoise (max-age=60).
WHITENOISE_INDEX_FILE = False

# Redis: the channel layer, the cache (throttles, socket tickets, presence).
REDIS_URL: str | None = env.str("REDIS_URL", default=None) or None

CHANNEL_LAYERS: dict[str, Any]
CACHES: dict[str, Any]
if REDIS_URL:
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    CHANNEL_LAYERS = {
        "default": {
            # The pub/sub layer: lower CPU and no silent drops under bursts (DESIGN,
            # "Known pitfalls"), reading without polling (realtime/layer.py).
            # Correctness still comes from seq and replay.
            "BACKEND": "realtime.layer.PubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # redis-py 8 defaults to a 5 s read timeout, which closes idle
                        # subscribers' connections; a pool cap of 100 raises during
                        # connect bursts instead of waiting.
                        "socket_timeout": None,
                        "socket_connect_timeout": 5,
                        "socket_keepalive": True,
                        "max_connections": env.int("REDIS_MAX_CONNECTIONS", default=10_000),
                        "health_check_interval": 30,
                        # A pooled connection goes stale when Redis restarts: retry on a
                        # fresh one (backoff 50 ms .. 0.5 s, 3 tries) rather than drop the
                        # publish. The catch-up sweep covers what still fails.
                        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
                        "retry_on_error": [RedisConnectionError, RedisTimeoutError, OSError],
                    }
                ],
                "prefix": env.str("CHANNEL_PREFIX", default="corkboard"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "project.cache.RedisCache",
            "LOCATION": env.str("CACHE_URL", default=REDIS_URL),
            "KEY_PREFIX": env.str("CACHE_PREFIX", default="corkboard"),
            # A cache is never worth a long wait: a down or paused Redis fails fast, and
            # the throttles fall back to per-process counting (api/throttling.py).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    # One hub channel per process receives every board's events (realtime.hub): the
    # default capacity of 100 messages would drop a burst.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 100_000},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Production security (see README, "Security settings"). HTTPS_ONLY=1 turns on every
# HTTPS protection at once; each can still be set on its own.
HTTPS_ONLY = env.bool("HTTPS_ONLY", default=False)
if env.bool("BEHIND_TLS_PROXY", default=False):
    # The proxy terminates TLS and says so in X-Forwarded-Proto; trust only that header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS_ONLY)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS_ONLY)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS_ONLY)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS_ONLY)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS_ONLY)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BODY_BYTES", default=1_048_576)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.TokenScopePermission",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    # Proxies in front of Daphne whose X-Forwarded-For the throttles may trust.
    "NUM_PROXIES": env.int("NUM_PROXIES") if env.str("NUM_PROXIES", default="") else None,
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonThrottle",
        "api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "user": env.str("THROTTLE_USER", default="1200/min"),
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
        "signup": env.str("THROTTLE_SIGNUP", default="20/hour"),
    },
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Corkboard API",
    "DESCRIPTION": (
        "The public REST API of Corkboard. Authenticate with a personal access token "
        "(`Authorization: Bearer <token>`) or a browser session with CSRF. Every write is "
        "broadcast live on the board's websocket stream as an event."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.idempotency_hook",
        "api.schema.rate_limit_hook",
    ],
}

# Corkboard's own settings.
ALLOW_SIGNUP = env.bool("ALLOW_SIGNUP", default=True)
EVENT_RETENTION_DAYS = env.int("EVENT_RETENTION_DAYS", default=30)
# A reconnecting socket is sent at most this many missed events; past it, `resync`.
EVENT_REPLAY_LIMIT = env.int("EVENT_REPLAY_LIMIT", default=1000)
WS_TICKET_TTL_SECONDS = env.int("WS_TICKET_TTL_SECONDS", default=30)
WS_MAX_MESSAGE_BYTES = env.int("WS_MAX_MESSAGE_BYTES", default=65_536)
WS_MAX_SUBSCRIPTIONS = env.int("WS_MAX_SUBSCRIPTIONS", default=50)
WS_RATE_PER_SECOND = env.float("WS_RATE_PER_SECOND", default=20.0)
WS_RATE_BURST = env.int("WS_RATE_BURST", default=40)
# Each socket refreshes its entry every 7 s, so a killed process leaves no ghost
# for longer than TTL + 7 s (27 s by default).
PRESENCE_TTL_SECONDS = env.int("PRESENCE_TTL_SECONDS", default=20)
# Presence keys in the layer's Redis are "<PRESENCE_PREFIX>:presence:<board>".
PRESENCE_PREFIX = env.str("PRESENCE_PREFIX", default=env.str("CHANNEL_PREFIX", default="corkboard"))
# Every this many seconds each process reads the head seq of its subscribed boards and
# gap-fills sockets that stayed behind for a whole interval (a dropped publish).
REALTIME_SWEEP_SECONDS = env.float("REALTIME_SWEEP_SECONDS", default=2.0)
# Collaborative descriptions (/ws/cards/<id>/doc/): the largest update frame, the
# sustained and burst frames per second per socket, how long edits settle before the
# text is written to Card.description, how many updates follow a snapshot before the
# next store compacts them, and how often a socket's access is checked again.
DOC_MAX_MESSAGE_BYTES = env.int("DOC_MAX_MESSAGE_BYTES", default=262_144)
DOC_RATE_PER_SECOND = env.float("DOC_RATE_PER_SECOND", default=30.0)
DOC_RATE_BURST = env.int("DOC_RATE_BURST", default=120)
DOC_PROJECT_SECONDS = env.float("DOC_PROJECT_SECONDS", default=2.0)
DOC_COMPACT_EVERY = env.int("DOC_COMPACT_EVERY", default=200)
DOC_ACCESS_CHECK_SECONDS = env.float("DOC_ACCESS_CHECK_SECONDS", default=10.0)
# An event stream (GET /api/v1/boards/<id>/stream/) writes a ": ping" comment this often.
SSE_HEARTBEAT_SECONDS = env.float("SSE_HEARTBEAT_SECONDS", default=15.0)
# A request thread waits at most this long for its after-commit publish.
REALTIME_PUBLISH_WAIT_SECONDS = env.float("REALTIME_PUBLISH_WAIT_SECONDS", default=1.0)
# On SIGTERM a Daphne process closes its sockets (1012) and waits this long at most
# for in-flight requests before it stops.
REALTIME_SHUTDOWN_GRACE_SECONDS = env.float("REALTIME_SHUTDOWN_GRACE_SECONDS", default=7.0)
# Threads (each with at most one database connection) that run the socket tier's reads.
REALTIME_DB_THREADS = env.int("REALTIME_DB_THREADS", default=4)
# A socket-tier thread's database connection used without error this recently skips
# CONN_HEALTH_CHECKS' ping before its next read (realtime/db.py); 0 pings every time.
REALTIME_DB_TRUST_SECONDS = env.float("REALTIME_DB_TRUST_SECONDS", default=1.0)
# How long the channel layer's subscription read waits for a message before it reads
# again (realtime/layer.py; a message wakes it at once). channels_redis polls every 0.1 s.
REALTIME_LAYER_WAIT_SECONDS = env.float("REALTIME_LAYER_WAIT_SECONDS", default=2.0)
# Idempotency-Key on POST (api/idempotency.py): how long a key's first response is kept,
# and after how long a key whose request never finished (a crashed process) is retried.
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)
IDEMPOTENCY_STALE_SECONDS = env.int("IDEMPOTENCY_STALE_SECONDS", default=60)

# Background jobs (webhook deliveries, email digests): Django's task API with the
# database backend, run by `manage.py db_worker` (bin/run starts one beside Daphne).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Email (webhook endpoint disabled, notification digests): printed to the console
# unless EMAIL_URL names an SMTP server, e.g. smtp+tls://user:password@mail.example:587.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Corkboard <corkboard@localhost>")

# Webhooks (collab/webhooks.py). Retries wait these many seconds after each failed
# attempt, give or take WEBHOOK_RETRY_JITTER (a fraction): 5 s, 5 min, 30 min, 2 h,
# 5 h, 10 h, 10 h — eight attempts over about 27 hours, as Standard Webhooks suggests.
WEBHOOK_RETRY_SCHEDULE: list[float] = [
    float(delay)
    for delay in env.list(
        "WEBHOOK_RETRY_SCHEDULE", default=["5", "300", "1800", "7200", "18000", "36000", "36000"]
    )
]
WEBHOOK_RETRY_JITTER = env.float("WEBHOOK_RETRY_JITTER", default=0.1)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# An endpoint is disabled after this many failed attempts in a row (any board); by
# default one whole retry schedule without a single success.
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=8)
# After a rotation the previous secret still signs deliveries for this long.
WEBHOOK_SECRET_GRACE_SECONDS = env.int("WEBHOOK_SECRET_GRACE_SECONDS", default=24 * 3600)
# Allow targets on loopback, private and link-local networks (self-hosted receivers).
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)

# Unread notifications are emailed this many minutes after the first one (one digest).
NOTIFICATION_DIGEST_MINUTES = env.float("NOTIFICATION_DIGEST_MINUTES", default=60.0)
# The address people open Corkboard at, for links in email.
PUBLIC_URL = env.str("PUBLIC_URL", default="http://127.0.0.1:8000")
# The serving processes' garbage collector (project/gc_tuning.py): startup objects frozen
# and a first-generation threshold of GC_GEN0_THRESHOLD allocations (CPython: 700).
GC_TUNING = env.bool("GC_TUNING", default=True)
GC_GEN0_THRESHOLD = env.int("GC_GEN0_THRESHOLD", default=20_000)
# How long a board's card list pages stay in the shared cache, keyed by the board's seq
# (api/page_cache.py); 0 computes every page.
LIST_PAGE_CACHE_SECONDS = env.int("LIST_PAGE_CACHE_SECONDS", default=300)
# A socket with more than this many bytes not yet written to it is a slow socket: it is
# taken out of live delivery and, once its buffer drains, caught up from the Event table.
WS_SEND_BUFFER_BYTES = env.int("WS_SEND_BUFFER_BYTES", default=1_048_576)

# Operations (README, "Operating Corkboard").
# /metrics answers only "Authorization: Bearer <METRICS_TOKEN>"; unset, it is a 404.
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")
# A process refuses sockets past this many (close 1013, "try again later").
WS_MAX_SOCKETS = env.int("WS_MAX_SOCKETS", default=5000)
# Where bin/backup writes its dumps; the admin's status block reads the newest.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(BASE_DIR / "backups")))

# "text" (human-readable, the default) or "json" (one object per line, for production).
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
