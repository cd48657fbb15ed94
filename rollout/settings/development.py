"""Development and tests: every server optional (SQLite, filesystem broker, mail as files under var/),
DEBUG on unless DEBUG=0, and the benchmarks app."""
from importlib.util import find_spec

from rollout.settings.base import *  # noqa: F401,F403
from rollout.settings.base import INSTALLED_APPS, SECRET_KEY, env

from django.core.exceptions import ImproperlyConfigured

DEBUG = env.bool("DEBUG", True)
if not DEBUG and SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

if find_spec("bench"):  # a checkout: the bench_* commands (docs/performance.md); a release has no bench
    INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
