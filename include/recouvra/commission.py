"""Monthly commission statements (agency-exchange v1, "Commission statement"): compute, write, record.

Per dossier and statement month ``M`` (the contract's formulas, money as :class:`~decimal.Decimal`):

* ``attributed_amount`` = net ``core.attribution`` of the dossier whose ``attribution_month`` <= M
  (cumulative over the dossier's life; reversals lower it);
* ``commission_before_cap`` = ``commission_rate`` x that, rounded half-up to the centime;
* ``commission_paid_to_date`` = min(before cap, ``commission_cap``); ``cap_reached`` = before cap >= cap;
* ``commission_this_month`` = paid to date now - paid to date on the dossier's previous statement
  (0 before its first): negative after a reversal, unless the dossier stays at or above its cap;
* ``principal_recovered``, ``surcharges_recovered``, ``penalties_recovered`` (recovered by kind, an
  addition to the contract): of ``attributed_amount``, what settled each kind (``core.attribution_kind``
  with ``attribution_month`` <= M), cumulative; they add up to ``attributed_amount``.

A dossier is on month M's statement when its window (to its recall) overlaps M, or when its paid to
date changes in M (a reversal after the window claws back). So over a dossier's rows
``sum(commission_this_month) = commission_paid_to_date`` of its latest row.

:func:`compute_statements` replaces month M *and every later month already computed*, in order, so the
chain ``this_month = paid now - paid before`` stays true after a re-run; rows that do not change keep
``computed_at`` and ``file_name``; a published row that changes loses its ``file_name`` (logged: the
agency must get the month again). Attribution months are fixed once an agency received a month
(:mod:`recouvra.reconcile`), so re-running a published month normally changes nothing.

The agency file ``outbox/CNSS_COMMISSION_<AGENCY>_<YYYYMM>.csv`` follows :mod:`recouvra.publication`'s
CSV rules (same helpers): rows by dossier_id, amounts with two decimals, ``commission_this_month``
signed (the only cell that may carry ``-``), the rate without trailing zeros, ``cap_reached`` ``Y|N``;
a manifest ``CNSS_COMMISSION_<AGENCY>_<YYYYMM>.manifest.json`` (``seq`` 1: the name has no SEQ) gives
its sha256, rows and ``control_total`` = sum of ``commission_this_month``, which equals the warehouse's
total for the agency and month.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recouvra.calendar import require_month
from recouvra.exchange.manifest import Manifest, ManifestEntry
from recouvra.exchange.names import commission_names, month_stamp
from recouvra.exchange.spec import COMMISSION_COLUMNS
from recouvra.ledger import CENT, ZERO, as_date, money
from recouvra.publication import (
    Package,
    Publication,
    amount_cell,
    control_total,
    csv_bytes,
    generated_stamp,
    month_cell,
    out_file,
    rate_cell,
    record_publication,
    text_cell,
)
from recouvra.reconcile import DossierTerms, month_end, read_dossiers
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class StatementLine:
    """One dossier on one monthly statement (a row of core.commission_statement and of the file)."""

    attributed_amount: Decimal
    commission_rate: Decimal
    commission_cap: Decimal
    commission_before_cap: Decimal
    commission_paid_to_date: Decimal
    commission_this_month: Decimal
    cap_reached: bool
    dossier_id: str = ""
    agency_code: str = ""
    statement_month: dt.date | None = None
    commission_basis: str = ""
    #: Recovered by kind, cumulative like attributed_amount; None on a row stored before the split.
    principal_recovered: Decimal | None = None
    surcharges_recovered: Decimal | None = None
    penalties_recovered: Decimal | None = None

    @property
    def by_kind(self) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        """(principal, surcharges, penalties) recovered to date."""
        return self.principal_recovered, self.surcharges_recovered, self.penalties_recovered


def statement_line(attributed: Decimal, rate: Decimal, cap: Decimal, previous_paid: Decimal = ZERO,
                   **ids: Any) -> StatementLine:
    """The contract's formulas for one dossier: ``attributed`` cumulative to date, ``previous_paid`` the
    commission paid to date on its previous statement."""
    before = (Decimal(rate) * Decimal(attributed)).quantize(CENT, rounding=ROUND_HALF_UP)
    paid = min(before, Decimal(cap))
    return StatementLine(Decimal(attributed), Decimal(rate), Decimal(cap), before, paid,
                         paid - Decimal(previous_paid), before >= Decimal(cap), **ids)


def chain(attributed_by_month: Sequence[Decimal], rate: Decimal, cap: Decimal) -> list[StatementLine]:
    """Statements of one dossier over consecutive months from its cumulative attributed amounts."""
    out, paid = [], ZERO
    for amount in attributed_by_month:
        line = statement_line(amount, rate, cap, paid)
        paid = line.commission_paid_to_date
        out.append(line)
    return out


@dataclass
class StatementReport:
    """What :func:`compute_statements` wrote: the month's lines and the later months it re-chained."""

    month: str
    lines: list[StatementLine] = field(default_factory=list)
    months_recomputed: list[str] = field(default_factory=list)
    unpublished_again: list[str] = field(default_factory=list)

    def totals(self) -> dict[str, Decimal]:
        """commission_this_month per agency for the month."""
        out: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in self.lines:
            out[line.agency_code] += line.commission_this_month
        return dict(out)


