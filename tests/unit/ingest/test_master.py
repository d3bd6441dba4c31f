"""What agencies find about debtors, applied to the debtor master: survivorship field by field, history
versions with provenance, closures that end a debtor's eligibility (an embedded DuckDB warehouse seeded
as in test_load.py, files ingested through recouvra.ingest.ingest_file)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recouvra.ingest.master import (
    current_debtor,
    normalized_value,
    source_changed_on,
    write_version,
)
from recouvra.warehouse import Warehouse, connect, migrate_connection

_spec = importlib.util.spec_from_file_location("ingest_load_world", Path(__file__).with_name("test_load.py"))
assert _spec and _spec.loader
world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(world)

T0, D1, BUILT = world.T0, world.D1, world.BUILT
write, ingest, count = world.write, world.ingest, world.count


@pytest.fixture()
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with connect(f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}") as conn:
        migrate_connection(conn)
        world.seed(conn)
        yield conn



def golden(wh: Warehouse, debtor_id: int = 1) -> dict[str, Any]:
    cols = ["address", "city", "region", "phone_1", "phone_2", "email", "legal_rep_name", "activity_status"]
    row = wh.query(f"SELECT {', '.join(cols)} FROM core.dim_debtor WHERE debtor_id = ?", [debtor_id])[0]
    return dict(zip(cols, row, strict=True))


def versions(wh: Warehouse, debtor_id: int = 1) -> list[tuple[Any, ...]]:
    return wh.query("SELECT change_source, change_ref, is_current, phone_1, activity_status FROM "
                    "core.debtor_history WHERE debtor_id = ? ORDER BY valid_from", [debtor_id])


def test_contact_updates_feed_the_golden_record_with_history_and_provenance(
    wh: Warehouse, tmp_path: Path
) -> None:
    result = ingest(wh, write(tmp_path, "AG01_CONTACTS_20261125_01.csv", "CONTACTS", [
        [D1, "C1", "PHONE", "06 12 34 56 78", "2026-11-10", "called the manager"],
        [D1, "C2", "EMAIL", "Compta@Atlas.MA", "2026-11-10", ""],
        [D1, "C3", "ASSET", "Land title 12345/C, Berrechid", "2026-11-11", "land registry"],
        [D1, "C4", "ADDRESS", "  45 Bd  Zerktouni ", "2026-11-12", "visit"],
        [D1, "C5", "ACTIVITY_STATUS", "LIQUIDATION", "2026-11-12", "court notice"],
    ]))

    assert result["status"] == "ACCEPTED"
    g = golden(wh)
    assert (g["phone_1"], g["phone_2"], g["email"], g["address"], g["activity_status"]) == (
        "+212612345678", "+212522123456", "compta@atlas.ma", "45 Bd Zerktouni", "LIQUIDATION")
    updates = wh.query("SELECT update_id, value, value_normalised, apply_status, applied_at IS NOT NULL, "
                       "evidence, debtor_id FROM core.agency_contact_update ORDER BY update_id")
    assert updates == [
        ("C1", "06 12 34 56 78", "+212612345678", "APPLIED", True, "called the manager", 1),
        ("C2", "Compta@Atlas.MA", "compta@atlas.ma", "APPLIED", True, None, 1),
        ("C3", "Land title 12345/C, Berrechid", "Land title 12345/C, Berrechid", "NOT_APPLICABLE", False,
         "land registry", 1),
        ("C4", "  45 Bd  Zerktouni ", "45 Bd Zerktouni", "APPLIED", True, "visit", 1),
        ("C5", "LIQUIDATION", "LIQUIDATION", "APPLIED", True, "court notice", 1),
    ]
    history = versions(wh)
    assert [(s, ref, cur) for s, ref, cur, _, _ in history] == [
        ("SOURCE", "2026-11-01", False), ("AGENCY", "AG01:C1", False), ("AGENCY", "AG01:C2", False),
        ("AGENCY", "AG01:C4", False), ("AGENCY", "AG01:C5", True)]
    assert history[-1][3:] == ("+212612345678", "LIQUIDATION")
    # the current version equals the golden record; versions are contiguous
    spans = wh.query("SELECT valid_from, valid_to FROM core.debtor_history WHERE debtor_id = 1 ORDER BY 1")
    assert all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1)) and spans[-1][1] is None


def test_an_older_observation_does_not_overwrite_a_newer_one(wh: Warehouse, tmp_path: Path) -> None:
    ingest(wh, write(tmp_path, "AG01_CONTACTS_20261125_01.csv", "CONTACTS", [
        [D1, "C1", "PHONE", "0612345678", "2026-11-15", ""],
        [D1, "C2", "PHONE", "0661000000", "2026-11-05", ""],   # older, later in the file
    ]))
    assert golden(wh)["phone_1"] == "+212612345678"
    later = ingest(wh, write(tmp_path, "AG01_CONTACTS_20261125_02.csv", "CONTACTS", [
        [D1, "C3", "PHONE", "0662000000", "2026-11-14", ""],   # older than C1, received later
    ]), received_at=T0 + dt.timedelta(hours=1))

    assert later["status"] == "ACCEPTED"
    assert golden(wh)["phone_1"] == "+212612345678"
    assert wh.query("SELECT update_id, apply_status FROM core.agency_contact_update ORDER BY 1") == [
        ("C1", "APPLIED"), ("C2", "SUPERSEDED"), ("C3", "SUPERSEDED")]
    assert [ref for _, ref, _, _, _ in versions(wh)] == ["2026-11-01", "AG01:C1"]


def test_a_newer_source_value_wins_over_an_older_agency_observation(wh: Warehouse, tmp_path: Path) -> None:
    # The fund's extract of 2026-11-20 changed the e-mail: an agency observation of 2026-11-12 is older.
    wh.execute("UPDATE core.debtor_history SET valid_to = ?, is_current = false WHERE debtor_id = 1",
               [dt.datetime(2026, 11, 20, 6)])
    wh.execute("INSERT INTO core.debtor_history SELECT debtor_id, TIMESTAMP '2026-11-20 06:00:00', NULL, "
               "true, primary_affiliation_no, legal_name, legal_form, is_natural_person, ice, rc_number, "
               "rc_court, if_number, cin, address, city, region, phone_1, phone_2, 'new@atlas.ma', "
               "legal_rep_name, sector, activity_status, 'SOURCE', '2026-11-20' FROM core.debtor_history "
               "WHERE debtor_id = 1 AND valid_from = ?", [BUILT])
    wh.execute("UPDATE core.dim_debtor SET email = 'new@atlas.ma' WHERE debtor_id = 1")
    ingest(wh, write(tmp_path, "AG01_CONTACTS_20261125_01.csv", "CONTACTS", [
        [D1, "C1", "EMAIL", "old@atlas.ma", "2026-11-12", ""],
        [D1, "C2", "LEGAL_REP", "Salma  Idrissi", "2026-11-12", ""],
    ]))
    assert (golden(wh)["email"], golden(wh)["legal_rep_name"]) == ("new@atlas.ma", "Salma Idrissi")
    assert wh.query("SELECT apply_status FROM core.agency_contact_update ORDER BY update_id") == [
        ("SUPERSEDED",), ("APPLIED",)]


def test_insolvent_closure_reaches_the_activity_status_the_selection_reads(
    wh: Warehouse, tmp_path: Path
) -> None:
    result = ingest(wh, write(tmp_path, "AG01_CLOSURES_20261125_01.csv", "CLOSURES", [
        [D1, "K1", "2026-11-20", "INSOLVENT", "receivership opened"],
    ]))
    assert result["status"] == "ACCEPTED"
    assert golden(wh)["activity_status"] == "INSOLVENT"
    assert versions(wh)[-1][:3] == ("AGENCY", "AG01:K1", True)
    # an agency's later ACTIVE does not lift a legal state
    ingest(wh, write(tmp_path, "AG01_CONTACTS_20261125_01.csv", "CONTACTS", [
        [D1, "C1", "ACTIVITY_STATUS", "ACTIVE", "2026-11-24", ""]]), received_at=T0 + dt.timedelta(hours=1))
    assert golden(wh)["activity_status"] == "INSOLVENT"
    assert wh.query("SELECT apply_status FROM core.agency_contact_update") == [("NOT_APPLICABLE",)]


def test_ceased_no_assets_closure_marks_the_debtor_ceased(wh: Warehouse, tmp_path: Path) -> None:
    ingest(wh, write(tmp_path, "AG01_CLOSURES_20261125_01.csv", "CLOSURES", [
        [D1, "K1", "2026-11-20", "CEASED_NO_ASSETS", ""], [D1, "K2", "2026-11-21", "UNREACHABLE", ""]]))
    assert golden(wh)["activity_status"] == "CEASED"
    assert count(wh, "core.agency_closure") == 2


# --- the rules, directly ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("EMAIL", "  Compta@Atlas.MA ", "compta@atlas.ma"),
        ("CITY", " casa ", "Casablanca"),
        ("CITY", "fes", "Fès"),
        ("CITY", "Nowhere  town ", "Nowhere town"),
        ("PHONE", " +212612345678 ", "+212612345678"),
        ("ACTIVITY_STATUS", " LIQUIDATION", "LIQUIDATION"),
        ("ADDRESS", "  45 Bd  Zerktouni ", "45 Bd Zerktouni"),
        ("LEGAL_REP", "Salma\t Idrissi", "Salma Idrissi"),
        ("ASSET", "Land title 12345/C,  Berrechid", "Land title 12345/C, Berrechid"),
    ],
)
def test_normalized_value(field: str, value: str, stored: str) -> None:
    assert normalized_value(field, value) == stored


def test_a_city_update_brings_its_region(wh: Warehouse, tmp_path: Path) -> None:
    ingest(wh, write(tmp_path, "AG01_CONTACTS_20261125_01.csv", "CONTACTS", [
        [D1, "C1", "CITY", "fes", "2026-11-10", ""]]))
    assert (golden(wh)["city"], golden(wh)["region"]) == ("Fès", "Fès-Meknès")


def test_an_update_equal_to_the_current_value_is_applied_without_a_new_version(
    wh: Warehouse, tmp_path: Path
) -> None:
    ingest(wh, write(tmp_path, "AG01_CONTACTS_20261125_01.csv", "CONTACTS", [
        [D1, "C1", "PHONE", "05 22 12 34 56", "2026-11-10", ""],   # the phone the fund already has
        [D1, "C2", "ACTIVITY_STATUS", "UNKNOWN", "2026-11-10", ""],  # tells nothing
    ]))
    assert wh.query("SELECT update_id, apply_status FROM core.agency_contact_update ORDER BY 1") == [
        ("C1", "APPLIED"), ("C2", "NOT_APPLICABLE")]
    assert [ref for _, ref, _, _, _ in versions(wh)] == ["2026-11-01"]


def test_current_debtor_follows_merges(wh: Warehouse) -> None:
    assert current_debtor(wh, 1) == 1
    assert current_debtor(wh, 99) == 99  # unknown: itself
    wh.execute("UPDATE core.dim_debtor SET status = 'MERGED', merged_into_debtor_id = 2 WHERE debtor_id = 1")
    wh.execute("UPDATE core.dim_debtor SET status = 'MERGED', merged_into_debtor_id = 3 WHERE debtor_id = 2")
    assert (current_debtor(wh, 1), current_debtor(wh, 2), current_debtor(wh, 3)) == (3, 3, 3)


def test_a_closure_on_a_merged_debtors_dossier_reaches_the_surviving_debtor(
    wh: Warehouse, tmp_path: Path
) -> None:
    wh.execute("UPDATE core.dim_debtor SET status = 'MERGED', merged_into_debtor_id = 2 WHERE debtor_id = 1")
    ingest(wh, write(tmp_path, "AG01_CLOSURES_20261125_01.csv", "CLOSURES", [
        [D1, "K1", "2026-11-20", "CEASED_NO_ASSETS", ""]]))
    assert golden(wh, 2)["activity_status"] == "CEASED"
    assert golden(wh, 1)["activity_status"] == "ACTIVE"
    assert versions(wh, 2)[-1][:3] == ("AGENCY", "AG01:K1", True)


def test_write_version_changes_the_golden_record_and_chains_versions(wh: Warehouse) -> None:
    now = dt.datetime(2026, 11, 25, 9, 30)
    first = write_version(wh, 1, {"city": "Rabat"}, "AG01:C1", now)
    second = write_version(wh, 1, {"email": "a@b.ma"}, "AG01:C2", now)  # same run, same moment
    assert first == now and second == now + dt.timedelta(microseconds=1)
    assert (golden(wh)["city"], golden(wh)["email"]) == ("Rabat", "a@b.ma")
    rows = wh.query("SELECT valid_from, valid_to, is_current, change_source, change_ref, city, email "
                    "FROM core.debtor_history WHERE debtor_id = 1 ORDER BY valid_from")
    assert rows == [
        (BUILT, first, False, "SOURCE", "2026-11-01", "Casablanca", "contact@atlas.ma"),
        (first, second, False, "AGENCY", "AG01:C1", "Rabat", "contact@atlas.ma"),
        (second, None, True, "AGENCY", "AG01:C2", "Rabat", "a@b.ma"),
    ]
    assert wh.query("SELECT updated_at FROM core.dim_debtor WHERE debtor_id = 1") == [(second,)]


def test_source_changed_on_is_the_snapshot_that_last_changed_the_column(wh: Warehouse) -> None:
    assert source_changed_on(wh, 1, "email") is None  # the first version is the baseline
    def source_version(at: dt.datetime, ref: str, email: str) -> None:
        wh.execute("UPDATE core.debtor_history SET valid_to = ?, is_current = false "
                   "WHERE debtor_id = 1 AND is_current", [at])
        wh.execute("INSERT INTO core.debtor_history SELECT debtor_id, ?, NULL, true, primary_affiliation_no, "
                   "legal_name, legal_form, is_natural_person, ice, rc_number, rc_court, if_number, cin, "
                   "address, city, region, phone_1, phone_2, ?, legal_rep_name, sector, activity_status, "
                   "'SOURCE', ? FROM core.debtor_history WHERE debtor_id = 1 AND valid_to = ?",
                   [at, email, ref, at])

    source_version(dt.datetime(2026, 11, 20, 6), "2026-11-20", "new@atlas.ma")
    source_version(dt.datetime(2026, 11, 27, 6), "2026-11-27", "new@atlas.ma")  # unchanged e-mail
    assert source_changed_on(wh, 1, "email") == dt.date(2026, 11, 20)
    assert source_changed_on(wh, 1, "city") is None
    with pytest.raises(ValueError, match="not a golden-record column: debtor_id"):
        source_changed_on(wh, 1, "debtor_id")
