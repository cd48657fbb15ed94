"""The notice's MIME tree: every multipart boundary is drawn when the tree is built (so serialising
does not search the parts for one), differs from message to message, and the sent bytes parse back
into the same parts."""
import datetime as dt
import email

import pytest
from django.utils import timezone

from courts.models import GoLiveStatus
from rollout.notices.models import NoticeDelivery, NoticeKind
from rollout.notices.messages import MessageBuilder
from tests.factories import GoLiveFactory, filer_at, utah_court

pytestmark = pytest.mark.django_db


def prepare_notice():
    """A prepare notice: text and HTML alternatives inside a mixed part with the calendar file."""
    court = utah_court()
    golive = GoLiveFactory(court=court, go_live_date=timezone.localdate() + dt.timedelta(days=30),
                           status=GoLiveStatus.SCHEDULED)
    account = filer_at(court)
    row = NoticeDelivery.objects.create(filer=account.filer, court=court, golive=golive, kind=NoticeKind.PREPARE,
                                        notice="prepare")
    row = NoticeDelivery.objects.select_related("filer", "court", "golive", "change").get(id=row.id)
    return MessageBuilder(timezone.now()).build(row, "ready")


def multiparts(mime) -> list:
    return [part for part in mime.walk() if part.is_multipart()]


def test_every_multipart_part_has_its_boundary_before_it_is_serialised():
    parts = multiparts(prepare_notice().message())
    assert [p.get_content_type() for p in parts] == ["multipart/mixed", "multipart/alternative"]
    assert all(p.get_boundary() for p in parts)


def test_boundaries_differ_between_messages_and_parts():
    first, second = prepare_notice().message(), prepare_notice().message()
    boundaries = [p.get_boundary() for p in multiparts(first) + multiparts(second)]
    assert len(set(boundaries)) == len(boundaries)


def test_the_sent_bytes_parse_back_into_the_same_parts():
    notice = prepare_notice()
    parsed = email.message_from_bytes(notice.message().as_bytes(linesep="\r\n"))
    leaves = [p for p in parsed.walk() if not p.is_multipart()]
    assert [p.get_content_type() for p in leaves] == ["text/plain", "text/html", "text/calendar"]
    # (On the wire every line ends in CRLF.)
    assert leaves[0].get_payload(decode=True).decode().splitlines() == notice.body.splitlines()
    assert leaves[1].get_payload(decode=True).decode().splitlines() == notice.alternatives[0][0].splitlines()
