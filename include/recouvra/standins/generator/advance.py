"""``advance_source``: bring a seeded synthetic source forward, one month at a time, as the fund's
database would live through it.

A seed states the source as at the last day of ``seed.end_month``. Advancing to month ``m`` leaves it
stated as at the last day of ``m``, each month bringing what a real month brings (docs/synthetic-data.md):

* declarations of period ``m`` by the active employers (the seed's convention: a period is declared by
  the end of its own month, so the seed already holds ``end_month``'s);
* fresh claims: the declarations of period ``m - 1``, due on the ``DUE_DAY`` of ``m``, left unpaid at
  the due date become receivable lines (principal, first-month surcharge, Damancom fine), the share
  depending on the employer's behaviour in the truth;
* payments by debtors at large (the generator cannot know who is placed: it draws among all debtors
  with an open balance), each settling or partly paying the debtor's oldest open period;
* surcharges accruing at the month's end on every period whose contributions are still unpaid (the
  surcharge line re-stated, its title's amount with it);
* new employers, some of them a new affiliation of an existing legal entity (a new duplicate, added to
  the truth), changes of address and phone, and employers ceasing or going into liquidation.

Every row a month inserts or updates carries an ``updated_at`` (and ``recorded_at`` for ledger
entries) inside that month, in the fund's local time like the seed's, so the next extraction window
takes exactly these rows. Month ``m`` draws from ``SeedSequence([seed, ADVANCE_TAG, m])`` and reads only
what the generator itself wrote (payments of the agency simulator are left out), so a month depends on
the seed and the months before it, nothing else. New rows take ids from a per-month space far above the
seed's and below the simulator's. One month is one transaction, recorded in ``source_clock``: a killed
advance leaves the previous month's state and is simply run again.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from recouvra.config import redact_url
from recouvra.errors import ConfigError
from recouvra.sqlfiles import query, statements
from recouvra.standins.generator import dirt
from recouvra.standins.generator import vocab as V
from recouvra.standins.generator.identity import _address, affiliation_numbers, generate_employers
from recouvra.standins.generator.ledger import CHANNEL_P, CHANNELS, PPM, RateTables, _round_div
from recouvra.standins.generator.seed import (
    DUE_DAY,
    MAX_EMPLOYERS,
    TRUTH_FILE,
    TRUTH_MANIFEST,
    _now,
    _truth_schema,
    history_of,
    seed_manifest,
)
from recouvra.standins.generator.sinks import open_sink
from recouvra.standins.generator.timeline import Timeline, day_number, month_start, parse_month
from recouvra.standins.simulator.model import LEDGER_ID_BASE

if TYPE_CHECKING:
    import pandas as pd

    from recouvra.config import SeedAdvance, Settings
    from recouvra.standins.generator.sinks import Sink

#: Third entropy word of a month's draws; seed chunks draw from ``[seed, chunk]`` (no collision).
ADVANCE_TAG = 0xAD7A
#: New rows of month ``m`` take ids ``ADVANCE_ID_BASE + m * MONTH_ID_SPAN + k``: far above the seed's
#: (chunk x 1e8), far below the simulator's ledger entries (``LEDGER_ID_BASE``).
ADVANCE_ID_BASE = 100_000_000_000_000_000
MONTH_ID_SPAN = 10_000_000_000
#: New employers of the j-th advanced month are records ``(MAX_EMPLOYERS // BLOCK + j) * BLOCK + i``:
#: after every seed's records, so affiliation numbers (unique below 9 M records) and ICE roots (unique
#: below 3 M entities) never collide with the seed's or another month's.
BLOCK = 10_000
FIRST_BLOCK = MAX_EMPLOYERS // BLOCK
MAX_ADVANCE_MONTHS = (3_000_000 - MAX_EMPLOYERS) // BLOCK
MOVED_CITY_SHARE = 0.25  # of address changes: the employer moved to another city
BRANCH_SHARE = 0.5  # of new affiliations of an existing entity: a branch; the others clerical
CHANGED_TABLES = ("employers", "declarations", "receivables", "titles", "ledger_payments",
                  "legal_proceedings")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass
class MonthReport:
    """What one month brought: rows inserted and rows updated per table."""

    month: str
    inserted: dict[str, int]
    updated: dict[str, int]

    def changed(self, table: str) -> int:
        """Rows of ``table`` whose ``updated_at`` falls in the month (what its extraction takes)."""
        return self.inserted.get(table, 0) + self.updated.get(table, 0)


@dataclass
class AdvanceReport:
    """What an advance did; ``months`` is empty when the source had already reached the month."""

    url: str
    seed: int
    start_month: str  # the month the source held before
    to_month: str
    months: list[MonthReport] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def skipped(self) -> bool:
        return not self.months

    def summary(self) -> str:
        if self.skipped:
            return (f"source {self.url} already holds {self.start_month} (asked {self.to_month}): "
                    "nothing to advance")
        lines = [f"advanced {self.url} from {self.start_month} to {self.to_month} "
                 f"({len(self.months)} months, seed {self.seed}) in {self.elapsed_s:.1f} s"]
        for m in self.months:
            parts = [f"{t} +{m.inserted.get(t, 0):,}/~{m.updated.get(t, 0):,}" for t in CHANGED_TABLES
                     if m.changed(t)]
            lines.append(f"  {m.month}: " + ", ".join(parts))
        lines.append("  (+ rows inserted / ~ rows updated)")
        return "\n".join(lines)


@dataclass
class _Month:
    """One advanced month: its index, days, rates and id space."""

    index: int
    text: Timeline  # formats dates, timestamps and periods (any timeline does)
    tables: RateTables

    @property
    def label(self) -> str:
        return f"{self.index // 12:04d}-{self.index % 12 + 1:02d}"

    @property
    def first_day(self) -> int:
        return day_number(month_start(self.index))

    @property
    def last_day(self) -> int:
        return day_number(month_start(self.index + 1)) - 1

    @property
    def n_days(self) -> int:
        return self.last_day - self.first_day + 1

    @property
    def first_id(self) -> int:
        return ADVANCE_ID_BASE + self.index * MONTH_ID_SPAN + 1

    def days(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.first_day + rng.integers(0, self.n_days, n)

    def stamps(self, rng: np.random.Generator, days: np.ndarray) -> list[str]:
        """Timestamps in office hours of the given days (never midnight: a window bound)."""
        return self.text.timestamps(days, rng.integers(28_800, 72_000, len(days)))


@dataclass
class _Writes:
    """Everything a month writes, applied in one transaction once every draw is made."""

    inserts: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    receivables: dict[int, tuple[int, str]] = field(default_factory=dict)  # id -> (amount, updated_at)
    titles: dict[str, list[Any]] = field(default_factory=dict)  # id -> [delta, updated_at]
    status: list[tuple[Any, ...]] = field(default_factory=list)
    address: list[tuple[Any, ...]] = field(default_factory=list)
    phone: list[tuple[Any, ...]] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)
    declarants: list[tuple[str, int, int, str]] = field(default_factory=list)  # new employers

    def add(self, table: str, columns: dict[str, list[Any]]) -> None:
        into = self.inserts.setdefault(table, {c: [] for c in columns})
        for c, values in columns.items():
            into[c].extend(values)

    def report(self, label: str) -> MonthReport:
        inserted = {t: len(next(iter(cols.values()), [])) for t, cols in self.inserts.items()}
        updated = {"receivables": len(self.receivables), "titles": len(self.titles),
                   "employers": len({r[-1] for r in self.status + self.address + self.phone})}
        return MonthReport(label, {t: n for t, n in inserted.items() if n},
                           {t: n for t, n in updated.items() if n})


def month_rngs(seed: int, month: int, n: int = 6) -> list[np.random.Generator]:
    """Independent generators of an advanced month (employers, new employers, declarations, claims,
    payments, text): a function of the seed and the month only."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence([seed, ADVANCE_TAG, month]).spawn(n)]


