"""The release as a court's IT installs it: the wheel, in a new virtual environment outside the
checkout, run with `rollout-tracker` and gunicorn in production mode (docs/deploy.md).

The wheel test (marked `release`, skipped by `make test-fast`) builds the wheel from a copy of the
sources, installs it with pip (dependencies from the index through pip's cache), and from an empty
directory runs `check --deploy`, `migrate`, the catalog import, `collectstatic` and
`createsuperuser`, then gunicorn in the plain-HTTP trial: log in through the form, the overview
dashboard, its stylesheet, /healthz. PostgreSQL when DATABASE_URL names it (a database of its own),
else SQLite.

The trial's refusals (a public host name, a public bind address) run in plain processes.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_IGNORE = shutil.ignore_patterns(".git", ".venv", "node_modules", "var", "build", "dist", "*.egg-info",
                                       "__pycache__", ".pytest_cache", "tests", "control")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(tmp_path: Path, **changes) -> dict:
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env.update({
        "SECRET_KEY": f"release-test-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": "9",
        "SITE_URL": "https://rollout.court.example",
        # The trial logs in with a password alone (no second factor enrolled in a fresh install).
        "STAFF_MFA_REQUIRED": "0", "STAFF_REAUTHENTICATION_REQUIRED": "0",
        "ROLLOUT_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    })
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


# --- the plain-HTTP trial's refusals (no wheel needed) -----------------------------------------

def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    env = {**env, "ROLLOUT_MODE": "production", "DJANGO_SETTINGS_MODULE": "rollout.settings",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


SETTINGS = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)")


def test_the_trial_serves_plain_http_to_loopback_hosts(tmp_path):
    result = run_python(SETTINGS, base_env(tmp_path, LOCAL_HTTP_TRIAL="1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["False", "False", "False", "0"]


def test_without_the_trial_production_is_https_only(tmp_path):
    result = run_python(SETTINGS, base_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split()[:3] == ["True", "True", "True"]


@pytest.mark.parametrize("hosts", ["rollout.court.example", "127.0.0.1,rollout.court.example", "0.0.0.0", "*"])
def test_the_trial_is_refused_for_a_host_other_machines_reach(tmp_path, hosts):
    result = run_python(SETTINGS, base_env(tmp_path, LOCAL_HTTP_TRIAL="1", ALLOWED_HOSTS=hosts))
    assert result.returncode != 0
    assert "LOCAL_HTTP_TRIAL=1 is for a trial on this machine only: ALLOWED_HOSTS" in result.stderr


@pytest.mark.parametrize("bind", ["0.0.0.0:8000", "192.0.2.7:8000", "[::]:8000"])
def test_gunicorn_refuses_a_public_bind_during_the_trial(tmp_path, bind):
    code = "import rollout.gunicorn_conf"
    result = run_python(code, base_env(tmp_path, LOCAL_HTTP_TRIAL="1", GUNICORN_BIND=bind))
    assert result.returncode != 0 and "GUNICORN_BIND must be a loopback address" in result.stderr


@pytest.mark.parametrize("bind", ["127.0.0.1:8000", "[::1]:8000", "localhost:8000", "unix:/run/rollout.sock"])
def test_gunicorn_accepts_a_loopback_bind_during_the_trial(tmp_path, bind):
    result = run_python("import rollout.gunicorn_conf", base_env(tmp_path, LOCAL_HTTP_TRIAL="1", GUNICORN_BIND=bind))
    assert result.returncode == 0, result.stderr


def test_message_ids_end_in_the_site_host_unless_set(tmp_path):
    code = "import django; django.setup(); from django.conf import settings as s; print(s.NOTICES_MESSAGE_ID_DOMAIN)"
    site = base_env(tmp_path, SITE_URL="https://rollout.court.example")
    assert run_python(code, site).stdout.splitlines()[-1] == "rollout.court.example"
    chosen = run_python(code, {**site, "NOTICES_MESSAGE_ID_DOMAIN": "mail.court.example"})
    assert chosen.stdout.splitlines()[-1] == "mail.court.example"


# --- the wheel ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A new virtual environment holding the wheel built from a copy of the sources; its bin/."""
    work = tmp_path_factory.mktemp("release")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=SOURCE_IGNORE)
    wheels = work / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "--disable-pip-version-check", "-w", str(wheels), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("rollout_tracker-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    # --no-compile: Python compiles what the test imports on first use, instead of every installed
    # module (Django's thousands) up front; the install is then mostly unpacking from pip's cache.
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          "--no-compile", str(wheel)], capture_output=True, text=True, timeout=900)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    shutil.rmtree(source)
    return venv / "bin"


