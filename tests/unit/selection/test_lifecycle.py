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


def _merge(wh, retired: int, into: int, affiliation_no: str, day: dt.date) -> None:  # type: ignore[no-untyped-def]
    """What the debtor master writes when it merges ``retired`` into ``into`` on ``day``."""
    wh.execute("UPDATE core.dim_debtor SET status = 'MERGED', merged_into_debtor_id = ? WHERE debtor_id = ?",
               [into, retired])
    wh.execute("UPDATE core.bridge_affiliation_debtor SET valid_to = ?, is_current = false "
               "WHERE debtor_id = ?", [day, retired])
    wh.execute("INSERT INTO core.bridge_affiliation_debtor VALUES (?, ?, NULL, true, ?, 'FUZZY', 0.9000)",
               [affiliation_no, day, into])


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
    # 6 was merged into 5, which has an open dossier too: the debtor master moved its affiliation number
    # on 2026-12-18 (a merge is one on a day once the retired debtor holds no number that day).
    _merge(wh, 6, 5, "1000006", dt.date(2026, 12, 18))
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


def test_a_debtor_with_two_affiliation_numbers_paid_on_the_second_is_recalled_paid_in_full(
        world, tmp_path: Path) -> None:
    """One definition of what a dossier still owes (recouvra.owed): a debtor with two affiliation numbers
    whose payment on the second number settles the dossier is attributed in full, recalled PAID_IN_FULL
    with nothing recalled, and counted paid in full by the KPIs, whose open amounts agree with it."""
    from recouvra.kpi import load_kpis
    from recouvra.owed import owed_on
    from recouvra.reconcile import reconcile

    wh, lake = world
    # 1 owes 5,500.00 on each of its two numbers for 2026-08 (11,000.00 in all); 2 has one number.
    _build(wh, lake, [_debtor(1, 10_000, affiliations=["1000001", "2000001"]), _debtor(2, 20_000)])
    settings = _settings(tmp_path, per_month=2)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    ids = dict(wh.query("SELECT debtor_id, dossier_id FROM core.dossier"))
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    day, ts = dt.date(2026, 12, 15), dt.datetime(2026, 12, 16)
    # 1 pays all it owes on its second number (so that number alone is overpaid per the lake, the first
    # still owes); 2 pays part.
    _write_lake(lake, "ledger_payments", [
        {"payment_id": pid, "receipt_no": f"R{pid}", "affiliation_no": aff, "payment_date": day,
         "amount_centimes": cents, "settles_period": "2026-08", "kind": "PAYMENT", "channel": "ONLINE",
         "recorded_at": ts, "updated_at": ts}
        for pid, aff, cents in [(1, "2000001", 1_100_000), (2, "1000002", 500_000)]], "2026-12-16")
    on = dt.date(2026, 12, 20)
    report = refresh_dossiers(wh, lake, settings, on)
    assert report.dossiers == {ids[1]: "PAID_IN_FULL"}
    assert wh.query("SELECT recall_date, reason, recalled_amount FROM core.dossier_recall "
                    "WHERE dossier_id = ?", [ids[1]]) == [(on, "PAID_IN_FULL", Decimal("0.00"))]
    # Attribution agrees: the payment on the second number is the dossier's, in full.
    reconcile(wh, on)
    attributed = dict(wh.query("SELECT dossier_id, sum(amount) FROM core.attribution GROUP BY dossier_id"))
    assert attributed == {ids[1]: Decimal("11000.00"), ids[2]: Decimal("5000.00")}
    # And the KPIs: paid in full counted, open amounts those the lifecycle reads.
    dec = dt.date(2026, 12, 1)
    load_kpis(wh, dec)
    fact = {r[0]: r[1:] for r in wh.query(
        "SELECT dossier_id, open_amount, recalled_amount FROM marts.fact_dossier_month WHERE as_of_month = ?",
        [dec])}
    owed = owed_on(wh, {ids[1]: on, ids[2]: dt.date(2026, 12, 31)}, dt.date(2026, 12, 31))
    assert owed == {ids[1]: Decimal("0.00"), ids[2]: Decimal("17000.00")}
    assert fact == {ids[1]: (owed[ids[1]], Decimal("0.00")), ids[2]: (owed[ids[2]], Decimal("0.00"))}
    assert wh.query("SELECT sum(dossiers_paid_in_full) FROM marts.kpi_cohort_month WHERE as_of_month = ?",
                    [dec]) == [(1,)]


