"""Small selection worlds for the tests: settings from the default configuration with a few changes, and
a warehouse and lake holding just the debtors a test describes (dim_debtor, bridge, portfolio, lake
receivables). Loaded by path by the selection tests and tests/integration/test_selection_postgres.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from recouvra.config import DEFAULT_CONFIG, Settings, load_settings
from recouvra.lake import arrow_schema

NOV = dt.date(2026, 11, 1)
CASA, RABAT = "Casablanca-Settat", "Rabat-Salé-Kénitra"
TANGER, SOUSS = "Tanger-Tétouan-Al Hoceïma", "Souss-Massa"


def _settings(tmp_path: Path, *, per_month: int = 3, agencies: list[dict[str, Any]] | None = None,
              performance: dict[str, Any] | None = None, **eligibility: Any) -> Settings:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["allocation"]["performance"].update(performance or {})
    raw["programme"]["dossiers_per_month"] = per_month
    raw["programme"]["eligibility"].update(eligibility)
    if agencies is not None:
        raw["agencies"] = agencies
    path = tmp_path / "config" / "recouvra.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_settings(path, environ={})


def _agency(code: str, regions: list[str], capacity: int, rate: str = "0.03") -> dict[str, Any]:
    return {"code": code, "name": f"Agency {code}", "regions": regions, "monthly_capacity": capacity,
            "commission_rate": rate, "sftp_conn_id": f"sftp_{code.lower()}"}


def _debtor(debtor_id: int, principal: int, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "debtor_id": debtor_id, "principal": principal, "surcharge": principal // 10, "penalty": 0,
        "region": CASA, "oldest": "2026-08", "notified": None, "days_left": None, "payments_12m": 3,
        "reversals": 0, "broken_plans": 0, "active_plans": 0, "in_proc": False, "in_insolv": False,
        "disputes": 0, "activity": "ACTIVE", "phone": "+212612345678", "email": "a@b.ma",
        "affiliations": [f"{1000000 + debtor_id}"],
    }
    d.update(kw)
    return d


def _write_lake(lake: Path, table: str, rows: list[dict[str, Any]], day: str = "2026-11-01") -> None:
    schema = arrow_schema(table)
    folder = lake / table / f"snapshot_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    data = {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in schema}
    n = len(list(folder.glob("*.parquet")))
    pq.write_table(pa.table(data, schema=schema), folder / f"part-{n}.parquet")


def _build(wh: Any, lake: Path, debtors: list[dict[str, Any]], as_of: dt.date = NOV) -> None:
    """dim_debtor, bridge, debtor_portfolio and the lake's receivables for the debtors (receivable ids
    numbered after those of the debtors built before, so that a later build adds to the lake)."""
    now = dt.datetime(2026, 10, 31, 12)
    receivables: list[dict[str, Any]] = []
    rid = 1000 * min(d["debtor_id"] for d in debtors) if debtors else 0
    for d in debtors:
        affs = d["affiliations"]
        wh.execute(
            "INSERT INTO core.dim_debtor (debtor_id, primary_affiliation_no, legal_name, is_natural_person, "
            "address, city, region, phone_1, email, activity_status, affiliations_count, status, created_at, "
            "updated_at) VALUES (?, ?, ?, false, 'Rue 1', 'Ville', ?, ?, ?, ?, ?, 'ACTIVE', ?, ?)",
            [d["debtor_id"], affs[0], f"STE {d['debtor_id']}", d["region"], d["phone"], d["email"],
             d["activity"], len(affs), now, now])
        wh.execute(
            "INSERT INTO core.debtor_history (debtor_id, valid_from, is_current, primary_affiliation_no, "
            "legal_name, is_natural_person, activity_status, change_source) "
            "VALUES (?, ?, true, ?, ?, false, ?, 'SOURCE')",
            [d["debtor_id"], now, affs[0], f"STE {d['debtor_id']}", d["activity"]])
        for aff in affs:
            wh.execute("INSERT INTO core.bridge_affiliation_debtor "
                       "VALUES (?, ?, NULL, true, ?, 'SINGLETON', NULL)",
                       [aff, dt.date(2026, 10, 1), d["debtor_id"]])
        # Amounts are split evenly over the affiliations, on one month (the first affiliation takes any rest).
        per = len(affs)
        amounts = {"PRINCIPAL": d["principal"], "SURCHARGE": d["surcharge"], "PENALTY": d["penalty"]}
        for k, aff in enumerate(affs):
            for kind, mad in amounts.items():
                cents = mad * 100 // per + (mad * 100 % per if k == 0 else 0)
                if cents:
                    rid += 1
                    receivables.append({
                        "receivable_id": rid, "affiliation_no": aff, "period": d["oldest"], "kind": kind,
                        "basis": "CONTRIBUTIONS", "amount_centimes": cents, "title_id": None,
                        "established_on": dt.date(2026, 9, 10), "updated_at": now})
        total = d["principal"] + d["surcharge"] + d["penalty"]
        wh.execute(
            "INSERT INTO core.debtor_portfolio (as_of_date, debtor_id, principal_open, surcharge_open, "
            "penalty_open, total_open, unpaid_periods, oldest_unpaid_period, newest_unpaid_period, "
            "oldest_title_notified_on, title_days_left, payments_12m, paid_12m, reversals, plans, "
            "broken_plans, active_plans, honoured_plans, in_legal_proceeding, in_insolvency, open_disputes, "
            "activity_status, region, affiliations_count) "
            "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
            [as_of, d["debtor_id"], d["principal"], d["surcharge"], d["penalty"], total, d["oldest"],
             d["oldest"], d["notified"], d["days_left"], d["payments_12m"], d["reversals"],
             d["broken_plans"] + d["active_plans"], d["broken_plans"], d["active_plans"], d["in_proc"],
             d["in_insolv"], d["disputes"], d["activity"], d["region"], len(affs)])
    _write_lake(lake, "receivables", receivables)


def _decisions(wh: Any, month: dt.date = NOV) -> dict[int, tuple[str, str | None, int | None]]:
    return {int(d): (str(dec), r, k) for d, dec, r, k in wh.query(
        "SELECT debtor_id, decision, reason_code, priority_rank FROM core.selection_decision "
        "WHERE selection_month = ? ORDER BY debtor_id", [month])}


def _dossiers(wh: Any, month: dt.date = NOV) -> list[tuple[Any, ...]]:
    return wh.query("SELECT dossier_id, debtor_id, agency_code, segment, assignment_start, assignment_end, "
                    "commission_rate, commission_cap, periods_count, principal_due, surcharges_due, "
                    "penalties_due, total_due, status FROM core.dossier WHERE assignment_month = ? "
                    "ORDER BY dossier_id", [month])
