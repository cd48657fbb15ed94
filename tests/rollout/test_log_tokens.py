"""A link that acts without a login (a filer's status page, the address change and undo,
unsubscribe) is a credential until it expires: no log line, error mail or Sentry event carries its
token. The path shows "[token]" in its place."""
from __future__ import annotations

import http.client
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.log import log_response

from rollout.logs import JsonLineFormatter, path_without_tokens
from rollout.signed_links import status_token
from tests.conftest import wait_for
from tests.rollout.test_log_format import free_port, reachable
from tests.factories import filer_at, montana_court
from tests.rollout.test_production_mode import SENTRY_CAPTURED, production_env, run

ROOT = Path(__file__).resolve().parents[2]
# A token as the links carry it (signing's base64 and colons); never printed unless leaked.
TOKEN = "eyJmIjo0MiwiZSI6ImFiYyJ9:1tQx8a:leakedSignatureXyz-0123456789abc"


def _routes(resolver: URLResolver, namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from _routes(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern.pattern.regex.groupindex


def test_every_route_with_a_token_shows_it_masked():
    samples = {"uidb64": "MQ", "uidb36": "3"}
    checked = []
    for name, groups in _routes(get_resolver()):
        secret = {"token", "key"} & set(groups)
        if not secret:
            continue
        kwargs = {group: samples.get(group, TOKEN) for group in groups}
        path = reverse(name, kwargs=kwargs)
        assert TOKEN not in path_without_tokens(path), name
        assert TOKEN not in path_without_tokens(f"GET https://rollout.example.org{path}?x=1 HTTP/1.1"), name
        checked.append(name)
    assert {"filers:status", "filers:help", "filers:email_confirm", "filers:email_undo",
            "notice_unsubscribe"} <= set(checked)


def test_paths_without_a_token_are_left_alone():
    for path in ("/me/", "/me/?next=1", "/notices/", "/admin/accounts/filer/", "/status/MTDC/"):
        assert path_without_tokens(path) == path


@pytest.mark.django_db
def test_a_mangled_filer_link_logs_its_404_without_the_token(caplog):
    """Django's "Not Found: <path>" line, and the request the JSON line carries along."""
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert Client().get(f"/me/{TOKEN}/").status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and records[0].getMessage() == "Not Found: /me/[token]/"
    line = JsonLineFormatter("%(levelname)s %(name)s %(message)s").format(records[0])
    assert TOKEN not in line and "/me/[token]/" in line


@pytest.mark.django_db
def test_an_error_mail_for_a_filer_link_names_no_token(settings):
    """The mail Django sends ADMINS for a server error: subject, "Request URL", the title's path
    and META (PATH_INFO, the Referer of the page it came from) all without the token."""
    settings.DEBUG = False
    settings.ADMINS = [("", "it@court.example")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    filer = filer_at(montana_court(), email="filer-tokens@example.com").filer
    token = status_token(filer.pk, filer.email)
    response = Client().get(f"/me/{token}/", HTTP_REFERER=f"https://rollout.example.org/me/{token}/help/")
    request = response.wsgi_request
    try:
        raise RuntimeError("the page failed")
    except RuntimeError as exc:
        # What Django's handler does with an uncaught exception.
        log_response("Internal Server Error: %s", request.path, response=HttpResponse(status=500),
                     request=request, exception=exc)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert token not in sent.subject and "/me/[token]/" in sent.subject
    assert "RuntimeError" in sent.body and "/me/[token]/" in sent.body
    assert token not in sent.body


def test_sentry_is_not_sent_a_filer_links_token(tmp_path):
    """A real error on a filer's link (the production process's database has no tables), reported by
    the SDK's Django integration: the request's URL and Referer, and the log message, are masked."""
    code = SENTRY_CAPTURED + """
from django.conf import settings
from django.test import Client, override_settings
from rollout.signed_links import status_token
token = status_token(42, "filer@example.com")
# No collectstatic here: the 500 page links its stylesheet without the manifest.
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    response = Client(HTTP_HOST="rollout.example.org", raise_request_exception=False).get(
        f"/me/{token}/", secure=True, HTTP_REFERER=f"https://rollout.example.org/me/{token}/")
sentry_sdk.flush()
print(json.dumps({"status": response.status_code, "token": token, "sent": Capture.sent}))
"""
    result = run(["-c", code], production_env(tmp_path, SENTRY_DSN="http://public@127.0.0.1:9/1"))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    sent = "".join(out["sent"])
    assert out["status"] == 500 and "OperationalError" in sent and "/me/[token]/" in sent
    assert out["token"] not in sent


def test_gunicorns_text_access_lines_name_no_token(tmp_path):
    """Development's gunicorn (text lines with the request line "%(r)s"): a filer's link and an
    unsubscribe link appear with "[token]". (Production's JSON access lines: test_log_format.py.)"""
    port = free_port()
    env = production_env(tmp_path, ROLLOUT_MODE="development", LOG_FORMAT="text", GUNICORN_BIND=f"127.0.0.1:{port}",
                         WEB_CONCURRENCY="1", ALLOWED_HOSTS="127.0.0.1", PYTHONPATH=str(ROOT),
                         PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    log = tmp_path / "web.log"
    process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--config", "python:rollout.gunicorn_conf",
                                "rollout.wsgi"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                               stderr=open(log, "wb"), start_new_session=True)
    try:
        wait_for(lambda: reachable(port), what=f"gunicorn to listen: {log.read_text(errors='replace')}")
        for path in (f"/me/{TOKEN}/", f"/notices/unsubscribe/{TOKEN}/"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers={"Host": "127.0.0.1"})
            conn.getresponse().read()
            conn.close()
        wait_for(lambda: b"/notices/unsubscribe/" in log.read_bytes(), what="the access lines")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    text = log.read_text(errors="replace")
    assert '"GET /me/[token]/ HTTP/1.1"' in text and '"GET /notices/unsubscribe/[token]/ HTTP/1.1"' in text, text
    assert TOKEN not in text
