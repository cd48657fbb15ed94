"""Settings shared by every mode. `development.py` (laptops, `make run`, the tests) and `production.py`
(`ROLLOUT_MODE=production`) add what differs; `__init__.py` picks one by ROLLOUT_MODE.

The environment is read here and in those two modules only, through environs: a bad value stops the
process at start-up naming the variable. Every variable an operator may set is listed once in
docs/deploy.md. The defaults need no server at all: SQLite and a filesystem Celery broker under `var/`,
and emails written to `var/mail/`. Values below that are not read from the environment are tuning
constants: change them here, in code review.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import ipaddress
import logging
import re
from email.headerregistry import HeaderRegistry
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from environs import Env
from kombu import Queue
from marshmallow import ValidationError
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as NotValid
from django.core.validators import validate_email
from marshmallow.validate import OneOf, Range

env = Env()


def _time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("not an IANA time zone (e.g. America/Denver)") from None


def _url_of(*schemes: str):
    """A validator: empty, or a URL with one of `schemes` (any scheme when none is given; the scheme in
    any case). A redis:// or rediss:// URL must also name a host, a port that is a number and a
    database that is a number (or none); an imap:// or imaps:// URL a user, a host and a port that is a
    number, and no query or fragment (a "?" or "#" there is a password left unencoded)."""

    def validate(value: str) -> None:
        scheme, sep, _ = value.partition("://")
        if value and (not sep or not scheme or (schemes and scheme.lower() not in schemes)):
            wanted = ", ".join(f"{s}://" for s in schemes) if schemes else "scheme://"
            raise ValidationError(f"not a URL starting with {wanted}")
        if scheme.lower() in ("redis", "rediss"):
            parts = urlsplit(value)
            try:
                parts.port
            except ValueError:
                raise ValidationError("the port is not a number from 0 to 65535") from None
            if not parts.hostname:
                raise ValidationError("no host name (redis://host:6379/0)")
            if not re.fullmatch(r"/?|/\d+", parts.path):
                raise ValidationError("the path is not a database number (redis://host:6379/0)")
        if scheme.lower() in ("imap", "imaps"):
            # The messages never repeat the value: it holds the mailbox's password.
            example = "imaps://user:password@host/INBOX; percent-encode / ? # in the password as %2F %3F %23"
            parts = urlsplit(value)
            try:
                parts.port
            except ValueError:
                raise ValidationError(f"the port is not a number from 0 to 65535 ({example})") from None
            if not parts.hostname:
                raise ValidationError(f"no host name ({example})")
            if not parts.username:
                raise ValidationError(f"no user name to log in as ({example})")
            if parts.query or parts.fragment or value.endswith(("?", "#")):
                raise ValidationError(f"a query or fragment after the mailbox ({example})")

    return validate


def _scheme_lowered(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme.lower()}{sep}{rest}"


def _site_url(value: str) -> None:
    parts = urlsplit(value)
    try:
        parts.port
    except ValueError:
        raise ValidationError("the port is not a number from 0 to 65535") from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None
            or parts.path not in ("", "/") or re.search(r"[\s?#]", value)):
        raise ValidationError("not the site's address, e.g. https://rollout.court.example "
                              "(http or https, a host name and optionally a port; no path)")


def _issuer_url(value: str) -> None:
    """Empty (single sign-on off), or the identity provider's issuer URL: allauth appends
    /.well-known/openid-configuration to it, so no query or fragment."""
    value = value.strip()
    parts = urlsplit(value)
    try:
        parts.port
    except ValueError:
        raise ValidationError("the port is not a number from 0 to 65535") from None
    if value and (parts.scheme.lower() not in ("http", "https") or not parts.hostname or re.search(r"[\s?#]", value)):
        raise ValidationError("not an issuer URL, e.g. https://login.example.gov/realms/courts "
                              "(http or https, a host name and optionally a path; no query)")


def _hosts(values: list[str]) -> None:
    for value in values:
        value = value.strip()
        # Django matches the request's host without its port, and an IPv6 address as the request
        # writes it, in brackets: an entry with a port, or a bare IPv6 address, matches no request.
        if re.search(r"\s|/", value) or (":" in value and not re.fullmatch(r"\[[0-9A-Fa-f:.]+\]", value)):
            raise ValidationError(f"{value!r} is not a host name (comma-separated host names, no "
                                  "scheme, port or path; an IPv6 address in brackets: rollout.court.example,localhost,[::1])")


# A domain name: labels of letters, digits and hyphens joined by dots (no scheme, user, port, path or space).
_DOMAIN = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*")


def _message_id_domain(value: str) -> None:
    if value.strip() and not _DOMAIN.fullmatch(value.strip()):
        raise ValidationError("not a domain name, e.g. rollout.court.example (no scheme, address, path or spaces; "
                              "unset it to use the host of SITE_URL)")


def _email_domains(values: list[str]) -> None:
    for value in values:
        if value.strip() and not _DOMAIN.fullmatch(value.strip().removeprefix("@")):
            raise ValidationError(f"{value.strip()!r} is not an email domain (comma-separated domains, no scheme "
                                  "or address: mtd.uscourts.gov,utd.uscourts.gov)")


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _origins(values: list[str]) -> None:
    """Each one an origin as browsers send it in the Origin header: Django matches the value as written
    (a subdomain wildcard `*.` aside), so one with no scheme, or with a path, never matches."""
    for value in values:
        value = value.strip()
        if not value:
            continue
        parts = urlsplit(value)
        try:
            parts.port
            shaped = True
        except ValueError:
            shaped = False
        host = (parts.hostname or "").removeprefix("*.")
        if (not shaped or parts.scheme.lower() not in ("http", "https") or not (_DOMAIN.fullmatch(host) or _is_ip(host))
                or parts.username is not None or parts.path or re.search(r"[\s?#]", value)):
            raise ValidationError(f"{value!r} is not an origin (comma-separated scheme://host, a port if any, no "
                                  "path: https://rollout.court.example,https://*.court.example)")


STORAGE_EXAMPLE = ("e.g. django.core.files.storage.FileSystemStorage, or a backend's own such as "
                   "storages.backends.s3.S3Storage with its package installed")


def _storage_class(value: str) -> None:
    """A Django storage class's dotted path whose module is installed. Found, not imported: a storage
    module may read the settings as it is imported, and they are not ready yet; the class itself is
    imported once they are (`rollout.apps.RolloutConfig.ready`)."""
    example = STORAGE_EXAMPLE
    value = value.strip()
    if not re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+", value):
        raise ValidationError(f"not a storage class's dotted path ({example})")
    module = value.rpartition(".")[0]
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ValidationError(f"no module {module} is installed ({example})")


def _not_empty(value: str) -> None:
    if not value.strip():
        raise ValidationError("empty: unset it to use the default, or name a directory")


def _header_name(value: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9-]*", value.strip()):
        raise ValidationError("not a header name, e.g. X-Forwarded-Proto (the name alone: no value, no HTTP_ prefix)")


def _relay_host(value: str) -> None:
    value = value.strip()
    try:
        ipaddress.ip_address(value)
        return
    except ValueError:
        pass
    if not re.fullmatch(r"[A-Za-z0-9_.-]*", value):
        raise ValidationError("not a host name or address, e.g. relay.court.example or 10.0.0.25 (no scheme; "
                              "the port goes in EMAIL_PORT)")


def _is_mail_address(value: str) -> bool:
    """One address, alone or as `Name <address>`: read as the mail headers are read, and the address
    itself as Django's EmailValidator takes it (a domain with a dot, or localhost)."""
    try:
        header = HeaderRegistry()("To", value)
    except Exception:  # the stdlib's header parser fails in assorted ways on some malformed values ("x@")
        return False
    if header.defects or len(header.addresses) != 1:
        return False
    try:
        validate_email(header.addresses[0].addr_spec)
    except NotValid:
        return False
    return True


