"""Values the contract gives a format to, checked one way wherever they are read or written.

A phone is written in E.164 and must be a valid Moroccan number (`+212...`, agency-exchange v1: the
assignment's ``phone_1``/``phone_2``, an agency's CONTACTS ``PHONE``); an e-mail follows
:data:`~recouvra.exchange.spec.EMAIL_RE`. The judge of return files and the debtor master's normalisers
both use these functions, so a value the fund sends is one an agency may send back, and the reverse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from recouvra.exchange.spec import EMAIL_RE, PHONE_CHARS_RE

if TYPE_CHECKING:
    import phonenumbers

MOROCCO_COUNTRY_CODE = 212
MAX_EMAIL_CHARS = 254
_MAX_PHONE_DIGITS = 20


def moroccan_number(candidate: str) -> phonenumbers.PhoneNumber | None:
    """``candidate`` parsed (a national form read as Moroccan) when it is a valid Moroccan number."""
    import phonenumbers  # imported here: the command line's --help stays fast

    try:
        number = phonenumbers.parse(candidate, "MA")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != MOROCCO_COUNTRY_CODE or not phonenumbers.is_valid_number(number):
        return None
    return number


def phone_e164(raw: str) -> str | None:
    """``raw`` in E.164 when it is one written form of a valid Moroccan number, else None. Letters are
    refused (phonenumbers would read "vanity" numbers), and so are more than 20 digits."""
    import phonenumbers

    if PHONE_CHARS_RE.fullmatch(raw) is None or sum(ch.isdigit() for ch in raw) > _MAX_PHONE_DIGITS:
        return None
    number = moroccan_number(raw)
    return None if number is None else phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_email(address: str) -> bool:
    """Whether ``address`` (already trimmed) is an e-mail address of the contract's form."""
    return len(address) <= MAX_EMAIL_CHARS and EMAIL_RE.fullmatch(address) is not None
