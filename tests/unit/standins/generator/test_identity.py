"""Employers, their duplicate records and the truth (recouvra.standins.generator.identity): valid ICEs,
dirt shares as configured, duplicate sets, lookalikes, natural persons' CINs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from stdnum.ma import ice as stdnum_ice

from recouvra.config import Settings

_spec = importlib.util.spec_from_file_location("generator_sources", Path(__file__).with_name("sources.py"))
assert _spec is not None and _spec.loader is not None
sources = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sources)
N, _query, _truth = sources.N, sources._query, sources._truth


def test_valid_ice_pass_stdnum_and_dirt_shares_match_configuration(
    settings: Settings, seeded: tuple[Path, Path]
) -> None:
    db, truth_dir = seeded
    emp = _query(db, "SELECT affiliation_no, ice, cin, legal_form FROM employers")
    df = emp.merge(_truth(truth_dir), on="affiliation_no")
    valid = df[df.ice_state == "VALID"]
    assert len(valid) > N // 2
    assert all(stdnum_ice.is_valid(x) and len(x) == 15 and x.isdigit() for x in valid.ice)
    broken = df[df.ice_state.isin(["BAD_CHECK", "SHORT", "LONG"])]
    assert not any(stdnum_ice.is_valid(x) for x in broken.ice)
    assert df[df.ice_state == "MISSING"].ice.isna().all()

    cfg = settings.seed
    missing = (df.ice_state == "MISSING").mean()
    malformed = df.ice_state.isin(["BAD_CHECK", "SHORT", "LONG", "SEPARATORS"]).mean()
    assert abs(missing - float(cfg.missing_ice_share)) < 0.04
    assert abs(malformed - float(cfg.malformed_ice_share)) < 0.015

    entities = df.groupby("entity_id").size()
    dup_share = (entities > 1).mean()
    assert abs(dup_share - float(cfg.duplicate_entity_share)) < 0.03
    # duplicated records share the 9-digit company root of their ICE when both have a valid one
    for _, grp in valid.groupby("entity_id"):
        assert grp.ice.str[:9].nunique() == 1
    # some duplicate sets share no strong identifier at all; some unrelated entities look alike
    dups = df[df.set_size > 1]
    assert (~dups.drop_duplicates("entity_id").shares_strong_id).sum() > 0
    assert (df.lookalike_of >= 0).sum() > 0
    assert df.common_name.sum() > 0
    # natural persons carry a CIN like 'BE123456' or 'A123456'
    persons = df[df.natural_person & df.cin.notna()]
    assert len(persons) > 0 and persons.cin.str.fullmatch(r"[A-Z]{1,2}\d{5,6}").all()
