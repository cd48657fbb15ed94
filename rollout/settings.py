"""Django settings for the rollout tracker.

Everything that differs between a laptop, CI and production comes from the environment, read here and
nowhere else (see `rollout.env`). Every variable has a default that needs no server at all: SQLite and
a filesystem Celery broker under `var/`, and emails written as files to `var/mail/`.
"""
from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from rollout.env import env_bool, env_float, env_int, env_list, env_str, env_time_zone

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ROLLOUT_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Core ---------------------------------------------------------------------------------------
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
    "django_filters",
    "courts",
    "accounts",
    "rollout",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rollout.sqlite3'}"),
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
STATIC_ROOT = VAR_DIR / "static"

# --- Email --------------------------------------------------------------------------------------
# EMAIL_URL-free on purpose: EMAIL_HOST set means SMTP; unset means files under var/mail/ that a
# user can open and read.
EMAIL_HOST = env_str("EMAIL_HOST", "")
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
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
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

# --- PACER feed ---------------------------------------------------------------------------------
PACER_FEED_URL = env_str("PACER_FEED_URL", "https://pacer.uscourts.gov/file-case/court-cmecf-lookup/data.json")
PACER_FEED_TIMEOUT = env_float("PACER_FEED_TIMEOUT", 15.0, minimum=1.0)

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