def _per_1000(rng: np.random.Generator, n: int, rate: Decimal) -> int:
    return int(rng.binomial(n, min(float(rate) / 1000, 1.0))) if n else 0


def _share(rate: Decimal) -> float:
    return float(rate)


def _period_index(periods: list[str]) -> np.ndarray:
    return np.array([int(p[:4]) * 12 + int(p[5:7]) - 1 for p in periods], dtype=np.int64)


# ------------------------------------------------------------------------------------ employers

def _employer_changes(
    active: list[tuple[Any, ...]], m: _Month, rng: np.random.Generator, rnd: random.Random,
    cfg: SeedAdvance, city_variant_share: float, w: _Writes,
) -> tuple[set[str], list[str]]:
    """Ceased and liquidated employers, moves and new phones (disjoint sets of active employers).
    Returns the employers that stop declaring and those that went into liquidation."""
    n = len(active)
    counts = [_per_1000(rng, n, r) for r in (cfg.ceased_per_1000, cfg.liquidation_per_1000,
                                              cfg.address_changes_per_1000, cfg.phone_changes_per_1000)]
    order = rng.permutation(n)
    bounds = np.cumsum([0, *counts])
    ceased, liquidated, moved, rephoned = (order[bounds[i]:bounds[i + 1]] for i in range(4))
    days = m.days(rng, n)
    stamps = m.stamps(rng, days)
    dates = m.text.dates(days)
    for i in sorted(ceased.tolist()):
        w.status.append(("CEASED", dates[i], stamps[i], active[i][0]))
    for i in sorted(liquidated.tolist()):
        w.status.append(("LIQUIDATION", None, stamps[i], active[i][0]))
    for i in sorted(moved.tolist()):
        city = active[i][9]
        if rnd.random() < MOVED_CITY_SHARE:
            c = V.CITIES[rnd.randrange(len(V.CITIES))]
            city = rnd.choice(c.variants) if rnd.random() < city_variant_share else c.name
        w.address.append((_address(rnd), city, stamps[i], active[i][0]))
    for i in sorted(rephoned.tolist()):
        nsn = rnd.choice("67") + f"{rnd.randrange(10**8):08d}"
        w.phone.append((dirt.format_phone(nsn, rnd.randrange(len(dirt.PHONE_FORMATS))), stamps[i],
                        active[i][0]))
    leaving = {active[i][0] for i in np.concatenate((ceased, liquidated)).tolist()}
    return leaving, [active[i][0] for i in sorted(liquidated.tolist())]


