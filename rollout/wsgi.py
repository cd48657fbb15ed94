"""The WSGI entry point gunicorn loads (`gunicorn --config gunicorn.conf.py rollout.wsgi`).

Defaults to production mode: a deployment that forgets ROLLOUT_MODE gets the strict settings, which
refuse to start without their variables, never the development fallbacks.
"""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("ROLLOUT_MODE", "production")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rollout.settings")
application = get_wsgi_application()
