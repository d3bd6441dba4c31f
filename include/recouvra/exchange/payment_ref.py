"""A dossier's payment reference (an addition to agency-exchange/1): what the debtor quotes when paying.

Each dossier has one reference, derived from its id and never stored: the ISO 11649 structured creditor
reference ("RF" creditor reference, the one European payment slips carry) whose body is the dossier id's
twelve digits, ``D202611-000123`` -> ``RF14202611000123`` (printed in blocks of four,
``RF14 2026 1100 0123``). Its two check digits are ISO 7064 MOD 97-10, as an IBAN's, computed and
checked by python-stdnum (``stdnum.iso11649``, a pinned dependency): every single wrong digit and every
swap of two adjacent characters is caught. The body holds digits only, so the reference reads back into
the dossier id (:func:`dossier_of`) without a table, on DuckDB, PostgreSQL or paper alike.

The fund writes it in the assignment file (``CNSS_ASSIGN``'s last column, ``payment_ref``), the debtor
quotes it on the payment, the fund's ledger keeps what was quoted (``ledger_payments.payment_ref``), and
reconciliation matches a ledger payment whose quoted reference is valid to the dossier it names
(``PAYMENT_REF``, before the other rules). A quoted reference that fails its check digits names no
dossier: it is ignored and reported, never guessed.
"""

from __future__ import annotations

import re

from recouvra.errors import RecouvraError

#: A dossier id (``D`` + the assignment month's six digits + ``-`` + six digits): the reference's body.
_DOSSIER_RE = re.compile(r"D([0-9]{6})-([0-9]{6})", re.ASCII)
#: The compact form of a fund reference: RF, two check digits, the twelve digits of a dossier id.
_REF_RE = re.compile(r"RF[0-9]{2}([0-9]{6})([0-9]{6})", re.ASCII)
#: Longest reference ISO 11649 allows (RF, two check digits, up to 21 characters).
MAX_PAYMENT_REF_CHARS = 25


class PaymentRefError(RecouvraError):
    """A quoted payment reference names no dossier; ``reason`` says why (``CHECK_DIGITS`` when its check
    digits fail: a mistyped reference; ``FORMAT`` when it is not a fund reference at all)."""

    def __init__(self, quoted: str, reason: str, detail: str) -> None:
        self.quoted = quoted
        self.reason = reason
        super().__init__(f"payment reference {quoted!r}: {detail}")


def payment_ref(dossier_id: str) -> str:
    """The dossier's payment reference, compact (``RF`` + check digits + the id's twelve digits)."""
    from stdnum.iso7064 import mod_97_10

    m = _DOSSIER_RE.fullmatch(dossier_id)
    if m is None:
        raise ValueError(f"{dossier_id!r} is not a dossier id (D + 6 digits + - + 6 digits)")
    body = m.group(1) + m.group(2)
    # ISO 11649: the check digits make body + "RF" + check digits a multiple of 97 plus 1 (MOD 97-10).
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


def printed(reference: str) -> str:
    """A reference as printed for a person, in blocks of four (``RF14 2026 1100 0123``)."""
    from stdnum import iso11649

    return str(iso11649.format(reference))


def dossier_of(quoted: str) -> str:
    """The dossier id a quoted reference names; spaces and case are forgiven (``rf14 2026 1100 0123``).
    Raises :class:`PaymentRefError` when the check digits fail (``CHECK_DIGITS``) or when it is not
    a fund reference (``FORMAT``)."""
    from stdnum import iso11649
    from stdnum.exceptions import InvalidChecksum, ValidationError

    text = str(quoted)
    try:
        compact = str(iso11649.validate(text))
    except InvalidChecksum as exc:
        raise PaymentRefError(text, "CHECK_DIGITS", "its check digits are wrong (mistyped)") from exc
    except ValidationError as exc:
        raise PaymentRefError(text, "FORMAT", f"not an RF creditor reference ({exc})") from exc
    m = _REF_RE.fullmatch(compact)
    if m is None:
        raise PaymentRefError(text, "FORMAT", "a valid RF reference, but not one of the fund's dossiers")
    return f"D{m.group(1)}-{m.group(2)}"


def is_valid(quoted: str) -> bool:
    """Whether ``quoted`` is a well-formed fund reference with the right check digits."""
    try:
        dossier_of(quoted)
    except PaymentRefError:
        return False
    return True
