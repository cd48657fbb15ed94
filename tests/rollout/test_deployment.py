"""The tracker as deployed: production mode, gunicorn (two workers), two Celery worker processes and
one beat, against PostgreSQL, a private Redis and a real SMTP server (Postfix when
ROLLOUT_POSTFIX_SMTP names it, as in CI; aiosmtpd otherwise).

One walk, as a court's IT staff would check a deployment: the deploy steps (migrate, collectstatic,
load courts, create an administrator), then through HTTP only: log in through the login form, load
the overview and its CSS from whitenoise, upload a roster in the admin and apply it (each step a
Celery task), make the court's go-live due, and check every filer got the go-live notice exactly
once; /healthz is 200, then 503 once the private redis-server is stopped.

Needs PostgreSQL (DATABASE_URL) and redis-server; skipped without them, except in CI (CI=true),
where it fails instead. With ROLLOUT_REQUIRE_POSTFIX=1 an unreachable Postfix fails the test.
"""
from __future__ import annotations

import email
import email.policy
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
BIN = Path(sys.executable).parent
ROWS = 6
DISPATCH_INTERVAL = 10  # seconds: beat dispatches often, so the walk is short
pytestmark = pytest.mark.deployment


def missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"The deployment test needs {reason} (CI must provide it).")
    pytest.skip(f"The deployment test needs {reason}.")


