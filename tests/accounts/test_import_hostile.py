"""Hostile files given to the roster and link-report imports, through the command and the admin upload.

Every case is tried on both importers and both ways in: it is refused with its line, column (the
field) and reason, the database is unchanged, the command ends in a CommandError (no traceback)
and the admin answers its page (no 500), and no message shows a server path.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from accounts.models import AuditEntry, CmecfAccount, Filer, PacerAccount
from tests.conftest import admin_import_post
from tests.accounts.admin_helpers import bulk_ready_accounts, live, montana_clerk, montana_court

pytestmark = pytest.mark.django_db

ROSTER_HEADER = "name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account\n"


@dataclass(frozen=True)
class Importer:
    kind: str       # the admin form's choice
    command: str
    header: str
    good: str       # a row that would change the database
    template: str   # a row with {value} in `field`
    field: str

    def body(self, *rows: str) -> bytes:
        return (self.header + "".join(rows)).encode()


IMPORTERS = [
    Importer("roster", "import_roster", ROSTER_HEADER, "Ann New,ann.new@example.com,annnew,,,no,no\n",
             '"Bo {value} Filer",bo@example.com,bofiler,,,no,no\n', "name"),
    Importer("link_report", "import_link_report", "cmecf_login,linked_on\n", "mt0,2021-10-04\n",
             '"mt{value}1",2021-10-05\n', "cmecf_login"),
]

# (id, text put in the field, what the reason says)
BAD_TEXT = [
    ("nul", "\x00", "NUL character (U+0000)"),
    ("bell", "\x07", "control character (U+0007)"),
    ("escape", "\x1b[2J", "control character (U+001B)"),
    ("crlf", "\r\nBcc: someone@example.com", "line break (U+000D)"),
    ("lf", "\nSecond line", "line break (U+000A)"),
    ("line-separator", "\u2028", "line break (U+2028)"),
    ("c1-next-line", "\x85", "line break (U+0085)"),
    ("direction-override", "\u202e", "text-direction control (U+202E)"),
    ("delete", "\x7f", "control character (U+007F)"),
]


@pytest.fixture
def world():
    """Montana live with three ready accounts (mt0…mt2) and its administrator."""
    court = live(montana_court(), day=dt.date(2021, 9, 27))
    bulk_ready_accounts(court, 3, "mt")
    return court


def snapshot():
    return (
        list(Filer.objects.order_by("pk").values_list("pk", "name", "email", "pacer_account_id", "updated_at")),
        list(PacerAccount.objects.order_by("pk").values_list("pk", "username", "upgraded", "updated_at")),
        list(CmecfAccount.objects.order_by("pk").values_list("pk", "login", "cmecf_name", "linked_at", "updated_at")),
        AuditEntry.objects.count(),
    )


def run_command(importer: Importer, tmp_path, content: bytes, name: str = "hostile.csv") -> tuple[str, str]:
    """Apply through the command; returns (printed report, CommandError message)."""
    import io

    path = tmp_path / name
    path.write_bytes(content)
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(importer.command, "MTDC", str(path), "--apply", stdout=out)
    return out.getvalue(), str(refused.value)


def admin_upload(client, importer: Importer, content: bytes, name: str = "hostile.csv"):
    return admin_import_post(client, {
        "kind": importer.kind, "court": montana_court().pk, "file": SimpleUploadedFile(name, content)})


@pytest.fixture
def clerk(client, world, eager_imports):
    client.force_login(montana_clerk())
    return client


def assert_no_server_path(text: str) -> None:
    for secret in (str(settings.VAR_DIR), str(settings.BASE_DIR)):
        assert secret not in text


# --- Characters no field may hold --------------------------------------------------------------------

@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.kind)
@pytest.mark.parametrize("case, value, reason", BAD_TEXT, ids=[c[0] for c in BAD_TEXT])
def test_a_bad_character_is_refused_by_the_command_with_line_and_column(world, tmp_path, importer, case, value, reason):
    before = snapshot()
    out, error = run_command(importer, tmp_path, importer.body(importer.good, importer.template.format(value=value)))
    reported = [line for line in out.splitlines() if line.strip().startswith(f"line 3, {importer.field}: ")]
    assert len(reported) == 1 and reason in reported[0]
    assert "nothing was imported" in error
    assert snapshot() == before


@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.kind)
@pytest.mark.parametrize("case, value, reason", BAD_TEXT, ids=[c[0] for c in BAD_TEXT])
def test_a_bad_character_is_refused_by_the_admin_upload_with_line_and_column(clerk, importer, case, value, reason):
    before = snapshot()
    response = admin_upload(clerk, importer, importer.body(importer.good, importer.template.format(value=value)))
    assert response.status_code == 200
    report = response.context["report"]
    assert not report.ok and "token" not in response.context
    error = report.errors[0]
    assert (error.line, error.field) == (3, importer.field) and reason in error.reason
    assert snapshot() == before
    assert_no_server_path(response.content.decode())


@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.kind)
def test_a_line_break_inside_a_cell_is_reported_on_the_line_the_row_starts(world, tmp_path, importer):
    rows = importer.good + importer.template.format(value="\n\n\n") + importer.good.replace("2021-10-04", "2021-10-06")
    out, _ = run_command(importer, tmp_path, importer.body(rows))
    assert f"line 3, {importer.field}: a line break" in out


def test_a_zero_width_space_in_a_roster_login_is_refused_with_line_and_column(world, tmp_path):
    roster = IMPORTERS[0]
    before = snapshot()
    out, error = run_command(roster, tmp_path, roster.body(roster.good, "Ann Zed,ann.zed@example.com,an\u200bn,,,no,no\n"))
    assert "line 3, cmecf_login: an invisible zero-width character (U+200B) at character 3" in out
    assert "nothing was imported" in error
    assert snapshot() == before


def test_a_bad_character_in_a_column_the_import_does_not_read_is_ignored(world, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_bytes(b"cmecf_login,linked_on,notes\nmt0,2021-10-04,\"two\nlines\x00\"\n")
    call_command("import_link_report", "MTDC", str(path), "--apply")
    assert CmecfAccount.objects.get(login="mt0").linked_at is not None


def test_control_characters_in_the_uploaded_file_name_are_not_kept(world, tmp_path):
    """The name is shown and becomes the audit trail's source ("import links.csv")."""
    from accounts.imports.link_report import link_report_import

    path = tmp_path / "links.csv"
    path.write_bytes(b"cmecf_login,linked_on\nmt0,2021-10-04\n")
    report = link_report_import(montana_court(), path, apply=True, file_name="links\x00\r\n.csv")
    assert report.applied and report.file_name == "links???.csv"
    assert list(AuditEntry.objects.values_list("source", flat=True)) == ["import links???.csv"]


