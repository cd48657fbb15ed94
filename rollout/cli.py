"""`rollout-tracker`: the installed release's manage.py.

Production mode unless ROLLOUT_MODE says otherwise, like the WSGI entry point and the Celery
processes: the command an installation runs (`rollout-tracker migrate`, `load_court_catalog`,
`create_court_administrator` ...) must see the same settings as its web and worker processes, and a
forgotten variable must stop it with the variable's name rather than fall back to SQLite under the
working directory. A developer's checkout keeps `python manage.py` (development by default).
"""
from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("ROLLOUT_MODE", "production")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rollout.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
