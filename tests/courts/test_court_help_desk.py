"""A court's help desk as filers are told it: every division's phone from the feed, never a placeholder
("NA", "N/A (Poughkeepsie)") or an email address listed among the phones, each dialled by its number."""
from courts.models import Court

DIVISIONS = ["256-741-1500 (Anniston)", "N/A (Poughkeepsie)", "205-714-4000 (Birmingham)",
             "newcases@cod.uscourts.gov (Case initiation questions: Email)", "NA"]


def test_every_division_phone_is_told_in_one_line():
    court = Court(help_desk_phones=DIVISIONS)
    assert court.help_desk_phone == "256-741-1500 (Anniston); 205-714-4000 (Birmingham)"


def test_a_court_whose_feed_gives_no_number_has_no_help_desk_phone():
    assert Court(help_desk_phones=["NA"]).help_desk_phone == ""


def test_each_phone_link_dials_the_number_alone():
    court = Court(help_desk_phones=["(406) 555-0100", "866-222-8029, Option 12", "215-408-2800 Ext. 2368 (Philadelphia)"])
    assert court.help_desk_phone_links == [
        ("tel:4065550100", "(406) 555-0100"),
        ("tel:8662228029", "866-222-8029, Option 12"),
        ("tel:2154082800", "215-408-2800 Ext. 2368 (Philadelphia)"),
    ]
