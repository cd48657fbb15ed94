"""A court's help desk as filers are told it: every division's phone from the feed, never a placeholder
("NA", "N/A (Poughkeepsie)") or an email address listed among the phones, each dialled by its number."""
from hypothesis import given
from hypothesis import strategies as st

from courts.models import Court

DIVISIONS = ["256-741-1500 (Anniston)", "N/A (Poughkeepsie)", "205-714-4000 (Birmingham)",
             "newcases@cod.uscourts.gov (Case initiation questions: Email)", "NA", "Ext. 5 (Helena)",
             "TBD (Room 201)", "cmecf1@mtd.uscourts.gov", "N/A (Division 2)"]


def test_every_division_phone_is_told_in_one_line():
    court = Court(help_desk_phones=DIVISIONS)
    assert court.help_desk_phone == "256-741-1500 (Anniston); 205-714-4000 (Birmingham)"


def test_a_court_whose_feed_gives_no_number_has_no_help_desk_phone():
    assert Court(help_desk_phones=["NA"]).help_desk_phone == ""


def test_every_placeholder_or_address_in_the_phone_list_is_left_out_of_the_links():
    assert Court(help_desk_phones=DIVISIONS).help_desk_phone_links == [
        ("tel:2567411500", "256-741-1500 (Anniston)"), ("tel:2057144000", "205-714-4000 (Birmingham)")]


def test_each_phone_link_dials_the_number_alone():
    court = Court(help_desk_phones=["(406) 555-0100", "866-222-8029, Option 12", "215-408-2800 Ext. 2368 (Philadelphia)"])
    assert court.help_desk_phone_links == [
        ("tel:4065550100", "(406) 555-0100"),
        ("tel:8662228029", "866-222-8029, Option 12"),
        ("tel:2154082800", "215-408-2800 Ext. 2368 (Philadelphia)"),
    ]


@given(st.lists(st.text(max_size=40)))
def test_any_feed_text_gives_links_that_dial_a_number_and_never_fails(phones):
    links = Court(help_desk_phones=phones).help_desk_phone_links
    for tel, text in links:
        assert text in phones
        assert sum(ch.isdigit() for ch in tel) >= 7 and tel.startswith("tel:")