def _proceedings(liquidated: list[str], m: _Month, rng: np.random.Generator, w: _Writes) -> None:
    """A LIQUIDATION proceeding opened for each employer that went into liquidation."""
    n = len(liquidated)
    days = m.days(rng, n)
    w.add("legal_proceedings", {
        "proceeding_id": [f"LPA{m.index}{k:06d}" for k in range(n)],
        "affiliation_no": liquidated,
        "kind": ["LIQUIDATION"] * n,
        "opened_on": m.text.dates(days),
        "closed_on": [None] * n,
        "updated_at": m.stamps(rng, days),
    })


def _canonical_form(form: str | None) -> str:
    if not form:
        return ""
    for canonical, variants in V.LEGAL_FORM_VARIANTS.items():
        if form == canonical or form in variants:
            return canonical
    return form


def _valid_ice(ice: str | None) -> bool:
    return bool(ice) and len(ice or "") == 15 and (ice or "").isdigit() and int(ice or "0") % 97 == 0


def _fresh_employers(
    settings: Settings, seed: int, m: _Month, j: int, n: int, rng: np.random.Generator, w: _Writes,
) -> None:
    """``n`` new legal entities registered during the month, drawn by the seed's own employer generator."""
    if n == 0:
        return
    cfg = settings.seed.model_copy(update={"duplicate_entity_share": Decimal(0)})
    tl = Timeline(m.index, settings.seed.history_months, DUE_DAY)
    emp = generate_employers(rng, cfg, tl, FIRST_BLOCK + j, BLOCK, n, seed)
    days = m.days(rng, n)
    cols = dict(emp.columns)
    cols.update(status=["ACTIVE"] * n, registered_on=m.text.dates(days), ceased_on=[None] * n,
                updated_at=m.stamps(rng, days))
    w.add("employers", cols)
    truth = {k: (v.tolist() if isinstance(v, np.ndarray) else list(v)) for k, v in emp.truth.items()}
    w.truth.extend(dict(zip(truth, row, strict=True)) for row in zip(*truth.values(), strict=True))
    payroll = (emp.headcount * emp.salary_centimes * rng.uniform(0.97, 1.03, n)).astype(np.int64)
    counter = emp.counter_declarant & (rng.random(n) < 0.7)
    for a, h, p, c in zip(cols["affiliation_no"], emp.headcount.tolist(), payroll.tolist(), counter.tolist(),
                          strict=True):
        w.declarants.append((a, h, p, "COUNTER" if c else "DAMANCOM"))


