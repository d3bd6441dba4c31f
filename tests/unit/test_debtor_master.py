"""The debtor master on seeded data: entities, stable ids, history, idempotence, agency findings kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from recouvra.config import load_settings
from recouvra.debtor_master import build_debtor_master
from recouvra.lake import TABLES
from recouvra.matching import pair_metrics
from recouvra.portfolio import extract_snapshot, gate_and_publish
from recouvra.standins.generator import seed_source
from recouvra.warehouse import connect, migrate_connection

AS_OF = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("master")
    url = f"sqlite:///{root / 'source.db'}"
    seed_source(load_settings(), scale=1500, seed=7, url=url, truth_dir=root / "truth", progress=False)
    lake = root / "lake"
    high = dt.datetime.combine(AS_OF, dt.time())
    snaps = [extract_snapshot(url, lake, t, AS_OF, high, "seed") for t in TABLES]
    gate_and_publish(url, lake, root / "gx", snaps, "seed")
    return {"root": root, "lake": lake, "truth": pd.read_parquet(root / "truth" / "entities.parquet")}


def _bridge(wh) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return pd.DataFrame(
        wh.query("SELECT affiliation_no, debtor_id FROM core.bridge_affiliation_debtor WHERE is_current"),
        columns=["affiliation_no", "debtor_id"],
    )


def test_master_groups_affiliations_precisely_and_reruns_change_nothing(world: dict, tmp_path: Path) -> None:
    with connect(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        migrate_connection(wh)
        first = build_debtor_master(wh, world["lake"], AS_OF)
        assert first.affiliations == 1500
        assert first.debtors == wh.query("SELECT count(*) FROM core.dim_debtor")[0][0]
        assert first.merged_records == 1500 - first.debtors > 0
        bridge = _bridge(wh)
        m = world["truth"].merge(bridge, on="affiliation_no")
        metrics = pair_metrics(m["entity_id"].astype(str).tolist(), m["debtor_id"].astype(str).tolist())
        assert metrics["precision"] >= 0.99
        assert metrics["recall"] >= 0.85
        # Every merge has its evidence; every debtor one current history version.
        assert wh.query("SELECT count(*) FROM core.debtor_match_evidence")[0][0] >= first.merged_records
        assert wh.query("SELECT count(*) FROM core.debtor_history WHERE is_current")[0][0] == first.debtors
        # Portfolio: totals add up by kind.
        total, parts = wh.query("SELECT sum(total_open), sum(principal_open + surcharge_open + penalty_open) "
                                "FROM core.debtor_portfolio")[0]
        assert total == parts and total > 0
        before = wh.query("SELECT * FROM core.dim_debtor ORDER BY debtor_id")
        again = build_debtor_master(wh, world["lake"], AS_OF)
        assert (again.new_debtors, again.changed_debtors, again.moved_affiliations) == (0, 0, 0)
        assert _bridge(wh).equals(bridge)
        assert [r[:-1] for r in wh.query("SELECT * FROM core.dim_debtor ORDER BY debtor_id")] == \
            [r[:-1] for r in before]  # same rows; only updated_at may not move either
        assert wh.query("SELECT count(*) FROM core.debtor_history")[0][0] == first.debtors


def test_rebuild_keeps_what_an_agency_found(world: dict, tmp_path: Path) -> None:
    with connect(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        migrate_connection(wh)
        build_debtor_master(wh, world["lake"], AS_OF)
        debtor = wh.query("SELECT min(debtor_id) FROM core.dim_debtor")[0][0]
        # What recouvra.ingest.master does on applying the findings: the old phone becomes phone_2.
        wh.execute("UPDATE core.dim_debtor SET address = '12 Rue Nouvelle', phone_2 = CASE WHEN "
                   "phone_1 IS NULL THEN phone_2 ELSE phone_1 END, phone_1 = '+212612345678' "
                   "WHERE debtor_id = ?", [debtor])
        for i, (field, value) in enumerate([("ADDRESS", "12 Rue Nouvelle"), ("PHONE", "+212612345678")]):
            wh.execute(
                "INSERT INTO core.agency_contact_update (agency_code, update_id, dossier_id, debtor_id, "
                "field, value, value_normalised, observed_date, evidence, apply_status, applied_at, "
                "return_file_id, line_no) VALUES ('AG01', ?, 'D202611-000001', ?, ?, ?, ?, ?, NULL, "
                "'APPLIED', ?, 1, ?)",
                [f"U{i}", debtor, field, value, value, dt.date(2026, 11, 20), dt.datetime(2026, 11, 21),
                 i + 2],
            )
        report = build_debtor_master(wh, world["lake"], dt.date(2026, 12, 1))
        address, phone = wh.query("SELECT address, phone_1 FROM core.dim_debtor WHERE debtor_id = ?",
                                  [debtor])[0]
        assert (address, phone) == ("12 Rue Nouvelle", "+212612345678")
        assert report.changed_debtors == 0


def test_a_finding_of_a_field_the_source_never_had_survives_the_rebuild(world: dict, tmp_path: Path) -> None:
    """The source had no e-mail for the debtor at either build (NULL in the stored source golden record,
    missing in the new one): that is no change of the source, whatever the dates, so the agency's
    e-mail stays. (A missing value is NaN in the build's text columns and None from the warehouse:
    compared as values they differed, and the source's nothing replaced the agency's finding.)"""
    with connect(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        migrate_connection(wh)
        build_debtor_master(wh, world["lake"], AS_OF)
        debtor = wh.query("SELECT min(debtor_id) FROM core.dim_debtor WHERE email IS NULL")[0][0]
        assert debtor is not None
        wh.execute("UPDATE core.dim_debtor SET email = 'contact@exemple.ma' WHERE debtor_id = ?", [debtor])
        wh.execute(
            "INSERT INTO core.agency_contact_update (agency_code, update_id, dossier_id, debtor_id, "
            "field, value, value_normalised, observed_date, evidence, apply_status, applied_at, "
            "return_file_id, line_no) VALUES ('AG01', 'U1', 'D202611-000001', ?, 'EMAIL', "
            "'contact@exemple.ma', 'contact@exemple.ma', ?, NULL, 'APPLIED', ?, 1, 2)",
            # observed long before the source's last update of the debtor's records
            [debtor, dt.date(2001, 1, 1), dt.datetime(2026, 11, 21)],
        )
        build_debtor_master(wh, world["lake"], dt.date(2026, 12, 1))
        assert wh.query("SELECT email FROM core.dim_debtor WHERE debtor_id = ?", [debtor])[0][0] == \
            "contact@exemple.ma"


def test_portfolio_features_carry_previous_placements(world: dict, tmp_path: Path) -> None:
    with connect(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        migrate_connection(wh)
        build_debtor_master(wh, world["lake"], AS_OF)
        debtor, affiliation = wh.query(
            "SELECT debtor_id, primary_affiliation_no FROM core.dim_debtor WHERE debtor_id = "
            "(SELECT min(debtor_id) FROM core.debtor_portfolio)")[0]
        wh.execute(
            "INSERT INTO core.dossier VALUES ('D202611-000001', DATE '2026-11-01', ?, ?, 'AG01', 'FRESH', "
            "NULL, DATE '2026-11-01', DATE '2027-04-30', 0.03, 30000, 1, DATE '2026-09-01', "
            "DATE '2026-09-01', 100, 0, 0, 100, 'PUBLISHED', DATE '2026-11-01', "
            "TIMESTAMP '2026-11-01 06:00:00', NULL, 1, NULL, NULL, NULL, NULL)",
            [debtor, affiliation],
        )
        wh.execute("INSERT INTO core.dossier_recall VALUES ('D202611-000001', DATE '2026-11-20', "
                   "'PAID_IN_FULL', 0, TIMESTAMP '2026-11-20 06:00:00', NULL, DATE '2026-11-20')")
        build_debtor_master(wh, world["lake"], dt.date(2026, 12, 1))
        got = wh.query("SELECT previous_placements, last_placement_month, last_placement_outcome "
                       "FROM core.debtor_portfolio WHERE as_of_date = DATE '2026-12-01' AND debtor_id = ?",
                       [debtor])
        assert got == [(1, dt.date(2026, 11, 1), "PAID_IN_FULL")]
        others = wh.query("SELECT count(*) FROM core.debtor_portfolio WHERE as_of_date = DATE '2026-12-01' "
                          "AND debtor_id <> ? AND previous_placements <> 0", [debtor])[0][0]
        assert others == 0


def test_a_past_day_rebuilt_after_a_later_one_keeps_the_history_as_it_was(
    world: dict, tmp_path: Path
) -> None:
    import shutil

    import pyarrow.parquet as pq

    lake = tmp_path / "lake"
    shutil.copytree(world["lake"], lake)
    # December's snapshot: one employer moved (a new address), as the fund's database would say.
    nov = pq.read_table(lake / "employers" / "snapshot_date=2026-11-01").to_pylist()
    moved = {**nov[0], "address": "12 RUE DE LA NOUVELLE ADRESSE", "updated_at": dt.datetime(2026, 11, 20, 9)}
    dec = lake / "employers" / "snapshot_date=2026-12-01"
    dec.mkdir()
    pq.write_table(pq.read_table(lake / "employers" / "snapshot_date=2026-11-01").schema.empty_table()
                   .from_pylist([moved], schema=pq.read_schema(next(
                       (lake / "employers" / "snapshot_date=2026-11-01").glob("*.parquet")))),
                   dec / "part-00000.parquet")
    tables = ("core.dim_debtor", "core.debtor_history", "core.bridge_affiliation_debtor",
              "core.debtor_portfolio")
    with connect(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        migrate_connection(wh)
        build_debtor_master(wh, lake, AS_OF)
        december = build_debtor_master(wh, lake, dt.date(2026, 12, 1))
        assert december.changed_debtors == 1
        before = {t: sorted(map(repr, wh.query(f"SELECT * FROM {t}"))) for t in tables}
        again = build_debtor_master(wh, lake, AS_OF)  # a backfill of November after December ran
        assert {t: sorted(map(repr, wh.query(f"SELECT * FROM {t}"))) for t in tables} == before
        assert again.kept and (again.affiliations, again.new_debtors, again.changed_debtors) == (1500, 0, 0)
        assert "kept as built" in again.summary()
        # November's version of the moved debtor is still the one valid on November 1st.
        debtor = wh.query("SELECT debtor_id FROM core.bridge_affiliation_debtor WHERE affiliation_no = ? "
                          "AND is_current", [moved["affiliation_no"]])[0][0]
        addresses = wh.query("SELECT address FROM core.debtor_history WHERE debtor_id = ? "
                             "ORDER BY valid_from", [debtor])
        assert len(addresses) == 2 and addresses[-1][0] != addresses[0][0]


def test_entity_activity_follows_the_priority_and_phone_2_is_another_phone() -> None:
    from recouvra.debtor_master import _entity_frame
    from recouvra.matching import build_golden_records, resolve

    rows = [  # (record, entity, status, phone, phone_2)
        ("A1", "EA", "CEASED", "0612345678", ""), ("A2", "EA", "ACTIVE", "0612345678", "0522123456"),
        ("B1", "EB", "ACTIVE", "", "+212 6 61 11 22 33"), ("B2", "EB", "INSOLVENT", "", ""),
        ("C1", "EC", None, "not a phone", ""), ("D1", "ED", "SUSPENDED", "0612345678 / 0661112233", ""),
    ]
    records = pd.DataFrame({"record_id": [r[0] for r in rows], "affiliation_no": [r[0] for r in rows],
                            "name": "Atlas", "status": [r[2] for r in rows], "phone": [r[3] for r in rows],
                            "phone_2": [r[4] for r in rows], "recency": "2026-10-01", "if_number": None,
                            "sector": None})
    assignments = pd.DataFrame({"record_id": [r[0] for r in rows], "entity_id": [r[1] for r in rows]})
    sums = ("principal_open", "surcharge_open", "penalty_open", "total_open", "unpaid_periods",
            "payments_12m", "paid_12m", "reversals", "plans", "broken_plans", "active_plans",
            "honoured_plans", "open_disputes")
    features = pd.DataFrame({"affiliation_no": records["affiliation_no"], **dict.fromkeys(sums, 0),
                             **dict.fromkeys(("oldest_unpaid_period", "newest_unpaid_period",
                                              "oldest_title_notified_on", "title_days_left",
                                              "last_payment_date", "in_legal_proceeding", "in_insolvency"))})
    golden = build_golden_records(records, assignments, recency_column="recency")
    normalised = resolve(records, keep_features=True).features
    out = _entity_frame(records, features, assignments, golden, normalised).set_index("entity_id")
    assert out["activity_status"].to_dict() == {"EA": "ACTIVE", "EB": "INSOLVENT", "EC": "UNKNOWN",
                                               "ED": "SUSPENDED"}
    assert out.loc["EA", ["phone_1", "phone_2"]].tolist() == ["+212612345678", "+212522123456"]
    assert pd.isna(out.loc["EB", "phone_1"]) and out.loc["EB", "phone_2"] == "+212661112233"
    assert out.loc["ED", "phone_1"] == "+212612345678" and pd.isna(out.loc["ED", "phone_2"])
    # without the resolver's features, the same entities
    alone = _entity_frame(records, features, assignments, golden).set_index("entity_id")
    pd.testing.assert_frame_equal(alone, out)
