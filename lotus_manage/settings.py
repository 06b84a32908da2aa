"""Settings for lotus-manage.

Everything that differs between a laptop, CI and production comes from the
environment (twelve-factor style) through django-environ. The README has the
table of variables; `make run` and `make test` set safe development values so
that they work with no environment at all.
"""
import os
from pathlib import Path

import environ

from django.core.exceptions import ImproperlyConfigured

from access_control.rates import parse_rate

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# A developer's `.env` file (written by `make run`: DEBUG on and a random key), so
# that `manage.py` commands work on a laptop without exporting anything. Variables
# already in the environment win; deployments have no such file. ENV_FILE names
# another file, or none when empty (the test suite sets it empty).
ENV_FILE = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE and os.path.isfile(ENV_FILE):
    environ.Env.read_env(ENV_FILE)

# --- Core -------------------------------------------------------------------

# Off unless asked for: a forgotten variable must not expose tracebacks.
DEBUG = env.bool("DEBUG", default=False)

# With DEBUG on, a fixed development key is acceptable; with DEBUG off the key
# must come from the environment (django-environ raises ImproperlyConfigured),
# so a production deployment can never run on a key that is in the repository.
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-lotus-manage-development-only")
else:
    SECRET_KEY = env.str("SECRET_KEY")

# Local hosts are allowed by default only in DEBUG; production lists its own.
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1"] if DEBUG else [],
)

# --- Transport security (production behind TLS) ------------------------------

# Off by default so that plain-HTTP development and benchmarks work; production turns
# them on (CI checks that `manage.py check --deploy` is clean when they are).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Health probes of a load balancer or orchestrator come over plain HTTP from inside.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Admin session and CSRF cookies travel over HTTPS only, unless developing.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / Redoc assets served locally, no CDN
    # Locks out admin logins after repeated failures (AXES_FAILURE_LIMIT).
    "axes",
    # Provides the hashed-key model that access_control.ApiKey extends (its own
    # concrete APIKey model is unused and hidden from the admin).
    "rest_framework_api_key",
    "access_control",
    "rebalance",
    "dpm_runs",
]

MIDDLEWARE = [
    # Outermost: every response, including errors raised by other middleware (e.g. a
    # disallowed Host header) and static files, carries the correlation id.
    "lotus_manage.middleware.CorrelationIdMiddleware",
    # Counts and times every request by route template (GET /metrics).
    "lotus_manage.request_metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, as whitenoise requires: serves the admin
    # and API-docs static files under gunicorn without a separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lotus_manage.urls"
WSGI_APPLICATION = "lotus_manage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database ---------------------------------------------------------------

# A SQLite file in the repository root unless DATABASE_URL says otherwise,
# e.g. postgres://user:password@host:5432/lotus_manage
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections: opening one per request cost ~10 ms of a ~25 ms simulate
    # (benchmarks/http_throughput.py). Set 0 for one connection per request, and keep
    # it 0 if Django's connection pool (OPTIONS["pool"]) is ever enabled.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # Persistent connections can go stale; check them before reuse, unless they
    # served a request less than a second ago (lotus_manage/postgresql/base.py).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] > 0
    DATABASES["default"]["ENGINE"] = "lotus_manage.postgresql"
    # An unreachable database answers 503 within this many seconds instead of
    # holding the request (and the worker) until the operating system gives up.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    # The hot path's hand-written statements (lotus_manage/bound_cursor.py) are
    # prepared on their fifth use per connection: planning the claim's statement took
    # longer than running it. The ORM's statements are bound on the client and never
    # prepared. (Django's default, None, prepares nothing.)
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers on one SQLite file: a transaction takes the write lock
    # when it begins, so concurrent writers wait their turn (the busy timeout) instead
    # of failing with "database is locked" (which would answer 503) on upgrading a read.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("transaction_mode", "IMMEDIATE")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------

# django-axes first: it refuses a locked-out username/address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin logins: locked after this many failures for one username from one address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# Hours until a lockout lifts by itself; `manage.py axes_reset` lifts it at once.
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Admin sessions end after 15 minutes without a request (each request renews them).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=15 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Where the admin is served; a non-default path keeps it out of drive-by scans.
ADMIN_URL = env.str("ADMIN_URL", default="admin/").strip("/") + "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en-us"
# Timestamps are stored and served in UTC.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------

STATIC_URL = "static/"
# `manage.py collectstatic` target, served by whitenoise in production.
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed but not manifest-hashed: the manifest variant fails on every
    # page that uses {% static %} until collectstatic has run (tests, a fresh
    # checkout), and the admin/sidecar assets are versioned by their packages.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Django REST framework / OpenAPI ----------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Money and quantities are decimals; they leave as strings, never floats.
    "COERCE_DECIMAL_TO_STRING": True,
    # The API speaks JSON only (no browsable API, no form posts).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # API clients only (access_control): `Authorization: Api-Key <key>`. No session
    # authentication, so an admin login grants nothing on the API.
    "DEFAULT_AUTHENTICATION_CLASSES": ["access_control.authentication.ApiKeyAuthentication"],
    # Deny by default; each endpoint names the roles it serves.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
    # One problem-details envelope for every error (lotus_manage/problems.py).
    "EXCEPTION_HANDLER": "lotus_manage.problems.exception_handler",
    # No OPTIONS metadata responses: a method the contract does not list is 405.
    "DEFAULT_METADATA_CLASS": None,
}

