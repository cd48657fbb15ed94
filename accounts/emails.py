"""Whether a notice can be sent to an email address at all: one rule for imports, forms and the sender."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# RFC 5321 4.5.3.1: a path holds at most 256 octets with its brackets (254 for the address), a local part 64.
MAX_ADDRESS = 254
MAX_LOCAL_PART = 64


def email_address_problem(address: str, *, check_syntax: bool = True) -> str:
    """Why mail cannot be sent to `address` ("" = it can), in words staff understand.

    Steps: the whole length (a filer's email column holds 254 characters); a local part that is not
    ASCII (the tracker never asks the relay for SMTPUTF8, and an encoded-word is not an address);
    a local part over 64 characters; a non-ASCII domain with no IDNA form (the ASCII form the relay
    is given: a label over 63 characters once encoded, say) or too long in it; then, unless the
    caller already checked it, Django's `validate_email`.
    """
    if len(address) > MAX_ADDRESS:
        return f"The address is longer than {MAX_ADDRESS} characters, the most mail systems accept."
    local, at, domain = address.rpartition("@")
    if not at:
        return "The address has no @."
    if not local.isascii():
        return "The part before @ has non-ASCII characters, which mail relays accept only with SMTPUTF8."
    if len(local) > MAX_LOCAL_PART:
        return f"The part before @ is longer than {MAX_LOCAL_PART} characters, the most mail systems accept."
    if not domain.isascii():
        try:
            ascii_domain = domain.encode("idna").decode("ascii")  # as Django's email backend sends it
        except UnicodeError:
            return "The part after @ has no ASCII (IDNA) form, which mail relays need."
        if len(local) + 1 + len(ascii_domain) > MAX_ADDRESS:
            return (f"In the ASCII (IDNA) form mail relays are given, the address is longer than "
                    f"{MAX_ADDRESS} characters.")
    if check_syntax:
        try:
            validate_email(address)
        except ValidationError:
            return "The address is not a valid email address."
    return ""
