"""Identifiers and real-world dirt: ICE check digits, malformed ICE, CIN, phone formats, and the
noisy spellings of names, addresses and cities that make the fund's duplicates hard to find.

String functions take a :class:`random.Random` derived from the chunk's numpy generator, so that the
same seed gives the same spelling. They run only on the records that receive a variant.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

import numpy as np

from recouvra.standins.generator.vocab import ADDRESS_ABBREVIATIONS, LEGAL_FORM_VARIANTS, TRANSLITERATIONS

if TYPE_CHECKING:
    import random

# ---------------------------------------------------------------------------------------------- ICE


def ice_numbers(company: np.ndarray, establishment: np.ndarray) -> np.ndarray:
    """Valid 15-digit ICE as int64: 9 company digits, 4 establishment digits, 2 check digits chosen so
    that the whole number is divisible by 97 (what ``stdnum.ma.ice.is_valid`` checks)."""
    base = company.astype(np.int64) * 10_000 + establishment.astype(np.int64)
    check = (97 - (base * 100) % 97) % 97
    return base * 100 + check


def ice_text(numbers: np.ndarray) -> list[str]:
    """ICE numbers as 15-character zero-padded strings."""
    return [f"{n:015d}" for n in numbers.tolist()]


MALFORMED_ICE_KINDS = ("BAD_CHECK", "SHORT", "LONG", "SEPARATORS")


def malform_ice(ice: str, kind: str, rnd: random.Random) -> str:
    """A valid ICE typed wrongly: bad check digits, a digit lost (14), one too many (16), or digits
    grouped with spaces or dots (the digits are right, the text is not an ICE as stored)."""
    if kind == "BAD_CHECK":
        check = (int(ice[13:]) + rnd.randint(1, 96)) % 97
        return f"{ice[:13]}{check:02d}"
    if kind == "SHORT":
        i = rnd.randrange(15)
        return ice[:i] + ice[i + 1:]
    if kind == "LONG":
        i = rnd.randrange(16)
        return ice[:i] + str(rnd.randrange(10)) + ice[i:]
    sep = rnd.choice((" ", ".", " ", "-"))
    return sep.join((ice[:3], ice[3:6], ice[6:9], ice[9:13], ice[13:]))


# --------------------------------------------------------------------------------------------- phones

PHONE_FORMATS = (
    "{a} {b} {c} {d} {e}",  # 06 12 34 56 78
    "{a}{b}{c}{d}{e}",  # 0612345678
    "+212{n}",  # +212612345678
    "00212{n}",  # 00212612345678
    "+212 (0){n0} {b} {c} {d} {e}",  # +212 (0)6 12 34 56 78
    "{a}{b}-{c}-{d}-{e}",  # 0522-12-34-56 (4-2-2-2)
    "212{n}",  # 212612345678
    "{a}.{b}.{c}.{d}.{e}",  # 06.12.34.56.78
    "+212 {n0} {b} {c} {d} {e}",
)


def format_phone(nsn: str, fmt: int) -> str:
    """A Moroccan national number (9 digits, no leading 0) typed in one of the local formats."""
    local = "0" + nsn
    a, b, c, d, e = local[0:2], local[2:4], local[4:6], local[6:8], local[8:10]
    return PHONE_FORMATS[fmt].format(n=nsn, n0=nsn[0], a=a, b=b, c=c, d=d, e=e)


# ---------------------------------------------------------------------------------------- text dirt


def strip_accents(text: str) -> str:
    """Text without diacritics (Fès → Fes), as typed on a keyboard without accents."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


_TRANSLIT = {w.lower(): group for group in TRANSLITERATIONS for w in group}
_ABBREV = {w.lower(): group for group in ADDRESS_ABBREVIATIONS for w in group}
_COMPANY_WORDS = {"société", "sté", "ste", "ets", "etablissements", "établissements"}
_COMPANY_SWAPS = ("Sté", "Société", "STE", "Ste", "Ets", "Etablissements", "Sté.", "")
_ALL_FORMS = sorted({v for vs in LEGAL_FORM_VARIANTS.values() for v in vs}, key=len, reverse=True)
_FORM_RE = re.compile(r"\s(" + "|".join(re.escape(v) for v in _ALL_FORMS) + r")\s*$", re.IGNORECASE)


