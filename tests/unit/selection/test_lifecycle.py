"""The dossiers' lifecycle (recouvra.selection.lifecycle.refresh_dossiers): recalls for payment in full,
legal proceeding, plan with the fund, merged duplicate and expiry; idempotent."""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path

from recouvra.selection import refresh_dossiers, select_and_allocate

# The small-world builders shared with the other selection tests and the PostgreSQL test (tests/ is not
# a package, so they are loaded by path).
_spec = importlib.util.spec_from_file_location("selection_worlds", Path(__file__).with_name("worlds.py"))
assert _spec is not None and _spec.loader is not None
worlds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worlds)
NOV = worlds.NOV
_settings, _debtor, _write_lake, _build = worlds._settings, worlds._debtor, worlds._write_lake, worlds._build


def test_recalls_for_payment_proceeding_plan_merge_and_expiry(world, tmp_path: Path) -> None:
    wh, lake = world
    _build(wh, lake, [_debtor(i, 10_000 * i) for i in range(1, 7)])
    settings = _settings(tmp_path, per_month=6)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    ids = dict(wh.query("SELECT debtor_id, dossier_id FROM core.dossier"))
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    day = dt.date(2026, 12, 15)
    ts = dt.datetime(2026, 12, 16)
    # 1 pays everything; 2 goes to court; 3 signs a plan with the fund; 4 signs one its agency
    # requested first (the agency's success: no recall).
    paid = [{"payment_id": k + 1, "receipt_no": f"R{k}", "affiliation_no": "1000001", "payment_date": day,
             "amount_centimes": cents, "settles_period": "2026-08", "kind": "PAYMENT", "channel": "ONLINE",
             "recorded_at": ts, "updated_at": ts} for k, cents in enumerate([1_000_000, 100_000])]
    _write_lake(lake, "ledger_payments", paid, "2026-12-16")
    _write_lake(lake, "legal_proceedings", [{"proceeding_id": "P1", "affiliation_no": "1000002",
                                             "kind": "FORCED_RECOVERY", "opened_on": day, "updated_at": ts}],
                "2026-12-16")
    _write_lake(lake, "payment_plans", [
        {"plan_id": f"L{a}", "affiliation_no": f"100000{a}", "signed_on": day, "installments": 6,
         "total_centimes": 100, "status": "ACTIVE", "updated_at": ts} for a in (3, 4)], "2026-12-16")
    wh.execute("INSERT INTO core.agency_plan VALUES ('AG01', 'X1', 'REQUESTED', ?, ?, 6, ?, 10, 1, 2)",
               [ids[4], dt.date(2026, 12, 1), dt.date(2027, 1, 5)])
    # 6 was merged into 5, which has an open dossier too.
    wh.execute("UPDATE core.dim_debtor SET status = 'MERGED', merged_into_debtor_id = 5 WHERE debtor_id = 6")
    report = refresh_dossiers(wh, lake, settings, dt.date(2026, 12, 20))
    assert report.dossiers == {ids[1]: "PAID_IN_FULL", ids[2]: "LEGAL_PROCEEDING", ids[3]: "PLAN_WITH_FUND",
                               ids[6]: "MERGED_DUPLICATE"}
    recalls = {r[0]: r[1:] for r in wh.query(
        "SELECT dossier_id, recall_date, recalled_amount, file_name FROM core.dossier_recall")}
    assert recalls[ids[1]] == (dt.date(2026, 12, 20), Decimal("0.00"), None)
    assert recalls[ids[2]] == (dt.date(2026, 12, 20), Decimal("22000.00"), None)
    assert dict(wh.query("SELECT dossier_id, status FROM core.dossier"))[ids[1]] == "RECALLED"
    # Idempotent; and after the window every dossier left is recalled EXPIRED on its last day.
    assert refresh_dossiers(wh, lake, settings, dt.date(2026, 12, 20)).recalled == {}
    late = refresh_dossiers(wh, lake, settings, dt.date(2027, 5, 3))
    assert late.dossiers == {ids[4]: "EXPIRED", ids[5]: "EXPIRED"}
    assert wh.query("SELECT recall_date FROM core.dossier_recall WHERE dossier_id = ?", [ids[5]]) == [
        (dt.date(2027, 4, 30),)]