def _mail_address(example: str, empty: bool = False):
    """A validator: one email address (`example` shows the forms taken); empty only when `empty`."""

    def validate(value: str) -> None:
        if value.strip() or not empty:
            if not _is_mail_address(value):
                raise ValidationError(f"not an email address, e.g. {example}")

    return validate


def _mail_addresses(values: list[str]) -> None:
    for value in values:
        if value.strip() and not _is_mail_address(value):
            raise ValidationError(f"{value.strip()!r} is not an email address (comma-separated addresses: "
                                  "it-oncall@court.example,jane.doe@court.example)")


def _sentry_dsn(value: str) -> None:
    """Empty (Sentry off), or a DSN the SDK takes (it would otherwise stop start-up with its own
    error, naming no variable)."""
    if value.strip():
        from sentry_sdk.utils import Dsn

        try:
            Dsn(value.strip())
        except ValueError as exc:  # BadDsn, or a port that is not a number
            raise ValidationError(f"not a Sentry DSN ({exc}); copy it from the project's Client Keys, "
                                  "e.g. https://<key>@o0.ingest.sentry.io/<project id>") from None


def _log_level(value: str) -> None:
    if value.strip().upper() not in logging.getLevelNamesMapping():
        raise ValidationError("not a logging level (DEBUG, INFO, WARNING, ERROR or CRITICAL, in any case)")