# --- Encodings ----------------------------------------------------------------------------------------

def mixed(importer: Importer) -> bytes:
    """The good row in UTF-8 with an accent, then a row in Windows-1252 (two sources pasted together)."""
    if importer.kind == "roster":
        return importer.header.encode() + "José New,jose@example.com,josenew,,,no,no\n".encode("utf-8") \
            + "Müller New,muller@example.com,mullernew,,,no,no\n".encode("cp1252")
    return importer.header.encode() + "mt0,2021-10-04\n".encode() + "mt1,2021-10-05,é\n".encode("utf-8") \
        + "mt2,2021-10-06,ü\n".encode("cp1252")


MIXED_WHERE = {"roster": "line 3, column 2: this text is not UTF-8, but line 2, column 4 is",
               "link_report": "line 4, column 16: this text is not UTF-8, but line 3, column 16 is"}


@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.kind)
def test_a_file_mixing_utf8_and_windows_1252_is_refused_by_the_command(world, tmp_path, importer):
    before = snapshot()
    path = tmp_path / "mixed.csv"
    path.write_bytes(mixed(importer))
    with pytest.raises(CommandError, match="mixes two encodings") as refused:
        call_command(importer.command, "MTDC", str(path), "--apply")
    assert MIXED_WHERE[importer.kind] in str(refused.value)
    assert snapshot() == before


@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.kind)
def test_a_file_mixing_utf8_and_windows_1252_is_refused_by_the_admin_upload(clerk, importer):
    before = snapshot()
    response = admin_upload(clerk, importer, mixed(importer))
    assert response.status_code == 200 and "token" not in response.context
    job = response.context["job"]  # the dry run's task refused the file
    assert job["state"] == "failed" and MIXED_WHERE[importer.kind] in job["error"]
    assert MIXED_WHERE[importer.kind] in response.content.decode()
    assert snapshot() == before


def test_a_whole_windows_1252_file_is_still_read(world, tmp_path):
    path = tmp_path / "cp1252.csv"
    path.write_bytes((ROSTER_HEADER + "Müller New,muller@example.com,mullernew,,,no,no\n").encode("cp1252"))
    call_command("import_roster", "MTDC", str(path), "--apply")
    assert Filer.objects.get(email="muller@example.com").name == "Müller New"


