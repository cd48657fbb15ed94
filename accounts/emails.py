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
    a local part over 64 characters; then, unless the caller already checked it, Django's
    `validate_email`. A non-ASCII domain is fine: it is sent as IDNA.
    """
    if len(address) > MAX_ADDRESS:
        return f"The address is longer than {MAX_ADDRESS} characters, the most mail systems accept."
    local, at, _ = address.rpartition("@")
    if not at:
        return "The address has no @."
    if not local.isascii():
        return "The part before @ has non-ASCII characters, which mail relays accept only with SMTPUTF8."
    if len(local) > MAX_LOCAL_PART:
        return f"The part before @ is longer than {MAX_LOCAL_PART} characters, the most mail systems accept."
    if check_syntax:
        try:
            validate_email(address)
        except ValidationError:
            return "The address is not a valid email address."
    return ""