def env_hosts(name: str, default: list[str], validate=None) -> list[str]:
    """A comma-separated list, spaces and empty items dropped."""
    return [item.strip() for item in env.list(name, default, validate=validate) if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # rollout/: its templates and static files travel in the wheel

# One variable for the whole process: the WSGI entry point (gunicorn), the Procfile and the installed
# `rollout-tracker` command default to production; manage.py, `make run` and the tests to development.
ROLLOUT_MODE = env.str("ROLLOUT_MODE", "development", validate=OneOf(["production", "development"]))
PRODUCTION = ROLLOUT_MODE == "production"

# ROLLOUT_VAR_DIR: the files this installation writes (SQLite and mail files in development, the
# beat schedule, STATIC_ROOT and MEDIA_ROOT unless set). Default: var/ beside manage.py in a checkout.
# An installed release has no checkout (its code sits in site-packages, which is no place for
# data): production then requires the variable, development uses var/ in the working directory.
_IN_CHECKOUT = (BASE_DIR / "manage.py").is_file()
if env.str("ROLLOUT_VAR_DIR", "").strip():
    VAR_DIR = Path(env.str("ROLLOUT_VAR_DIR")).expanduser().resolve()
elif _IN_CHECKOUT:
    VAR_DIR = BASE_DIR / "var"
elif PRODUCTION:
    raise ImproperlyConfigured("ROLLOUT_VAR_DIR must be set in production mode for an installed release "
                               "(the directory this installation writes to; see docs/deploy.md).")
else:
    VAR_DIR = Path.cwd() / "var"
try:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
except OSError as exc:
    raise ImproperlyConfigured(f"ROLLOUT_VAR_DIR: cannot create the directory {VAR_DIR} ({exc.strerror}).") from None

# --- Core ---------------------------------------------------------------------------------------
DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env_hosts("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"], validate=_hosts)
CSRF_TRUSTED_ORIGINS = env_hosts("CSRF_TRUSTED_ORIGINS", [], validate=_origins)
# Public address of the site, used in links inside emails (unsubscribe, status page); required in
# production, https there unless LOCAL_HTTP_TRIAL (production.py).
SITE_URL = env.str("SITE_URL", "http://127.0.0.1:8000", validate=_site_url).rstrip("/")
# LOCAL_HTTP_TRIAL: production over plain HTTP on this machine (production.py acts on it). Read here, in
# every mode, because gunicorn's loopback-only guard (rollout/gunicorn_conf.py) reads this value too.
LOCAL_HTTP_TRIAL = env.bool("LOCAL_HTTP_TRIAL", False)

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
    "axes",
    "courts",
    "accounts",
    "rollout",
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",  # request id for every log line
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files in every mode, before anything else
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Each user's own time zone for times not tied to a court (after AuthenticationMiddleware).
    "accounts.middleware.UserTimeZoneMiddleware",
    # A query parameter, selected row or search term the admin cannot use answers 400, not 500.
    "rollout.admin_parameters.AdminBadParametersMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks
]

ROOT_URLCONF = "rollout.urls"
WSGI_APPLICATION = "rollout.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],  # before the apps': overrides admin templates
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
# PostgreSQL in CI and production (postgres://user@host:5432/name); SQLite under var/ when unset, so a
# new machine runs the product with no server.
DATABASES = {"default": env.dj_db_url("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rollout.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server, the worker and beat share one SQLite file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    # Connections are kept for a minute and checked before each reuse (each web request and each
    # Celery task; see rollout.celery): otherwise every chunk of 100 notices starts a new PostgreSQL
    # backend, which costs the database more than the chunk's queries (docs/performance.md).
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database host that does not answer (gone from the network, or a server that accepts and
    # says nothing) fails the connection in seconds, so pages answer 503 "try again" and tasks fail
    # and retry, instead of each waiting minutes for TCP to give up. `?connect_timeout=N` in
    # DATABASE_URL overrides it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
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

# Login throttling (django-axes). Failed log-ins (the site's form and the admin's) are counted per
# username and client address (`rollout.client_address`, which knows the proxies in front); at
# AXES_FAILURE_LIMIT failures the pair is locked out for AXES_COOLOFF_TIME, and every further failure
# meanwhile starts the cool-off again. A superuser
# unlocks sooner with `manage.py axes_reset_username name` (lower case) / `axes_reset_ip ADDR`. Axes needs `request`
# passed to authenticate(): Django's login forms do; tests log in with client.force_login.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
# Locked per (username, address) pair: one client guessing cannot lock a user out from elsewhere,
# nor lock every user of one address (a proxy, a court's network) out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "rollout.client_address.client_address"
# The username as sign-in finds it (allauth looks usernames up ignoring case and spaces around):
# counted as typed, "MONTANA-ADMIN" would get five fresh guesses at the account "montana-admin".
# axes_reset_username therefore takes the name in lower case.
AXES_USERNAME_CALLABLE = "rollout.signin.services.lockout_username"
# django-axes' lists are registered by `rollout.axes_admin`, for superusers only.
AXES_ENABLE_ADMIN = False
# TRUSTED_PROXY_COUNT: how many reverse proxies stand in front of the site, each appending to
# X-Forwarded-For (0 = none: the header is never believed). Every limit reads the client address
# through `rollout.client_address.client_address`, django-axes included.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 0, validate=Range(min=0))
# Failures stay counted after a successful log-in until the cool-off: resetting on success would let
# anyone with an account clear their address's count (and a victim's tries from it) between guesses.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "rollout.views.login_locked_out"  # a page that says what happened and what to do
AXES_VERBOSE = False  # no start-up banner on every command

# --- Admin widgets and date style ----------------------------------------------------------------
# Form widgets render through the TEMPLATES engine, so rollout/templates/admin/widgets/ can give the
# admin's split date and time boxes labels of their own (Django's stock template has bare text).
INSTALLED_APPS += ["django.forms"]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
# Dates Django formats itself (admin lists, read-only fields) read 2026-12-21, like the rest of the product.
FORMAT_MODULE_PATH = ["rollout.formats"]

# --- Time and language --------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", "America/New_York", validate=_time_zone)
USE_I18N = False
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", str(VAR_DIR / "static"), validate=_not_empty))
# whitenoise serves them (production.py: compressed, hashed names cached for a year).
STORAGES = {
    "default": {"BACKEND": env.str("MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage",
                                   validate=_storage_class).strip()},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded files (admin imports): MEDIA_ROOT on local disk by default, shared by every web and worker
# process only when it is a shared disk; any Django storage backend by MEDIA_STORAGE (its own
# settings then apply). Never served: no MEDIA_URL route.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", str(VAR_DIR / "media"), validate=_not_empty))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# --- Email --------------------------------------------------------------------------------------
# EMAIL_HOST set means SMTP; unset means one file per sending connection under var/mail/ (a batch of
# messages in one .log file), for a developer to read.
EMAIL_HOST = env.str("EMAIL_HOST", "", validate=_relay_host).strip()
EMAIL_PORT = env.int("EMAIL_PORT", 25, validate=Range(min=1, max=65535))
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "")
if bool(EMAIL_HOST_USER) != bool(EMAIL_HOST_PASSWORD):
    # Django logs in to the relay only with both; with one it sends without logging in, unsaid.
    _given, _missing = (("EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD") if EMAIL_HOST_USER
                        else ("EMAIL_HOST_PASSWORD", "EMAIL_HOST_USER"))
    raise ImproperlyConfigured(f"{_given} is set but {_missing} is not: set both for a relay that asks for a "
                               "log-in, or neither.")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)  # STARTTLS (port 587, or 25)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", False)  # implicit TLS from the first byte (port 465)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    # Django's SMTP backend refuses the pair too, but only when a sender first connects, naming neither variable.
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are both on: set one. EMAIL_USE_TLS=1 for a relay "
                               "that offers STARTTLS (port 587 or 25), EMAIL_USE_SSL=1 for one that speaks TLS "
                               "from the start (port 465).")
EMAIL_TIMEOUT = 15  # one SMTP wait; the claim timeout below stays above it
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"
# An address the mail cannot carry (none, no domain, two) would fail every message, or send bounces to
# @localhost (rollout/notices/messages.py), long after start-up: refused here, as the bounce address and ADMINS.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "NextGen CM/ECF rollout <nextgen-rollout@localhost>", validate=_mail_address(
    'nextgen-rollout@court.example or "NextGen CM/ECF rollout <nextgen-rollout@court.example>"'))
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -------------------------------------------------------------------------------------
# CELERY_BROKER_URL (or REDIS_URL) selects Redis; unset means kombu's filesystem transport under
# var/celery/, a real broker that needs no server (development only: production refuses it and the
# in-process memory transport). URL schemes are read in any case.
# REDIS_URL: the broker's and the cache's.
REDIS_URL = _scheme_lowered(env.str("REDIS_URL", "", validate=_url_of("redis", "rediss")))
CELERY_BROKER_URL = _scheme_lowered(
    env.str("CELERY_BROKER_URL", "", validate=_url_of("redis", "rediss", "amqp", "filesystem", "memory"))
    or REDIS_URL or "filesystem://")
