#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    # Commands run on a developer's machine by default; deployments set ROLLOUT_MODE=production.
    os.environ.setdefault("ROLLOUT_MODE", "development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rollout.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
