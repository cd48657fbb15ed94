"""gunicorn settings for the web process: `gunicorn --config python:rollout.gunicorn_conf rollout.wsgi`
(in a checkout also `--config gunicorn.conf.py`, which reads this module).

Every value can be changed by a variable: GUNICORN_BIND (default 127.0.0.1:$PORT, PORT 8000),
WEB_CONCURRENCY (worker processes, default 2), FORWARDED_ALLOW_IPS. No request should take longer than
`timeout` (imports run as Celery tasks). Every line goes to standard error: in production (LOG_FORMAT=json,
the default there) gunicorn's own lines and the access lines are JSON objects like the app's
(rollout/logs.py), in development plain text.

The variables the app reads too (ROLLOUT_MODE, LOG_FORMAT, LOG_LEVEL, LOCAL_HTTP_TRIAL) are taken from the
settings module itself, so both parse them alike and a bad value stops gunicorn at start, naming it.

Request metrics (rollout/health/metrics.py) are counted in each worker process and added up at scrape
time through PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode): a fresh directory per
start unless the variable names one, emptied at start, a dead worker's files marked.
"""
import os
import shutil
import sys
import tempfile

# prometheus-client reads the directory when it is first imported: set it before the app loads
# (only when gunicorn itself reads this file, not when something merely imports it).
_own_metrics_dir = "gunicorn.arbiter" in sys.modules and not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="rollout-metrics-")

# The settings, in the mode rollout.wsgi will load them in (its default is production).
os.environ.setdefault("ROLLOUT_MODE", "production")
from marshmallow.validate import Range as _Range  # noqa: E402

from rollout import settings as _settings  # noqa: E402
from rollout.settings.base import env as _env  # noqa: E402

bind = [os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"]
workers = _env.int("WEB_CONCURRENCY", 2, validate=_Range(min=1))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Load the app before forking: a broken configuration stops the master at once with its message.
preload_app = True
accesslog = "-"
errorlog = "-"
if _settings.LOG_FORMAT == "json":
    from rollout.logs import gunicorn_logconfig

    logconfig_dict = gunicorn_logconfig(_settings.LOG_LEVEL)
else:
    # Development: gunicorn's lines in the app's text format (UTC, ISO 8601), like the worker's and beat's.
    access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus request_id=%({x-request-id}o)s'
    _line = {"()": "rollout.logs.UtcFormatter", "format": "%(asctime)s %(levelname)s %(name)s [-] %(message)s"}
    _stderr = {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stderr"}
    logconfig_dict = {
        "filters": {"without_tokens": {"()": "rollout.logs.WithoutTokens"}},  # no link's token in a line
        "formatters": {"line": _line},
        "handlers": {"console": _stderr, "error_console": _stderr},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
                    "gunicorn.access": {"level": "INFO", "handlers": ["console"], "filters": ["without_tokens"],
                                        "propagate": False}},
    }
# Restarted workers pick up code changes while developing.
reload = _settings.ROLLOUT_MODE == "development"
if reload:
    preload_app = False
# No control socket: several deployments (or tests) on one machine would share its default path.
control_socket_disable = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The plain-HTTP trial (LOCAL_HTTP_TRIAL=1, see rollout/settings/production.py) listens on loopback only.
if _settings.LOCAL_HTTP_TRIAL:
    from rollout.local_trial import loopback_bind_problem

    for _address in bind:
        if problem := loopback_bind_problem(_address):
            raise SystemExit(problem)


def on_starting(server):
    """Start from empty counters: files left by a previous run would be added in."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