# With a Redis broker. The visibility timeout: long enough that a chunk of sends is never
# redelivered while a worker still runs it. The socket timeouts: a Redis that stops answering (a hung
# host, a connection dropped without a word) fails a publish or a /healthz probe in seconds and the
# worker reconnects, instead of each waiting on the socket for ever (redis-py sets no timeout).
REDIS_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_timeout": 5, "socket_connect_timeout": 2}
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
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery closes a task's database connection after every task unless told how many tasks may share
# one; rollout.celery closes it between tasks only when Django would (broken, or older than CONN_MAX_AGE).
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Notice send chunks have a queue of their own, so a long campaign's backlog never stands between
# the workers and everything else (beat's sweep and dispatch, a filer's status link, imports): the
# worker takes from both queues in turn. A worker started without -Q consumes every queue listed here.
NOTICES_QUEUE = "notices"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue(CELERY_TASK_DEFAULT_QUEUE), Queue(NOTICES_QUEUE))
CELERY_TASK_ROUTES = {"rollout.notices.tasks.send_deliveries": {"queue": NOTICES_QUEUE}}

# --- Cache --------------------------------------------------------------------------------------
# Shared by every process: import progress, the filers' link rate limits and the relay's last
# connection (/healthz) live here. CACHE_URL, else Redis when REDIS_URL (or a redis:// broker) is set; empty
# (CACHE_URL=) or no Redis: files under var/cache, for a single machine.
_redis_broker = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
CACHE_URL = _scheme_lowered(env.str("CACHE_URL", REDIS_URL or _redis_broker, validate=_url_of("redis", "rediss", "unix")))
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}

# --- Notices ------------------------------------------------------------------------------------
# How often beat looks for due notices; the health check's beat limit follows it.
NOTICES_DISPATCH_INTERVAL_SECONDS = env.float("NOTICES_DISPATCH_INTERVAL_SECONDS", 300.0, validate=Range(min=10.0))
# The most emails a second from each sending process (0 = no cap), not across workers: set it to the
# relay's limit divided by the number of sending processes.
NOTICES_MAX_PER_SECOND = env.float("NOTICES_MAX_PER_SECOND", 0.0, validate=Range(min=0.0))
# Bounces: envelope sender <local>+<id>-<signature>@<domain> of this address (empty: the address of
# DEFAULT_FROM_EMAIL); the mailbox it is delivered to, as a Maildir path or an IMAP URL
# (imaps://user:password@host/INBOX); both empty = bounces are not read.
NOTICES_BOUNCE_ADDRESS = env.str("NOTICES_BOUNCE_ADDRESS", "", validate=_mail_address("bounces@court.example", empty=True))
NOTICES_BOUNCE_MAILDIR = env.str("NOTICES_BOUNCE_MAILDIR", "")
NOTICES_BOUNCE_IMAP_URL = env.str("NOTICES_BOUNCE_IMAP_URL", "", validate=_url_of("imap", "imaps"))