def _typo(text: str, rnd: random.Random) -> str:
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 4:
        return text
    i = rnd.choice(letters[1:-1])
    op = rnd.randrange(3)
    if op == 0:  # swap two letters
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if op == 1:  # drop a letter
        return text[:i] + text[i + 1:]
    return text[:i] + text[i] + text[i:]  # double a letter


def _case(text: str, rnd: random.Random) -> str:
    style = rnd.randrange(3)
    return text.upper() if style == 0 else text.title() if style == 1 else text.lower()


def _swap_words(words: list[str], table: dict[str, tuple[str, ...]], rnd: random.Random) -> bool:
    hits = [i for i, w in enumerate(words) if w.lower() in table]
    if not hits:
        return False
    i = rnd.choice(hits)
    group = table[words[i].lower()]
    choices = [w for w in group if w.lower() != words[i].lower()] or list(group)
    words[i] = rnd.choice(choices)
    return True


def name_variant(name: str, legal_form: str, rnd: random.Random) -> str:
    """Another spelling of a legal name: company words (Sté/Société/Ets), the legal form written
    otherwise or dropped, transliterations (Mohammed/Mhamed, El/Al), word order, accents, typos, case.
    Two to three operations are applied, so the variant almost always differs from the original."""
    out = name
    ops = rnd.sample(range(7), k=rnd.choice((2, 2, 3)))
    for op in ops:
        words = out.split()
        if not words:
            break
        if op == 0:  # company word swapped, added or removed
            if words[0].lower().rstrip(".") in _COMPANY_WORDS:
                repl = rnd.choice(_COMPANY_SWAPS)
                words = ([repl] if repl else []) + words[1:]
            elif legal_form not in ("EI", "cooperative", "association"):
                words = [rnd.choice(_COMPANY_SWAPS[:6])] + words
            out = " ".join(words)
        elif op == 1:  # legal form suffix written otherwise or dropped
            m = _FORM_RE.search(out)
            variants = LEGAL_FORM_VARIANTS.get(legal_form, ())
            if m and variants:
                repl = rnd.choice(variants + ("",))
                out = out[: m.start()] + (" " + repl if repl else "")
            elif variants and legal_form not in ("EI", "cooperative", "association"):
                out = f"{out} {rnd.choice(variants)}"
        elif op == 2:  # transliteration
            if _swap_words(words, _TRANSLIT, rnd):
                out = " ".join(words)
            else:
                out = _typo(out, rnd)
        elif op == 3:  # word order of two neighbouring words
            if len(words) >= 3:
                i = rnd.randrange(len(words) - 1)
                words[i], words[i + 1] = words[i + 1], words[i]
                out = " ".join(words)
        elif op == 4:
            out = strip_accents(out)
        elif op == 5:
            out = _typo(out, rnd)
        else:
            out = _case(out, rnd)
    return " ".join(out.split()) or name


def address_variant(address: str, rnd: random.Random) -> str:
    """Another spelling of an address: Bd/Boulevard/Bld, Av/Avenue, n°/N°/No before the number,
    district dropped, accents, case."""
    out = address
    for op in rnd.sample(range(5), k=2):
        if op == 0:
            words = out.split()
            if _swap_words(words, _ABBREV, rnd):
                out = " ".join(words)
        elif op == 1:
            m = re.match(r"^(?:n°|N°|No|N°\s)?\s*(\d+)\s*,?\s*(.*)$", out)
            if m:
                style = rnd.choice(("n° {n} {r}", "N°{n}, {r}", "{n}, {r}", "No {n} {r}", "{r} n°{n}"))
                out = style.format(n=m.group(1), r=m.group(2))
        elif op == 2:
            if "," in out:
                out = out.rsplit(",", 1)[0]
        elif op == 3:
            out = strip_accents(out)
        else:
            out = _case(out, rnd)
    return " ".join(out.split()) or address


def email_variant(email: str, rnd: random.Random) -> str:
    """The same mailbox typed with other capitals (john.doe@x.ma / John.Doe@X.MA)."""
    local, _, domain = email.partition("@")
    style = rnd.randrange(3)
    if style == 0:
        return email.upper()
    if style == 1:
        return local.capitalize() + "@" + domain
    return local.title() + "@" + domain.upper()


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits of a name, for e-mail local parts."""
    return re.sub(r"[^a-z0-9]+", "", strip_accents(text).lower())[:20] or "contact"