def free_port() -> int:
    """A free port in this test's range (8100-8199), else any free loopback port."""
    for port in list(range(8150, 8200)) + [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def wait(predicate, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"Timed out waiting for {what}")


# --- the parts ----------------------------------------------------------------------------------

@pytest.fixture
def postgres_url():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        missing("PostgreSQL (DATABASE_URL=postgres://…)")
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") + "_deploy"
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    deploy_url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    yield deploy_url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_server(tmp_path):
    server = shutil.which("redis-server")
    if not server:
        missing("redis-server (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait(lambda: reachable("127.0.0.1", port), "the private redis-server")
    yield process, f"redis://127.0.0.1:{port}/0"
    if process.poll() is None:
        process.terminate()
        process.wait(10)


class Mailbox:
    """What the SMTP server received for the given recipients."""

    def __init__(self, smtp: tuple[str, int], read):
        self.smtp, self.read = smtp, read


@pytest.fixture
def mailbox():
    """Postfix (ROLLOUT_POSTFIX_SMTP, its Maildir shared with others: only our recipients count, by
    X-Original-To, and nothing is ever removed) or an aiosmtpd server in this process."""
    postfix = os.environ.get("ROLLOUT_POSTFIX_SMTP", "")
    if postfix:
        host, port = postfix.rsplit(":", 1)
        if reachable(host, int(port)):
            maildir = Path(os.environ.get("ROLLOUT_POSTFIX_MAILDIR", "/home/sink/Maildir"))

            def read(recipients: set[str]) -> list[tuple[str, email.message.EmailMessage]]:
                found = []
                for folder in ("new", "cur"):
                    for path in (maildir / folder).iterdir():
                        try:
                            with open(path, "rb") as handle:
                                head = email.message_from_binary_file(handle, policy=email.policy.default)
                        except FileNotFoundError:
                            # Another test's message, read and removed by its own reader meanwhile
                            # (the bounce test takes its DSNs out of this Maildir).
                            continue
                        rcpt = str(head.get("X-Original-To", "")).strip().lower()
                        if rcpt in recipients:
                            found.append((rcpt, head))
                return found

            yield Mailbox((host, int(port)), read)
            return
        if os.environ.get("ROLLOUT_REQUIRE_POSTFIX") == "1":
            pytest.fail(f"Postfix is required (ROLLOUT_REQUIRE_POSTFIX=1) but {postfix} is unreachable.")
    from aiosmtpd.controller import Controller

    from tests.conftest import SinkHandler

    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()

    def read(recipients: set[str]):
        return [(r.lower(), m.message) for m in list(handler.messages) for r in m.rcpt_tos if r.lower() in recipients]

    try:
        yield Mailbox(("127.0.0.1", controller.port), read)
    finally:
        controller.stop()


class Deployment:
    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.processes = env, logs, {}

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self, name: str, *command: str) -> None:
        log = open(self.logs / f"{name}.log", "wb")
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def tails(self) -> str:
        return "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:] for p in sorted(self.logs.glob("*.log")))


class Browser:
    """A plain HTTP client behind an imaginary TLS proxy: X-Forwarded-Proto https, cookies kept by
    hand (they are Secure, and this connection is not), Referer set as a browser would."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https",
                   "Referer": f"https://127.0.0.1:{self.port}{path}", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(value).items():
                self.cookies[key] = morsel.value
        conn.close()
        return response, data

    def get(self, path: str):
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict):
        return self.request("POST", path, urllib.parse.urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def post_multipart(self, path: str, fields: dict, file_field: str, file_name: str, content: bytes):
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file_name}"\r\n'
                     f"Content-Type: text/csv\r\n\r\n".encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def csrf(self, html: bytes) -> str:
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1).decode()


def delivery_states(database_url: str) -> dict:
    import psycopg

    with psycopg.connect(database_url) as conn:
        return dict(conn.execute("SELECT state, count(*) FROM rollout_noticedelivery GROUP BY state").fetchall())


# --- the walk -----------------------------------------------------------------------------------

def test_deployed_service_end_to_end(tmp_path, postgres_url, redis_server, mailbox):
    redis_process, redis_url = redis_server
    run_id = uuid.uuid4().hex[:10]
    web_port = free_port()
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env.update({
        "PATH": f"{BIN}:{env.get('PATH', '')}",
        "ROLLOUT_MODE": "production",
        "SECRET_KEY": f"deployment-test-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": postgres_url,
        "CELERY_BROKER_URL": redis_url,
        "EMAIL_HOST": mailbox.smtp[0], "EMAIL_PORT": str(mailbox.smtp[1]),
        "DEFAULT_FROM_EMAIL": f"Rollout deploy test <rollout-deploy-{run_id}@localhost>",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "ROLLOUT_VAR_DIR": str(tmp_path / "var"), "MEDIA_ROOT": str(tmp_path / "media"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "NOTICES_DISPATCH_INTERVAL_SECONDS": str(DISPATCH_INTERVAL),
        "GUNICORN_BIND": f"127.0.0.1:{web_port}", "WEB_CONCURRENCY": "2",
        "SITE_URL": f"https://127.0.0.1:{web_port}",
        "DJANGO_SUPERUSER_PASSWORD": "deploy-test-Pa55word", "PYTHONUNBUFFERED": "1",
        # This walk is about the processes; the second factor and re-authentication, on by default in
        # production, have their own tests (tests/rollout/test_signin_*).
        "STAFF_MFA_REQUIRED": "0", "STAFF_REAUTHENTICATION_REQUIRED": "0",
    })
    logs = tmp_path / "logs"
    logs.mkdir()
    deployment = Deployment(env, logs)
    try:
        # Deploy steps (docs/deploy.md).
        deployment.manage("migrate", "--noinput")
        deployment.manage("collectstatic", "--noinput")
        deployment.manage("load_court_catalog")
        deployment.manage("createsuperuser", "--noinput", "--username", "itstaff", "--email", "it@example.org")
        court_pk = re.search(r"COURT=(\d+)", deployment.manage(
            "shell", "-c", "from courts.models import Court; print('COURT=%d' % Court.objects.get(court_id='MTDC').pk)")).group(1)

        deployment.start("web", str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "rollout.wsgi")
        for n in (1, 2):
            deployment.start(f"worker{n}", str(BIN / "celery"), "-A", "rollout", "worker", "-n", f"w{n}-{run_id}@%h",
                             "--concurrency=1", "--loglevel=INFO")
        deployment.start("beat", str(BIN / "celery"), "-A", "rollout", "beat", "--loglevel=INFO",
                         "--schedule", str(tmp_path / "celerybeat-schedule"))
        browser = Browser(web_port)
        wait(lambda: reachable("127.0.0.1", web_port), "gunicorn")

        # Log in through the login form.
        response, page = browser.get("/accounts/login/")
        assert response.status == 200
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        response, _ = browser.post_form("/accounts/login/", {"username": "itstaff", "password": env["DJANGO_SUPERUSER_PASSWORD"],
                                                             "csrfmiddlewaretoken": browser.csrf(page), "next": "/"})
        assert response.status == 302 and response.headers["Location"] == "/", _[-1500:]

        # The overview, with its CSS (hashed name) served by whitenoise, compressed, cached for long.
        response, page = browser.get("/")
        assert response.status == 200 and b"Courts" in page
        assert response.headers.get("Strict-Transport-Security", "").startswith("max-age=")
        assert response.headers.get("X-Request-ID")
        css = re.search(rb'href="(/static/rollout/site\.[0-9a-f]{12}\.css)"', page)
        assert css, "the overview links the hashed stylesheet"
        response, body = browser.request("GET", css.group(1).decode(), headers={"Accept-Encoding": "gzip"})
        assert response.status == 200 and response.headers["Content-Encoding"] == "gzip"
        assert "immutable" in response.headers["Cache-Control"]

        # Upload a roster in the admin; the dry run and the apply each run as a task.
        recipients = {f"deploy-{run_id}-{i}@example.com" for i in range(ROWS)}
        roster = "name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n" + "".join(
            f"Filer {i} Deploy,deploy-{run_id}-{i}@example.com,dep{run_id}{i},dep{run_id}p{i},2016-05-0{i + 1},no,no\n"
            for i in range(ROWS))
        import_url = "/admin/accounts/cmecfaccount/import/"
        response, page = browser.get(import_url)
        assert response.status == 200
        response, page = browser.post_multipart(import_url, {"csrfmiddlewaretoken": browser.csrf(page), "kind": "roster",
                                                             "court": court_pk}, "file", "roster.csv", roster.encode())
        assert response.status == 302, page[-3000:]
        job_page = response.headers["Location"]

        def job_done(path):
            def check():
                response, page = browser.get(path)
                return page if b'data-state="done"' in page or b'data-state="failed"' in page else None
            return check

        page = wait(job_done(job_page), "the dry run")
        assert f"{ROWS} rows".encode() in page and b"would be created" in page
        token = re.search(rb'name="token" value="([^"]+)"', page).group(1).decode()
        response, _ = browser.post_form(import_url, {"csrfmiddlewaretoken": browser.csrf(page), "token": token})
        assert response.status == 302
        page = wait(job_done(response.headers["Location"]), "the apply")
        assert f"Applied: {ROWS} rows".encode() in page, page[-2000:]

        # Make the court's go-live due: it goes live now; beat's dispatch finds the notices.
        deployment.manage("shell", "-c", "from courts.models import Court; from courts.services import golive_get_or_create, "
                                         "golive_mark_live; golive_mark_live(golive_get_or_create(Court.objects.get(court_id='MTDC')), "
                                         "source='deployment test')")
        wait(lambda: delivery_states(postgres_url).get("sent") == ROWS, "every go-live notice sent", timeout=180)
        wait(lambda: len(mailbox.read(recipients)) >= ROWS, "the messages in the mailbox", timeout=120)
        all_arrived = time.monotonic()

        def beat_dispatched_again():
            # Anything sent twice would come from a dispatch after the first sends: wait until beat's
            # dispatch has finished twice more (its age, on /healthz, is younger than the wait so far
            # minus one interval), and nothing is left to send.
            _response, body = browser.get("/healthz")
            age = json.loads(body).get("last_sweep_run_age_seconds")
            return (age is not None and age < time.monotonic() - all_arrived - DISPATCH_INTERVAL
                    and delivery_states(postgres_url) == {"sent": ROWS})

        wait(beat_dispatched_again, "two more runs of beat's sweep", timeout=120)
        received = mailbox.read(recipients)
        per_recipient = {r: 0 for r in recipients}
        for rcpt, _message in received:
            per_recipient[rcpt] += 1
        assert per_recipient == {r: 1 for r in recipients}
        assert all("District of Montana" in str(m["Subject"]) or "Montana" in str(m["Subject"]) for _, m in received)
        assert delivery_states(postgres_url) == {"sent": ROWS}

        # Health: 200 with everything up, 503 once the broker is gone. Plain HTTP (a load balancer's
        # probe) is answered, while every other page redirects to HTTPS.
        response, body = browser.get("/healthz")
        assert response.status == 200, body
        plain = http.client.HTTPConnection("127.0.0.1", web_port, timeout=30)
        plain.request("GET", "/healthz", headers={"Host": f"127.0.0.1:{web_port}"})
        probe = plain.getresponse()
        probe.read()
        assert probe.status == 200
        plain.request("GET", "/", headers={"Host": f"127.0.0.1:{web_port}"})
        redirect = plain.getresponse()
        redirect.read()
        assert redirect.status == 301 and redirect.headers["Location"].startswith("https://")
        plain.close()
        redis_process.terminate()
        redis_process.wait(10)
        response, body = browser.get("/healthz")
        assert response.status == 503
        assert b'"broker": "ok"' not in body
    except BaseException:
        print(deployment.tails())
        raise
    finally:
        deployment.stop()
