"""The generator's reference vocabularies (recouvra.standins.generator.vocab) hold together: every court
is a known city, every legal form has its spellings, weights are positive, variants are other spellings."""

from __future__ import annotations

import re

from recouvra.standins.generator.vocab import (
    ADDRESS_ABBREVIATIONS,
    CITIES,
    LEGAL_FORM_VARIANTS,
    LEGAL_FORMS,
    SECTORS,
    TRANSLITERATIONS,
)


def test_cities_have_a_known_court_a_fixed_prefix_cin_letters_and_other_spellings() -> None:
    names = [c.name for c in CITIES]
    assert len(set(names)) == len(names) and names[0] == "Casablanca"
    for c in CITIES:
        assert c.court in names, c.name
        assert re.fullmatch(r"5\d\d", c.fixed_prefix), c.name
        assert c.cin_prefixes and all(re.fullmatch(r"[A-Z]{1,2}", p) for p in c.cin_prefixes), c.name
        assert c.weight > 0 and c.variants and c.name not in c.variants, c.name
    assert max(CITIES, key=lambda c: c.weight).name == "Casablanca"


def test_every_legal_form_drawn_and_the_natural_persons_have_spellings() -> None:
    assert {f for f, _ in LEGAL_FORMS} | {"EI"} == set(LEGAL_FORM_VARIANTS)
    assert all(w > 0 for _, w in LEGAL_FORMS) and all(w > 0 for _, w in SECTORS)
    for form, spellings in LEGAL_FORM_VARIANTS.items():
        assert spellings and len(set(spellings)) == len(spellings), form


def test_transliterations_and_abbreviations_are_groups_of_distinct_spellings() -> None:
    for group in (*TRANSLITERATIONS, *ADDRESS_ABBREVIATIONS):
        assert len(group) >= 2 and len(set(group)) == len(group), group
    # one word belongs to one group, so a swap never jumps between groups
    words = [w.lower() for g in TRANSLITERATIONS for w in g]
    assert len(words) == len(set(words))
