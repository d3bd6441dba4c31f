"""A dossier's payment reference (recouvra.exchange.payment_ref, issue 17.4): the ISO 11649 RF reference
of the dossier id's digits, its check digits catching every single wrong digit and every swap of two
neighbouring characters, read back into the dossier id."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recouvra.exchange.payment_ref import PaymentRefError, dossier_of, is_valid, payment_ref, printed

dossier_ids = st.builds(lambda m, n: f"D{m:06d}-{n:06d}", st.integers(0, 999_999), st.integers(0, 999_999))


def test_the_reference_of_the_guides_example() -> None:
    """docs/agency-exchange.md shows D202611-000123 -> RF14202611000123 (RF14 2026 1100 0123)."""
    assert payment_ref("D202611-000123") == "RF14202611000123"
    assert printed("RF14202611000123") == "RF14 2026 1100 0123"
    # what any ISO 11649 checker says (the RF reference on European payment slips)
    from stdnum import iso11649

    assert iso11649.is_valid("RF14 2026 1100 0123") and not iso11649.is_valid("RF15 2026 1100 0123")


@given(dossier_ids)
def test_a_reference_reads_back_into_its_dossier_as_printed_compact_or_in_lower_case(dossier_id: str) -> None:
    ref = payment_ref(dossier_id)
    assert len(ref) == 16 and ref.startswith("RF")
    for quoted in (ref, printed(ref), printed(ref).lower(), f"  {ref} "):
        assert dossier_of(quoted) == dossier_id


@given(dossier_ids)
def test_every_single_wrong_character_is_caught(dossier_id: str) -> None:
    ref = payment_ref(dossier_id)
    for at in range(len(ref)):
        for c in "0123456789RFX":
            typed = ref[:at] + c + ref[at + 1:]
            if typed != ref:
                assert not is_valid(typed), typed


@given(dossier_ids)
def test_every_swap_of_two_neighbouring_characters_is_caught(dossier_id: str) -> None:
    ref = payment_ref(dossier_id)
    for at in range(len(ref) - 1):
        swapped = ref[:at] + ref[at + 1] + ref[at] + ref[at + 2:]
        if swapped != ref:
            assert not is_valid(swapped), swapped


def test_why_a_quoted_reference_names_no_dossier() -> None:
    with pytest.raises(PaymentRefError) as bad_digit:
        dossier_of("RF14 2026 1100 0124")  # one digit mistyped
    assert bad_digit.value.reason == "CHECK_DIGITS"
    with pytest.raises(PaymentRefError) as other:
        dossier_of("RF18 5390 0754 70Y")  # a valid RF reference, not one of the fund's dossiers
    assert other.value.reason == "FORMAT"
    for text in ("", "D202611-000123", "Q202611-S000000000000007", "RF14"):
        with pytest.raises(PaymentRefError):
            dossier_of(text)


def test_only_a_dossier_id_has_a_reference() -> None:
    with pytest.raises(ValueError, match="not a dossier id"):
        payment_ref("D2026-1")