def test_a_utf8_bom_before_windows_1252_text_is_refused(world, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (ROSTER_HEADER + "Müller New,muller@example.com,mullernew,,,no,no\n").encode("cp1252"))
    with pytest.raises(CommandError, match="line 2, column 2: this text is not UTF-8, but line 1, column 1 is"):
        call_command("import_roster", "MTDC", str(path), "--apply")


def test_one_row_mixing_both_encodings_is_refused(world, tmp_path):
    path = tmp_path / "row.csv"
    path.write_bytes(ROSTER_HEADER.encode() + "José ".encode() + "Müller,jm@example.com,jm,,,no,no\n".encode("cp1252"))
    with pytest.raises(CommandError, match="mixes two encodings"):
        call_command("import_roster", "MTDC", str(path), "--apply")
    assert not Filer.objects.filter(email="jm@example.com").exists()


# --- Size ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.kind)
def test_an_oversize_file_is_refused_by_the_command(world, tmp_path, settings, importer):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    before = snapshot()
    content = importer.body(*[importer.good] * 10)
    path = tmp_path / "big.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=r"big.csv is 0.0 MB: files larger than 0.0 MB are refused "
                                           r"\(setting IMPORT_MAX_UPLOAD_BYTES\)"):
        call_command(importer.command, "MTDC", str(path), "--apply")
    assert snapshot() == before


@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.kind)
def test_an_oversize_file_is_refused_by_the_admin_upload(clerk, settings, importer):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    before = snapshot()
    response = admin_upload(clerk, importer, importer.body(*[importer.good] * 10))
    assert response.status_code == 200 and "report" not in response.context
    assert "IMPORT_MAX_UPLOAD_BYTES" in " ".join(response.context["form"].errors["file"])
    assert snapshot() == before


def test_the_upload_limit_is_50_mb_by_default():
    assert settings.IMPORT_MAX_UPLOAD_BYTES == 50 * 1024 * 1024


# --- Apply tokens, paths and counts --------------------------------------------------------------------

def test_a_replayed_apply_says_so_without_the_servers_path(clerk):
    importer = IMPORTERS[0]
    dry_run = admin_upload(clerk, importer, importer.body(importer.good))
    token = dry_run.context["token"]
    first = admin_import_post(clerk, {"token": token})
    assert Filer.objects.filter(email="ann.new@example.com").exists()
    before = snapshot()
    again = admin_import_post(clerk, {"token": token})
    text = again.content.decode()
    assert first.status_code == again.status_code == 200
    assert "already applied or has been removed" in text
    assert_no_server_path(text)
    assert snapshot() == before


def test_a_missing_file_on_the_command_line_is_named_without_a_traceback(world, tmp_path):
    with pytest.raises(CommandError, match=r"No such file: nowhere.csv"):
        call_command("import_roster", "MTDC", str(tmp_path / "nowhere.csv"))


@pytest.mark.parametrize("court", ["MT\x00DC", "MTDC'--", "M" * 40, "../MTDC"])
def test_a_court_argument_of_the_wrong_shape_is_refused(world, tmp_path, court):
    path = tmp_path / "r.csv"
    path.write_bytes(IMPORTERS[0].body(IMPORTERS[0].good))
    with pytest.raises(CommandError, match="Unknown court"):
        call_command("import_roster", court, str(path))


@pytest.mark.parametrize("rows, counts", [
    # a login twice: the first row counts, the second is the bad one
    ("Ann New,ann@example.com,annnew,,,no,no\nBo New,bo@example.com,annnew,,,no,no\n", (1, 0, 0)),
    # the same login three times, the third also with the first one's email and another name
    ("Ann New,ann@example.com,annnew,,,no,no\nBo New,bo@example.com,annnew,,,no,no\n"
     "Ann Other,ann@example.com,annnew,,,no,no\n", (1, 0, 0)),
    # an existing account twice: unchanged once
    ("Filer mt 0,mt0@example.com,mt0,mtp0,2016-01-01,no,no\nFiler mt 0,mt0@example.com,mt0,mtp0,2016-01-01,no,no\n",
     (0, 0, 1)),
])
def test_counts_are_never_negative_when_rows_conflict(world, tmp_path, rows, counts):
    out, _ = run_command(IMPORTERS[0], tmp_path, (ROSTER_HEADER + rows).encode())
    assert f"{counts[0]} created, {counts[1]} updated, {counts[2]} unchanged" in out
    assert "-1" not in out
