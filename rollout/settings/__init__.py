"""Django settings (DJANGO_SETTINGS_MODULE=rollout.settings in every process): `base.py` plus the module of
the mode ROLLOUT_MODE names, `production.py` or `development.py` (also the tests')."""
from rollout.settings.base import ROLLOUT_MODE

if ROLLOUT_MODE == "production":
    from rollout.settings.production import *  # noqa: F401,F403
else:
    from rollout.settings.development import *  # noqa: F401,F403
