"""While the database cannot be reached, pages answer 503 "try again" with Retry-After, not a 500,
and the admins get no mail per failed request; any other uncaught error keeps the 500 page.

The outage is real: the default database's address is pointed at a port nothing listens on, so
psycopg's connection is refused as when PostgreSQL is down or restarting.
"""
from __future__ import annotations

import logging
import socket

import pytest
from django.core import mail
from django.db import OperationalError, connection, connections, transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from rollout.outage import database_unavailable, server_error
from tests.factories import montana_administrator
from tests.rollout.test_query_strings import fill_route, site_patterns

pytestmark = pytest.mark.django_db(transaction=True)
needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                      reason="psycopg's connection errors and SQLSTATEs")


@pytest.fixture
def cut_database(monkeypatch):
    """Returns a function that makes the default database unreachable until the test ends."""
    default = connections["default"]

    def cut():
        with socket.socket() as probe:  # a port just freed: nothing listens on it
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        default.close()
        monkeypatch.setitem(default.settings_dict, "HOST", "127.0.0.1")
        monkeypatch.setitem(default.settings_dict, "PORT", str(port))

    yield cut
    default.close()  # the next query connects to the real address again, restored by monkeypatch


def _get(client: Client, path: str):
    client.raise_request_exception = False  # answer as the server would, not re-raise in the test
    return client.get(path)


@needs_postgresql
def test_a_public_page_answers_503_with_retry_after_while_the_database_is_down(cut_database):
    cut_database()
    response = _get(Client(), reverse("status:index"))
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert b"briefly unavailable" in response.content


@needs_postgresql
def test_a_signed_in_administrator_gets_the_same_page_when_the_session_cannot_be_read(cut_database):
    client = Client()
    client.force_login(montana_administrator())
    cut_database()  # the session and the user are read by middleware, before any view
    response = _get(client, reverse("dashboard:overview"))
    assert response.status_code == 503
    assert b"try again in\n1 minute" in response.content


@needs_postgresql
@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "administrator"])
def test_no_page_answers_500_while_the_database_is_down(cut_database, signed_in):
    """Generated from the URL resolver: every page outside the admin (each with its path arguments
    filled as in test_query_strings), the admin's index and the sign-in page answer 503, or what
    they answer without the database (a redirect, /healthz's own 503), never another 5xx."""
    paths = [fill_route(route, pattern)[0] for route, pattern in site_patterns()] + ["/admin/", "/accounts/login/"]
    client = Client()
    if signed_in:
        client.force_login(montana_administrator())
    cut_database()
    answers = {path: _get(client, path).status_code for path in paths}
    assert {path: status for path, status in answers.items() if status >= 500 and status != 503} == {}
    assert 503 in answers.values()  # the outage was real for the pages that read the database


@needs_postgresql
def test_failed_requests_of_an_outage_mail_no_admin_but_other_errors_still_do(cut_database, settings):
    settings.ADMINS = [("", "ops@example.gov")]
    cut_database()
    for _ in range(3):
        assert _get(Client(), reverse("status:index")).status_code == 503
    assert mail.outbox == []
    try:
        raise ZeroDivisionError("a bug")
    except ZeroDivisionError:
        logging.getLogger("django.request").error("Internal Server Error: /somewhere", exc_info=True)
    assert [m.to for m in mail.outbox] == [["ops@example.gov"]]


@needs_postgresql
def test_a_statement_timeout_is_an_error_of_the_page_not_an_outage():
    with pytest.raises(OperationalError) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 1")
        cursor.execute("SELECT pg_sleep(0.5)")
    assert not database_unavailable(raised.value)


def test_any_other_uncaught_error_keeps_the_500_page():
    request = RequestFactory().get("/somewhere")
    try:
        raise ZeroDivisionError("a bug")
    except ZeroDivisionError:  # Django calls the 500 view inside its except block
        response = server_error(request)
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


@needs_postgresql
def test_a_task_failing_on_the_outage_mails_no_admin(cut_database, settings):
    settings.ADMINS = [("", "ops@example.gov")]
    cut_database()
    try:
        connection.ensure_connection()
    except OperationalError:  # logged as Celery logs a task that raised
        logging.getLogger("celery.app.trace").error("Task send_deliveries raised unexpected", exc_info=True)
    else:
        pytest.fail("the database answered")
    assert mail.outbox == []


@needs_postgresql
def test_healthz_names_the_database_and_gives_it_as_the_reason_of_each_read_that_failed(cut_database):
    from rollout.health.services import heartbeat_record

    heartbeat_record()
    cut_database()
    response = _get(Client(), "/healthz")
    checks = response.json()["checks"]
    assert response.status_code == 503 and checks["database"] != "ok"
    for name in ("beat", "sweeps", "notices_due", "notices_sending"):
        assert checks[name].endswith("database error (OperationalError)"), checks


@needs_postgresql
def test_a_database_that_accepts_and_never_answers_gives_the_503_page(monkeypatch):
    """A server that takes the connection and says nothing (a hung host, a stuck proxy): the
    connection gives up after the configured connect_timeout and the visitor gets the outage page,
    rather than a request that waits for TCP to give up."""
    assert connections["default"].settings_dict["OPTIONS"]["connect_timeout"]
    default = connections["default"]
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nothing ever reads or answers
        default.close()
        monkeypatch.setitem(default.settings_dict, "HOST", "127.0.0.1")
        monkeypatch.setitem(default.settings_dict, "PORT", str(silent.getsockname()[1]))
        response = _get(Client(), reverse("status:index"))
    default.close()
    assert response.status_code == 503 and response["Retry-After"] == "60"