# Request bodies up to 20 MB: a simulate body at the boundary's caps (10,000 positions,
# 20,000 prices and shelf entries) is about 5 MB; anything larger is answered 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=20 * 1024 * 1024)

SPECTACULAR_SETTINGS = {
    "TITLE": "lotus-manage: DPM Rebalance Simulation Service",
    "DESCRIPTION": "Deterministic discretionary-portfolio rebalance simulation.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # UI assets come from drf-spectacular-sidecar, so the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The document and its viewers are public; a stray Authorization header must
    # not make them answer 401.
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # 401/403/429 of every operation that needs an API key (lotus_manage/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "access_control.openapi.add_access_control_responses",
        "access_control.openapi.add_database_unavailable_responses",
    ],
    # Swagger UI keeps the key entered under "Authorize" across page reloads.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
}

# --- Logging ----------------------------------------------------------------

# One line per record on stderr (gunicorn / container logs), each tagged with the
# request's correlation id so support can follow one request across log lines.
# LOG_FORMAT=json: one JSON object per line instead (lotus_manage/json_logs.py), for
# log collectors; gunicorn.conf.py does the same for gunicorn's own lines.
LOG_FORMAT = env.str("LOG_FORMAT", default="text").strip().lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation_id": {"()": "lotus_manage.middleware.CorrelationIdLogFilter"}},
    # (CorrelationIdLogFilter also escapes control characters in client-supplied
    # values, so that a portfolio id with CR/LF cannot forge a log line.)
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s correlation_id=%(correlation_id)s %(message)s",
        },
        "json": {"()": "lotus_manage.json_logs.JsonLineFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "line",
            "filters": ["correlation_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django logs 4xx/5xx responses itself; ours already explain them in the body.
        "django.request": {"level": "ERROR"},
        # django-axes announces its version at every start-up.
        "axes.apps": {"level": "WARNING"},
    },
}
if LOG_FORMAT == "json":
    # runserver's request lines have a handler of their own in Django's defaults.
    LOGGING["loggers"]["django.server"] = {"handlers": ["console"], "level": "INFO", "propagate": False}
    # Python warnings would otherwise be bare text on stderr.
    LOGGING["loggers"]["py.warnings"] = {"handlers": ["console"], "level": "WARNING", "propagate": False}
    import logging as _logging

    _logging.captureWarnings(True)

# --- Service toggles ---------------------------------------------------------

# DPM_SUPPORT_APIS_ENABLED and DPM_IDEMPOTENCY_REPLAY_ENABLED are not settings:
# they take effect without a restart, so dpm_runs/toggles.py and
# rebalance/toggles.py read the environment on every request.

# Per-client request rates, counted in the database so that every worker shares
# them: simulate/analyze, and reads of stored runs. "<count>/<s|min|hour|day>".
DPM_THROTTLE_SIMULATE = env.str("DPM_THROTTLE_SIMULATE", default="30000/min")
DPM_THROTTLE_SUPPORT = env.str("DPM_THROTTLE_SUPPORT", default="6000/min")
for _name in ("DPM_THROTTLE_SIMULATE", "DPM_THROTTLE_SUPPORT"):
    try:
        parse_rate(globals()[_name])
    except ValueError as exc:
        raise ImproperlyConfigured(f"{_name}: {exc}") from None

# Idempotency claim lease (docs/idempotency.md): how long an in-flight claim blocks its
# key before another worker may take over a key whose first worker died.
DPM_IDEMPOTENCY_LEASE_SECONDS = env.int("DPM_IDEMPOTENCY_LEASE_SECONDS", default=60)

# --- Support workbench (issue 8) ---------------------------------------------

# The function that re-simulates a recorded run and compares it with the stored
# result. Named by its dotted path so that dpm_runs (its API view and admin) can
# call it without importing the rebalance app, which imports dpm_runs.
DPM_RUN_VERIFIER = "rebalance.verification.verify_run"

# Retention: `manage.py purge_runs --older-than "$DPM_RETENTION_DAYS"` from a
# scheduler (docs/retention.md). Unset: runs are kept forever.
DPM_RETENTION_DAYS = env.int("DPM_RETENTION_DAYS", default=None)
