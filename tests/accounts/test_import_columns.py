"""What a whole import file is refused for before any row is read: its kind (a workbook, UTF-16 text),
its header (a password column, a column named twice) and a quote left open. Each refusal names line 1
or the line of the row, in words court staff can act on."""
from __future__ import annotations

import codecs
import io
from html import escape

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from accounts.imports.reading import ImportError_, ImportReport, csv_rows, csv_values, detect_encoding
from tests.accounts.admin_helpers import live, montana_clerk, montana_court
from tests.conftest import admin_import_post

REQUIRED = ("name", "email", "cmecf_login")
HEADER = "name,email,cmecf_login"
ROW = "Ann Able,ann@example.com,aable"
READERS = {"rows": csv_rows, "values": csv_values}  # the link report reads rows, the roster values


def read(tmp_path, text: str, reader=csv_rows) -> list:
    path = tmp_path / "file.csv"
    path.write_text(text, encoding="utf-8")
    return list(reader(path, "utf-8-sig", required=REQUIRED))


def refusal(tmp_path, text: str, reader=csv_rows) -> str:
    with pytest.raises(ImportError_) as refused:
        read(tmp_path, text, reader)
    return str(refused.value)


def file_kind_refusal(tmp_path, content: bytes) -> str:
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    with pytest.raises(ImportError_) as refused:
        detect_encoding(path)
    return str(refused.value)


# --- Password columns --------------------------------------------------------------------------------

@pytest.mark.parametrize("column", [
    "pacer_password", "password", "CMECF Password", "PacerPassword", "passwd", "pwd", "Passcode", "pin",
    "PACER-PIN", "pin number", "secret", "client_secret", "pacer_pass", "cmecf pw", "PACER Pass Word", "pword",
    "PacerPW", "ECF-pass",
])
def test_a_column_named_like_a_password_is_refused_on_line_1_naming_it(tmp_path, column):
    message = refusal(tmp_path, f"{HEADER},{column}\n{ROW},hunter2\n")
    assert message.startswith(f"line 1: column {column!r}: ")
    assert "never takes passwords" in message


@pytest.mark.parametrize("column", ["pinned", "shipping", "spine", "secretary", "opinion", "passport", "pwc_office", "compass"])
def test_a_column_merely_holding_the_letters_of_pin_or_secret_is_not_refused(tmp_path, column):
    assert read(tmp_path, f"{HEADER},{column}\n{ROW},x\n") == [
        (2, {"name": "Ann Able", "email": "ann@example.com", "cmecf_login": "aable", column: "x"})]


@pytest.mark.django_db
def test_an_uploaded_file_with_a_password_column_is_refused_and_not_kept(client, eager_imports):
    live(montana_court())
    client.force_login(montana_clerk())
    content = (b"name,email,cmecf_login,pacer_username,pacer_created_on,upgraded,shared_account,pacer_password\n"
               b"Ann Able,ann@example.com,aable,annable,2016-05-01,no,no,Hunter2!secret\n")
    response = admin_import_post(client, {"kind": "roster", "court": montana_court().pk,
                                          "file": SimpleUploadedFile("roster.csv", content)})
    job = response.context["job"]
    assert job["state"] == "failed" and job["error"].startswith("line 1: column 'pacer_password': ")
    assert escape(job["error"]) in response.content.decode()
    assert "token" not in response.context
    assert default_storage.listdir("imports")[1] == []


# --- Columns named twice -----------------------------------------------------------------------------

@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_a_column_named_twice_is_refused_naming_both_places(tmp_path, reader):
    message = refusal(tmp_path, f"{HEADER},Email\n{ROW},mallory@example.com\n", reader)
    assert message.startswith("line 1: column 'email' appears twice (columns 2 and 4)")


def test_a_column_named_three_times_is_refused_naming_every_place(tmp_path):
    message = refusal(tmp_path, f"email,{HEADER},email\n,{ROW},\n")
    assert message.startswith("line 1: column 'email' appears 3 times (columns 1, 3 and 5)")


def test_blank_and_unread_columns_may_repeat(tmp_path):
    assert read(tmp_path, f"{HEADER},notes,notes,,\n{ROW},a,b,,\n") == [
        (2, {"name": "Ann Able", "email": "ann@example.com", "cmecf_login": "aable", "notes": "b", "": ""})]


# --- Quotes ------------------------------------------------------------------------------------------

def test_a_quote_never_closed_is_reported_on_the_line_of_its_row(tmp_path):
    message = refusal(tmp_path, f'{HEADER}\n{ROW}\n"Bo Baker,bo@example.com,bbaker\n')
    assert message.startswith("line 3: ") and "never closed" in message


def test_a_quote_never_closed_after_a_blank_line_is_reported_on_its_own_line(tmp_path):
    message = refusal(tmp_path, f'{HEADER}\n{ROW}\n\n"Bo Baker,bo@example.com,bbaker\n\n')
    assert message.startswith("line 4: ") and "never closed" in message


def test_a_quote_never_closed_in_the_header_is_reported_on_line_1(tmp_path):
    message = refusal(tmp_path, f'"name,email,cmecf_login\n{ROW}\n')
    assert message.startswith("line 1: ") and "never closed" in message


def test_text_after_a_closing_quote_is_refused_on_its_line(tmp_path):
    message = refusal(tmp_path, f'{HEADER}\n{ROW}\n"Bo" Baker,bo@example.com,bbaker\n')
    assert message.startswith("line 3: ") and "after its closing quote" in message


def test_a_closed_quote_around_a_line_break_refuses_only_its_row(tmp_path):
    path = tmp_path / "file.csv"
    path.write_text(f'{HEADER}\n"Ann\nAble",ann@example.com,aable\n{ROW}\n', encoding="utf-8")
    report = ImportReport(kind="roster", file_name="file.csv")
    rows = list(csv_values(path, "utf-8-sig", required=REQUIRED, report=report))
    assert [line for line, _values in rows] == [4]
    assert [(e.line, e.field) for e in report.errors] == [(2, "name")]


# --- Files that are not CSV text ---------------------------------------------------------------------

def test_an_excel_workbook_is_refused_asking_for_csv_utf8(tmp_path):
    workbook = Workbook()
    workbook.active.append(REQUIRED)
    workbook.active.append(ROW.split(","))
    saved = io.BytesIO()
    workbook.save(saved)
    message = file_kind_refusal(tmp_path, saved.getvalue())
    assert "Excel workbook" in message and "CSV UTF-8" in message
    assert "encodings" not in message


@pytest.mark.parametrize("bom, codec", [
    (b"", "utf-16"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
], ids=["native", "little-endian", "big-endian"])
def test_a_utf16_file_is_refused_asking_for_csv_utf8(tmp_path, bom, codec):
    message = file_kind_refusal(tmp_path, bom + f"{HEADER}\n{ROW}\n".encode(codec))
    assert message.startswith("line 1: ") and "UTF-16" in message and "CSV UTF-8" in message


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_file_without_a_byte_order_mark_is_refused_too(tmp_path, codec):
    message = file_kind_refusal(tmp_path, f"{HEADER}\n{ROW}\n".encode(codec))
    assert message.startswith("line 1: ") and "UTF-16" in message
