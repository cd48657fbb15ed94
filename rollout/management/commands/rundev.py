"""Run the whole product locally: the web server plus a Celery worker with beat, stopped together."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the web server and a Celery worker with beat; Ctrl-C (or SIGTERM) stops all of them."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where the web server listens.")
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes.")

    def handle(self, *args, addrport, concurrency, **options):
        """Steps: start the worker (with beat) and the web server as child processes; wait until one
        exits or a stop signal arrives; then stop the others (TERM, and KILL after 10 s)."""
        python = sys.executable
        celery = str(Path(python).with_name("celery"))
        children = [
            subprocess.Popen([celery, "-A", "rollout", "worker", "--beat", "--loglevel=INFO",
                              f"--concurrency={concurrency}", "-s", str(Path(settings.VAR_DIR) / "celerybeat-schedule")]),
            subprocess.Popen([python, "manage.py", "runserver", addrport]),
        ]
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Web server on http://{addrport}/ with a Celery worker and beat. Ctrl-C stops all.")
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("Stopped the web server, the worker and beat.")
