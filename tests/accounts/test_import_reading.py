"""The cheap per-row checks of the imports judge exactly as the slower reference ones do."""
import datetime as dt

import pytest

from accounts.imports.reading import CellError, parse_date, parse_email, parse_login
from accounts.imports.roster import name_key
from accounts.models import normalize_name

TODAY = dt.date(2026, 1, 15)


@pytest.mark.parametrize("name", ["", "John Q. Attorney", "O'Brien, Mary-Jo  Jr.", "a_b\tc", "José Ñúñez", "Ǆ ß ﬁ"])
def test_name_key_equals_normalize_name(name):
    assert name_key(name) == normalize_name(name)


@pytest.mark.parametrize("value", ["filer@[127.0.0.1]", "filer@localhost"])
def test_email_outside_the_common_pattern_is_accepted_as_django_accepts_it(value):
    assert parse_email(value) == value.lower()


@pytest.mark.parametrize("value", ["filer@@example.com", "filer@example", "filer@[999.1.1.1]", "no-at-sign"])
def test_malformed_email_is_still_refused(value):
    with pytest.raises(CellError, match="malformed email"):
        parse_email(value)


def test_us_style_date_is_still_read():
    assert parse_date("05/01/2016", "d", today=TODAY) == dt.date(2016, 5, 1)


@pytest.mark.parametrize("value", ["2016-02-30", "2016-13-01", "2016-1-011"])
def test_impossible_iso_date_is_refused(value):
    with pytest.raises(CellError, match="unreadable date"):
        parse_date(value, "d", today=TODAY)


def test_login_with_inner_whitespace_is_refused():
    with pytest.raises(CellError, match="contains a space"):
        parse_login("jq\u00a0attorney")


@pytest.mark.parametrize("value", ["0001-01-01", "01/01/0001", "1900-01-01", "1989-12-31"])
def test_a_date_before_1990_is_refused_naming_the_field(value):
    with pytest.raises(CellError, match="before 1990-01-01") as refused:
        parse_date(value, "pacer_created_on", today=TODAY)
    assert refused.value.field == "pacer_created_on"


def test_the_first_day_of_1990_is_read():
    assert parse_date("1990-01-01", "pacer_created_on", today=TODAY) == dt.date(1990, 1, 1)
