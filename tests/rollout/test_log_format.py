"""One log format: every log line that gunicorn (its own and the access lines), the Celery worker,
beat and Django commands write (on standard error) is one JSON object with time (ISO 8601, UTC), level, logger, message and
request_id, and the send tasks' lines name their delivery and court ids.

The processes run as deployed (production mode, a private redis-server, gunicorn, a worker and beat
started with --quiet as the systemd units start them) on SQLite, against an SMTP server in this
process. Without redis-server the same processes run in development mode with LOG_FORMAT=json and
the filesystem broker: the format is the same.
"""
from __future__ import annotations

import datetime as dt
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
import uuid
from pathlib import Path

import pytest

# It starts gunicorn, a Celery worker and beat: not part of `make test-fast`'s inner loop.
pytestmark = pytest.mark.celery_worker

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FILERS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
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


def get(port: int, path: str, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def parse(name: str, text: str) -> list[dict]:
    """Every line of a process's output as a JSON object, checked for the common fields."""
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"{name} line {number} is not JSON: {line!r}") from None
        assert isinstance(record, dict), f"{name} line {number}: {line!r}"
        missing = {"time", "level", "logger", "message", "request_id"} - set(record)
        assert not missing, f"{name} line {number} lacks {missing}: {line!r}"
        moment = dt.datetime.fromisoformat(record["time"])
        assert moment.utcoffset() == dt.timedelta(0) and "T" in record["time"], record["time"]
        assert record["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), line
        for key, value in record.items():
            assert not (isinstance(value, str) and re.match(r"b['\"]", value)), f"{name} {key} is a bytes repr: {line!r}"
        record["_process"] = name
        lines.append(record)
    return lines


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    from tests.conftest import SinkHandler

    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def broker(tmp_path):
    """A private redis-server (production mode), or nothing (development mode with JSON logs)."""
    server = shutil.which("redis-server")
    if not server:
        yield None
        return
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait(lambda: reachable(port), "the private redis-server")
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


def test_every_process_prints_json_lines(tmp_path, smtp_server, broker):
    handler, smtp_port = smtp_server
    run_id = uuid.uuid4().hex[:8]
    web_port = free_port()
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env.update({
        "PATH": f"{BIN}:{env.get('PATH', '')}", "PYTHONUNBUFFERED": "1",
        "SECRET_KEY": f"log-format-test-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        "ALLOWED_HOSTS": "127.0.0.1", "LOCAL_HTTP_TRIAL": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port),
        "DEFAULT_FROM_EMAIL": f"Rollout <rollout-logs-{run_id}@court.example>",
        "ROLLOUT_VAR_DIR": str(tmp_path / "var"),
        "NOTICES_DISPATCH_INTERVAL_SECONDS": "10",
        "GUNICORN_BIND": f"127.0.0.1:{web_port}", "WEB_CONCURRENCY": "2",
        "SITE_URL": f"http://127.0.0.1:{web_port}",
    })
    if broker:
        env.update({"ROLLOUT_MODE": "production", "CELERY_BROKER_URL": broker})
    else:
        env.update({"ROLLOUT_MODE": "development", "LOG_FORMAT": "json"})
    logs = tmp_path / "logs"
    logs.mkdir()
    outputs: dict[str, str] = {}

    def manage(name: str, *args: str) -> None:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        outputs[name] = result.stderr  # the log; standard output is the command's report

    manage("migrate", "migrate", "--noinput")
    manage("load_court_catalog", "load_court_catalog")
    manage("collectstatic", "collectstatic", "--noinput")
    manage("shell", "shell", "-c", (
        "from courts.models import Court; from courts.services import golive_get_or_create, golive_mark_live; "
        "from tests.factories import filer_at; court = Court.objects.get(court_id='MTDC'); "
        f"[filer_at(court, name=f'Filer {{i}} Logs', email=f'logs-{run_id}-{{i}}@example.com') for i in range({FILERS})]; "
        "golive_mark_live(golive_get_or_create(court), source='log format test')"))

    processes = {}
    commands = {
        "web": [str(BIN / "gunicorn"), "--config", "python:rollout.gunicorn_conf", "rollout.wsgi"],
        "worker": [str(BIN / "celery"), "--quiet", "-A", "rollout", "worker", "--concurrency=1", "--loglevel=INFO",
                   "-n", f"logs-{run_id}@%h"],
        "beat": [str(BIN / "celery"), "--quiet", "-A", "rollout", "beat", "--loglevel=INFO",
                 "--schedule", str(tmp_path / "celerybeat-schedule")],
    }
    for name, command in commands.items():
        processes[name] = subprocess.Popen(command, cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                                           stdout=open(logs / f"{name}.out", "wb"), stderr=open(logs / f"{name}.log", "wb"),
                                           start_new_session=True)
    try:
        wait(lambda: reachable(web_port), "gunicorn")
        recipients = {f"logs-{run_id}-{i}@example.com" for i in range(FILERS)}
        wait(lambda: recipients <= {r.lower() for m in list(handler.messages) for r in m.rcpt_tos},
             "the go-live notices", timeout=180)
        proxy_id = f"proxy-{run_id}.1:req/2"
        assert get(web_port, "/accounts/login/", {"X-Request-ID": proxy_id}).headers["X-Request-ID"] == proxy_id
        not_found = get(web_port, "/no-such-page/", {"X-Request-ID": proxy_id})
        assert not_found.status == 404 and not_found.headers["X-Request-ID"] == proxy_id
        # A filer's link: its token is a credential, kept out of every line.
        token = f"eyJmIjoxfQ:1tQx8a:logs{run_id}Signature"
        assert get(web_port, f"/me/{token}/", {"Referer": f"http://127.0.0.1/me/{token}/"}).status == 404
        replaced = get(web_port, "/healthz", {"X-Request-ID": "x" * 200}).headers["X-Request-ID"]
        assert replaced != "x" * 200 and re.fullmatch(r"[0-9a-f]{32}", replaced)
        wait(lambda: b"/no-such-page/" in (logs / "web.log").read_bytes(), "the access lines")
    finally:
        # TERM to each main process only, as systemd's KillMode=mixed does; KILL to all if it hangs.
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for name in processes:
            outputs[name] = (logs / f"{name}.log").read_text(errors="replace")
            print(f"--- {name}\n{outputs[name][-4000:]}")
    # Standard output holds nothing but the one notice Celery writes straight to the descriptor
    # when a worker is told to stop (no option turns it off).
    for name in processes:
        printed = [line for line in (logs / f"{name}.out").read_text(errors="replace").splitlines() if line.strip()]
        assert printed in ([], ["worker: Warm shutdown (MainProcess)"]), (name, printed)

    records = [record for name, text in outputs.items() for record in parse(name, text)]
    by_process = {name: [r for r in records if r["_process"] == name] for name in outputs}
    assert all(by_process[name] for name in ("web", "worker", "beat")), {k: len(v) for k, v in by_process.items()}

    # gunicorn's own lines and its access lines; the proxy's id kept, a silly one replaced.
    assert any(r["logger"] == "gunicorn.error" and "Listening at" in r["message"] for r in by_process["web"])
    access = [r for r in by_process["web"] if r["logger"] == "gunicorn.access"]
    page = [r for r in access if r["path"] == "/no-such-page/"]
    assert page and page[0]["status"] == 404 and page[0]["request_id"] == proxy_id and page[0]["duration_ms"] >= 0
    assert "?" not in "".join(r["path"] for r in access)
    django_404 = [r for r in by_process["web"] if r["logger"] == "django.request"]
    assert django_404 and django_404[0]["request_id"] == proxy_id and django_404[0]["level"] == "WARNING"
    assert any(r["path"] == "/healthz" and r["request_id"] == replaced for r in access)
    assert any(r["path"] == "/me/[token]/" and r["status"] == 404 for r in access)
    assert token not in outputs["web"]

    # The worker's send-task lines name the deliveries and their court; beat its schedule.
    sends = [r for r in by_process["worker"] if r["logger"] == "rollout.tasks" and r.get("delivery_ids")]
    assert sends and sum(len(r["delivery_ids"]) for r in sends if r["message"] == "task finished") == FILERS
    assert all(r["court_ids"] == ["MTDC"] for r in sends)
    assert any("notices.tasks.dispatch" in r["message"] for r in by_process["beat"])
    # No banner: the worker's first line is already JSON (checked above) and none lists the tasks.
    assert not any("[tasks]" in r["message"] for r in by_process["worker"])
