"""The "send me a new link" email goes through the real path: page → broker → Celery worker → SMTP."""
import datetime as dt

import pytest
from django.urls import reverse

from courts.models import GoLiveStatus
from tests.conftest import wait_for
from tests.factories import GoLiveFactory, filer_at, montana_court

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


def test_a_new_link_reaches_a_known_address_through_the_worker_and_opens_the_page(
        client, smtp_sink, celery_worker, settings, request):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": request.node.nodeid}}
    court = montana_court()
    GoLiveFactory(court=court, go_live_date=dt.date(2021, 9, 27), status=GoLiveStatus.LIVE)
    account = filer_at(court)
    client.post(reverse("filers:request_link"), {"email": "unknown-person@example.com"})
    client.post(reverse("filers:request_link"), {"email": account.filer.email})
    (message,) = wait_for(lambda: smtp_sink.to(account.filer.email), what="the link email")
    assert smtp_sink.to("unknown-person@example.com") == []
    link = next(w for w in message.message.get_content().split() if "/me/" in w)
    page = client.get(link.split(settings.SITE_URL, 1)[-1], follow=True)
    assert page.status_code == 200 and account.login in page.content.decode()