# Tuning constants of the send path (docs/development.md, "Notices").
# Emails per send task (one broker message, one SMTP connection): small enough that a campaign of a
# few thousand is spread over every sending thread, big enough to spread the per-chunk costs.
NOTICES_CHUNK_SIZE = 100
# How late a missed notice may still go out (beat down, tracker started late); prepare notices stay
# due until go-live whatever this says.
NOTICES_CATCH_UP_DAYS = 14
NOTICES_SEND_TIME_LIMIT = 600
# Recovery. These bring every notice out within a minute of a single fault ending: claim timeout + one
# sweep interval, or requeue bound + one sweep interval, or the longest retry wait + one sweep interval.
# The sweeper runs this often: it takes back dead senders' rows, republishes lost chunks and publishes
# rows whose retry time has come.
NOTICES_SWEEP_INTERVAL_SECONDS = 15.0
# A row still "sending" whose claim was not renewed for this long belongs to a dead sender (a live
# one renews every quarter of it from a thread of its own, also while a message waits on the relay).
NOTICES_CLAIM_TIMEOUT_SECONDS = 30
# Pending rows published this long ago and still not claimed: their broker message was lost (broker
# restarted empty) or their task failed before claiming: publish them again (busy or not).
NOTICES_REQUEUE_AFTER_SECONDS = 30
# Retries after a 4xx reply or a broken connection: a retry time on the row (10 s, doubling, at most
# NOTICES_RETRY_BACKOFF_MAX). Only rows offered to the server count a try; failed after
# NOTICES_MAX_RETRIES tries. A relay that cannot be reached, or refuses the sender with a 4xx at
# MAIL FROM (a rate limit, its queue full), costs no try: rows wait for it, and /healthz names it.
NOTICES_MAX_RETRIES = 10
NOTICES_RETRY_BACKOFF = 10.0
NOTICES_RETRY_BACKOFF_MAX = 30
# Court page / overview show a banner for a court whose due notices wait longer than this.
NOTICES_STALL_AFTER_SECONDS = 300
NOTICES_BOUNCE_INTERVAL_SECONDS = 300.0
NOTICES_SOFT_BOUNCE_LIMIT = 3
NOTICES_SOFT_BOUNCE_RESET_DAYS = 30
# Notice templates: the most a rendered part may be, and the most loop iterations.
NOTICES_TEMPLATE_MAX_OUTPUT = 100_000
NOTICES_TEMPLATE_MAX_LOOP = 1000
# Longest notice template part (subject, text or HTML) an administrator may save, in characters: with
# the loop budget it bounds what one render can cost before any of it runs.
NOTICES_TEMPLATE_MAX_SOURCE = 20_000
NOTICES_UNSUBSCRIBE_MAX_AGE_DAYS = 180
# Message-IDs of notices end in the site's host name (SITE_URL); DEFAULT_FROM_EMAIL's domain when it has none.
NOTICES_MESSAGE_ID_DOMAIN = (env.str("NOTICES_MESSAGE_ID_DOMAIN", "", validate=_message_id_domain).strip()
                             or urlsplit(SITE_URL).hostname or "")
NOTICES_DIGEST_WEEKDAY = 0  # Monday, in TIME_ZONE
NOTICES_DIGEST_HOUR = 7

# --- Filers' self-service and the public status pages -------------------------------------------
# The personal "My NextGen status" link in every notice is valid this many days.
FILERS_LINK_MAX_AGE_DAYS = 30
# After a filer reports "I have linked this login", reminders for that login pause this many days
# (or until the next link report confirms or clears the report).
FILERS_SELF_REPORT_PAUSE_DAYS = 14
# The link confirming a new notice address is valid this many hours.
FILERS_EMAIL_CONFIRM_MAX_AGE_HOURS = 48
# Days the link in the notice to a filer's old address can put that address back.
FILERS_EMAIL_UNDO_DAYS = 7
# "Send me a new link" requests allowed per hour, per email address and per client address (counted
# in the cache, shared by every process).
FILERS_LINK_REQUESTS_PER_HOUR = 3
FILERS_LINK_REQUESTS_PER_HOUR_PER_CLIENT = 20

# --- PACER feed ---------------------------------------------------------------------------------
PACER_FEED_URL = "https://pacer.uscourts.gov/file-case/court-cmecf-lookup/data.json"
PACER_FEED_TIMEOUT = 15.0

# --- Imports ------------------------------------------------------------------------------------
# Largest file an import takes, uploaded in the admin or given to a command (roster, link report,
# PACER feed, catalog). 50 MB holds a roster of about half a million rows; raise it for a bigger one.
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, validate=Range(min=1))
# Uploads wait in storage under imports/ until applied; unapplied ones are removed after this long.
IMPORTS_KEEP_UNAPPLIED_SECONDS = 24 * 3600

