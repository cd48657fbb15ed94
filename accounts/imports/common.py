"""What the roster and link-report imports share: finding the court and checking the user's scope."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from django.db import IntegrityError, OperationalError, connection, transaction

from accounts.imports.reading import ImportError_, ImportReport, detect_encoding
from courts.input_checks import BAD_CHARACTERS, is_court_id
from courts.models import Court


def import_court(court: Court | str, allowed_court_ids: Iterable[int] | None = None) -> Court:
    """The court an import is for; ImportError_ when it is unknown or outside `allowed_court_ids`
    (None = every court, a superuser or the command line)."""
    if not isinstance(court, Court):
        code = str(court).strip()
        if not is_court_id(code):
            raise ImportError_("Unknown court: give the court id (e.g. MTDC) or its CM/ECF code (letters and digits).")
        found = list(Court.objects.filter(court_id=code)) or list(Court.objects.filter(court_id__iexact=code)[:1])
        if not found:  # a CM/ECF code: among the user's courts, for an appeals court and its panel share one
            by_code = Court.objects.filter(cmecf_code__iexact=code).order_by("court_id")
            if allowed_court_ids is not None:
                by_code = by_code.filter(pk__in=list(allowed_court_ids))
            found = list(by_code)
        if not found:
            raise ImportError_(f"Unknown court {code!r}: give the court id (e.g. MTDC) or its CM/ECF code.")
        if len(found) > 1:
            raise ImportError_(f"{code!r} is the CM/ECF code of {' and '.join(c.court_id for c in found[:5])}: "
                               "give the court id instead.")
        court = found[0]
    if allowed_court_ids is not None and court.pk not in set(allowed_court_ids):
        raise ImportError_(f"You do not administer {court.name} ({court.court_id}); nothing was imported.")
    return court


def import_file_name(name: str) -> str:
    """A file name fit to show and store: bad characters (`courts.input_checks`) replaced, 100 characters at most."""
    return BAD_CHARACTERS.sub("?", name)[:100] or "file"


def import_source(file_name: str) -> str:
    return f"import {file_name}"[:120]


def import_begin(
    kind: str, court: Court | str, path: Path | str, *, file_name: str | None,
    allowed_court_ids: Iterable[int] | None,
) -> tuple[Path, ImportReport, Court]:
    """The first steps of every import: the file, its report, the court in scope, the encoding."""
    path = Path(path)
    # The name is the user's (shown, and kept in the audit trail's source): never a server path.
    report = ImportReport(kind=kind, file_name=import_file_name(file_name or path.name))
    court = import_court(court, allowed_court_ids)
    report.court_id = court.court_id
    if not path.is_file():
        raise ImportError_(f"No such file: {report.file_name}.")
    report.encoding = detect_encoding(path)
    return path, report, court


CHANGED_MEANWHILE = (
    "Someone changed records this file touches while it was being imported (another import, or a change "
    "made in the admin). Nothing was imported: upload the file again."
)


@contextmanager
def import_transaction() -> Iterator[None]:
    """The one transaction an import checks and writes in.

    On PostgreSQL its statements read one snapshot (REPEATABLE READ), so the writes meet exactly the
    records the checks saw (identity, shared facts, readiness). A filer, PACER account or link that
    another session commits after the checks ran makes the write fail — a unique violation or a
    serialization failure — instead of being written over unchecked; the import is then refused as a
    whole (ImportError_), nothing imported. Inside a caller's transaction (the tests' own) the
    caller's isolation applies: a transaction's level can only be set before its first query."""
    outermost = not connection.in_atomic_block
    try:
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield
    except (IntegrityError, OperationalError) as exc:
        if getattr(exc.__cause__, "sqlstate", None) in ("23505", "40001"):
            raise ImportError_(CHANGED_MEANWHILE) from exc
        raise
