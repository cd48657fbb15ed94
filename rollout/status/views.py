"""Public pages and feeds: no login, nothing about filers, no counts. Thin views over `selectors`."""
from __future__ import annotations

import hashlib

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import condition, require_safe

from courts.models import Court, GoLive, GoLiveStatus
from courts.selectors import rollout_current
from rollout.notices.rendering import format_day, format_instant
from rollout.status import selectors
from rollout.status.calendar import calendar_for, court_page_url

FEED_MAX_AGE = 300  # seconds a feed reader may keep a copy before asking again (with its ETag)


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    rollout = rollout_current()
    courts = selectors.courts_with_status(rollout)
    circuits, states = selectors.filter_choices()
    chosen = {k: request.GET.get(k, "") for k in ("circuit", "state", "nextgen")}
    if chosen["circuit"] in circuits:
        courts = courts.filter(circuit=chosen["circuit"])
    if chosen["state"] in states:
        courts = courts.filter(state=chosen["state"])
    if chosen["nextgen"] in selectors.NEXTGEN_STATES:
        courts = courts.filter(nextgen_status=chosen["nextgen"])
    rows = [{"court": c, "status": c.nextgen_status, "status_text": _status_text(c)} for c in courts]
    return render(request, "status/index.html", {
        "rollout": rollout, "rows": rows, "circuits": circuits, "states": states, "chosen": chosen,
        "nextgen_states": selectors.NEXTGEN_STATES.items(),
        "circuit_feed": chosen["circuit"] if chosen["circuit"] in circuits else "",
    })


def _status_text(court) -> str:
    day = format_day(court.golive_date)
    return {
        GoLiveStatus.LIVE: f"Live since {day}",
        GoLiveStatus.SCHEDULED: f"Scheduled for {day}",
        GoLiveStatus.POSTPONED: "Postponed" + (f" (was {day})" if day else ""),
    }.get(court.nextgen_status, "Not scheduled")


def _court_or_404(rollout, court_id: str) -> Court:
    court = selectors.courts_with_status(rollout).filter(court_id__iexact=court_id).first()
    if court is None:
        raise Http404("No court has this id.")
    return court


@require_safe
def court(request: HttpRequest, court_id: str) -> HttpResponse:
    rollout = rollout_current()
    court = _court_or_404(rollout, court_id)
    tz = court.tzinfo
    return render(request, "status/court.html", {
        "rollout": rollout, "court": court, "status_text": _status_text(court),
        "go_live_day": format_day(court.golive_date),
        "blackout": (format_instant(court.blackout_start, tz), format_instant(court.blackout_end, tz))
        if court.blackout_start and court.blackout_end else None,
    })


# --- Feeds ----------------------------------------------------------------------------------------

def _scope(request: HttpRequest, court_id: str | None = None, circuit: str | None = None):
    """(rollout, court ids or None, circuit or None) of a feed, read once per request."""
    if not hasattr(request, "_status_scope"):
        rollout = rollout_current()
        ids = None
        if court_id is not None:
            ids = list(Court.objects.filter(court_id__iexact=court_id).values_list("pk", flat=True))
            if not ids:
                raise Http404("No court has this id.")
        request._status_scope = (rollout, ids, circuit)
    return request._status_scope


def _version(request: HttpRequest, **kwargs):
    if not hasattr(request, "_status_version"):
        rollout, ids, circuit = _scope(request, **kwargs)
        request._status_version = selectors.feed_version(rollout, court_ids=ids, circuit=circuit)
    return request._status_version


def _etag(request, **kwargs) -> str:
    return hashlib.sha256(_version(request, **kwargs)[1].encode()).hexdigest()[:32]


def _last_modified(request, **kwargs):
    return _version(request, **kwargs)[0]


def _cacheable(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={FEED_MAX_AGE}"
    return response


@require_safe
@condition(etag_func=_etag, last_modified_func=_last_modified)
def ics(request: HttpRequest, court_id: str | None = None, circuit: str | None = None) -> HttpResponse:
    rollout, ids, circuit = _scope(request, court_id=court_id, circuit=circuit)
    golives = selectors.calendar_golives(rollout, court_ids=ids, circuit=circuit)
    name = f"{rollout.name} go-lives" + (f" — circuit {circuit}" if circuit else "") + \
        (f" — {golives[0].court.name}" if ids and golives else "")
    response = HttpResponse(calendar_for(golives, name=name).to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="nextgen.ics"'
    return _cacheable(response)


@require_safe
@condition(etag_func=_etag, last_modified_func=_last_modified)
def feed_json(request: HttpRequest) -> HttpResponse:
    """Every court and its go-live; the format is documented in docs/development.md ("Public status feeds")."""
    rollout, _, _ = _scope(request)
    golives = {g.court_id: g for g in selectors.calendar_golives(rollout)}
    courts = []
    for c in selectors.courts_with_status(rollout):
        golive: GoLive | None = golives.get(c.pk)
        courts.append({
            "court_id": c.court_id, "name": c.name, "court_type": c.court_type, "circuit": c.circuit,
            "state": c.state, "time_zone": c.time_zone, "nextgen_status": c.nextgen_status,
            "go_live_date": c.golive_date.isoformat() if c.golive_date else None,
            "sequence": golive.sequence if golive else 0,
            "blackout_start": c.blackout_start.isoformat() if c.blackout_start else None,
            "blackout_end": c.blackout_end.isoformat() if c.blackout_end else None,
            "cmecf_url": c.login_url or None, "help_desk_phones": c.help_desk_phones or [],
            "page_url": court_page_url(c),
        })
    last_modified = _last_modified(request)
    body = {"rollout": {"slug": rollout.slug, "name": rollout.name},
            "last_modified": last_modified.isoformat(timespec="seconds") if last_modified else None,
            "courts": courts}
    return _cacheable(JsonResponse(body, json_dumps_params={"indent": 1}))