# --- Beat schedule ------------------------------------------------------------------------------
CELERY_BEAT_SCHEDULE: dict = {
    "golive-mark-live-due": {"task": "courts.tasks.golives_mark_live", "schedule": 300.0},
    "recount-readiness-nightly": {"task": "accounts.tasks.recount_readiness", "schedule": 24 * 3600.0},
    "imports-remove-stale-uploads": {"task": "accounts.tasks.imports_remove_stale", "schedule": 3600.0},
    "notices-dispatch": {"task": "rollout.notices.tasks.dispatch", "schedule": NOTICES_DISPATCH_INTERVAL_SECONDS},
    "notices-sweep": {"task": "rollout.notices.tasks.sweep", "schedule": NOTICES_SWEEP_INTERVAL_SECONDS},
    "notices-bounces": {"task": "rollout.notices.tasks.process_bounces", "schedule": NOTICES_BOUNCE_INTERVAL_SECONDS},
    "notices-weekly-digest": {"task": "rollout.notices.tasks.weekly_digest", "schedule": 3600.0},
}

# --- Health -------------------------------------------------------------------------------------
# /healthz answers 503, naming the part, when no worker answers a ping within the timeout, beat's
# heartbeat (the sweep it sends every NOTICES_SWEEP_INTERVAL_SECONDS) or the last sweep a worker ran
# is older than two intervals and a margin,
# a sender's last connection to the relay failed, or a due notice or a `sending` delivery is older
# than these.
HEALTHZ_WORKER_PING_TIMEOUT = 1.0
HEALTHZ_BEAT_MAX_AGE_SECONDS = int(2 * NOTICES_SWEEP_INTERVAL_SECONDS) + 10
HEALTHZ_SWEEP_MAX_AGE_SECONDS = HEALTHZ_BEAT_MAX_AGE_SECONDS
HEALTHZ_DUE_MAX_AGE_SECONDS = 600
HEALTHZ_SENDING_MAX_AGE_SECONDS = NOTICES_CLAIM_TIMEOUT_SECONDS + int(2 * NOTICES_SWEEP_INTERVAL_SECONDS)
# A sender's failed connection to the relay is reported this long unless a later one opened: while
# the relay is down, rows waiting for it retry (and fail to connect) far more often than that.
HEALTHZ_RELAY_FAILURE_WINDOW_SECONDS = 600

# --- Security headers ---------------------------------------------------------------------------
# SECURE_PROXY_SSL_HEADER: the header a TLS-terminating proxy sets, e.g. "X-Forwarded-Proto" (it
# must then overwrite what clients send); unset = the connection itself says whether it is HTTPS.
# The header's name only: letters, digits and hyphens (not Django's HTTP_X_FORWARDED_PROTO, no ": https").
_proxy_header = env.str("SECURE_PROXY_SSL_HEADER", "", validate=_header_name).strip()
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
ADMINS = [("", address) for address in env_hosts("ADMINS", [], validate=_mail_addresses)]
# Those mails list the settings: the passwords inside the servers' URLs are masked too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "rollout.error_reports.UrlPasswordsFilter"
# ... and the request's path and URL without a link's token (a filer's link opens their page).
DEFAULT_EXCEPTION_REPORTER = "rollout.error_reports.TokensMaskedReporter"
SENTRY_DSN = env.str("SENTRY_DSN", "", validate=_sentry_dsn).strip()
if SENTRY_DSN:
    import sentry_sdk

    from rollout.error_reports import sentry_before_send

    # No local variables: they hold the servers' URLs with their passwords (the bounce reader's IMAP URL,
    # a broker's) and filers' addresses, which send_default_pii=False does not keep out of the stack frames.
    # No request bodies either: a form's body holds a filer's address ("send me a new link").
    sentry_sdk.init(dsn=SENTRY_DSN, environment=ROLLOUT_MODE, send_default_pii=False, traces_sample_rate=0.0,
                    include_local_variables=False, max_request_body_size="never",
                    # The request's URL, its Referer and the log lines, without a link's token.
                    before_send=sentry_before_send)

# --- Logging ------------------------------------------------------------------------------------
# One line per event on standard error (standard output stays a command's own report), each with the request id (django-guid; carried into the Celery tasks a
# request starts), times in UTC ISO 8601: JSON lines in production, text in development
# (LOG_FORMAT=json|text). Server errors are also mailed to ADMINS.
LOG_FORMAT = env.str("LOG_FORMAT", "json" if PRODUCTION else "text", validate=OneOf(["json", "text"]))
# The root logger's level, a logging level name in any case (gunicorn's loggers read it too).
LOG_LEVEL = env.str("LOG_LEVEL", "INFO", validate=_log_level).strip().upper()
from django_guid.integrations import CeleryIntegration  # noqa: E402

from rollout.logs import JSON_FORMATTER  # noqa: E402

# A proxy's X-Request-ID is kept when it is a sane token, not only a UUID (rollout.logs drops any
# other value before django-guid reads the header, and django-guid then makes a new id).
MIDDLEWARE.insert(MIDDLEWARE.index("django_guid.middleware.guid_middleware"), "rollout.logs.request_id_sanitize")
DJANGO_GUID = {"GUID_HEADER_NAME": "X-Request-ID", "RETURN_HEADER": True, "EXPOSE_HEADER": True,
               "VALIDATE_GUID": False,
               "INTEGRATIONS": [CeleryIntegration(use_django_logging=True, log_parent=True)]}
