"""gunicorn settings for the web process (`gunicorn --config gunicorn.conf.py rollout.wsgi`).

Variables (docs/deploy.md): GUNICORN_BIND (default 127.0.0.1:$PORT, PORT 8000), WEB_CONCURRENCY (worker
processes, default 2), FORWARDED_ALLOW_IPS. No request should take longer than `timeout`: imports run as
Celery tasks. Access lines go to stdout; the app's own lines (with the request id) also go to stdout.
"""
import os

bind = [os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Load the app before forking: a broken configuration stops the master at once with its message.
preload_app = True
accesslog = "-"
errorlog = "-"
access_log_format = '{"time": "%(t)s", "request": "%(r)s", "status": %(s)s, "bytes": "%(B)s", "duration_us": %(D)s, "request_id": "%({x-request-id}o)s"}'
# Restarted workers pick up code changes while developing.
reload = os.environ.get("ROLLOUT_MODE") == "development"
if reload:
    preload_app = False
    # Development: gunicorn's lines in the app's text format (UTC, ISO 8601), like the worker's and beat's.
    _line = {"()": "rollout.logs.UtcFormatter", "format": "%(asctime)s %(levelname)s %(name)s [-] %(message)s"}
    _stdout = {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stdout"}
    access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus request_id=%({x-request-id}o)s'
    logconfig_dict = {
        "formatters": {"line": _line},
        "handlers": {"console": _stdout, "error_console": _stdout},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
                    "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False}},
    }
# No control socket: several deployments (or tests) on one machine would share its default path.
control_socket_disable = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
