"""Random months of reconciliation for comparing the incremental reconciliation with the full one
(tests/unit/test_reconcile_increment.py, tests/integration/test_reconcile_postgres.py).

A seeded world of nine debtors (three with two affiliation numbers, one number nobody's) and their
dossiers, then run dates one after another (and one re-run of an earlier date), each bringing what a
month brings: new ledger entries (payments, reversals of them under the same or another number,
reversals of payments the ledger lacks, entries quoting a payment reference, valid or mistyped), an
entry corrected, agency payments (near a ledger payment of the same amount or not; quoting a receipt
number, sometimes another debtor's, sometimes one nobody has), a new dossier, a recall, an affiliation
number moving to another debtor. :func:`months` gives the steps as plain data; :func:`apply` writes a
step into a warehouse, so that two warehouses receive the same months.

A plain module on pytest's ``pythonpath`` (tests/support), imported by name."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconcile_world import add_agency_payment, add_bridge, add_dossier, lake_with
from recouvra.exchange.payment_ref import payment_ref
from recouvra.ledger import load_ledger
from recouvra.reconcile import reconcile
from recouvra.warehouse import Warehouse, migrate_connection

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

#: debtor -> affiliation numbers (0000008 is nobody's).
DEBTORS = {1: ["0000001", "0000011"], 2: ["0000002"], 3: ["0000003", "0000013"], 4: ["0000004"],
           5: ["0000005"], 6: ["0000006"], 7: ["0000007", "0000017"], 8: ["0000009"], 9: ["0000010"]}
NUMBERS = [a for affs in DEBTORS.values() for a in affs] + ["0000008"]
PERIODS = [dt.date(2026, m, 1) for m in range(1, 8)]
STARTS = [dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)]
RUN_DATES = [dt.date(2026, 11, 30), dt.date(2026, 12, 15), dt.date(2026, 12, 31), dt.date(2027, 1, 31),
             dt.date(2027, 2, 28), dt.date(2027, 1, 31), dt.date(2027, 3, 31), dt.date(2027, 4, 30)]


@dataclass
class Dossier:
    dossier_id: str
    debtor_id: int
    agency: str
    periods: dict[dt.date, str]
    start: dt.date
    end: dt.date


@dataclass
class Step:
    """What one run date brings."""

    on: dt.date
    rerun: bool = False
    dossiers: list[Dossier] = field(default_factory=list)
    ledger: list[tuple[Any, ...]] = field(default_factory=list)  # the whole lake as of this step
    payments: list[tuple[Any, ...]] = field(default_factory=list)
    recalls: list[tuple[str, dt.date]] = field(default_factory=list)
    moves: list[tuple[str, int, dt.date]] = field(default_factory=list)  # number, new debtor, from


def _dossier(rng: random.Random, n: int, start: dt.date, placed: list[Dossier]) -> Dossier | None:
    """A new dossier starting on ``start``, of a debtor not placed that month already (None if none)."""
    free = [k for k in DEBTORS if all((d.debtor_id, d.start) != (k, start) for d in placed)]
    if not free:
        return None
    months = rng.sample(PERIODS, rng.randint(1, 3))
    periods = {p: f"{rng.choice([100, 200, 500, 800, 1234])}.00" for p in months}
    end = dt.date(start.year + (start.month + 4) // 12, (start.month + 4) % 12 + 1, 1) - dt.timedelta(days=1)
    return Dossier(f"D202611-{n:06d}", rng.choice(free), rng.choice(["AG01", "AG02"]), periods, start, end)


def _entry(rng: random.Random, pid: int, day: dt.date, ledger: list[tuple[Any, ...]],
           dossiers: list[Dossier]) -> tuple[Any, ...]:
    """A new ledger row: mostly a payment of a placed debtor for a month it owes, sometimes quoting a
    payment reference (some mistyped); else a reversal of an earlier payment (under its number or
    another) or of a payment the ledger lacks."""
    owing = rng.choice(dossiers) if rng.random() < 0.8 else None
    aff = rng.choice(DEBTORS[owing.debtor_id] if owing else NUMBERS)
    payments = [r for r in ledger if r[6] == "PAYMENT"]
    roll = rng.random()
    if roll < 0.15 and payments:
        target = rng.choice(payments)
        number = target[2] if rng.random() < 0.7 else rng.choice(NUMBERS)
        return (pid, f"R{pid}", number, max(day, target[3]), -target[4], target[5], "REVERSAL", target[0])
    if roll < 0.2:
        return (pid, f"R{pid}", aff, day, -5000, "2026-01", "REVERSAL", 99999)
    period = rng.choice(list(owing.periods) if owing and rng.random() < 0.8 else PERIODS)
    row = (pid, f"R{pid}", aff, day, rng.choice([10000, 20000, 50000, 80000, 123400]),
           period.strftime("%Y-%m"), "PAYMENT", None)
    if rng.random() < 0.12:
        ref = payment_ref(rng.choice(dossiers).dossier_id)
        if rng.random() < 0.3:
            ref = ref[:-1] + str((int(ref[-1]) + 1) % 10)
        return (*row, ref)
    return row


def _reported(rng: random.Random, k: int, j: int, d: Dossier, ledger: list[tuple[Any, ...]],
              last: dt.date, span: int) -> tuple[Any, ...]:
    """An agency payment against ``d``: mostly near one of its debtor's ledger payments, of its amount;
    quoting a receipt number (any debtor's) or one nobody holds, or none."""
    mine = [r for r in ledger if r[6] == "PAYMENT" and r[2] in DEBTORS[d.debtor_id]]
    if mine and rng.random() < 0.6:
        r = rng.choice(mine)
        when, amount = r[3] + dt.timedelta(days=rng.randint(-6, 6)), f"{r[4] / 100:.2f}"
    else:
        when, amount = last + dt.timedelta(days=rng.randint(1, span)), "200.00"
    roll = rng.random()
    receipt = rng.choice(ledger)[1] if roll < 0.25 and ledger else " NOPE " if roll < 0.35 else None
    return (d.agency, f"P{k}-{j}-{d.dossier_id[-2:]}", d.dossier_id, when, amount, receipt)


def months(seed: int) -> list[Step]:
    """The steps of one seeded world (module docstring)."""
    rng = random.Random(seed)
    dossiers: list[Dossier] = []
    for _ in range(rng.randint(5, 9)):
        d = _dossier(rng, len(dossiers) + 1, rng.choice(STARTS[:2]), dossiers)
        if d is not None:
            dossiers.append(d)
    ledger: list[tuple[Any, ...]] = []
    steps: list[Step] = []
    recalled: set[str] = set()
    last = dt.date(2026, 10, 15)
    for k, on in enumerate(RUN_DATES):
        if on <= last:  # a re-run of an earlier date: nothing new arrives
            steps.append(Step(on, rerun=True, ledger=list(ledger)))
            continue
        step = Step(on, dossiers=list(dossiers) if k == 0 else [])
        new = _dossier(rng, len(dossiers) + 1, rng.choice([s for s in STARTS if s <= on]), dossiers) \
            if k and rng.random() < 0.5 else None
        if new is not None:
            dossiers.append(new)
            step.dossiers = [new]
        span = (on - last).days
        for _ in range(rng.randint(1, 4)):
            when = last + dt.timedelta(days=rng.randint(1, span))
            ledger.append(_entry(rng, 101 + len(ledger), when, ledger, dossiers))
        i = rng.randrange(len(ledger))
        if rng.random() < 0.3 and ledger[i][6] == "PAYMENT" and all(r[7] != ledger[i][0] for r in ledger):
            ledger[i] = (*ledger[i][:4], ledger[i][4] + 1000, *ledger[i][5:])  # a corrected amount
        step.ledger = list(ledger)
        started = [d for d in dossiers if d.start <= on]
        step.payments = [_reported(rng, k, j, rng.choice(started), ledger, last, span)
                         for j in range(rng.randint(0, 2) if started else 0)]
        recallable = [d for d in started if d.dossier_id not in recalled]
        if recallable and rng.random() < 0.3:
            d = rng.choice(recallable)
            last_day = d.start + dt.timedelta(days=rng.randint(10, (on - d.start).days + 10))
            step.recalls.append((d.dossier_id, last_day))
            recalled.add(d.dossier_id)
        if k == 3 and rng.random() < 0.5:
            step.moves.append(("0000013", 4, dt.date(2026, 12, 20)))  # debtor 3's second number moves
        steps.append(step)
        last = on
    return steps


def setup(wh: Warehouse) -> None:
    """The bridge every world starts from."""
    for debtor, affs in DEBTORS.items():
        for aff in affs:
            add_bridge(wh, aff, debtor)


def apply(wh: Warehouse, step: Step) -> None:
    """Write what ``step`` brings into ``wh`` (nothing but the run for a re-run)."""
    if step.rerun:
        return
    for d in step.dossiers:
        add_dossier(wh, d.dossier_id, d.debtor_id, d.agency, d.periods, start=d.start, end=d.end,
                    month=d.start)
    for aff, debtor, since in step.moves:
        wh.execute("UPDATE core.bridge_affiliation_debtor SET valid_to = ?, is_current = false "
                   "WHERE affiliation_no = ? AND valid_to IS NULL", [since, aff])
        wh.execute("INSERT INTO core.bridge_affiliation_debtor "
                   "VALUES (?, ?, NULL, true, ?, 'SINGLETON', NULL)", [aff, since, debtor])
    for agency, pid, dossier_id, when, amount, receipt in step.payments:
        add_agency_payment(wh, agency, pid, dossier_id, when, amount, receipt)
    for dossier_id, when in step.recalls:
        wh.execute("INSERT INTO core.dossier_recall VALUES (?, ?, 'FUND_DECISION', 0.00, ?, NULL, ?)",
                   [dossier_id, when, dt.datetime.combine(when, dt.time(20)), when])
    with lake_with(step.ledger) as lake:
        load_ledger(wh, lake, step.on)


def tables(wh: Warehouse) -> dict[str, list[tuple[object, ...]]]:
    """What reconciliation writes, whole (timestamps included), and the stored groups and digests."""
    return {
        "match": wh.query("SELECT * FROM core.payment_match ORDER BY agency_code, payment_id"),
        "attribution": wh.query("SELECT * FROM core.attribution ORDER BY dossier_id, ledger_payment_id"),
        "kind": wh.query("SELECT * FROM core.attribution_kind ORDER BY dossier_id, ledger_payment_id, kind"),
        "inputs": wh.query("SELECT dossier_id, group_id, digest FROM core.reconcile_input ORDER BY 1"),
    }


def reconcile_both(incremental: Warehouse, full: Warehouse,
                   runs: Iterable[tuple[dt.date, Callable[[Warehouse], None]]],
                   clock: Callable[[int], None], label: str = "") -> list[dict[str, Any]]:
    """For each run ``(on, change)``: ``change`` written into both warehouses, then ``incremental``
    reconciled incrementally and ``full`` in full on ``on`` (``clock(k)`` before run k fixes the time
    both write); asserts they hold and report the same after every run. Returns the incremental
    run's reports."""
    out = []
    for k, (on, change) in enumerate(runs):
        clock(k)
        reports = []
        for wh, whole in ((incremental, False), (full, True)):
            change(wh)
            reports.append(reconcile(wh, on, full=whole).as_dict())
        where = f"{label}run {k} ({on})"
        assert tables(incremental) == tables(full), where
        out.append(dict(reports[0]))
        for r in reports:
            del r["reconciled_again"], r["full"]
        assert reports[0] == reports[1], where
    return out


def run_both(incremental: Warehouse, full: Warehouse, seed: int,
             clock: Callable[[int], None]) -> list[tuple[int, int]]:
    """Migrate both (empty) warehouses and :func:`reconcile_both` them through the seeded months.
    Returns (reconciled again, dossiers) per run."""
    for wh in (incremental, full):
        migrate_connection(wh)
        setup(wh)
    runs = [(step.on, lambda wh, step=step: apply(wh, step)) for step in months(seed)]
    return [(r["reconciled_again"], r["dossiers"])
            for r in reconcile_both(incremental, full, runs, clock, f"seed {seed}, ")]