LOGGING_CONFIG = "rollout.logs.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        # A 503 from /healthz is the answer, not an error to mail about.
        "not_healthz": {"()": "django.utils.log.CallbackFilter",
                        "callback": lambda record: getattr(getattr(record, "request", None), "path", "") != "/healthz"},
        # Requests and tasks failing because the database is unreachable: /healthz names it, and an
        # outage would otherwise mail the admins once per request and per task.
        "not_database_outage": {"()": "rollout.outage.NotDatabaseOutage"},
        # A link's token (a filer's status page, an unsubscribe link ...) is a credential: masked.
        "without_tokens": {"()": "rollout.logs.WithoutTokens"},
    },
    "formatters": {
        "json": JSON_FORMATTER,  # time (UTC, ISO 8601), level, logger, message, request_id, process, extras
        "text": {"()": "rollout.logs.UtcFormatter",
                 "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": LOG_FORMAT,
                    "filters": ["request_id"]},
        "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR",
                        "filters": ["require_debug_false", "not_healthz", "not_database_outage"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django_guid": {"level": "WARNING"},  # not a line per request about the generated id
        # Python warnings (captured by rollout.logs.configure) in the same format as everything else.
        "py.warnings": {"handlers": [], "propagate": True},
        # Replaces Django's default "django" logger (its own console and unfiltered mail_admins):
        # errors of requests and commands are mailed once, by ours; lines go to the root's console.
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        # "Not Found: /me/<token>/", and the error mail's subject: the path without its token.
        "django.request": {"filters": ["without_tokens"]},
        # A request naming a host not in ALLOWED_HOSTS (a scanner reaching the site by its address) is
        # a 400 kept in the log, not a server error to mail about for every one.
        "django.security.DisallowedHost": {"handlers": ["console"], "propagate": False},
        "celery": {"handlers": ["mail_admins"], "propagate": True},  # the handler itself only takes ERROR
    },
}
# The Celery worker and beat write through this configuration in JSON mode (Celery's own takes over
# the root logger with its plain-text format otherwise); start them with --quiet, no banner.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# --- Metrics --------------------------------------------------------------------------------------
# Prometheus metrics at /metrics (rollout/health/metrics.py): readable with `Authorization: Bearer
# $METRICS_TOKEN`, or from METRICS_ALLOWED_ADDRESSES (addresses or networks, comma-separated).
# Neither set: /metrics answers 404. Behind a proxy on the same machine every request comes from
# 127.0.0.1: use the token, or do not route /metrics through the proxy.
METRICS_TOKEN = env.str("METRICS_TOKEN", "").strip()
METRICS_ALLOWED_ADDRESSES = env_hosts("METRICS_ALLOWED_ADDRESSES", [])
try:
    METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(item, strict=False) for item in METRICS_ALLOWED_ADDRESSES]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_ADDRESSES: {exc}.") from None
MIDDLEWARE.insert(MIDDLEWARE.index("django_guid.middleware.guid_middleware") + 1, "rollout.health.metrics.request_metrics")
# Load balancers probe /healthz, and Prometheus scrapes /metrics, by the machine's own address or name,
# not a host in ALLOWED_HOSTS: those two answer any Host (rollout/health/hosts.py).
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware"), "rollout.health.hosts.probes_answer_any_host")


# --- Staff sign-in: MFA, single sign-on, sessions that end (django-allauth) ----------------------
# Every log-in (the site's form and /admin/login/) is allauth's: password (through axes, which sees
# each authenticate()), then the second factor when the account has one: WebAuthn security keys
# and passkeys, TOTP apps, recovery codes (allauth.mfa). Single sign-on is allauth's OpenID Connect
# provider. Nobody signs up: accounts are made by a rollout coordinator. See docs/deploy.md.
INSTALLED_APPS += ["allauth", "allauth.account", "allauth.mfa", "allauth.usersessions", "allauth.socialaccount",
                   "allauth.socialaccount.providers.openid_connect"]
