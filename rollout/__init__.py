"""The rollout tracker: the Django project package, the Celery app, and the rollout's own code."""
from .celery import app as celery_app

__all__ = ("celery_app",)
