"""Addresses that the notices, the filer's page and the public pages all print: PACER's own pages and
a court's public go-live page. Kept apart from those apps so none of them imports another."""
from __future__ import annotations

import functools

from django.conf import settings
from django.urls import reverse

REGISTER_URL = "https://pacer.uscourts.gov/register-account/attorney-filers-cmecf"
UPGRADE_URL = "https://pacer.uscourts.gov/file-case/get-ready-nextgen-cmecf"


@functools.lru_cache(maxsize=1024)
def _court_page_url(site_url: str, court_code: str) -> str:
    """Resolved once per court (a notice chunk prints the same court's link for every recipient)."""
    return f"{site_url}{reverse('status:court', args=[court_code])}"


def court_page_url(court) -> str:
    """The court's public NextGen page, absolute (for emails and feeds)."""
    return _court_page_url(settings.SITE_URL, court.court_id.lower())


def golive_ics(facts, rollout_slug: str) -> bytes:
    """One go-live as an .ics file: the "add to calendar" attachment of prepare and date-changed
    notices, the same event (UID, SEQUENCE) as the public feed."""
    from courts.calendar import calendar_for

    return calendar_for([facts], name=f"{facts.court.name} go-live", rollout_slug=rollout_slug,
                        page_url=court_page_url).to_ical()
