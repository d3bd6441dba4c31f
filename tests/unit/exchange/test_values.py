"""Phones (a valid Moroccan number, written back in E.164) and e-mails, as the contract checks them."""

from __future__ import annotations

import pytest

from recouvra.exchange.values import MAX_EMAIL_CHARS, is_email, moroccan_number, phone_e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("06 12 34 56 78", "+212612345678"),
        ("0612345678", "+212612345678"),
        ("+212612345678", "+212612345678"),
        ("+212 6-12-34-56-78", "+212612345678"),
        ("00212612345678", "+212612345678"),
        ("07.12.34.56.78", "+212712345678"),
        ("05 22 12 34 56", "+212522123456"),
        ("(0)5 22 12 34 56", "+212522123456"),
    ],
)
def test_written_forms_of_a_moroccan_number_give_its_e164(raw: str, e164: str) -> None:
    assert phone_e164(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "06 12 34 56 7X",         # a letter: no "vanity" reading
        "0612345678 ext 2",
        "+33612345678",           # valid, but French
        "0033612345678",
        "0612",                   # too short
        "06123456789",            # too long for Morocco
        "0" * 21,                 # more than 20 digits
        "06_12_34_56_78",         # a character a written phone does not hold
    ],
)
def test_what_is_not_a_valid_moroccan_number_is_refused(raw: str) -> None:
    assert phone_e164(raw) is None


def test_moroccan_number_reads_national_forms_as_moroccan() -> None:
    number = moroccan_number("0612345678")
    assert number is not None and (number.country_code, number.national_number) == (212, 612345678)
    assert moroccan_number("+33612345678") is None
    assert moroccan_number("not a number") is None


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("contact@atlas.ma", True),
        ("a.b-c+d@mail.sub.example.com", True),
        ("x@ex.international", True),
        ("x@ex.m", False),
        ("x@ex..ma", False),
        (".x@ex.ma", False),
        ("x y@ex.ma", False),
        ("x@ex.ma ", False),       # the caller trims
        ("x@ex.ma1", False),
        ("compta@atlas", False),
        ("é@ex.ma", False),
    ],
)
def test_is_email(address: str, ok: bool) -> None:
    assert is_email(address) is ok


def test_an_address_of_254_characters_is_the_longest_accepted() -> None:
    local = "a" * 64
    host = ".".join(["b" * 60] * 3) + ".ma"
    longest = f"{local}@ccc.{host}"
    assert len(longest) == MAX_EMAIL_CHARS == 254 and is_email(longest)
    too_long = f"{local}@cccc.{host}"
    assert len(too_long) == 255 and not is_email(too_long)
