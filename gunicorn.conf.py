"""gunicorn settings in a checkout: `gunicorn --config gunicorn.conf.py rollout.wsgi`.

The settings themselves travel in the package (`rollout/gunicorn_conf.py`), so an installed release
uses the same ones with `gunicorn --config python:rollout.gunicorn_conf rollout.wsgi`.
"""
from rollout.gunicorn_conf import *  # noqa: F401,F403