@pytest.fixture
def database_url(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") + "_release"
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def request(port: int, method: str, path: str, cookies: dict, body: bytes | None = None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    for value in response.headers.get_all("Set-Cookie") or []:
        for key, morsel in SimpleCookie(value).items():
            cookies[key] = morsel.value
    conn.close()
    return response, data


@pytest.mark.release
def test_the_installed_wheel_runs_outside_the_checkout(installed, tmp_path, database_url):
    site = tmp_path / "site"
    site.mkdir()
    # Redis when the run has one (broker and cache); else an unreachable broker and the file cache.
    redis = os.environ.get("REDIS_URL", "")
    env = base_env(site, DATABASE_URL=database_url, PATH=f"{installed}:{os.environ.get('PATH', '')}",
                   DJANGO_SUPERUSER_PASSWORD="release-test-Pa55word",
                   CELERY_BROKER_URL=redis or "redis://127.0.0.1:1/0", CACHE_URL=redis)

    def command(*args: str, **changes) -> subprocess.CompletedProcess:
        result = subprocess.run([str(installed / "rollout-tracker"), *args], cwd=site, env={**env, **changes},
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"rollout-tracker {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result

    # The code comes from the environment, not from the checkout.
    where = subprocess.run([str(installed / "python"), "-c", "import rollout, courts; print(rollout.__file__)"],
                           cwd=site, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.startswith(str(installed.parent)), where.stdout + where.stderr

    # Outside a checkout, production has no default place to write: the command says which variable.
    refused = subprocess.run([str(installed / "rollout-tracker"), "check"], cwd=site, capture_output=True, text=True,
                             env={k: v for k, v in env.items() if k != "ROLLOUT_VAR_DIR"}, timeout=120)
    assert refused.returncode != 0 and "ROLLOUT_VAR_DIR must be set" in refused.stderr

    # The deploy steps of docs/deploy.md, with the default mode of the command (production).
    checked = command("check", "--deploy", "--fail-level", "WARNING", SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert "no issues" in checked.stdout
    command("migrate", "--noinput")
    loaded = command("load_court_catalog")
    assert re.search(r"\b2\d\d created\b", loaded.stdout), loaded.stdout
    collected = command("collectstatic", "--noinput")
    assert "Found another file" not in collected.stdout + collected.stderr
    assert (site / "var" / "static" / "staticfiles.json").is_file()
    command("createsuperuser", "--noinput", "--username", "itstaff", "--email", "it@court.example")

    port = free_port()
    web = subprocess.Popen([str(installed / "gunicorn"), "--config", "python:rollout.gunicorn_conf", "rollout.wsgi"],
                           cwd=site, env={**env, "LOCAL_HTTP_TRIAL": "1", "GUNICORN_BIND": f"127.0.0.1:{port}",
                                          "WEB_CONCURRENCY": "1"},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert web.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        cookies: dict = {}
        response, page = request(port, "GET", "/accounts/login/", cookies)
        assert response.status == 200, page[-500:]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = urllib.parse.urlencode({"username": "itstaff", "password": env["DJANGO_SUPERUSER_PASSWORD"],
                                       "csrfmiddlewaretoken": token, "next": "/"}).encode()
        response, page = request(port, "POST", "/accounts/login/", cookies, form,
                                 {"Content-Type": "application/x-www-form-urlencoded",
                                  "Referer": f"http://127.0.0.1:{port}/accounts/login/"})
        assert response.status == 302 and response.headers["Location"] == "/", page[-1500:]

        response, page = request(port, "GET", "/", cookies)
        assert response.status == 200 and b"District of Montana" in page
        css = re.search(rb'href="(/static/rollout/site\.[0-9a-f]{12}\.css)"', page)
        assert css, "the overview links the hashed stylesheet from the wheel"
        response, body = request(port, "GET", css.group(1).decode(), cookies)
        assert response.status == 200 and body

        # /healthz answers for itself (503 here: no worker, beat or broker in this test).
        response, body = request(port, "GET", "/healthz", {})
        health = json.loads(body)
        assert response.status in (200, 503) and health["checks"]["database"] == "ok"
    finally:
        if web.poll() is None:
            os.killpg(web.pid, signal.SIGTERM)
        output = web.communicate(timeout=30)[0].decode(errors="replace")
        print(output)  # shown when the test fails
    # Every line gunicorn and the app printed is one JSON object.
    for line in output.splitlines():
        assert isinstance(json.loads(line), dict), line
