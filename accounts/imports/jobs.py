"""Admin imports off the request: each dry run and each apply is a job run by a Celery task.

Steps: `import_job_start` saves nothing itself — the upload is already in Django's storage under
`imports/` (MEDIA_ROOT by default, any backend by setting) — it records the job (who, which court,
kind, stored file, dry run or apply, the courts the user may import into) in the shared cache and
publishes its task `import_run` once the request's transaction commits. The task
(`import_job_run`) copies the stored file to a local temporary file (the importers stream a path),
runs the importer with a progress callback that writes phase and rows read to the job, and stores
the report, or the reason nothing was imported. An applied file is deleted; a file that was only
dry-run waits for its Apply and is removed after IMPORTS_KEEP_UNAPPLIED_SECONDS by the beat task
`imports_remove_stale`.

The cache is the job's only record on purpose: a job is a page's progress, not history (the audit
trail records what an import changed), and it expires with the upload. When the cache cannot be
reached (Redis down) no job starts and no page fails: `ImportUnavailable` carries the message staff
see. A task the broker refuses to take marks its job failed with a message, never "queued" forever.
"""
from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
import uuid
from datetime import datetime, timedelta
from typing import Iterable

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.imports.link_report import link_report_import
from accounts.imports.reading import ImportError_, ImportReport, RowChange, RowError
from accounts.imports.roster import roster_import

KINDS = {"roster": roster_import, "link_report": link_report_import}
FOLDER = "imports"
logger = logging.getLogger(__name__)


UNAVAILABLE = ("Imports cannot run just now: the job queue cannot be reached. Nothing was imported. "
               "Please try again in a few minutes.")
FAILED = ("The import failed because of an error in the tracker, not in the file. Nothing was imported. "
          "Please try again; if it fails again, tell the tracker's administrators.")
NOT_QUEUED = ("The import could not be handed to a worker (the job queue cannot be reached). Nothing was "
              "imported. Please try again in a few minutes.")
APPLIED_UNREPORTED = ("The file was applied, but the worker stopped before it could write the report. Do not "
                      "apply it again: check the CM/ECF accounts list for what it changed.")

# The task's time limits. At the hard one Celery kills the process and acknowledges the message, so
# no worker runs the job again and nothing else ends it: a job still "running" that has not moved for
# longer than the hard limit (and a minute) is reported as stopped (`import_job_get`).
RUN_SOFT_LIMIT_SECONDS, RUN_HARD_LIMIT_SECONDS = 49 * 60, 50 * 60
STOPPED = (f"The import stopped before it finished: it ran longer than {RUN_HARD_LIMIT_SECONDS // 60} minutes, "
           "or its worker stopped and the job was lost. Nothing was imported. Please try again; if it stops "
           "again, tell the tracker's administrators.")


class ImportUnavailable(Exception):
    """The job store (the shared cache) cannot be reached: no job was started or can be shown."""

    def __init__(self, message: str = UNAVAILABLE):
        super().__init__(message)


def _key(job_id: str) -> str:
    return f"accounts:import-job:{job_id}"


def _keep_seconds() -> int:
    return settings.IMPORTS_KEEP_UNAPPLIED_SECONDS + 3600


def import_upload_store(upload) -> str:
    """Save an uploaded file under imports/ with a random name; returns the storage name."""
    return default_storage.save(f"{FOLDER}/{uuid.uuid4().hex}.csv", upload)


def import_job_get(job_id: str, *, now=None) -> dict | None:
    """The job, None when unknown or expired; raises ImportUnavailable when the cache cannot be reached.
    A job whose run was killed is reported as it ended (`_as_ended`)."""
    if not job_id:
        return None
    try:
        job = cache.get(_key(job_id))
    except Exception as exc:  # the backend raises its client's own connection errors
        raise ImportUnavailable from exc
    return _as_ended(job, now or timezone.now()) if job else job


def _as_ended(job: dict, now) -> dict:
    """A "running" job that has not moved for longer than the task's hard time limit was killed
    (the limit, or a worker lost with its message): it ended "applied" when its apply had committed
    (phase "recounting"), else "failed" with nothing imported (the importer writes in one transaction)."""
    moved = job.get("moved")
    if job.get("state") != "running" or not moved:
        return job
    if now - datetime.fromisoformat(moved) <= timedelta(seconds=RUN_HARD_LIMIT_SECONDS + 60):
        return job
    if job.get("apply") and job.get("phase") == "recounting":
        return {**job, "state": "applied", "phase": "done", "error": APPLIED_UNREPORTED}
    return {**job, "state": "failed", "phase": "done", "error": STOPPED}


def import_job_report(job: dict) -> ImportReport | None:
    """The job's report as the importer returned it (the cache keeps it as plain data)."""
    data = job.get("report")
    if not data:
        return None
    lists = {"errors": RowError, "conflicts": RowError, "created_rows": RowChange, "updated_rows": RowChange}
    names = {f.name for f in dataclasses.fields(ImportReport)}
    values = {k: v for k, v in data.items() if k in names and k not in lists}
    return ImportReport(**values, **{k: [cls(**item) for item in data.get(k, [])] for k, cls in lists.items()})


def _job_update(job_id: str, **changes) -> dict:
    job = cache.get(_key(job_id)) or {}
    job.update(changes, moved=timezone.now().isoformat())
    cache.set(_key(job_id), job, _keep_seconds())
    return job


