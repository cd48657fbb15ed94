"""Production mode (ROLLOUT_MODE=production): every server variable required, no silent fallback,
`check --deploy` clean. Each case starts a real Python process with a clean environment."""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The variables production refuses to start without (docs/deploy.md).
REQUIRED = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_HOST")


def production_env(tmp_path, **changes) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR")}
    env.update({
        "ROLLOUT_MODE": "production",
        "DJANGO_SETTINGS_MODULE": "rollout.settings",
        "ROLLOUT_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "rollout.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "EMAIL_HOST": "smtp.example.org",
        "SITE_URL": "https://rollout.example.org",
    })
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


SETUP = ["-c", "import django; django.setup(); from django.conf import settings; print('DEBUG', settings.DEBUG)"]


def test_production_starts_with_every_variable_and_debug_off(tmp_path):
    result = run(SETUP, production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "DEBUG False" in result.stdout


@pytest.mark.parametrize("name", REQUIRED)
def test_production_refuses_to_start_naming_a_missing_variable(tmp_path, name):
    result = run(SETUP, production_env(tmp_path, **{name: None}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"{name} must be set" in result.stderr


def test_production_refuses_the_filesystem_broker(tmp_path):
    result = run(SETUP, production_env(tmp_path, CELERY_BROKER_URL="filesystem://"))
    assert result.returncode != 0 and "CELERY_BROKER_URL" in result.stderr


def test_production_refuses_debug_on(tmp_path):
    result = run(SETUP, production_env(tmp_path, DEBUG="1"))
    assert result.returncode != 0 and "DEBUG must be off" in result.stderr


def test_redis_url_alone_names_the_broker(tmp_path):
    result = run(SETUP, production_env(tmp_path, CELERY_BROKER_URL=None, REDIS_URL="redis://127.0.0.1:1/0"))
    assert result.returncode == 0, result.stderr


def test_the_wsgi_entry_point_defaults_to_production(tmp_path):
    env = production_env(tmp_path, ROLLOUT_MODE=None, SECRET_KEY=None)
    result = run(["-c", "import rollout.wsgi"], env)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_manage_py_defaults_to_development_with_nothing_set(tmp_path):
    env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    env["ROLLOUT_VAR_DIR"] = str(tmp_path / "var")
    env["DJANGO_SETTINGS_MODULE"] = "rollout.settings"
    result = run(["manage.py", "shell", "-c", "from django.conf import settings; print(settings.ROLLOUT_MODE, settings.DEBUG)"], env)
    assert result.returncode == 0, result.stderr
    assert "development True" in result.stdout


def test_check_deploy_is_clean_in_production(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                 production_env(tmp_path, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_sentry_starts_when_sentry_dsn_is_set(tmp_path):
    code = "import django; django.setup(); import sentry_sdk; print('SENTRY', sentry_sdk.get_client().is_active())"
    result = run(["-c", code], production_env(tmp_path, SENTRY_DSN="http://public@127.0.0.1:9/1"))
    assert result.returncode == 0, result.stderr
    assert "SENTRY True" in result.stdout
    assert "SENTRY False" in run(["-c", code], production_env(tmp_path)).stdout


@pytest.mark.parametrize("dsn", ["o1.ingest.sentry.io/123", "https://o1.ingest.sentry.io/123",
                                 "https://key@o1.ingest.sentry.io/"])
def test_a_sentry_dsn_the_sdk_cannot_use_stops_start_up_naming_it(tmp_path, dsn):
    result = run(SETUP, production_env(tmp_path, SENTRY_DSN=dsn))
    assert result.returncode != 0 and "SENTRY_DSN" in result.stderr.strip().splitlines()[-1]


def test_sentry_is_not_sent_request_bodies(tmp_path):
    """A form's body holds a filer's address ("send me a new link"): the SDK is told to send none."""
    code = ("import django; django.setup(); import sentry_sdk; "
            "print('BODIES', sentry_sdk.get_client().options['max_request_body_size'])")
    result = run(["-c", code], production_env(tmp_path, SENTRY_DSN="http://public@127.0.0.1:9/1"))
    assert result.returncode == 0, result.stderr
    assert "BODIES never" in result.stdout


# Sends Sentry's events to a list in the process (the SDK's own transport interface) instead of a
# server: the start of a script run in a production-mode process; `Capture.sent` holds the events.
SENTRY_CAPTURED = """
import json, django
django.setup()
import sentry_sdk
from sentry_sdk.transport import Transport

class Capture(Transport):
    sent = []

    def capture_envelope(self, envelope):
        self.sent.extend(item.payload.get_bytes().decode() for item in envelope.items)

client = sentry_sdk.get_client()
client.transport = Capture(client.options)
"""
SENTRY_CAPTURE = SENTRY_CAPTURED + """
from rollout.notices.bounces import bounces_process
try:
    bounces_process()
except Exception:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
print(json.dumps(Capture.sent))
"""


def test_sentry_is_not_sent_the_bounce_mailbox_password(tmp_path):
    """The IMAP URL sits in the bounce reader's local variables when the mailbox cannot be reached."""
    with socket.socket() as closed:  # bound, not listening: connections to it are refused
        closed.bind(("127.0.0.1", 0))
        url = f"imaps://bounces:imap-pw-4821@127.0.0.1:{closed.getsockname()[1]}/INBOX"
        result = run(["-c", SENTRY_CAPTURE], production_env(tmp_path, SENTRY_DSN="http://public@127.0.0.1:9/1",
                                                            NOTICES_BOUNCE_IMAP_URL=url))
    assert result.returncode == 0, result.stderr
    sent = "".join(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "ConnectionRefusedError" in sent and "bounces_process_imap" in sent
    assert "imap-pw-4821" not in sent


@pytest.mark.parametrize("key, reason", [
    ("short-but-random-Xq9", "at least 50"),
    ("ab" * 40, "too predictable"),
    ("dev-only-insecure-key-change-me-in-production-0123456789", "SECRET_KEY"),
    ("django-insecure-" + "q8Zr4M2vT0pW6nY1bK5cF9hJ3dL7gS0aE2uI4oX8", "published sample"),
])
def test_production_refuses_a_weak_or_sample_secret_key(tmp_path, key, reason):
    result = run(SETUP, production_env(tmp_path, SECRET_KEY=key))
    assert result.returncode != 0 and reason in result.stderr


@pytest.mark.parametrize("token", ["change-me-too", "metrics"])
def test_production_refuses_a_sample_or_short_metrics_token_naming_it(tmp_path, token):
    """The token opens /metrics to whoever sends it, through the public proxy too: the example
    environment's placeholder, or a word, would open it to anyone."""
    result = run(SETUP, production_env(tmp_path, METRICS_TOKEN=token))
    assert result.returncode != 0 and "METRICS_TOKEN" in result.stderr.strip().splitlines()[-1]


def test_production_takes_a_generated_metrics_token(tmp_path):
    result = run(SETUP, production_env(tmp_path, METRICS_TOKEN=secrets.token_hex(16)))
    assert result.returncode == 0, result.stderr


def test_a_generated_secret_key_is_accepted():
    from django.core.management.utils import get_random_secret_key

    from rollout.settings.keys import secret_key_problem

    assert all(secret_key_problem(get_random_secret_key()) is None for _ in range(200))


def test_production_takes_only_security_keys_as_a_second_factor_unless_told(tmp_path):
    show = ["-c", "import django; django.setup(); from django.conf import settings; "
                  "print(settings.STAFF_MFA_AUTHENTICATOR_APPS, settings.MFA_SUPPORTED_TYPES)"]
    assert run(show, production_env(tmp_path)).stdout.strip() == "False ['webauthn']"
    allowed = run(show, production_env(tmp_path, STAFF_MFA_AUTHENTICATOR_APPS="on"))
    assert allowed.stdout.strip() == "True ['webauthn', 'totp', 'recovery_codes']"
