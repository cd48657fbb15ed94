"""Values the settings take or refuse beyond their type: production's own rules (SITE_URL, ALLOWED_HOSTS,
the broker), gunicorn's configuration, which reads the same settings, and the example systemd units.
Each case starts a real Python process with a clean environment; a refusal names the variable in the
last line the process prints."""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SinkHandler, free_loopback_port

ROOT = Path(__file__).resolve().parents[2]
SHOW = "from rollout import settings as s; print({})"
GUNICORN = "import rollout.gunicorn_conf as g; print(g.workers, g.logconfig_dict['root']['level'])"
# The plain-HTTP trial on this machine (docs/deploy.md).
TRIAL = {"LOCAL_HTTP_TRIAL": "1", "ALLOWED_HOSTS": "127.0.0.1,localhost", "SITE_URL": "http://127.0.0.1:5000"}


def start(tmp_path, script: str, mode: str = "production", **changes) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR")}
    env.update({"ROLLOUT_MODE": mode, "DJANGO_SETTINGS_MODULE": "rollout.settings",
                "ROLLOUT_VAR_DIR": str(tmp_path / "var")})
    if mode == "production":
        env.update({
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "rollout.court.example",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
            "EMAIL_HOST": "smtp.court.example",
            "SITE_URL": "https://rollout.court.example",
        })
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def refusal(result: subprocess.CompletedProcess) -> str:
    """The message a process stopped with (the last line of its traceback)."""
    assert result.returncode != 0, result.stdout
    return result.stderr.strip().splitlines()[-1]


# --- LOCAL_HTTP_TRIAL: gunicorn's loopback guard follows the settings ---------------------------

@pytest.mark.parametrize("value", ["1", "y", "t", "On"])
def test_gunicorn_refuses_a_public_bind_for_every_value_the_settings_take_as_on(tmp_path, value):
    result = start(tmp_path, "import rollout.gunicorn_conf", **{**TRIAL, "LOCAL_HTTP_TRIAL": value},
                   GUNICORN_BIND="0.0.0.0:5099")
    assert "GUNICORN_BIND must be a loopback address" in refusal(result)


def test_gunicorn_stops_on_a_local_http_trial_value_the_settings_refuse(tmp_path):
    result = start(tmp_path, "import rollout.gunicorn_conf", **{**TRIAL, "LOCAL_HTTP_TRIAL": "maybe"},
                   GUNICORN_BIND="0.0.0.0:5099")
    assert 'Environment variable "LOCAL_HTTP_TRIAL" invalid' in refusal(result)


# --- SITE_URL -------------------------------------------------------------------------------------

def test_production_refuses_to_start_without_site_url(tmp_path):
    result = start(tmp_path, SHOW.format("s.SITE_URL"), SITE_URL=None)
    assert "SITE_URL must be set" in refusal(result)


def test_production_refuses_a_plain_http_site_url(tmp_path):
    result = start(tmp_path, SHOW.format("s.SITE_URL"), SITE_URL="http://rollout.court.example")
    assert "SITE_URL must be an https:// address" in refusal(result)


