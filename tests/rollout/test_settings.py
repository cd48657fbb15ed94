"""Settings read the environment once and stop a process at start-up on a bad value, naming the variable.
Each case starts a real Python process in development mode with one variable changed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup(); from django.conf import settings as s; "
PRINT = SETUP + "print('DEBUG', s.DEBUG, 'TZ', s.TIME_ZONE, 'BROKER', s.CELERY_BROKER_URL)"


def start(tmp_path, script: str = PRINT, **changes) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR")}
    env.update({"ROLLOUT_MODE": "development", "DJANGO_SETTINGS_MODULE": "rollout.settings",
                "ROLLOUT_VAR_DIR": str(tmp_path / "var"), **changes})
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("name", "value"), [
    ("DEBUG", "maybe"),
    ("EMAIL_PORT", "twenty-five"),
    ("EMAIL_PORT", "0"),
    ("TIME_ZONE", "Mars/Olympus"),
    ("ROLLOUT_MODE", "staging"),
    ("LOG_FORMAT", "xml"),
    ("DATABASE_URL", "postgress://rollout@db/rollout"),
    ("DATABASE_URL", "postgres://rollout@db:port/rollout"),
    ("REDIS_URL", "127.0.0.1:6379"),
    ("CELERY_BROKER_URL", "127.0.0.1:6379"),
    ("CACHE_URL", "memcached://127.0.0.1:11211"),
    ("EMAIL_PORT", "65536"),
    ("LOG_LEVEL", "verbose"),
    ("ALLOWED_HOSTS", "rollout.court.example localhost"),
    ("ALLOWED_HOSTS", "https://rollout.court.example"),
    ("ALLOWED_HOSTS", "rollout.court.example/"),
    ("ALLOWED_HOSTS", "rollout.court.example:443"),  # Django matches the host without its port: every request 400
    ("ALLOWED_HOSTS", "::1"),  # requests name it [::1]
    ("ALLOWED_HOSTS", "[::1]:8000"),
    ("SITE_URL", ""),
    ("SITE_URL", "rollout.court.example"),
    ("SITE_URL", "https://"),
    ("SITE_URL", "ftp://rollout.court.example"),
    ("SITE_URL", "https://rollout court.example"),
    ("SITE_URL", "https://rollout.court.example/tracker"),
    ("SITE_URL", "https://rollout.court.example/?next=/"),
    ("SITE_URL", "https://rollout.court.example:https"),
    ("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto: https"),
    ("SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO"),
    ("CELERY_BROKER_URL", "foo://bar"),
    ("CELERY_BROKER_URL", "redis://127.0.0.1:abc/0"),
    ("REDIS_URL", "redis://127.0.0.1:abc/13"),
    ("REDIS_URL", "redis://"),
    ("REDIS_URL", "redis://127.0.0.1:6379/notadb"),
    ("REDIS_URL", "redis://127.0.0.1:70000/0"),
    ("CACHE_URL", "redis://:6379/0"),
    ("SSO_ISSUER", "login.court.example/realms/courts"),
    ("SSO_ISSUER", "ftp://login.court.example"),
    ("SSO_ISSUER", "https://"),
    ("SSO_ISSUER", "https://login.court.example/realms/courts?x=1"),
    ("MEDIA_ROOT", ""),
    ("STATIC_ROOT", " "),
])
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, name, value):
    result = start(tmp_path, **{name: value})
    assert result.returncode != 0
    assert f'Environment variable "{name}" invalid' in result.stderr


def test_defaults_need_no_server(tmp_path):
    result = start(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "DEBUG True" in result.stdout and "BROKER filesystem://" in result.stdout


def test_start_up_prints_no_banner(tmp_path):
    """Nothing on stdout but what the command prints (no django-axes banner on every command)."""
    result = start(tmp_path, TIME_ZONE="America/Denver")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "DEBUG True TZ America/Denver BROKER filesystem://"
    assert "AXES" not in result.stderr


def cache_of(tmp_path, **changes) -> str:
    result = start(tmp_path, SETUP + "c = s.CACHES['default']; print(c['BACKEND'].rsplit('.', 1)[-1], c['LOCATION'])",
                   **changes)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_cache_follows_redis_unless_cache_url_says_otherwise(tmp_path):
    redis = "redis://127.0.0.1:1/0"  # never connected to: only the settings are read
    assert cache_of(tmp_path, REDIS_URL=redis) == f"RedisCache {redis}"
    assert cache_of(tmp_path, REDIS_URL=redis, CACHE_URL="redis://127.0.0.1:1/5") == "RedisCache redis://127.0.0.1:1/5"
    assert cache_of(tmp_path, REDIS_URL=redis, CACHE_URL="") == f"FileBasedCache {tmp_path / 'var' / 'cache'}"
