"""docs/deploy.md lists every environment variable the settings and the processes read."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = (ROOT / "docs" / "deploy.md").read_text()


def variables_read() -> set[str]:
    names = set()
    for path in [*(ROOT / "rollout" / "settings").glob("*.py"), ROOT / "rollout" / "gunicorn_conf.py"]:
        text = path.read_text()
        names |= set(re.findall(r"""env(?:\.\w+|_hosts)\(\s*["']([A-Z][A-Z0-9_]*)["']""", text))
        names |= set(re.findall(r"""os\.environ\.get\(\s*["']([A-Z][A-Z0-9_]*)["']""", text))
    names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "Procfile").read_text()))
    return names


def test_the_settings_read_variables_at_all():
    assert {"DATABASE_URL", "SECRET_KEY", "WEB_CONCURRENCY", "WORKER_CONCURRENCY"} <= variables_read()


def test_every_variable_read_is_listed_in_the_deploy_guide():
    missing = sorted(name for name in variables_read() if f"`{name}`" not in DEPLOY)
    assert missing == []
