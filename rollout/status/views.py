"""Public pages and feeds: no login, nothing about filers, no counts. Thin views over `selectors`;
every date, status and blackout they show comes from the go-live facts (courts.selectors)."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import condition, require_safe

from courts.calendar import calendar_for
from courts.models import Court
from courts.selectors import rollout_current
from rollout.links import court_page_url
from rollout.status import selectors

FEED_MAX_AGE = 300  # seconds a feed reader may keep a copy before asking again (with its ETag)


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return _index(request, {k: request.GET.get(k, "") for k in ("circuit", "state", "nextgen")})


def _index(request: HttpRequest, chosen: dict[str, str]) -> HttpResponse:
    return render(request, "status/index.html", index_context(rollout_current(), chosen))


def index_context(rollout, chosen: dict[str, str], now: dt.datetime | None = None) -> dict:
    """The public list of courts, filtered by circuit, state and NextGen state, as of `now`."""
    circuits, states = selectors.filter_choices()
    facts = selectors.court_rows(rollout, now=now, circuit=chosen["circuit"] if chosen["circuit"] in circuits else None,
                                 state=chosen["state"] if chosen["state"] in states else None)
    if chosen["nextgen"] in selectors.NEXTGEN_STATES:
        facts = [f for f in facts if f.status == chosen["nextgen"]]
    rows = [{"court": f.court, "status": f.status, "status_text": f.status_text, "facts": f} for f in facts]
    return {
        "rollout": rollout, "rows": rows, "circuits": circuits, "states": states, "chosen": chosen,
        "nextgen_states": selectors.NEXTGEN_STATES.items(),
        "circuit_feed": chosen["circuit"] if chosen["circuit"] in circuits else "",
    }


@require_safe
def circuit(request: HttpRequest, circuit: str) -> HttpResponse:
    """One circuit's courts: the index filtered by it; a circuit no court is in is a 404."""
    circuits, _ = selectors.filter_choices()
    if circuit not in circuits:
        raise Http404("No court is in this circuit.")
    return _index(request, {"circuit": circuit, "state": request.GET.get("state", ""),
                            "nextgen": request.GET.get("nextgen", "")})


@require_safe
def court(request: HttpRequest, court_id: str) -> HttpResponse:
    rollout = rollout_current()
    facts = selectors.court_facts(rollout, court_id)
    if facts is None:
        raise Http404("No court has this id.")
    return render(request, "status/court.html", {
        "rollout": rollout, "court": facts.court, "facts": facts,
        "pause_called_off": selectors.court_pause_called_off(rollout, facts.court)})


# --- Feeds ----------------------------------------------------------------------------------------

def _scope(request: HttpRequest, court_id: str | None = None, circuit: str | None = None):
    """(rollout, court ids or None, circuit or None) of a feed, read once per request; an unknown
    court or circuit is a 404."""
    if not hasattr(request, "_status_scope"):
        rollout = rollout_current()
        ids = None
        if court_id is not None:
            ids = list(Court.objects.filter(court_id__iexact=court_id).values_list("pk", flat=True))
            if not ids:
                raise Http404("No court has this id.")
        if circuit is not None and not Court.objects.filter(circuit=circuit).exists():
            raise Http404("No court is in this circuit.")
        request._status_scope = (rollout, ids, circuit)
    return request._status_scope


def _version(request: HttpRequest, **kwargs):
    if not hasattr(request, "_status_version"):
        rollout, ids, circuit = _scope(request, **kwargs)
        request._status_version = selectors.feed_version(rollout, court_ids=ids, circuit=circuit)
    return request._status_version


def _etag_for(representation: str):
    """ETag of one representation: the .ics and the .json of the same data are different bytes."""
    def etag(request, **kwargs) -> str:
        return hashlib.sha256(f"{representation}:{_version(request, **kwargs)[1]}".encode()).hexdigest()[:32]
    return etag


def _last_modified(request, **kwargs):
    return _version(request, **kwargs)[0]


def _cacheable(view):
    """The feed's answer and its 304 alike say how long a copy may be kept: a 304 must repeat it
    (RFC 9110 §15.4.5). A 404 does not: a court added meanwhile is found at once."""
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code in (200, 304):
            response["Cache-Control"] = f"public, max-age={FEED_MAX_AGE}"
        return response
    return wrapped


@require_safe
@_cacheable
@condition(etag_func=_etag_for("ics"), last_modified_func=_last_modified)
def ics(request: HttpRequest, court_id: str | None = None, circuit: str | None = None) -> HttpResponse:
    rollout, ids, circuit = _scope(request, court_id=court_id, circuit=circuit)
    calendar = feed_calendar(rollout, court_ids=ids, circuit=circuit)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="nextgen.ics"'
    return response


def feed_calendar(rollout, *, court_ids: list[int] | None = None, circuit: str | None = None,
                  now: dt.datetime | None = None):
    """The go-live calendar of all courts, some courts or one circuit, as of `now`."""
    facts = sorted(selectors.golives_facts(rollout, court_ids=court_ids, circuit=circuit, now=now).values(),
                   key=lambda f: (f.calendar_date or dt.date.max, f.court.name))
    name = f"{rollout.name} go-lives" + (f" — circuit {circuit}" if circuit else "") + \
        (f" — {facts[0].court.name}" if court_ids and facts else "")
    return calendar_for(facts, name=name, rollout_slug=rollout.slug, page_url=court_page_url)


def _local_iso(value, tz) -> str | None:
    """ISO 8601 with the court's UTC offset, e.g. 2027-05-07T17:00:00-06:00."""
    return value.astimezone(tz).isoformat() if value else None


@require_safe
@_cacheable
@condition(etag_func=_etag_for("json"), last_modified_func=_last_modified)
def feed_json(request: HttpRequest) -> HttpResponse:
    """Every court and its go-live; the format is documented in docs/development.md ("Public feeds")."""
    rollout, _, _ = _scope(request)
    return JsonResponse(feed_body(rollout, _last_modified(request)), json_dumps_params={"indent": 1})


def feed_body(rollout, last_modified, now: dt.datetime | None = None) -> dict:
    """The JSON feed's content as of `now`: every court with its go-live facts."""
    courts = []
    for f in selectors.court_rows(rollout, now=now):
        c = f.court
        courts.append({
            "court_id": c.court_id, "name": c.name, "court_type": c.court_type, "circuit": c.circuit,
            "state": c.state, "time_zone": c.time_zone, "nextgen_status": f.status,
            "go_live_date": f.go_live_date.isoformat() if f.go_live_date else None,
            "postponed_from": f.was_date.isoformat() if f.was_date else None,
            "status_text": f.status_text,
            "sequence": f.sequence,
            "blackout_start": _local_iso(f.blackout_start, f.tz),
            "blackout_end": _local_iso(f.blackout_end, f.tz),
            "cmecf_url": c.login_url or None, "help_desk_phones": c.help_desk_phones or [],
            "page_url": court_page_url(c),
        })
    return {"rollout": {"slug": rollout.slug, "name": rollout.name},
            "last_modified": last_modified.isoformat(timespec="seconds") if last_modified else None,
            "courts": courts}
