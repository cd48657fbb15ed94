"""Django settings for the rollout tracker.

Everything that differs between a laptop, CI and production comes from the environment, read here and
nowhere else (see `rollout.env`). Every variable has a default that needs no server at all: SQLite and
a filesystem Celery broker under `var/`, and emails written as files to `var/mail/`.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from rollout.env import env_bool, env_choice, env_float, env_int, env_list, env_str, env_time_zone

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ROLLOUT_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Mode (issue 11) ----------------------------------------------------------------------------
# ROLLOUT_MODE=production|development, one variable for the whole process. The WSGI entry point
# (gunicorn) and the Celery app default to production; manage.py, `make run` and the tests to
# development. Production has no fallbacks: every variable below that names a server must be set,
# or start-up stops naming it (no silent SQLite, mail files or filesystem broker).
ROLLOUT_MODE = env_choice("ROLLOUT_MODE", "development", ("production", "development"))
PRODUCTION = ROLLOUT_MODE == "production"


def _required(name: str) -> str:
    """In production, the value of `name` or ImproperlyConfigured naming it."""
    value = env_str(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set in production mode (ROLLOUT_MODE=production; see 'Running in production' in "
            f"README.md). For a local run set ROLLOUT_MODE=development."
        )
    return value


# --- Core ---------------------------------------------------------------------------------------
if PRODUCTION:
    if env_bool("DEBUG", False):
        raise ImproperlyConfigured("DEBUG must be off in production mode (ROLLOUT_MODE=production): unset DEBUG.")
    DEBUG = False
    SECRET_KEY = _required("SECRET_KEY")
    _required("ALLOWED_HOSTS")
else:
    DEBUG = env_bool("DEBUG", True)
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
if not DEBUG and SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_guid",
    "health_check",
    "django_filters",
    "courts",
    "accounts",
    "rollout",
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",  # request id for every log line (issue 11)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files in every mode, before anything else
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "rollout.urls"
WSGI_APPLICATION = "rollout.wsgi.application"

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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
# DATABASE_URL: PostgreSQL in CI and production (postgres://user@host:5432/name); SQLite under var/
# when unset, so a new machine runs the product with no server.
DATABASES = {
    "default": dj_database_url.parse(
        _required("DATABASE_URL") if PRODUCTION else env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rollout.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server, the worker and beat share one SQLite file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# --- Time and language --------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_time_zone("TIME_ZONE", "America/New_York")
USE_I18N = False
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "rollout" / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# whitenoise serves them: in production from STATIC_ROOT (`collectstatic`), compressed, with hashed
# names cached for a year; in development straight from the apps (no collectstatic needed).
STORAGES = {
    "default": {"BACKEND": env_str("MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage" if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# Uploaded files (admin imports): MEDIA_ROOT on local disk by default, shared by every web and worker
# process only when it is a shared disk; any Django storage backend by MEDIA_STORAGE (its own
# settings then apply). Never served: no MEDIA_URL route.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

# --- Email --------------------------------------------------------------------------------------
# EMAIL_URL-free on purpose: EMAIL_HOST set means SMTP; unset means files under var/mail/ that a
# user can open and read.
EMAIL_HOST = _required("EMAIL_HOST") if PRODUCTION else env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "NextGen CM/ECF rollout <nextgen-rollout@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Public address of the site, used in links inside emails (unsubscribe, dashboard).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Celery -------------------------------------------------------------------------------------
# CELERY_BROKER_URL (or REDIS_URL) selects Redis; unset means kombu's filesystem transport under
# var/celery/, a real broker that needs no server.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or ("" if PRODUCTION else "filesystem://"))
if PRODUCTION and not CELERY_BROKER_URL:
    _required("CELERY_BROKER_URL")
if PRODUCTION and CELERY_BROKER_URL.startswith("filesystem://"):
    raise ImproperlyConfigured("CELERY_BROKER_URL must name a broker server in production mode (e.g. redis://…), "
                               "not the filesystem broker.")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _celery_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),  # kombu's default is ./control in the working directory
        "store_processed": False,
    }
else:
    # Long enough that a chunk of sends is never redelivered while a worker still runs it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60, minimum=5)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {
    "golive-mark-live-due": {"task": "courts.tasks.golives_mark_live", "schedule": 300.0},
    "recount-readiness-nightly": {"task": "accounts.tasks.recount_readiness", "schedule": 24 * 3600.0},
}

# --- Rollout notices ----------------------------------------------------------------------------
NOTICES_DISPATCH_INTERVAL_SECONDS = env_float("NOTICES_DISPATCH_INTERVAL_SECONDS", 300.0, minimum=10.0)
# Emails per send task (one broker message, one SMTP connection): fixed per-chunk costs (claim,
# readiness, a database connection) spread over more messages; still short next to the time limit.
NOTICES_CHUNK_SIZE = env_int("NOTICES_CHUNK_SIZE", 500, minimum=1)
NOTICES_MAX_PER_SECOND = env_float("NOTICES_MAX_PER_SECOND", 0.0, minimum=0.0)  # 0 = no cap
# How late a missed notice may still go out (beat down, tracker started late); prepare notices stay
# due until go-live whatever this says.
NOTICES_CATCH_UP_DAYS = env_int("NOTICES_CATCH_UP_DAYS", 14, minimum=0)
NOTICES_SEND_TIME_LIMIT = env_int("NOTICES_SEND_TIME_LIMIT", 600, minimum=10)
# Recovery (issue 13; trade-offs in README "Recovery settings"). The sweeper runs this often: it takes
# back dead senders' rows, republishes lost chunks and publishes rows whose retry time has come.
NOTICES_SWEEP_INTERVAL_SECONDS = env_float("NOTICES_SWEEP_INTERVAL_SECONDS", 60.0, minimum=5.0)
# A row still "sending" whose claim was not renewed for this long belongs to a dead sender (a live
# one renews every third of it, and at least once per message it sends).
NOTICES_CLAIM_TIMEOUT_SECONDS = env_int("NOTICES_CLAIM_TIMEOUT_SECONDS", 180, minimum=15)
# Pending rows published this long ago, with no row claimed at all meanwhile: their broker messages
# were lost (broker restarted without persistence): publish them again.
NOTICES_REQUEUE_AFTER_SECONDS = env_int("NOTICES_REQUEUE_AFTER_SECONDS", 180, minimum=30)
# Retries after a 4xx reply or a broken connection: a retry time on the row (30 s, doubling, at most
# NOTICES_RETRY_BACKOFF_MAX), failed after NOTICES_MAX_RETRIES retries (about 25 minutes by default).
NOTICES_MAX_RETRIES = env_int("NOTICES_MAX_RETRIES", 10, minimum=0)
NOTICES_RETRY_BACKOFF = env_float("NOTICES_RETRY_BACKOFF", 30.0, minimum=0.0)
NOTICES_RETRY_BACKOFF_MAX = env_float("NOTICES_RETRY_BACKOFF_MAX", 180, minimum=1)
# Court page / overview flag a court whose due notices wait longer than this.
NOTICES_STALL_AFTER_SECONDS = env_int("NOTICES_STALL_AFTER_SECONDS", 900, minimum=60)
# Bounces (issue 13): envelope sender <local>+<id>-<signature>@<domain> of this address (empty: the
# address of DEFAULT_FROM_EMAIL); the mailbox it is delivered to, as a Maildir path or an IMAP URL
# (imaps://user:password@host/INBOX); both empty = bounces are not read.
NOTICES_BOUNCE_ADDRESS = env_str("NOTICES_BOUNCE_ADDRESS", "")
NOTICES_BOUNCE_MAILDIR = env_str("NOTICES_BOUNCE_MAILDIR", "")
NOTICES_BOUNCE_IMAP_URL = env_str("NOTICES_BOUNCE_IMAP_URL", "")
NOTICES_BOUNCE_INTERVAL_SECONDS = env_float("NOTICES_BOUNCE_INTERVAL_SECONDS", 300.0, minimum=10.0)
NOTICES_SOFT_BOUNCE_LIMIT = env_int("NOTICES_SOFT_BOUNCE_LIMIT", 3, minimum=1)
NOTICES_SOFT_BOUNCE_RESET_DAYS = env_int("NOTICES_SOFT_BOUNCE_RESET_DAYS", 30, minimum=1)
# Notice templates (issue 10): the most a rendered part may be, and the most loop iterations.
NOTICES_TEMPLATE_MAX_OUTPUT = env_int("NOTICES_TEMPLATE_MAX_OUTPUT", 100_000, minimum=1000)
NOTICES_TEMPLATE_MAX_LOOP = env_int("NOTICES_TEMPLATE_MAX_LOOP", 1000, minimum=1)
NOTICES_UNSUBSCRIBE_MAX_AGE_DAYS = env_int("NOTICES_UNSUBSCRIBE_MAX_AGE_DAYS", 180, minimum=1)
NOTICES_MESSAGE_ID_DOMAIN = env_str("NOTICES_MESSAGE_ID_DOMAIN", "")  # empty: the domain of DEFAULT_FROM_EMAIL
CELERY_BEAT_SCHEDULE.update({
    "notices-dispatch": {"task": "rollout.notices.tasks.dispatch", "schedule": NOTICES_DISPATCH_INTERVAL_SECONDS},
    "notices-sweep": {"task": "rollout.notices.tasks.sweep", "schedule": NOTICES_SWEEP_INTERVAL_SECONDS},
    "notices-bounces": {"task": "rollout.notices.tasks.process_bounces", "schedule": NOTICES_BOUNCE_INTERVAL_SECONDS},
    "notices-weekly-digest": {"task": "rollout.notices.tasks.weekly_digest", "schedule": 3600.0},
})
NOTICES_DIGEST_WEEKDAY = env_int("NOTICES_DIGEST_WEEKDAY", 0, minimum=0)  # 0 = Monday, in TIME_ZONE
NOTICES_DIGEST_HOUR = env_int("NOTICES_DIGEST_HOUR", 7, minimum=0)

# --- Filers' self-service and the public status pages (issue 12) ---------------------------------
# The personal "My NextGen status" link in every notice is valid this many days.
FILERS_LINK_MAX_AGE_DAYS = env_int("FILERS_LINK_MAX_AGE_DAYS", 30, minimum=1)
# After a filer reports "I have linked this login", reminders for that login pause this many days
# (or until the next link report confirms or clears the report).
FILERS_SELF_REPORT_PAUSE_DAYS = env_int("FILERS_SELF_REPORT_PAUSE_DAYS", 14, minimum=0)
# The link confirming a new notice address is valid this many hours.
FILERS_EMAIL_CONFIRM_MAX_AGE_HOURS = env_int("FILERS_EMAIL_CONFIRM_MAX_AGE_HOURS", 48, minimum=1)
# "Send me a new link" requests allowed per hour, per email address and per client address.
FILERS_LINK_REQUESTS_PER_HOUR = env_int("FILERS_LINK_REQUESTS_PER_HOUR", 3, minimum=1)
FILERS_LINK_REQUESTS_PER_HOUR_PER_CLIENT = env_int("FILERS_LINK_REQUESTS_PER_HOUR_PER_CLIENT", 20, minimum=1)
# The rate limits above count in the cache (see Cache below), shared by every process.

# --- PACER feed ---------------------------------------------------------------------------------
PACER_FEED_URL = env_str("PACER_FEED_URL", "https://pacer.uscourts.gov/file-case/court-cmecf-lookup/data.json")
PACER_FEED_TIMEOUT = env_float("PACER_FEED_TIMEOUT", 15.0, minimum=1.0)

# --- Cache -------------------------------------------------------------------------------------
# Shared by every process: the beat heartbeat (/healthz) and import progress live here. Redis when
# REDIS_URL (or a redis:// broker) is set, else files under var/cache.
CACHE_URL = env_str("CACHE_URL", REDIS_URL or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""))
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}

# --- Production security (issue 11) -------------------------------------------------------------
# HTTPS everywhere in production; each knob is a variable for the proxy in front. `check --deploy`
# is clean with the defaults.
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# SECURE_PROXY_SSL_HEADER: the header a TLS-terminating proxy sets, e.g. "X-Forwarded-Proto" (it
# must then overwrite what clients send); unset = the connection itself says whether it is HTTPS.
_proxy_header = env_str("SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Errors and Sentry --------------------------------------------------------------------------
# ADMINS: comma-separated addresses that get a mail for every server error (production only).
ADMINS = [("", address) for address in env_list("ADMINS", [])]
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, environment=ROLLOUT_MODE, send_default_pii=False,
                    traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0, minimum=0.0))

# --- Health (issue 11) --------------------------------------------------------------------------
# /healthz answers 503 when beat's dispatch has not run for this long, or a due notice or a
# `sending` delivery is older than these.
HEALTHZ_BEAT_MAX_AGE_SECONDS = env_int("HEALTHZ_BEAT_MAX_AGE_SECONDS", int(3 * NOTICES_DISPATCH_INTERVAL_SECONDS) + 60,
                                       minimum=30)
HEALTHZ_DUE_MAX_AGE_SECONDS = env_int("HEALTHZ_DUE_MAX_AGE_SECONDS", 6 * 3600, minimum=60)
HEALTHZ_SENDING_MAX_AGE_SECONDS = env_int("HEALTHZ_SENDING_MAX_AGE_SECONDS", 2 * NOTICES_CLAIM_TIMEOUT_SECONDS,
                                          minimum=60)

# --- Admin imports off the request (issue 11) ---------------------------------------------------
# Uploads wait in storage under imports/ until applied; unapplied ones are removed after this long.
IMPORTS_KEEP_UNAPPLIED_SECONDS = env_int("IMPORTS_KEEP_UNAPPLIED_SECONDS", 24 * 3600, minimum=60)
CELERY_BEAT_SCHEDULE["imports-remove-stale-uploads"] = {
    "task": "accounts.tasks.imports_remove_stale", "schedule": 3600.0,
}

# --- Imports: hostile input (issue 10) -----------------------------------------------------------
# Largest file an import takes, uploaded in the admin or given to a command (roster, link report,
# PACER feed, catalog). 50 MB holds a roster of about half a million rows; raise it for a bigger one.
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1)

# --- Login throttling: django-axes (issue 10) ----------------------------------------------------
# Failed log-ins (the site's form and the admin's) are counted per username and per client address
# (REMOTE_ADDR); at LOGIN_FAILURE_LIMIT failures either is locked out for LOGIN_COOLOFF_MINUTES,
# and every further failure meanwhile starts the cool-off again. A superuser unlocks sooner in the
# admin (Axes → Access attempts: delete) or with `manage.py axes_reset_username NAME` / `axes_reset_ip ADDR`.
# Axes needs `request` passed to authenticate(): Django's login forms do; tests log in with
# client.force_login (client.login would be refused).
INSTALLED_APPS += ["axes"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Each user's own time zone for times not tied to a court (after AuthenticationMiddleware).
MIDDLEWARE += ["accounts.middleware.UserTimeZoneMiddleware"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes asks
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks: per user and per address
# Failures stay counted after a successful log-in until the cool-off: resetting on success would let
# anyone with an account clear their address's count (and a victim's tries from it) between guesses.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "rollout.views.login_locked_out"  # a page that says what happened and what to do

# --- Logging ------------------------------------------------------------------------------------
# JSON lines on stdout in production (LOG_FORMAT=json|text; text by default in development), each
# with the request id (django-guid; carried into the Celery tasks a request starts). Server errors
# are also mailed to ADMINS.
LOG_FORMAT = env_choice("LOG_FORMAT", "json" if PRODUCTION else "text", ("json", "text"))
from django_guid.integrations import CeleryIntegration  # noqa: E402

DJANGO_GUID = {"GUID_HEADER_NAME": "X-Request-ID", "RETURN_HEADER": True, "EXPOSE_HEADER": True,
               "INTEGRATIONS": [CeleryIntegration(use_django_logging=True, log_parent=True)]}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        # A 503 from /healthz is the answer, not an error to mail about.
        "not_healthz": {"()": "django.utils.log.CallbackFilter",
                        "callback": lambda record: getattr(getattr(record, "request", None), "path", "") != "/healthz"},
    },
    "formatters": {
        "json": {"()": "pythonjsonlogger.json.JsonFormatter", "timestamp": "time",  # UTC, ISO 8601
                 "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s %(process)d",
                 "rename_fields": {"levelname": "level", "name": "logger"}},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": LOG_FORMAT,
                    "filters": ["request_id"]},
        "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR",
                        "filters": ["require_debug_false", "not_healthz"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django_guid": {"level": "WARNING"},  # not a line per request about the generated id
        # Replaces Django's default "django" logger (its own console and unfiltered mail_admins):
        # errors of requests and commands are mailed once, by ours; lines go to the root's console.
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "celery": {"handlers": ["mail_admins"], "propagate": True},  # the handler itself only takes ERROR
    },
}


# --- Accessible admin widgets ---------------------------------------------------------------------
# Form widgets render through the TEMPLATES engine, so templates/admin/widgets/ can give the admin's
# split date and time boxes labels of their own (Django's stock template has bare text).
INSTALLED_APPS += ["django.forms"]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- One date style ---------------------------------------------------------------------------------
# Dates Django formats itself (admin lists, read-only fields) read 2026-12-21, like the rest of the product.
FORMAT_MODULE_PATH = ["rollout.formats"]