AUTHENTICATION_BACKENDS += ["allauth.account.auth_backends.AuthenticationBackend"]
# allauth's account middleware (re-authentication redirects, request context), then ours: sessions
# that end and mandatory MFA. Both before axes, which stays last.
MIDDLEWARE.insert(MIDDLEWARE.index("axes.middleware.AxesMiddleware"), "allauth.account.middleware.AccountMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("axes.middleware.AxesMiddleware"), "rollout.signin.middleware.StaffSignInMiddleware")
ACCOUNT_ADAPTER = "rollout.signin.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "rollout.signin.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {"login": "rollout.signin.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False  # no "remember me": the session limits below always apply
ACCOUNT_LOGOUT_REDIRECT_URL = "login"
# django-axes throttles failed password log-ins (above); allauth's own password counter would answer
# first with a page of its own, so the adapter skips it (`AccountAdapter.pre_authenticate`). allauth
# counts wrong second-factor codes (TOTP, recovery codes, re-authentication) on the same
# "login_failed" limit, per user: the same number and cool-off as axes, so a stolen password does not
# buy unlimited guesses at a 6-digit code. Its other limits stay.
ACCOUNT_RATE_LIMITS = {"login": None,
                       "login_failed": f"{AXES_FAILURE_LIMIT}/{int(AXES_COOLOFF_TIME.total_seconds())}s/key"}
# STAFF_MFA_AUTHENTICATOR_APPS: whether six-digit codes (authenticator apps, and the recovery codes
# that come with them) are a second factor. Off in production by default: only a security key or
# passkey (WebAuthn) then counts and signs in, the phishing-resistant MFA federal security offices
# ask for (a code typed into a look-alike site is replayed at once; a key answers only the real
# site). On in development, where the demo shows both. A lost key: a superuser removes the user's
# authenticators and the user enrols a new one (docs/deploy.md).
STAFF_MFA_AUTHENTICATOR_APPS = env.bool("STAFF_MFA_AUTHENTICATOR_APPS", not PRODUCTION)
MFA_SUPPORTED_TYPES = ["webauthn", "totp", "recovery_codes"] if STAFF_MFA_AUTHENTICATOR_APPS else ["webauthn"]
MFA_FORMS = {"authenticate": "rollout.signin.forms.SecondFactorCodeForm",
             "reauthenticate": "rollout.signin.forms.SecondFactorCodeReauthenticateForm"}
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", "NextGen CM/ECF rollout tracker")
# WebAuthn needs HTTPS, except on http://localhost / 127.0.0.1 in development and tests.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
# STAFF_MFA_REQUIRED: a staff user (court administrator, coordinator) without a security key or
# authenticator app is sent to add one before any other page answers. On in production by default;
# off in development so the demo users sign in with their password alone, and during LOCAL_HTTP_TRIAL:
# a security key is bound to the site's https host name, so none can be enrolled at http://127.0.0.1.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", PRODUCTION and not LOCAL_HTTP_TRIAL)
# Sessions end after STAFF_SESSION_IDLE_MINUTES without a request, and STAFF_SESSION_MAX_HOURS after
# signing in whatever happens; the cookie expires with the maximum age.
STAFF_SESSION_IDLE_SECONDS = 60 * env.int("STAFF_SESSION_IDLE_MINUTES", 30, validate=Range(min=1))
STAFF_SESSION_MAX_AGE_SECONDS = 3600 * env.int("STAFF_SESSION_MAX_HOURS", 12, validate=Range(min=1))
SESSION_COOKIE_AGE = STAFF_SESSION_MAX_AGE_SECONDS
# Mass actions (send a notice now or a reminder, apply an import, set a go-live date, mark live,
# postpone) ask for the password or second factor again when the last re-authentication is older
# than STAFF_REAUTHENTICATION_MINUTES. On in production by default.
STAFF_REAUTHENTICATION_REQUIRED = env.bool("STAFF_REAUTHENTICATION_REQUIRED", PRODUCTION)
ACCOUNT_REAUTHENTICATION_TIMEOUT = 60 * env.int("STAFF_REAUTHENTICATION_MINUTES", 10, validate=Range(min=1))
# Single sign-on (OpenID Connect). SSO_ISSUER set turns it on: the provider's issuer URL (its
# /.well-known/openid-configuration is read), the client id and secret it gave the tracker, and the
# email domains whose verified addresses may match a staff account (empty: any domain).
SSO_ISSUER = env.str("SSO_ISSUER", "", validate=_issuer_url).strip().rstrip("/")
SSO_CLIENT_ID = env.str("SSO_CLIENT_ID", "")
SSO_CLIENT_SECRET = env.str("SSO_CLIENT_SECRET", "")
SSO_PROVIDER_NAME = env.str("SSO_PROVIDER_NAME", "your court's sign-in")
SSO_ALLOWED_EMAIL_DOMAINS = env_hosts("SSO_ALLOWED_EMAIL_DOMAINS", [], validate=_email_domains)
if SSO_ISSUER and not (SSO_CLIENT_ID and SSO_CLIENT_SECRET):
    raise ImproperlyConfigured("SSO_ISSUER is set: SSO_CLIENT_ID and SSO_CLIENT_SECRET must be set too.")
if PRODUCTION and SSO_ISSUER and urlsplit(SSO_ISSUER).scheme.lower() != "https":
    # The provider's keys and endpoints are read from it: over plain http anyone on the way could swap them.
    raise ImproperlyConfigured(f"SSO_ISSUER must be an https:// address in production mode, not {SSO_ISSUER}.")
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {
    "OAUTH_PKCE_ENABLED": True,
    "APPS": [{"provider_id": "sso", "name": SSO_PROVIDER_NAME, "client_id": SSO_CLIENT_ID,
              "secret": SSO_CLIENT_SECRET, "settings": {"server_url": SSO_ISSUER, "token_auth_method": "client_secret_post"}}]
    if SSO_ISSUER else [],
}}
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in button posts (no sign-in started by a link)
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # matching is ours: verified email, staff only (adapters.py)
SOCIALACCOUNT_STORE_TOKENS = False
# SSO_ONLY: with single sign-on on, staff may not sign in with a password; superusers still may
# (the break-glass path, with their second factor; see docs/deploy.md).
SSO_ONLY = env.bool("SSO_ONLY", False)
if SSO_ONLY and not SSO_ISSUER:
    raise ImproperlyConfigured("SSO_ONLY is on but SSO_ISSUER is not set: nobody but superusers could sign in.")