def test_a_dossier_allocated_but_not_published_is_never_recalled_and_a_retry_sends_no_recall(
        world, tmp_path: Path) -> None:
    """The agency never got an ALLOCATED dossier: when it turns ineligible (paid, in court) between a
    publication that failed after building its files and the retry, no recall row nor file is made; the
    retry sends the same assignment files and no recall; the first refresh after it judges them."""
    from recouvra.publication import (
        Publication,
        PublishedFile,
        build_packages,
        build_recall_files,
        record_publication,
    )

    wh, lake = world
    _build(wh, lake, [_debtor(1, 10_000), _debtor(2, 20_000)])
    wh.execute("UPDATE core.debtor_history SET address = 'Rue 1', city = 'Ville'")  # as in dim_debtor
    settings = _settings(tmp_path, per_month=2)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    ids = dict(wh.query("SELECT debtor_id, dossier_id FROM core.dossier"))
    first = build_packages(wh, NOV, tmp_path / "try1")  # built, then the upload failed: nothing recorded
    assert sorted(i for p in first for i in p.dossier_ids) == sorted(ids.values())
    day, ts = dt.date(2026, 11, 15), dt.datetime(2026, 11, 16)
    _write_lake(lake, "ledger_payments", [
        {"payment_id": 1, "receipt_no": "R1", "affiliation_no": "1000001", "payment_date": day,
         "amount_centimes": 1_100_000, "settles_period": "2026-08", "kind": "PAYMENT", "channel": "ONLINE",
         "recorded_at": ts, "updated_at": ts}], "2026-11-16")
    _write_lake(lake, "legal_proceedings", [{"proceeding_id": "P1", "affiliation_no": "1000002",
                                             "kind": "FORCED_RECOVERY", "opened_on": day, "updated_at": ts}],
                "2026-11-16")
    on = dt.date(2026, 11, 20)
    assert refresh_dossiers(wh, lake, settings, on).dossiers == {}  # the refresh in between
    assert wh.query("SELECT count(*) FROM core.dossier_recall") == [(0,)]
    assert {s for (s,) in wh.query("SELECT status FROM core.dossier")} == {"ALLOCATED"}
    # The retry: the same assignment files, no recall file; recorded, the dossiers are the agency's.
    retry = build_packages(wh, NOV, tmp_path / "try2") + build_recall_files(wh, on, tmp_path / "try2")
    assert [p.kind for p in retry] == ["ASSIGNMENT"] * len(first)
    assert [[Path(f.path).read_bytes() for f in p.files] for p in retry] == [
        [Path(f.path).read_bytes() for f in p.files] for p in first]
    record_publication(wh, [Publication(p, tuple(
        PublishedFile(f.name, f.file_type, f"outbox/{f.name}", f.sha256, f.rows, f.control_total)
        for f in p.all_files), "2026-11-21T06:00:00Z") for p in retry])
    assert {s for (s,) in wh.query("SELECT status FROM core.dossier")} == {"PUBLISHED"}
    # Once published, the next refresh judges them; the recall file comes after the assignment.
    later = dt.date(2026, 11, 22)
    assert refresh_dossiers(wh, lake, settings, later).dossiers == {ids[1]: "PAID_IN_FULL",
                                                                    ids[2]: "LEGAL_PROCEEDING"}
    # the recall file of the day judged tells them, whenever the run happens (here, years later);
    # the day before knows nothing of them
    assert build_recall_files(wh, later - dt.timedelta(days=1), tmp_path / "before") == []
    recalls = build_recall_files(wh, later, tmp_path / "later")
    assert sorted(i for p in recalls for i in p.dossier_ids) == sorted(ids.values())