def import_job_start(
    *, kind: str, court_id: str, stored: str, file_name: str, user_id: int, apply: bool,
    allowed_court_ids: Iterable[int] | None,
) -> str:
    """Record a job and publish its task after the current transaction commits; returns its id.
    Raises ImportUnavailable when the job cannot be recorded."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    job_id = uuid.uuid4().hex
    try:
        _job_update(job_id, kind=kind, court_id=court_id, stored=stored, file_name=file_name, user_id=user_id,
                    apply=apply, allowed_court_ids=None if allowed_court_ids is None else list(allowed_court_ids),
                    state="queued", phase="waiting for a worker", rows=0, report=None, error="",
                    started=timezone.now().isoformat())
    except Exception as exc:  # the backend raises its client's own connection errors
        raise ImportUnavailable from exc
    transaction.on_commit(lambda: _import_job_publish(job_id))
    return job_id


def _import_job_publish(job_id: str) -> None:
    """Hand the job to a worker. If the broker refuses it (Redis down, Celery's publish retries spent),
    the job is marked failed with a message: nothing will run it, so it must not stay "queued"."""
    try:
        import_run.delay(job_id)
    except Exception:
        logger.warning("import not queued", extra={"import_job": job_id}, exc_info=True)
        try:
            _job_update(job_id, state="failed", phase="done", error=NOT_QUEUED)
        except Exception:  # the cache is down too: the job page will say so itself
            logger.warning("import job not updated", extra={"import_job": job_id}, exc_info=True)


def import_job_run(job_id: str) -> dict:
    """Run one job (the task's body): the importer on a local copy of the stored file."""
    job = import_job_get(job_id)
    if job is None or job.get("state") not in ("queued", "running"):
        return job or {}  # expired, or a redelivered message for a job already finished
    # "running" again: the worker died mid-run and the broker redelivered the task (acks_late). The
    # importer's writes are one transaction: before its commit nothing of the first run stayed, so it
    # runs again; after it ("recounting" is written once the apply commits), running again would
    # report every row unchanged, so the job ends saying the file was applied.
    if job.get("state") == "running" and job.get("apply") and job.get("phase") == "recounting":
        default_storage.delete(job["stored"])
        logger.warning("import applied, report lost", extra={"import_job": job_id})
        return _job_update(job_id, state="applied", phase="done", error=APPLIED_UNREPORTED)
    _job_update(job_id, state="running", phase="reading")
    user = get_user_model().objects.filter(pk=job["user_id"]).first()

    def progress(phase: str, rows: int) -> None:
        _job_update(job_id, phase=phase, rows=rows)

    try:
        with default_storage.open(job["stored"], "rb") as source, tempfile.NamedTemporaryFile(suffix=".csv") as local:
            shutil.copyfileobj(source, local, 1 << 20)
            local.flush()
            report = KINDS[job["kind"]](
                job["court_id"], local.name, apply=job["apply"], by=user if job["apply"] else None,
                file_name=job["file_name"], allowed_court_ids=job["allowed_court_ids"], progress=progress,
            )
    except FileNotFoundError:
        # Never the storage path in a message: the file was applied already or removed.
        logger.info("import file gone", extra={"import_job": job_id})
        return _job_update(job_id, state="failed", phase="done",
                           error="This file was already applied or has been removed. Upload the file again.")
    except ImportError_ as exc:
        default_storage.delete(job["stored"])
        logger.info("import refused", extra={"import_job": job_id, "reason": str(exc)})
        return _job_update(job_id, state="failed", phase="done", error=str(exc))
    except Exception:
        # Anything else is a fault of ours, not of the file: the job must still end (a job left
        # "running" has its page wait for ever), with a plain message; the traceback goes to the log.
        # The importer writes in one transaction, so nothing was imported. The stored file is kept
        # for a retry of the dry run's Apply; `imports_remove_stale` removes it in time.
        logger.exception("import failed", extra={"import_job": job_id})
        return _job_update(job_id, state="failed", phase="done", error=FAILED)
    if report.applied or not report.ok:
        default_storage.delete(job["stored"])  # nothing more will be done with it
    result = {**dataclasses.asdict(report), "ok": report.ok, "summary": report.summary()}
    logger.info("import finished", extra={"import_job": job_id, "summary": report.summary()})
    return _job_update(job_id, state="done", phase="done", rows=report.rows, report=result)


# An apply must start this long before its upload's removal: more than the clean-up's hourly
# interval, so the file is still there when a worker takes the job.
APPLY_MARGIN = timedelta(hours=2)


def imports_upload_expiring(stored: str, now=None) -> bool:
    """Would the clean-up remove this upload before an apply started now is run?"""
    keep = timedelta(seconds=settings.IMPORTS_KEEP_UNAPPLIED_SECONDS)
    return default_storage.get_modified_time(stored) < (now or timezone.now()) - keep + APPLY_MARGIN


def imports_remove_stale(now=None) -> int:
    """Delete uploads under imports/ older than IMPORTS_KEEP_UNAPPLIED_SECONDS (dry-run, never applied)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.IMPORTS_KEEP_UNAPPLIED_SECONDS)
    try:
        _dirs, files = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return 0
    removed = 0
    for name in files:
        path = f"{FOLDER}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed


# Under the Redis broker's visibility timeout (settings): a task still running then is handed to a
# second worker, which would run the same import beside the first. A million-row roster takes a minute.
@shared_task(name="accounts.tasks.import_run", ignore_result=True, acks_late=True,
             time_limit=RUN_HARD_LIMIT_SECONDS, soft_time_limit=RUN_SOFT_LIMIT_SECONDS)
def import_run(job_id: str) -> str:
    """The Celery task of an import job (defined beside the job it runs; `accounts.tasks` lists it)."""
    return import_job_run(job_id).get("state", "")
