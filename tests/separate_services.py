"""Each pytest-xdist process gets its own Redis database and its own var/ folder.

Loaded as a plugin (`-p tests.separate_services` in pyproject.toml), so this runs before pytest-django
reads the settings. pytest-django already gives each process its own test database; without this the
processes would share Redis (or, with no Redis, the file cache and broker under var/): one process's
Celery worker would take another's tasks (and run them against the wrong database), and one test's
`cache.clear()` would empty the cache under another, import jobs included. Subprocesses that tests
start inherit the same settings.
"""
import os
import re
from pathlib import Path

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw"):
    _index = 1 + int(_worker[2:])
    for _name in ("REDIS_URL", "CELERY_BROKER_URL"):
        _url = os.environ.get(_name, "")
        if _url.startswith(("redis://", "rediss://")):
            os.environ[_name] = re.sub(r"^(rediss?://[^/?#]*)(/\d*)?", rf"\g<1>/{_index}", _url, count=1)
    if not os.environ.get("ROLLOUT_VAR_DIR", "").strip():
        os.environ["ROLLOUT_VAR_DIR"] = str(Path(__file__).resolve().parents[1] / "var" / f"test-{_worker}")