def _on_statement(d: DossierTerms, month: dt.date, line: StatementLine) -> bool:
    overlaps = d.assignment_start <= month_end(month) and d.last_day >= month
    return overlaps or line.commission_this_month != 0


#: The statement's recovered-by-kind columns, in file order, and the warehouse kind each sums.
KIND_COLUMNS: tuple[tuple[str, str], ...] = (
    ("principal_recovered", "PRINCIPAL"),
    ("surcharges_recovered", "SURCHARGE"),
    ("penalties_recovered", "PENALTY"),
)


def lines_for_months(
    dossiers: Iterable[DossierTerms], attributed: Mapping[str, Mapping[dt.date, Decimal]],
    months: Sequence[dt.date], previous_paid: Mapping[str, Decimal],
    by_kind: Mapping[str, Mapping[dt.date, Mapping[str, Decimal]]] | None = None,
) -> dict[dt.date, list[StatementLine]]:
    """Pure: the statement lines of ``months`` (ascending), chaining from ``previous_paid``; with
    ``by_kind`` (dossier -> attribution month -> kind -> net amount) each line carries its cumulative
    recovered by kind."""
    paid = defaultdict(lambda: ZERO, previous_paid)
    out: dict[dt.date, list[StatementLine]] = {}
    ordered = sorted(dossiers, key=lambda d: d.dossier_id)
    for m in months:
        rows = []
        for d in ordered:
            if d.assignment_start > month_end(m):
                continue
            cumulative = sum((v for k, v in attributed.get(d.dossier_id, {}).items() if k <= m), ZERO)
            kinds: dict[str, Decimal] = {}
            if by_kind is not None:
                months_kinds = by_kind.get(d.dossier_id, {})
                kinds = {column: sum((v.get(kind, ZERO) for k, v in months_kinds.items() if k <= m), ZERO)
                         for column, kind in KIND_COLUMNS}
            line = statement_line(cumulative, d.commission_rate, d.commission_cap, paid[d.dossier_id],
                                  dossier_id=d.dossier_id, agency_code=d.agency_code, statement_month=m,
                                  **kinds)
            if _on_statement(d, m, line):
                rows.append(line)
                paid[d.dossier_id] = line.commission_paid_to_date
        out[m] = rows
    return out