def test_the_trial_takes_a_plain_http_site_url_on_this_machine(tmp_path):
    result = start(tmp_path, SHOW.format("s.SITE_URL, s.NOTICES_MESSAGE_ID_DOMAIN"), **TRIAL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["http://127.0.0.1:5000", "127.0.0.1"]


def test_the_trial_does_not_send_staff_to_enrol_a_security_key(tmp_path):
    """A security key is bound to the site's https host name: at http://127.0.0.1 it cannot be
    enrolled, so the trial's sign-in would stop at the enrolment page."""
    result = start(tmp_path, SHOW.format("s.STAFF_MFA_REQUIRED"), **TRIAL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"]


def test_production_without_the_trial_sends_staff_to_enrol_a_security_key(tmp_path):
    result = start(tmp_path, SHOW.format("s.STAFF_MFA_REQUIRED"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"]


# --- SSO_ISSUER -----------------------------------------------------------------------------------

def test_production_refuses_a_plain_http_sso_issuer(tmp_path):
    result = start(tmp_path, SHOW.format("s.SSO_ISSUER"), SSO_ISSUER="http://login.court.example/realms/courts",
                   SSO_CLIENT_ID="rollout-tracker", SSO_CLIENT_SECRET="tracker-secret")
    assert "SSO_ISSUER must be an https:// address" in refusal(result)


# --- ALLOWED_HOSTS --------------------------------------------------------------------------------

@pytest.mark.parametrize("hosts", [",", " , ", "*", "rollout.court.example,*"])
def test_production_refuses_allowed_hosts_naming_no_host_or_every_host(tmp_path, hosts):
    result = start(tmp_path, SHOW.format("s.ALLOWED_HOSTS"), ALLOWED_HOSTS=hosts)
    assert "ALLOWED_HOSTS must name" in refusal(result)


def test_allowed_hosts_of_the_usual_forms_are_accepted(tmp_path):
    result = start(tmp_path, SHOW.format("s.ALLOWED_HOSTS"),
                   ALLOWED_HOSTS="rollout.court.example, .court.example,127.0.0.1,[::1],localhost")
    assert result.returncode == 0, result.stderr


# --- The broker and Redis -------------------------------------------------------------------------

@pytest.mark.parametrize("broker", ["filesystem://", "Filesystem://", "memory://", "MEMORY://"])
def test_production_refuses_a_broker_without_a_server(tmp_path, broker):
    result = start(tmp_path, SHOW.format("s.CELERY_BROKER_URL"), CELERY_BROKER_URL=broker)
    assert "CELERY_BROKER_URL must name a broker server" in refusal(result)


def test_the_broker_scheme_is_read_in_any_case(tmp_path):
    script = SHOW.format("s.CELERY_BROKER_URL, 'data_folder_in' in s.CELERY_BROKER_TRANSPORT_OPTIONS")
    result = start(tmp_path, script, mode="development", CELERY_BROKER_URL="Filesystem://")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["filesystem://", "True"]


@pytest.mark.parametrize(("name", "value"), [
    ("REDIS_URL", "redis://127.0.0.1:6379"),
    ("REDIS_URL", "redis://127.0.0.1:6379/"),
    ("REDIS_URL", "rediss://:secret@redis.court.example:6380/2?ssl_cert_reqs=required"),
    ("REDIS_URL", "redis://[::1]:6379/0"),
    ("CELERY_BROKER_URL", "amqp://rollout:secret@rabbit.court.example:5672//"),
    ("CACHE_URL", "unix:///run/redis/redis.sock?db=1"),
])
def test_server_urls_of_the_usual_forms_are_accepted(tmp_path, name, value):
    result = start(tmp_path, SHOW.format("s.CACHES['default']['LOCATION']"), mode="development", **{name: value})
    assert result.returncode == 0, result.stderr


# --- The bounce mailbox ---------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["production", "development"])
@pytest.mark.parametrize("url", [
    "mail.court.example",  # no scheme: the reader would connect to this machine
    "pop3://bounces:secret@mail.court.example/INBOX",
    "imaps://bounces:secret@/INBOX",  # no host
    "imaps://bounces:secret@mail.court.example:993x/INBOX",
    "imaps://bounces:secret@mail.court.example:99999/INBOX",
    "imaps://mail.court.example/INBOX",  # no user to log in as
    "imaps://bounces:12#34@mail.court.example/INBOX",  # a "#" left unencoded in the password
    "imaps://bounces:se/cret@mail.court.example/INBOX",  # and a "/"
])
def test_a_bounce_mailbox_url_the_reader_cannot_use_stops_start_up_naming_it(tmp_path, mode, url):
    """Otherwise start-up succeeds and the bounce reader fails every five minutes, bounces unread."""
    result = start(tmp_path, SHOW.format("s.NOTICES_BOUNCE_IMAP_URL"), mode=mode, NOTICES_BOUNCE_IMAP_URL=url)
    assert 'Environment variable "NOTICES_BOUNCE_IMAP_URL" invalid' in refusal(result)
    assert "secret" not in result.stderr and "12#34" not in result.stderr


@pytest.mark.parametrize("url", [
    "imaps://bounces:secret@mail.court.example/INBOX",
    "IMAPS://bounces:secret@mail.court.example:993/Bounces",
    "imap://bounces@127.0.0.1:1143",
    "imaps://bounces%40court.example:p%23ss@[::1]/INBOX",
])
def test_bounce_mailbox_urls_of_the_usual_forms_are_accepted(tmp_path, url):
    result = start(tmp_path, SHOW.format("s.NOTICES_BOUNCE_IMAP_URL"), NOTICES_BOUNCE_IMAP_URL=url)
    assert result.returncode == 0, result.stderr


# --- The relay ------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["production", "development"])
@pytest.mark.parametrize("host", ["smtp://relay.court.example", "relay.court.example:587", "relay court.example",
                                  "[::1]"])
def test_a_relay_that_is_not_a_host_name_stops_start_up_naming_it(tmp_path, mode, host):
    """Otherwise every notice waits on a relay no connection can reach, the port in EMAIL_PORT ignored."""
    result = start(tmp_path, SHOW.format("s.EMAIL_HOST"), mode=mode, EMAIL_HOST=host)
    assert 'Environment variable "EMAIL_HOST" invalid' in refusal(result)


@pytest.mark.parametrize("host", ["relay.court.example", "smtp-relay01", "127.0.0.1", "::1", " relay.court.example "])
def test_relay_host_names_and_addresses_are_accepted(tmp_path, host):
    result = start(tmp_path, SHOW.format("s.EMAIL_HOST"), EMAIL_HOST=host)
    assert result.stdout.rstrip("\n") == host.strip(), result.stderr


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files (the `cryptography` package the MFA
    libraries already need)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_a_relay_that_offers_only_implicit_tls_is_reached_with_email_use_ssl(tmp_path):
    """A court relay on port 465 speaks TLS from the first byte: without EMAIL_USE_SSL read, the
    senders talk plain SMTP to it and every notice waits on a relay that never answers."""
    from aiosmtpd.controller import Controller

    cert_file, key_file = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    handler = SinkHandler()
    relay = Controller(handler, hostname="127.0.0.1", port=free_loopback_port(), ssl_context=context)
    relay.start()
    try:
        script = ("import django; django.setup(); from django.core.mail import send_mail; "
                  "send_mail('Relay check', 'Sent over implicit TLS.', None, ['clerk@mtd.example.gov'])")
        result = start(tmp_path, script, mode="development", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(relay.port),
                       EMAIL_USE_SSL="1", SSL_CERT_FILE=str(cert_file))  # the sender trusts the test's certificate
    finally:
        relay.stop()
    assert result.returncode == 0, result.stderr
    assert [m.rcpt_tos for m in handler.messages] == [["clerk@mtd.example.gov"]]


@pytest.mark.parametrize("mode", ["production", "development"])
def test_starttls_and_implicit_tls_both_on_stop_start_up_naming_both(tmp_path, mode):
    """Django's SMTP backend refuses the pair only when a sender first connects, naming no variable."""
    result = start(tmp_path, SHOW.format("s.EMAIL_HOST"), mode=mode, EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert "EMAIL_USE_TLS" in refusal(result) and "EMAIL_USE_SSL" in refusal(result)


@pytest.mark.parametrize("mode", ["production", "development"])
@pytest.mark.parametrize(("given", "missing"), [("EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"),
                                                ("EMAIL_HOST_PASSWORD", "EMAIL_HOST_USER")])
def test_half_the_relay_credentials_stop_start_up_naming_the_other(tmp_path, mode, given, missing):
    """Django logs in only with both: with one, every message meets the relay's "authentication
    required" long after start-up, nothing saying the other is missing."""
    result = start(tmp_path, SHOW.format("s.EMAIL_HOST"), mode=mode, EMAIL_HOST="relay.court.example",
                   **{given: "rollout-tracker"})
    assert missing in refusal(result)


# --- Domains, origins and the media storage -------------------------------------------------------

@pytest.mark.parametrize("mode", ["production", "development"])
@pytest.mark.parametrize(("name", "value", "example"), [
    # Message-IDs would end in "@https://…" or hold a space: headers a relay or a mail reader may refuse.
    ("NOTICES_MESSAGE_ID_DOMAIN", "https://rollout.court.example", "rollout.court.example"),
    ("NOTICES_MESSAGE_ID_DOMAIN", "rollout court.example", "rollout.court.example"),
    ("NOTICES_MESSAGE_ID_DOMAIN", "nextgen@court.example", "rollout.court.example"),
    # No verified address would ever match: nobody could sign in with single sign-on.
    ("SSO_ALLOWED_EMAIL_DOMAINS", "https://mtd.uscourts.gov", "mtd.uscourts.gov"),
    ("SSO_ALLOWED_EMAIL_DOMAINS", "mtd.uscourts.gov utd.uscourts.gov", "mtd.uscourts.gov"),
    ("SSO_ALLOWED_EMAIL_DOMAINS", "clerk@mtd.uscourts.gov", "mtd.uscourts.gov"),
    # Django would never match it: every form posted through that origin answers 403.
    ("CSRF_TRUSTED_ORIGINS", "rollout.court.example", "https://rollout.court.example"),
    ("CSRF_TRUSTED_ORIGINS", "https://rollout.court.example/admin/", "https://rollout.court.example"),
    ("CSRF_TRUSTED_ORIGINS", "https://rollout.court.example https://rollout2.court.example",
     "https://rollout.court.example"),
    # The first upload of an import would answer 500, long after start-up.
    ("MEDIA_STORAGE", "storages.backends.s3.S3Storage", "django.core.files.storage.FileSystemStorage"),
    ("MEDIA_STORAGE", "FileSystemStorage", "django.core.files.storage.FileSystemStorage"),
])
def test_a_domain_origin_or_storage_of_the_wrong_shape_stops_start_up_naming_it(tmp_path, mode, name, value, example):
    result = start(tmp_path, SHOW.format("s.STORAGES"), mode=mode, **{name: value})
    assert f'Environment variable "{name}" invalid' in refusal(result)
    assert example in refusal(result)


@pytest.mark.parametrize("mode", ["production", "development"])
def test_a_media_storage_class_that_does_not_import_stops_start_up_naming_it(tmp_path, mode):
    """Its module is found with the settings; the class is imported once they are ready."""
    result = start(tmp_path, "import django; django.setup()", mode=mode,
                   MEDIA_STORAGE="django.core.files.storage.FileSystemStorag")
    assert 'Environment variable "MEDIA_STORAGE" invalid' in refusal(result)
    assert "FileSystemStorag cannot be imported" in refusal(result)


@pytest.mark.parametrize(("name", "value"), [
    ("NOTICES_MESSAGE_ID_DOMAIN", "mail.court.example"),
    ("NOTICES_MESSAGE_ID_DOMAIN", " mail.court.example "),
    ("SSO_ALLOWED_EMAIL_DOMAINS", "mtd.uscourts.gov, utd.uscourts.gov,"),
    ("SSO_ALLOWED_EMAIL_DOMAINS", "@mtd.uscourts.gov"),
    ("CSRF_TRUSTED_ORIGINS", "https://rollout.court.example, https://*.court.example"),
    ("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:5000,http://[::1]:5000"),
    ("MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage"),
    ("MEDIA_STORAGE", "django.core.files.storage.InMemoryStorage"),
])
def test_domains_origins_and_storages_of_the_usual_forms_are_accepted(tmp_path, name, value):
    result = start(tmp_path, SHOW.format("s.STORAGES"), **{name: value})
    assert result.returncode == 0, result.stderr


# --- Email addresses ------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["production", "development"])
@pytest.mark.parametrize(("name", "value"), [
    ("DEFAULT_FROM_EMAIL", "nextgen-rollout"),  # no domain: bounces would come back to @localhost
    ("DEFAULT_FROM_EMAIL", ""),
    ("DEFAULT_FROM_EMAIL", "nextgen-rollout@"),
    ("DEFAULT_FROM_EMAIL", "NextGen CM/ECF rollout <nextgen-rollout@court.example"),
    ("DEFAULT_FROM_EMAIL", "nextgen-rollout@court.example, it-oncall@court.example"),
    ("NOTICES_BOUNCE_ADDRESS", "bounces"),
    ("NOTICES_BOUNCE_ADDRESS", "@court.example"),
    ("NOTICES_BOUNCE_ADDRESS", "bounces@court..example"),
    ("ADMINS", "it-oncall"),
    ("ADMINS", "it-oncall@court.example it-lead@court.example"),
    ("ADMINS", "it-oncall@court.example;it-lead@court.example"),
])
def test_an_email_setting_that_is_not_an_address_stops_start_up_naming_it(tmp_path, mode, name, value):
    """Otherwise every mail from or to it fails when sent (or bounces are lost), long after start-up."""
    result = start(tmp_path, SHOW.format("s.DEFAULT_FROM_EMAIL"), mode=mode, **{name: value})
    assert f'Environment variable "{name}" invalid' in refusal(result)
    assert "@court.example" in refusal(result)  # an example of the form wanted


@pytest.mark.parametrize(("name", "value"), [
    ("DEFAULT_FROM_EMAIL", "NextGen CM/ECF rollout <nextgen-rollout@court.example>"),
    ("DEFAULT_FROM_EMAIL", "nextgen-rollout@court.example"),
    ("NOTICES_BOUNCE_ADDRESS", "bounces@court.example"),
    ("NOTICES_BOUNCE_ADDRESS", "NextGen bounces <bounces@court.example>"),
    ("ADMINS", "it-oncall@court.example"),
    ("ADMINS", "it-oncall@court.example, IT lead <it-lead@court.example>,"),
])
def test_email_settings_of_the_usual_forms_are_accepted(tmp_path, name, value):
    result = start(tmp_path, SHOW.format("s.DEFAULT_FROM_EMAIL"), **{name: value})
    assert result.returncode == 0, result.stderr


def test_the_default_sender_is_accepted_in_development(tmp_path):
    result = start(tmp_path, SHOW.format("s.DEFAULT_FROM_EMAIL"), mode="development", DEFAULT_FROM_EMAIL=None)
    assert result.stdout.strip() == "NextGen CM/ECF rollout <nextgen-rollout@localhost>", result.stderr


# --- LOG_LEVEL and gunicorn's own variables ------------------------------------------------------

@pytest.mark.parametrize("level", ["debug", "Debug"])
def test_log_level_is_read_in_any_case(tmp_path, level):
    script = "import django, logging; django.setup(); print(logging.getLevelName(logging.getLogger().level))"
    result = start(tmp_path, script, mode="development", LOG_LEVEL=level)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "DEBUG"


def test_gunicorn_logs_at_the_level_the_settings_read(tmp_path):
    result = start(tmp_path, GUNICORN, LOG_LEVEL="warning")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "WARNING"]


def test_gunicorn_stops_on_an_unknown_log_level_naming_it(tmp_path):
    result = start(tmp_path, GUNICORN, LOG_LEVEL="verbose")
    assert 'Environment variable "LOG_LEVEL" invalid' in refusal(result)


@pytest.mark.parametrize("count", ["0", "-2", "abc", "1.5"])
def test_gunicorn_stops_on_a_worker_count_that_is_not_a_positive_integer(tmp_path, count):
    result = start(tmp_path, GUNICORN, mode="development", WEB_CONCURRENCY=count)
    assert 'Environment variable "WEB_CONCURRENCY" invalid' in refusal(result)


# --- Paths ----------------------------------------------------------------------------------------

def test_a_var_dir_that_cannot_be_created_stops_start_up_naming_it(tmp_path):
    result = start(tmp_path, SHOW.format("s.VAR_DIR"), mode="development", ROLLOUT_VAR_DIR="/proc/nope")
    assert "ROLLOUT_VAR_DIR" in refusal(result) and "/proc/nope" in refusal(result)


# --- systemd --------------------------------------------------------------------------------------

def test_the_worker_unit_runs_four_processes_unless_the_environment_file_says_otherwise():
    lines = (ROOT / "deploy" / "systemd" / "rollout-worker.service").read_text().splitlines()
    assert "Environment=WORKER_CONCURRENCY=4" in lines  # EnvironmentFile= overrides Environment=
    assert "EnvironmentFile=/etc/rollout-tracker/env" in lines
    assert any(line.startswith("ExecStart=") and "--concurrency=${WORKER_CONCURRENCY}" in line for line in lines)


def example_environment() -> dict[str, str]:
    """deploy/systemd/env.example as systemd reads it (KEY=VALUE lines, values in double quotes)."""
    values = {}
    for line in (ROOT / "deploy" / "systemd" / "env.example").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip('"')
    return values


def test_the_example_environment_keys_limits_on_the_client_behind_its_proxy(tmp_path):
    """The example puts gunicorn on loopback behind a TLS proxy: each request arrives from the proxy,
    so unless the proxy is counted every filer would share one "send me a new link" limit and one
    log-in lockout per username."""
    script = ("import django; django.setup(); from django.test import RequestFactory; "
              "from rollout.client_address import client_address; print(client_address(RequestFactory().get("
              "'/', REMOTE_ADDR='127.0.0.1', HTTP_X_FORWARDED_FOR='203.0.113.7')))")
    example = {**example_environment(), "SECRET_KEY": secrets.token_urlsafe(50), "METRICS_TOKEN": secrets.token_urlsafe(32),
               "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "ROLLOUT_VAR_DIR": str(tmp_path / "var")}
    result = start(tmp_path, script, **example)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "203.0.113.7"