def test_a_past_day_judged_again_after_a_later_day_keeps_its_decisions(world, tmp_path: Path) -> None:
    """Time-correct months: the warehouse learns after a day was judged (here, a payment dated before it
    but recorded late, and its reversal). Judging that past day again would recall the dossier paid in
    full; the first judgement did not, so a re-run or backfill keeps it (core.lifecycle_run)."""
    wh, lake = world
    _build(wh, lake, [_debtor(1, 10_000)])
    settings = _settings(tmp_path, per_month=1)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    (dossier,) = [r[0] for r in wh.query("SELECT dossier_id FROM core.dossier")]
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    first = refresh_dossiers(wh, lake, settings, dt.date(2026, 12, 20))
    assert (first.examined, first.dossiers) == (1, {})
    # Recorded on 2027-01-04: a payment in full dated 2026-12-15, reversed on 2027-01-03.
    ts = dt.datetime(2027, 1, 4, 9)
    entry = {"receipt_no": "R1", "affiliation_no": "1000001", "settles_period": "2026-08",
             "channel": "ONLINE", "recorded_at": ts, "updated_at": ts}
    _write_lake(lake, "ledger_payments", [
        {**entry, "payment_id": 1, "payment_date": dt.date(2026, 12, 15), "amount_centimes": 1_100_000,
         "kind": "PAYMENT", "reverses_payment_id": None},
        {**entry, "payment_id": 2, "payment_date": dt.date(2027, 1, 3), "amount_centimes": -1_100_000,
         "kind": "REVERSAL", "reverses_payment_id": 1}], "2027-01-05")
    later = refresh_dossiers(wh, lake, settings, dt.date(2027, 1, 5))
    assert (later.examined, later.dossiers) == (1, {})  # the reversal restored the debt
    again = refresh_dossiers(wh, lake, settings, dt.date(2026, 12, 20))
    assert again.kept_after == "2027-01-05" and again.dossiers == {}
    assert "kept as judged" in again.summary()
    assert wh.query("SELECT count(*) FROM core.dossier_recall") == [(0,)]
    assert wh.query("SELECT status FROM core.dossier") == [("PUBLISHED",)]
    assert wh.query("SELECT run_on, examined, recalled FROM core.lifecycle_run ORDER BY run_on") == [
        (dt.date(2026, 12, 20), 1, 0), (dt.date(2027, 1, 5), 1, 0)]


def test_the_latest_day_judged_again_after_a_later_ledger_load_judges_as_it_did(
    world, tmp_path: Path
) -> None:
    """Re-running the latest day judged (no later refresh yet) after the ledger was loaded for a later
    day: a payment in full dated that day but recorded the next was not known to the first judgement;
    the re-run reads the ledger as that day knew it (first seen by it) and recalls nothing either."""
    from recouvra.lake import open_lake
    from recouvra.ledger import load_ledger

    wh, lake = world
    _build(wh, lake, [_debtor(1, 10_000)])
    settings = _settings(tmp_path, per_month=1)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    on = dt.date(2026, 12, 20)
    assert refresh_dossiers(wh, lake, settings, on).dossiers == {}
    ts = dt.datetime(2026, 12, 21, 9)
    _write_lake(lake, "ledger_payments", [
        {"payment_id": 1, "receipt_no": "R1", "affiliation_no": "1000001", "payment_date": on,
         "amount_centimes": 1_100_000, "settles_period": "2026-08", "kind": "PAYMENT", "channel": "ONLINE",
         "reverses_payment_id": None, "recorded_at": ts, "updated_at": ts}], "2026-12-22")
    later = dt.date(2026, 12, 22)
    with open_lake(lake, as_of=later) as con:  # collections_reconcile of a later day
        assert load_ledger(wh, con, later).inserted == 1
    again = refresh_dossiers(wh, lake, settings, on)
    assert again.kept_after is None and (again.examined, again.dossiers) == (1, {})
    assert wh.query("SELECT count(*) FROM core.dossier_recall") == [(0,)]
    # The next day judged knows it: paid in full.
    assert refresh_dossiers(wh, lake, settings, later).recalled == {"PAID_IN_FULL": 1}


def test_a_merge_made_after_a_day_judged_is_no_merge_on_that_day(world, tmp_path: Path) -> None:
    """Re-running a day judged after the debtor master merged two debtors on a later day: the dossier
    of the retired debtor is no MERGED_DUPLICATE on that day (it becomes one on the merge's day)."""
    wh, lake = world
    _build(wh, lake, [_debtor(1, 10_000), _debtor(2, 20_000)])
    settings = _settings(tmp_path, per_month=2)
    select_and_allocate(wh, lake, settings, NOV, seed=1)
    ids = dict(wh.query("SELECT debtor_id, dossier_id FROM core.dossier"))
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED'")
    _merge(wh, 1, 2, "1000001", dt.date(2026, 12, 21))
    assert refresh_dossiers(wh, lake, settings, dt.date(2026, 12, 20)).dossiers == {}
    merged = refresh_dossiers(wh, lake, settings, dt.date(2026, 12, 21))
    assert merged.dossiers == {ids[1]: "MERGED_DUPLICATE"}