def compute_statements(wh: Warehouse, month: dt.date) -> StatementReport:
    """Compute and store the statements of ``month`` and re-chain every later month already stored
    (one transaction; unchanged rows keep their timestamps and file names)."""
    import pyarrow as pa

    first = require_month(month)
    existing = wh.query(query("reconcile/select_commission_statements"))
    later = sorted({as_date(r[0]) for r in existing if as_date(r[0]) > first})
    months = [first, *later]
    dossiers = read_dossiers(wh, month_end(months[-1]))
    attributed: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    for dossier_id, amonth, amount in wh.query(query("reconcile/select_attributed_by_month")):
        attributed[str(dossier_id)][as_date(amonth)] = money(amount)
    by_kind: dict[str, dict[dt.date, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for dossier_id, amonth, kind, amount in wh.query(query("reconcile/select_recovered_kind_by_month")):
        by_kind[str(dossier_id)][as_date(amonth)][str(kind)] = money(amount)
    previous: dict[str, Decimal] = {}
    old: dict[tuple[dt.date, str], tuple[Any, ...]] = {}
    for r in existing:
        sm = as_date(r[0])
        if sm < first:
            previous[str(r[1])] = money(r[7])  # rows come by month: the latest earlier one wins
        else:
            old[(sm, str(r[1]))] = r
    computed = lines_for_months(dossiers, attributed, months, previous, by_kind)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    report = StatementReport(first.isoformat(), computed[first], [m.isoformat() for m in later])
    rows: list[tuple[Any, ...]] = []
    for m in months:
        for line in computed[m]:
            values = (line.attributed_amount, line.commission_rate, line.commission_cap,
                      line.commission_before_cap, line.commission_paid_to_date, line.commission_this_month,
                      line.cap_reached)
            prior = old.get((m, line.dossier_id))
            file_name, at = None, now
            if prior is not None:
                same = (money(prior[3]), Decimal(prior[4]), money(prior[5]), money(prior[6]), money(prior[7]),
                        money(prior[8]), bool(prior[9])) == values and str(prior[2]) == line.agency_code
                # A row stored before the split (no kinds) was sent without them: filling them in does
                # not change what the agency received.
                if prior[13] is not None:
                    same = same and tuple(money(v) for v in prior[13:16]) == line.by_kind
                if same:
                    file_name, at = prior[10], prior[11]
                elif prior[10] is not None:
                    report.unpublished_again.append(f"{m:%Y-%m} {line.dossier_id}")
            rows.append((m, line.dossier_id, line.agency_code, *values, file_name, at, *line.by_kind))
    if report.unpublished_again:
        log.warning("%d published statement row(s) changed and must be sent again: %s",
                    len(report.unpublished_again), report.unpublished_again[:10])
    with wh.transaction():
        wh.execute(query("reconcile/delete_commission_statements"), [first])
        if rows:
            cols = list(zip(*rows, strict=True))
            money_type = pa.decimal128(18, 2)
            wh.load_arrow("core.commission_statement", pa.table({
                "statement_month": pa.array(cols[0], pa.date32()),
                "dossier_id": pa.array(cols[1], pa.string()),
                "agency_code": pa.array(cols[2], pa.string()),
                "attributed_amount": pa.array(cols[3], money_type),
                "commission_rate": pa.array([Decimal(r).quantize(Decimal("0.0001")) for r in cols[4]],
                                            pa.decimal128(6, 4)),
                "commission_cap": pa.array(cols[5], money_type),
                "commission_before_cap": pa.array(cols[6], money_type),
                "commission_paid_to_date": pa.array(cols[7], money_type),
                "commission_this_month": pa.array(cols[8], money_type),
                "cap_reached": pa.array(cols[9], pa.bool_()),
                "file_name": pa.array(cols[10], pa.string()),
                "computed_at": pa.array(cols[11], pa.timestamp("us")),
                "principal_recovered": pa.array(cols[12], money_type),
                "surcharges_recovered": pa.array(cols[13], money_type),
                "penalties_recovered": pa.array(cols[14], money_type),
            }))
    log.info("commission %s: %d lines, total %s; re-chained %s", first.isoformat(), len(report.lines),
             sum((line.commission_this_month for line in report.lines), ZERO), report.months_recomputed)
    return report


# ------------------------------------------------------------------------------------------- files
def commission_cells(line: StatementLine) -> list[str]:
    """One file row, in :data:`COMMISSION_COLUMNS` order."""
    ref = line.dossier_id
    return [
        ref,
        amount_cell(line.attributed_amount, what=f"{ref} attributed_amount"),
        rate_cell(line.commission_rate, what=f"{ref} commission_rate"),
        amount_cell(line.commission_before_cap, what=f"{ref} commission_before_cap"),
        amount_cell(line.commission_paid_to_date, what=f"{ref} commission_paid_to_date"),
        amount_cell(line.commission_this_month, signed=True, what=f"{ref} commission_this_month"),
        "Y" if line.cap_reached else "N",
        text_cell(line.commission_basis, what="commission_basis", ref=ref),
        # empty on a row stored before recovered by kind existed
        *("" if v is None else amount_cell(v, what=f"{ref} {column}")
          for v, (column, _) in zip(line.by_kind, KIND_COLUMNS, strict=True)),
    ]


def render_commission(lines: Iterable[StatementLine]) -> bytes:
    """The statement file's bytes: header and one row per dossier, by dossier_id."""
    ordered = sorted(lines, key=lambda x: x.dossier_id)
    return csv_bytes(COMMISSION_COLUMNS, (commission_cells(x) for x in ordered))


def write_commission_file(
    out_dir: Path, agency: str, month: dt.date, lines: Sequence[StatementLine], *,
    now: dt.datetime | None = None,
) -> Package:
    """Write one agency's statement file and then its manifest under ``out_dir/<AGENCY>/``."""
    name, manifest_name = commission_names(agency, month)
    folder = Path(out_dir) / agency
    f = out_file(folder, name, "COMMISSION", render_commission(lines), len(lines),
             control_total(x.commission_this_month for x in lines))
    generated_at = generated_stamp(now)
    manifest = out_file(folder, manifest_name, "MANIFEST", Manifest(
        agency, 1, generated_at, (ManifestEntry(f.name, f.sha256, f.rows, f.control_total or "0.00"),),
        month=month_cell(month),
    ).render(), 0, None)
    return Package("COMMISSION", agency, month_stamp(month), 1, generated_at, (f,), manifest,
                   dossier_ids=tuple(sorted(x.dossier_id for x in lines)))


def read_statement(wh: Warehouse, month: dt.date) -> dict[str, list[StatementLine]]:
    """The stored statement lines of a month, by agency."""
    first = require_month(month)
    out: dict[str, list[StatementLine]] = defaultdict(list)
    for r in wh.query(query("reconcile/select_commission_statements")):
        if as_date(r[0]) != first:
            continue
        out[str(r[2])].append(StatementLine(money(r[3]), Decimal(r[4]), money(r[5]), money(r[6]), money(r[7]),
                                            money(r[8]), bool(r[9]), str(r[1]), str(r[2]), first,
                                            str(r[12] or ""),
                                            *(None if v is None else money(v) for v in r[13:16])))
    return dict(out)


def build_commission_files(
    wh: Warehouse, month: dt.date, out_dir: Path, *, agencies: Iterable[str] | None = None,
    now: dt.datetime | None = None,
) -> list[Package]:
    """Each agency's statement file of ``month`` from ``core.commission_statement`` (reads only);
    an agency with no line gets no file."""
    wanted = set(agencies) if agencies is not None else None
    return [write_commission_file(out_dir, agency, require_month(month), lines, now=now)
            for agency, lines in sorted(read_statement(wh, month).items())
            if wanted is None or agency in wanted]


def record_commission_publication(wh: Warehouse, published: Iterable[Publication | Mapping[str, Any]]) -> int:
    """Record uploaded statement files (publication log) and set ``file_name`` on their rows, in one
    transaction; returns the rows marked."""
    pubs = [p if isinstance(p, Publication) else Publication.from_dict(p) for p in published]
    marked = 0
    with wh.transaction():
        record_publication(wh, pubs)
        for pub in pubs:
            label = pub.package.period_label
            month = dt.date(int(label[:4]), int(label[4:6]), 1)
            wh.execute(query("reconcile/mark_statements_published"),
                       [pub.files[0].name, pub.package.agency, month])
            marked += len(pub.package.dossier_ids)
    return marked
