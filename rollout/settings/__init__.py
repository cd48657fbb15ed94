"""Django settings: `base.py`."""
from rollout.settings.base import *  # noqa: F401,F403