def _affiliation_copy(src: dict[str, Any], branch: bool, rnd: random.Random, settings: Settings,
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
    """An existing employer registered again: a branch (own address often, ICE of the same company
    root with another establishment) or a clerical re-registration (same identifiers), its name and
    address spelled differently as the seed's duplicates are. Returns (source row, truth flags)."""
    s = settings.seed
    row = dict(src)
    form = _canonical_form(src["legal_form"])
    flags: dict[str, Any] = {"dup_kind": "BRANCH" if branch else "CLERICAL"}
    flags["name_variant"] = rnd.random() < float(s.name_variant_share) and src["legal_name"][0] < "\u0600"
    if flags["name_variant"]:
        row["legal_name"] = dirt.name_variant(src["legal_name"], form, rnd)
    if branch and rnd.random() < 0.7:
        row["address"] = _address(rnd)
    flags["address_variant"] = rnd.random() < float(s.address_variant_share) and bool(row["address"])
    if flags["address_variant"]:
        row["address"] = dirt.address_variant(row["address"], rnd)
    if branch:
        ice = src["ice"]
        if _valid_ice(ice):
            root = np.array([int(ice[:9])], dtype=np.int64)
            estab = np.array([rnd.randint(1, 59)], dtype=np.int64)
            row["ice"] = dirt.ice_text(dirt.ice_numbers(root, estab))[0]
        else:
            row["ice"] = None
        flags["ice_state"] = "VALID" if row["ice"] else "MISSING"
    flags["phone_changed"] = rnd.random() < 0.25
    if flags["phone_changed"]:
        nsn = rnd.choice("67") + f"{rnd.randrange(10**8):08d}"
        row["phone"] = dirt.format_phone(nsn, rnd.randrange(len(dirt.PHONE_FORMATS)))
    flags["shares_strong_id"] = any(row[k] for k in ("ice", "rc_number", "if_number", "cin"))
    return row, flags


_EMPLOYER_COPY = ("affiliation_no", "legal_name", "legal_form", "ice", "rc_number", "rc_court", "if_number",
                  "cin", "address", "city", "phone", "phone_2", "email", "legal_rep_name", "sector")


def _new_affiliations(
    settings: Settings, seed: int, m: _Month, j: int, first: int, picks: list[tuple[Any, ...]],
    truth: pd.DataFrame, latest: dict[str, tuple[int, int, str]], rng: np.random.Generator,
    rnd: random.Random, w: _Writes,
) -> None:
    """New affiliation numbers of existing entities (``picks``, active employers): new duplicates."""
    n = len(picks)
    if n == 0:
        return
    gids = (FIRST_BLOCK + j) * BLOCK + first + np.arange(n, dtype=np.int64)
    numbers = [str(a) for a in affiliation_numbers(gids, seed).tolist()]
    days = m.days(rng, n)
    dates, stamps = m.text.dates(days), m.stamps(rng, days)
    branch = rng.random(n) < BRANCH_SHARE
    split = rng.uniform(0.2, 0.8, n)
    rows: list[dict[str, Any]] = []
    by_aff = truth.set_index("affiliation_no")
    for k, src_row in enumerate(picks):
        src = dict(zip(_EMPLOYER_COPY, src_row, strict=True))
        row, flags = _affiliation_copy(src, bool(branch[k]), rnd, settings)
        row.update(affiliation_no=numbers[k], status="ACTIVE", registered_on=dates[k], ceased_on=None,
                   updated_at=stamps[k])
        rows.append(row)
        original = by_aff.loc[src["affiliation_no"]].to_dict()
        entity = int(original["entity_id"])
        role = int(truth.loc[truth["entity_id"] == entity, "role"].max()) + 1
        role = max([role] + [t["role"] + 1 for t in w.truth if t["entity_id"] == entity])
        w.truth.append({**original, **flags, "affiliation_no": numbers[k], "entity_id": entity, "role": role,
                        "city_variant": False})
        head, payroll, channel = latest.get(src["affiliation_no"], (1, 310_000, "DAMANCOM"))
        if branch[k]:  # the branch takes a share of the staff
            head, payroll = max(1, round(head * split[k])), int(payroll * split[k])
        w.declarants.append((numbers[k], int(head), int(payroll), channel))
    w.add("employers", {c: [r[c] for r in rows] for c in rows[0]})


# --------------------------------------------------------------------------------- declarations

def _declarations(
    latest: list[tuple[Any, ...]], leaving: set[str], m: _Month, rng: np.random.Generator, w: _Writes,
) -> None:
    """Period ``m`` declared by every employer active at the month's end, near its last declaration."""
    rows = [r for r in latest if r[0] not in leaving] + w.declarants
    n = len(rows)
    if n == 0:
        return
    last_head = np.array([int(r[1]) for r in rows], dtype=np.int64)
    last_payroll = np.array([int(r[2]) for r in rows], dtype=np.int64)
    head = np.maximum(1, np.round(last_head * rng.lognormal(0.0, 0.08, n))).astype(np.int64)
    avg = last_payroll // np.maximum(last_head, 1)
    payroll = (head * avg * rng.uniform(0.97, 1.03, n)).astype(np.int64)
    days = np.maximum(m.first_day, m.last_day - rng.integers(0, 10, n))
    w.add("declarations", {
        "declaration_id": (m.first_id + np.arange(n)).tolist(),
        "affiliation_no": [r[0] for r in rows],
        "period": [m.label] * n,
        "headcount": head.tolist(),
        "payroll_centimes": payroll.tolist(),
        "declared_on": m.text.dates(days),
        "channel": [r[3] for r in rows],
        "updated_at": m.stamps(rng, days),
    })


def _fresh_claims(
    unclaimed: list[tuple[Any, ...]], behaviour: dict[str, str], cfg: SeedAdvance, m: _Month,
    rng: np.random.Generator, w: _Writes,
) -> None:
    """Period ``m - 1`` fell due on the ``DUE_DAY`` of ``m``: the declarations left unpaid become
    receivable lines (principal, first-month surcharge, the Damancom fine for counter declarations)."""
    share = {"DEBTOR": _share(cfg.late_share_debtor), "SETTLED_LATE": _share(cfg.late_share_settled_late)}
    p = np.array([share.get(behaviour.get(r[0], ""), _share(cfg.late_share_compliant)) for r in unclaimed])
    late = np.flatnonzero(rng.random(len(unclaimed)) < p) if unclaimed else np.zeros(0, dtype=np.int64)
    n = len(late)
    if n == 0:
        return
    rows = [unclaimed[i] for i in late.tolist()]
    t = m.tables
    per = np.full(n, m.index - 1, dtype=np.int64)
    head = np.array([int(r[1]) for r in rows], dtype=np.int64)
    payroll = np.array([int(r[2]) for r in rows], dtype=np.int64)
    counter = np.array([r[3] == "COUNTER" for r in rows])
    due = m.first_day + DUE_DAY - 1
    principal = t.principal(per, head, payroll)
    surcharge = _round_div(principal * t.surcharge_ppm(per, np.full(n, m.last_day), DUE_DAY), PPM)
    tp = per + 1 - t.first_month
    fine = np.where(counter, np.minimum(t.fine_per_employee[tp] * head, t.fine_cap[tp]), 0)
    established = np.minimum(due + 1 + rng.integers(0, 15, n), m.last_day)
    amounts = np.stack((principal, surcharge, fine))
    present = amounts > 0
    present[0] = True
    kind, row = np.nonzero(present)
    order = np.lexsort((kind, row))
    kind, row = kind[order], row[order]
    line_day = np.where(kind == 1, m.last_day, established[row])
    nl = len(row)
    w.add("receivables", {
        "receivable_id": (m.first_id + np.arange(nl)).tolist(),
        "affiliation_no": [rows[i][0] for i in row.tolist()],
        "period": m.text.periods(per[row]),
        "kind": np.array(["PRINCIPAL", "SURCHARGE", "PENALTY"], dtype=object)[kind].tolist(),
        "basis": np.array(["CONTRIBUTIONS", "LATE_PAYMENT", "DAMANCOM_FINE"], dtype=object)[kind].tolist(),
        "amount_centimes": amounts[kind, row].tolist(),
        "established_on": m.text.dates(line_day),
        "title_id": [None] * nl,
        "updated_at": m.stamps(rng, line_day),
    })


# ------------------------------------------------------------------------- payments, surcharges

def _payments_and_surcharges(
    open_rows: list[tuple[Any, ...]], behaviour: dict[str, str], cfg: SeedAdvance, m: _Month,
    rng: np.random.Generator, w: _Writes,
) -> None:
    """Debtors at large pay their oldest open period (in full at the payment date, or in part), other
    employers owing settle theirs in full; every period whose contributions are still unpaid at the
    month's end accrues its surcharge."""
    n = len(open_rows)
    if n == 0:
        return
    aff = [r[0] for r in open_rows]
    per = _period_index([r[1] for r in open_rows])
    principal, stored, total, net = (np.array([int(r[k]) for r in open_rows], dtype=np.int64)
                                     for k in (2, 3, 4, 5))
    has_line = np.array([r[6] is not None for r in open_rows])
    oldest = np.array([i == 0 or aff[i] != aff[i - 1] for i in range(n)])
    debtor = np.array([behaviour.get(a) == "DEBTOR" for a in aff])
    pays = oldest & (rng.random(n) < np.where(debtor, _share(cfg.payment_share),
                                               _share(cfg.late_payer_payment_share)))
    settles = pays & ((rng.random(n) < _share(cfg.settle_share)) | ~debtor)
    pay_day = m.days(rng, n)
    t = m.tables

    def surcharge_to(days: np.ndarray) -> np.ndarray:
        accrued = _round_div(principal * t.surcharge_ppm(per, days, DUE_DAY), PPM)
        return np.where(has_line, np.maximum(stored, accrued), stored)

    at_pay, at_end = surcharge_to(pay_day), surcharge_to(np.full(n, m.last_day))
    unpaid = net < principal + stored  # contributions not covered: the surcharge still runs
    new_sur = np.where(settles, at_pay, np.where(unpaid, at_end, stored))
    partial = np.maximum(1, ((total - net) * rng.uniform(0.1, 0.9, n)).astype(np.int64))
    amount = np.where(settles, total - stored + at_pay - net, partial)
    sur_day = np.where(settles, pay_day, m.last_day)
    sur_stamp = m.stamps(rng, sur_day)
    title_stamp = m.stamps(rng, np.full(n, m.last_day))
    for i in np.flatnonzero(has_line & (new_sur != stored)).tolist():
        w.receivables[int(open_rows[i][6])] = (int(new_sur[i]), sur_stamp[i])
        title = open_rows[i][7]
        if title is not None:
            entry = w.titles.setdefault(str(title), [0, title_stamp[i]])
            entry[0] += int(new_sur[i] - stored[i])
    paying = np.flatnonzero(pays & (amount > 0))
    k = len(paying)
    ids = (m.first_id + np.arange(k)).tolist()
    days = pay_day[paying]
    recorded = m.stamps(rng, np.minimum(days + rng.integers(0, 3, k), m.last_day))
    day_text = [str(d) for d in m.text.dates(days)]
    w.add("ledger_payments", {
        "payment_id": ids,
        "receipt_no": [f"Q{d[:4]}{d[5:7]}-{i % 100_000_000_000:011d}"
                       for d, i in zip(day_text, ids, strict=True)],
        "affiliation_no": [aff[i] for i in paying.tolist()],
        "payment_date": day_text,
        "amount_centimes": amount[paying].tolist(),
        "settles_period": [open_rows[i][1] for i in paying.tolist()],
        "kind": ["PAYMENT"] * k,
        "reverses_payment_id": [None] * k,
        "channel": np.array(CHANNELS, dtype=object)[rng.choice(len(CHANNELS), size=k, p=CHANNEL_P)].tolist(),
        "recorded_at": recorded,
        "updated_at": recorded,
    })


# ------------------------------------------------------------------------------------ the month

def _draw_month(
    sink: Sink, settings: Settings, seed: int, m: _Month, j: int, truth: pd.DataFrame,
) -> _Writes:
    """Every draw of month ``m`` from the source as it stood at the month's start; nothing written."""
    cfg = settings.seed.advance
    r_emp, r_new, r_decl, r_claim, r_pay, r_text = month_rngs(seed, m.index)
    rnd = random.Random(int(r_text.integers(0, 2**63)))
    active = sorted(sink.query(query("standins/select_active_employers")))
    latest_rows = sorted(sink.query(query("standins/select_latest_declarations"), (m.label, m.label)))
    unclaimed = sorted(sink.query(query("standins/select_unclaimed_declarations"), (m.text.periods(
        np.array([m.index - 1]))[0],)))
    open_rows = sorted(sink.query(query("standins/select_open_periods"), (LEDGER_ID_BASE,)))
    behaviour = dict(zip(truth["affiliation_no"], truth["behaviour"], strict=True))

    w = _Writes()
    leaving, liquidated = _employer_changes(active, m, r_emp, rnd, cfg,
                                            float(settings.seed.city_variant_share), w)
    _proceedings(liquidated, m, r_emp, w)
    n_new = min(_per_1000(r_new, len(active), cfg.new_employers_per_1000), BLOCK)
    n_copies = int(r_new.binomial(n_new, _share(cfg.new_affiliation_share))) if n_new else 0
    n_copies = min(n_copies, len(active))
    _fresh_employers(settings, seed, m, j, n_new - n_copies, r_new, w)
    picks = [active[i] for i in sorted(r_new.choice(len(active), size=n_copies, replace=False).tolist())]
    latest = {r[0]: (int(r[1]), int(r[2]), str(r[3])) for r in latest_rows}
    _new_affiliations(settings, seed, m, j, n_new - n_copies, picks, truth, latest, r_new, rnd, w)
    _declarations(latest_rows, leaving, m, r_decl, w)
    _fresh_claims(unclaimed, behaviour, cfg, m, r_claim, w)
    _payments_and_surcharges(open_rows, behaviour, cfg, m, r_pay, w)
    return w


def _apply(sink: Sink, w: _Writes) -> None:
    for stmt in statements("standins/create_advance_updates"):
        sink.execute(stmt)
    for table, columns in w.inserts.items():
        sink.insert(table, columns)
    if w.receivables:
        ids = sorted(w.receivables)
        sink.insert("advance_receivable_updates", {
            "receivable_id": ids, "amount_centimes": [w.receivables[i][0] for i in ids],
            "updated_at": [w.receivables[i][1] for i in ids]})
        sink.execute(query("standins/update_receivables_from_advance"))
    if w.titles:
        ids_t = sorted(w.titles)
        sink.insert("advance_title_updates", {
            "title_id": ids_t, "delta_centimes": [w.titles[i][0] for i in ids_t],
            "updated_at": [w.titles[i][1] for i in ids_t]})
        sink.execute(query("standins/update_titles_from_advance"))
    for name, rows in (("update_employer_status", w.status), ("update_employer_address", w.address),
                       ("update_employer_phone", w.phone)):
        for params in rows:
            sink.execute(query(f"standins/{name}"), params)


def _write_truth(truth: pd.DataFrame, new_rows: list[dict[str, Any]], path: Path) -> pd.DataFrame:
    """The truth with the month's new records (replacing any of the same number: a re-run of a month
    that died after this step writes the same file), set sizes recounted. Written atomically."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not new_rows:
        return truth
    schema = _truth_schema()
    added = pd.DataFrame(new_rows, columns=schema.names)
    out = pd.concat([truth[~truth["affiliation_no"].isin(added["affiliation_no"])], added],
                    ignore_index=True)
    out["set_size"] = out.groupby("entity_id")["entity_id"].transform("size").astype("int64")
    tmp = path.with_name(path.name + ".part")
    pq.write_table(pa.Table.from_pandas(out, schema=schema, preserve_index=False), tmp, compression="zstd")
    tmp.replace(path)
    return out


def _committed_truth(sink: Sink, truth: pd.DataFrame) -> pd.DataFrame:
    """The truth of the records the source holds: rows a killed month wrote before its commit are
    dropped, so that re-running the month draws from exactly what a clean run saw."""
    held = {str(r[0]) for r in sink.query(query("standins/select_employer_numbers"))}
    keep = truth["affiliation_no"].isin(held)
    if keep.all():
        return truth
    out = truth[keep].reset_index(drop=True)
    out["set_size"] = out.groupby("entity_id")["entity_id"].transform("size").astype("int64")
    return out


def _seed_runs(sink: Sink) -> list[tuple[Any, ...]]:
    try:
        return sink.query(query("standins/select_seed_run"))
    except Exception:  # no seed_runs table: a fresh or foreign database
        sink.rollback()
        return []


def _clock(sink: Sink, end_month: int) -> int:
    """The month the source now ends with (created with the clock table when missing)."""
    sink.execute(query("standins/create_source_clock"))
    sink.commit()
    months = [str(r[0]) for r in sink.query(query("standins/select_source_months"))]
    return parse_month(months[-1]) if months else end_month


def advance_source(
    settings: Settings, to_month: str, url: str | None = None, truth_dir: Path | None = None,
) -> AdvanceReport:
    """Bring the seeded source at ``url`` forward month by month up to the end of ``to_month``
    (YYYY-MM), from the month after the last one it holds. Idempotent: a month already reached is
    not drawn again. Deterministic for (seed, month); one transaction per month."""
    import pandas as pd

    if not _MONTH.match(to_month or ""):
        raise ConfigError(f"--advance-to {to_month!r}: expected a month YYYY-MM")
    url = url or settings.source_url
    started = time.perf_counter()
    end_month = parse_month(settings.seed.end_month)
    target = parse_month(to_month)
    sink = open_sink(url)
    try:
        runs = _seed_runs(sink)
        if not runs:
            raise ConfigError(f"source {redact_url(url)} holds no finished seed: run `recouvra seed` first")
        seed = int(runs[0][0])
        truth_path = (truth_dir or Path(str(runs[0][2]))) / TRUTH_FILE
        stated = {k: seed_manifest(truth_path.parent).get(k) for k in history_of(settings)}
        if stated != history_of(settings):
            raise ConfigError(
                f"source {redact_url(url)} was seeded with history {stated} (from "
                f"{truth_path.parent / TRUTH_MANIFEST}), the configuration states {history_of(settings)}: "
                "seed again (`recouvra seed`, which re-seeds when the window moved) or set seed.end_month "
                "and seed.history_months to the seed's")
        current = _clock(sink, end_month)
        report = AdvanceReport(redact_url(url), seed, _label(current), to_month)
        if target - end_month > MAX_ADVANCE_MONTHS:
            raise ConfigError(f"--advance-to {to_month}: at most {MAX_ADVANCE_MONTHS} months after "
                              f"seed.end_month {settings.seed.end_month} (new employers' number space)")
        if target <= current:
            return report
        if not truth_path.exists():
            raise ConfigError(f"no duplicates truth at {truth_path}: pass the seed's --truth-dir")
        truth = _committed_truth(sink, pd.read_parquet(truth_path))
        text = Timeline(end_month, settings.seed.history_months, DUE_DAY)
        for index in range(current + 1, target + 1):
            tables = RateTables.build(settings.rates, Timeline(index, settings.seed.history_months, DUE_DAY))
            m = _Month(index, text, tables)
            w = _draw_month(sink, settings, seed, m, index - end_month - 1, truth)
            _apply(sink, w)
            month = w.report(m.label)
            sink.execute(query("standins/insert_source_month"), (
                m.label, seed, json.dumps({"inserted": month.inserted, "updated": month.updated}), _now()))
            truth = _write_truth(truth, w.truth, truth_path)
            sink.commit()
            report.months.append(month)
        report.elapsed_s = time.perf_counter() - started
        return report
    except BaseException:
        sink.rollback()
        raise
    finally:
        sink.close()


def _label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
