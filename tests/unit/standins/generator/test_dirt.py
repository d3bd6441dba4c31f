"""Identifiers and dirt of the synthetic source (recouvra.standins.generator.dirt): valid ICEs and the
known ways to mistype them, phone formats, accents, e-mail slugs, and name, address and e-mail variants."""

from __future__ import annotations

import random

import numpy as np
import pytest
from stdnum.ma import ice as stdnum_ice

from recouvra.standins.generator.dirt import (
    MALFORMED_ICE_KINDS,
    PHONE_FORMATS,
    address_variant,
    email_variant,
    format_phone,
    ice_numbers,
    ice_text,
    malform_ice,
    name_variant,
    slug,
    strip_accents,
)

VALID_ICE = "000001234000147"


def test_ice_numbers_are_company_establishment_and_check_digits_that_stdnum_accepts() -> None:
    texts = ice_text(ice_numbers(np.array([1234, 999_999_999]), np.array([1, 0])))
    assert texts == [VALID_ICE, "999999999000079"]
    assert all(stdnum_ice.is_valid(t) for t in texts)


@pytest.mark.parametrize("seed", range(20))
def test_each_malformed_kind_is_what_its_name_says_and_never_a_valid_ice(seed: int) -> None:
    rnd = random.Random(seed)
    bad = malform_ice(VALID_ICE, "BAD_CHECK", rnd)
    assert bad[:13] == VALID_ICE[:13] and bad[13:] != VALID_ICE[13:] and not stdnum_ice.is_valid(bad)
    short = malform_ice(VALID_ICE, "SHORT", rnd)
    assert len(short) == 14 and short.isdigit()
    long = malform_ice(VALID_ICE, "LONG", rnd)
    assert len(long) == 16 and long.isdigit()
    grouped = malform_ice(VALID_ICE, "SEPARATORS", rnd)
    sep = grouped[3]
    assert sep in " .-" and grouped.split(sep) == ["000", "001", "234", "0001", "47"]
    assert MALFORMED_ICE_KINDS == ("BAD_CHECK", "SHORT", "LONG", "SEPARATORS")


def test_phone_formats_as_clerks_type_them() -> None:
    assert [format_phone("612345678", k) for k in range(len(PHONE_FORMATS))] == [
        "06 12 34 56 78",
        "0612345678",
        "+212612345678",
        "00212612345678",
        "+212 (0)6 12 34 56 78",
        "0612-34-56-78",
        "212612345678",
        "06.12.34.56.78",
        "+212 6 12 34 56 78",
    ]
    assert format_phone("522456789", 5) == "0522-45-67-89"


def test_accents_and_slugs() -> None:
    assert strip_accents("Fès, Témara, Béni Mellal, Aït Saïd") == "Fes, Temara, Beni Mellal, Ait Said"
    assert slug("Société Générale d'Électricité") == "societegeneraledelec"  # 20 characters at most
    assert slug("Atlas Négoce 2000") == "atlasnegoce2000"
    assert slug("") == slug("!!!") == slug("شركة") == "contact"


def test_an_email_variant_is_the_same_mailbox_in_other_capitals() -> None:
    email = "karim.benali@menara.ma"
    seen = {email_variant(email, random.Random(s)) for s in range(30)}
    assert seen == {"KARIM.BENALI@MENARA.MA", "Karim.benali@menara.ma", "Karim.Benali@MENARA.MA"}


def test_name_variants_almost_always_differ_and_the_same_seed_gives_the_same_spelling() -> None:
    name = "Société Atlas Négoce Mohammed SARL"
    variants = [name_variant(name, "SARL", random.Random(s)) for s in range(200)]
    assert variants == [name_variant(name, "SARL", random.Random(s)) for s in range(200)]
    assert sum(v != name for v in variants) >= 190
    assert all(v and v == " ".join(v.split()) for v in variants)  # never empty, single spaces
    # the transliterations and the legal-form spellings show up among them
    assert any("Mohamed" in v or "Mhamed" in v or "Mohamad" in v or "Mohammad" in v for v in variants)
    assert any(v.endswith(("S.A.R.L.", "S.A.R.L", "sarl", "Sarl")) for v in variants)


def test_address_variants_keep_the_street_number() -> None:
    address = "12 Boulevard Zerktouni, Maârif"
    variants = [address_variant(address, random.Random(s)) for s in range(100)]
    assert all("12" in v for v in variants)
    assert any("Bd" in v or "BD" in v or "Bld" in v for v in variants)
    assert any(v == "12 Boulevard Zerktouni" or v.upper() == "12 BOULEVARD ZERKTOUNI" for v in variants)
    assert sum(v != address for v in variants) >= 90
