"""The one rule for addresses a notice cannot be sent to."""
import pytest

from accounts.emails import email_address_problem


@pytest.mark.parametrize("address, words", [
    ("filer@example.com", ""),
    ("filer@exämple.com", ""),  # an IDNA domain is sent as punycode
    ("jösé@example.com", "non-ASCII"),
    ("a" * 65 + "@example.com", "longer than 64"),
    ("a" * 64 + "@" + "d" * 200 + ".com", "longer than 254"),
    ("no-at-sign", "no @"),
    ("two@@example.com", "not a valid"),
    ("filer@" + "é" * 60 + ".example", "no ASCII (IDNA) form"),  # a label over 63 characters once encoded
    ("a" * 60 + "@" + ("é" * 20 + ".") * 8 + "example", "ASCII (IDNA) form mail relays are given"),
])
def test_each_undeliverable_address_gets_its_reason(address, words):
    problem = email_address_problem(address)
    assert (problem == "") if not words else (words in problem)
