"""Production (ROLLOUT_MODE=production): no fallbacks. Every variable that names a server must be set, or
start-up stops naming it (no silent SQLite, mail files or filesystem broker); HTTPS everywhere; static
files compressed with hashed names. `manage.py check --deploy` is clean with the defaults."""
from rollout.settings.base import *  # noqa: F401,F403
from rollout.settings.base import ALLOWED_HOSTS, CELERY_BROKER_URL, LOCAL_HTTP_TRIAL, METRICS_TOKEN, SITE_URL, STORAGES, env

from django.core.exceptions import ImproperlyConfigured

from rollout.settings.keys import metrics_token_problem, secret_key_problem


def _required(name: str) -> str:
    value = env.str(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set in production mode (ROLLOUT_MODE=production; see docs/deploy.md). "
            f"For a local run set ROLLOUT_MODE=development."
        )
    return value


if env.bool("DEBUG", False):
    raise ImproperlyConfigured("DEBUG must be off in production mode (ROLLOUT_MODE=production): unset DEBUG.")
DEBUG = False
for _name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "EMAIL_HOST"):
    _required(_name)
if _secret_problem := secret_key_problem(env.str("SECRET_KEY")):  # short, predictable or a published sample
    raise ImproperlyConfigured(_secret_problem)
if _token_problem := metrics_token_problem(METRICS_TOKEN):  # it opens /metrics, through the public proxy too
    raise ImproperlyConfigured(_token_problem)
if not (env.str("CELERY_BROKER_URL", "") or env.str("REDIS_URL", "")):
    _required("CELERY_BROKER_URL")
if CELERY_BROKER_URL.startswith(("filesystem://", "memory://")):
    raise ImproperlyConfigured("CELERY_BROKER_URL must name a broker server in production mode (e.g. redis://…), "
                               "not the filesystem or memory transport.")
_required("SITE_URL")

STORAGES = {
    "default": STORAGES["default"],  # MEDIA_STORAGE, read and checked in base.py
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False

# HTTPS everywhere. SECURE_SSL_REDIRECT=0 when the proxy in front already redirects.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# LOCAL_HTTP_TRIAL=1 (read in base.py): production mode over plain HTTP on this machine, before the
# proxy and its certificate exist (no https redirect, no HSTS, cookies not Secure, SITE_URL may be
# http://, no security key required: base.py). Refused unless ALLOWED_HOSTS names only loopback hosts; gunicorn refuses a non-loopback
# bind (rollout/local_trial.py).
if LOCAL_HTTP_TRIAL:
    from rollout.local_trial import allowed_hosts_problem

    if _trial_problem := allowed_hosts_problem(ALLOWED_HOSTS):
        raise ImproperlyConfigured(_trial_problem)
    SECURE_SSL_REDIRECT = False
    SECURE_HSTS_SECONDS = 0
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False
elif not SITE_URL.lower().startswith("https://"):
    raise ImproperlyConfigured(f"SITE_URL must be an https:// address in production mode (the links in emails), "
                               f"not {SITE_URL}; plain http only with LOCAL_HTTP_TRIAL=1.")
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the site's host names in production mode, comma-separated "
                               f"(e.g. rollout.court.example), not {', '.join(ALLOWED_HOSTS) or 'nothing'}.")
SECURE_REDIRECT_EXEMPT = [*SECURE_REDIRECT_EXEMPT, r"^metrics$"]  # scraped on the internal port
