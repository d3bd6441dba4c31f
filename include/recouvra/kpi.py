"""The KPI stage: rebuild one month of the marts from core, for BI users and the monthly report.

:func:`load_kpis` replaces everything the marts say about the end of one month, in one transaction:

- ``marts.fact_dossier_month``: the position of every dossier placed so far (INSERT ... SELECT);
- ``marts.kpi_recovery_vintage``: recovery curve points (agency x vintage x segment x region x months
  since placement) that describe that month end;
- ``marts.kpi_cohort_month``: each cohort's outcomes as of the month end (30/60/90-day recovery,
  right-party contact, promises kept, plans, location, assets, data updates, cost to collect), and its
  latest-month copy ``marts.kpi_cohort_outcome``;
- ``marts.kpi_agency_league``: the cohorts summed per agency and ranked;
- ``marts.kpi_agency_month``: activity, collections and commission per agency in the month;
- ``marts.kpi_portfolio_month``: coverage of the portfolio and the amount remaining to recover;
- ``marts.kpi_recovered_kind``: recovered by kind (principal, surcharges, penalties) per agency, in the
  month and to date (``core.attribution_kind``, split by the configured imputation order);
- ``marts.kpi_agency_effect``: each agency against the pool on comparable dossiers, with a confidence
  interval (:mod:`recouvra.effects`);
- ``marts.kpi_score_calibration``: the score's predictions against what was recovered, by decile
  (:mod:`recouvra.calibration`).

The SQL (``include/sql/kpi/``) only counts and sums, in the subset DuckDB and PostgreSQL share, so the
same files give the same numbers on both engines. Rates are divided here, exactly, with ``Decimal``
(half-up to 6 places), because the engines divide decimals differently (DuckDB in binary floating
point); the rows are then bulk-loaded with :meth:`Warehouse.load_arrow` (COPY on PostgreSQL).
Definitions of every KPI: ``docs/kpi.md``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import TYPE_CHECKING, Any

from recouvra.calendar import month_end as month_end
from recouvra.calendar import require_month
from recouvra.calibration import DEFAULT_HORIZON_MONTHS, load_score_calibration
from recouvra.effects import load_agency_effects
from recouvra.errors import RecouvraError
from recouvra.sqlfiles import query
from recouvra.warehouse import list_columns

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pyarrow as pa

    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)

RATE_QUANTUM = Decimal("0.000001")
#: Days after promise_date a payment still keeps a promise (the 5 days the exchange contract allows
#: between an agency's and the ledger's payment dates).
DEFAULT_PROMISE_GRACE_DAYS = 5

VINTAGE_COLUMNS: tuple[str, ...] = (
    "agency_code",
    "placement_month",
    "segment",
    "region",
    "months_since_placement",
    "dossiers_count",
    "assigned_amount",
    "recovered_amount",
)
VINTAGE_RATES: dict[str, tuple[str, str]] = {"recovery_rate": ("recovered_amount", "assigned_amount")}

COHORT_COLUMNS: tuple[str, ...] = (
    "as_of_month",
    "agency_code",
    "placement_month",
    "segment",
    "region",
    "as_of_date",
    "dossiers_count",
    "assigned_amount",
    "recovered_30d",
    "recovered_60d",
    "recovered_90d",
    "recovered_to_date",
    "dossiers_worked",
    "dossiers_right_party_contact",
    "dossiers_committed",
    "promises_count",
    "promises_kept",
    "plans_requested",
    "plans_signed",
    "plans_started",
    "plans_kept",
    "dossiers_located",
    "dossiers_assets_found",
    "dossiers_data_updated",
    "dossiers_paying",
    "dossiers_paid_in_full",
    "open_amount",
    "commission_to_date",
)
#: rate column: (numerator, denominator); shared by the cohort and league tables.
OUTCOME_RATES: dict[str, tuple[str, str]] = {
    "recovery_rate": ("recovered_to_date", "assigned_amount"),
    "right_party_contact_rate": ("dossiers_right_party_contact", "dossiers_worked"),
    "promise_kept_rate": ("promises_kept", "promises_count"),
    "plan_activation_rate": ("plans_signed", "plans_requested"),
    "plan_kept_rate": ("plans_kept", "plans_started"),
    "located_rate": ("dossiers_located", "dossiers_count"),
    "assets_found_rate": ("dossiers_assets_found", "dossiers_count"),
    "data_update_rate": ("dossiers_data_updated", "dossiers_count"),
    "cost_to_collect": ("commission_to_date", "recovered_to_date"),
}
COHORT_RATES: dict[str, tuple[str, str]] = {
    "recovery_rate_30d": ("recovered_30d", "assigned_amount"),
    "recovery_rate_60d": ("recovered_60d", "assigned_amount"),
    "recovery_rate_90d": ("recovered_90d", "assigned_amount"),
    **OUTCOME_RATES,
}

LEAGUE_COLUMNS: tuple[str, ...] = (
    "as_of_month",
    "agency_code",
    "dossiers_count",
    "assigned_amount",
    "recovered_to_date",
    "assigned_90d",
    "recovered_90d",
    "open_amount",
    "commission_to_date",
    "dossiers_worked",
    "dossiers_right_party_contact",
    "dossiers_committed",
    "promises_count",
    "promises_kept",
    "plans_requested",
    "plans_signed",
    "plans_started",
    "plans_kept",
    "dossiers_located",
    "dossiers_assets_found",
    "dossiers_data_updated",
    "dossiers_paying",
    "dossiers_paid_in_full",
)
LEAGUE_RATES: dict[str, tuple[str, str]] = {
    "recovery_rate_90d": ("recovered_90d", "assigned_90d"),
    **OUTCOME_RATES,
}

AGENCY_MONTH_COLUMNS: tuple[str, ...] = (
    "agency_code",
    "month",
    "dossiers_open",
    "dossiers_assigned",
    "dossiers_recalled",
    "assigned_amount",
    "open_amount",
    "actions_count",
    "reported_payments_amount",
    "matched_payments_amount",
    "attributed_in_month",
    "commission_in_month",
)
AGENCY_MONTH_RATES: dict[str, tuple[str, str]] = {
    "cost_to_collect": ("commission_in_month", "attributed_in_month"),
}

RECOVERED_KIND_COLUMNS: tuple[str, ...] = (
    "agency_code",
    "month",
    "principal_in_month",
    "surcharges_in_month",
    "penalties_in_month",
    "recovered_in_month",
    "principal_to_date",
    "surcharges_to_date",
    "penalties_to_date",
    "recovered_to_date",
)

PORTFOLIO_COLUMNS: tuple[str, ...] = (
    "month",
    "segment",
    "region",
    "debtors_in_portfolio",
    "debtors_eligible",
    "debtors_placed",
    "portfolio_amount",
    "eligible_amount",
    "placed_amount",
    "recovered_to_date",
    "remaining_open_amount",
)
PORTFOLIO_RATES: dict[str, tuple[str, str]] = {
    "coverage_debtors_rate": ("debtors_placed", "debtors_eligible"),
    "coverage_amount_rate": ("placed_amount", "eligible_amount"),
    "coverage_portfolio_rate": ("remaining_open_amount", "portfolio_amount"),
}

#: Tables a month's load replaces, in the order they are rebuilt (later ones read earlier ones).
MART_TABLES: tuple[str, ...] = (
    "marts.fact_dossier_month",
    "marts.kpi_recovery_vintage",
    "marts.kpi_cohort_month",
    "marts.kpi_agency_league",
    "marts.kpi_agency_month",
    "marts.kpi_portfolio_month",
    "marts.kpi_recovered_kind",
    "marts.kpi_agency_effect",
    "marts.kpi_score_calibration",
    "marts.kpi_cohort_outcome",
)


class KpiError(RecouvraError):
    """The KPIs of a month cannot be computed as asked; the message says why and what to do."""


@dataclass(frozen=True)
class KpiReport:
    """What :func:`load_kpis` wrote for a month: rows per mart table and the month-end totals."""

    month: dt.date
    computed_at: dt.datetime
    rows: dict[str, int] = field(default_factory=dict)
    dossiers: int = 0
    assigned_amount: Decimal = Decimal("0.00")
    recovered_to_date: Decimal = Decimal("0.00")
    open_amount: Decimal = Decimal("0.00")
    commission_to_date: Decimal = Decimal("0.00")
    #: Loaded before a later month was: kept as it was, nothing written.
    kept: bool = False

    @property
    def recovery_rate(self) -> Decimal | None:
        """Programme-wide recovered_to_date / assigned_amount at the month end."""
        return rate(self.recovered_to_date, self.assigned_amount)


def rate(numerator: Any, denominator: Any) -> Decimal | None:
    """``numerator / denominator`` as an exact fraction rounded half-up to 6 places; ``None`` when
    either is missing or the denominator is zero (a rate without a base is unknown, not 0)."""
    if numerator is None or denominator is None:
        return None
    den = Decimal(denominator)
    if den == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        return (Decimal(numerator) / den).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def _check_month(month: dt.date) -> dt.date:
    return require_month(month, error=KpiError)


# --- typed bulk rows --------------------------------------------------------------------------------

_DECIMAL = re.compile(r"^DECIMAL\((\d+),(\d+)\)$")


def _arrow_type(data_type: str) -> pa.DataType:
    import pyarrow as pa

    m = _DECIMAL.match(data_type)
    if m:
        return pa.decimal128(int(m.group(1)), int(m.group(2)))
    types = {
        "VARCHAR": pa.string(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
        "BOOLEAN": pa.bool_(),
    }
    if data_type not in types:
        raise KpiError(f"no Arrow type for warehouse type {data_type}")
    return types[data_type]


def _coerce(value: Any, data_type: str) -> Any:
    """A driver value as the target column holds it: PostgreSQL sums integers as numeric, DuckDB as
    HUGEINT; money is quantized to its scale (never a float)."""
    if value is None:
        return None
    m = _DECIMAL.match(data_type)
    if m:
        if isinstance(value, float):
            raise KpiError(f"binary float {value!r} where {data_type} money or rate was expected")
        return Decimal(value).quantize(Decimal(1).scaleb(-int(m.group(2))), rounding=ROUND_HALF_UP)
    if data_type in {"INTEGER", "BIGINT"}:
        return int(value)
    return value


def _table_types(wh: Warehouse, table: str) -> dict[str, str]:
    schema, name = table.split(".")
    types = {c.name: c.data_type for c in list_columns(wh) if (c.schema, c.table) == (schema, name)}
    if not types:
        raise KpiError(f"{table} does not exist on {wh.label}: run `recouvra warehouse migrate`")
    return types


def _to_arrow(types: Mapping[str, str], records: Sequence[Mapping[str, Any]], table: str) -> pa.Table:
    import pyarrow as pa

    columns = list(records[0])
    unknown = [c for c in columns if c not in types]
    if unknown:
        raise KpiError(f"{table} has no column(s) {unknown}")
    return pa.table(
        {c: pa.array([_coerce(r[c], types[c]) for r in records], _arrow_type(types[c])) for c in columns}
    )


def _records(
    rows: Sequence[tuple[Any, ...]],
    columns: Sequence[str],
    rates: Mapping[str, tuple[str, str]],
    extra: Mapping[str, Any],
) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        if len(row) != len(columns):
            raise KpiError(f"query returned {len(row)} columns, expected {len(columns)}: {list(columns)}")
        rec = dict(zip(columns, row, strict=True))
        for name, (num, den) in rates.items():
            rec[name] = rate(rec[num], rec[den])
        rec.update(extra)
        out.append(rec)
    return out


def _load(wh: Warehouse, table: str, records: Sequence[Mapping[str, Any]]) -> int:
    if not records:
        return 0
    return wh.load_arrow(table, _to_arrow(_table_types(wh, table), records, table))


def _rank(league: list[dict[str, Any]]) -> None:
    """League rank: highest recovery rate first; agencies without a rate last; ties by agency code."""
    ordered = sorted(
        league,
        key=lambda r: (r["recovery_rate"] is None, -(r["recovery_rate"] or 0), r["agency_code"]),
    )
    for position, rec in enumerate(ordered, start=1):
        rec["league_rank"] = position


# --- the stage --------------------------------------------------------------------------------------


def load_kpis(
    wh: Warehouse,
    month: dt.date,
    *,
    promise_grace_days: int = DEFAULT_PROMISE_GRACE_DAYS,
    computed_at: dt.datetime | None = None,
    recompute: bool = False,
    calibration_horizon_months: int = DEFAULT_HORIZON_MONTHS,
) -> KpiReport:
    """Rebuild every mart row describing the end of ``month`` (its first day) from core, in one
    transaction: the month's rows are deleted then inserted, so a re-run replaces rather than adds.

    A month loaded before a later month was is kept as it was (``kept``; nothing written): core
    has learned since (returns received later, dated in the month; later recalls and matches), so a
    re-run or backfill would restate what BI users already read. ``recompute`` rebuilds it anyway
    (after a fix of the KPI definitions, say).

    Bulk paths only: ``INSERT ... SELECT`` for the dossier positions, ``load_arrow`` (COPY on
    PostgreSQL) for the KPI tables whose rates are divided exactly in Python. Each month is computed
    from core alone, so months may be loaded in any order; the report reads several months.
    """
    month = _check_month(month)
    if promise_grace_days < 0:
        raise KpiError(f"promise_grace_days must be 0 or more, not {promise_grace_days}")
    if not recompute:
        kept = _kept_month(wh, month)
        if kept is not None:
            return kept
    end = month_end(month)
    now = computed_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stamp = {"computed_at": now}
    rows: dict[str, int] = {}
    with wh.transaction():
        wh.execute(query("kpi/delete_fact_dossier_month"), [month])
        wh.execute(query("kpi/delete_recovery_vintage"), [month.year * 12 + month.month])
        wh.execute(query("kpi/delete_cohort_month"), [month])
        wh.execute(query("kpi/delete_agency_league"), [month])
        wh.execute(query("kpi/delete_agency_month"), [month])
        wh.execute(query("kpi/delete_portfolio_month"), [month])
        wh.execute(query("kpi/delete_recovered_kind"), [month])

        wh.execute(query("kpi/insert_fact_dossier_month"), [month, end])
        rows["marts.fact_dossier_month"] = int(
            wh.query(query("kpi/count_fact_dossier_month"), [month])[0][0]
        )

        vintage = _records(
            wh.query(query("kpi/select_recovery_vintage"), [month]), VINTAGE_COLUMNS, VINTAGE_RATES, stamp
        )
        rows["marts.kpi_recovery_vintage"] = _load(wh, "marts.kpi_recovery_vintage", vintage)

        cohorts = _records(
            wh.query(query("kpi/select_cohort_month"), [month, end, promise_grace_days]),
            COHORT_COLUMNS,
            COHORT_RATES,
            stamp,
        )
        rows["marts.kpi_cohort_month"] = _load(wh, "marts.kpi_cohort_month", cohorts)

        league = _records(
            wh.query(query("kpi/select_agency_league"), [month]), LEAGUE_COLUMNS, LEAGUE_RATES, stamp
        )
        _rank(league)
        rows["marts.kpi_agency_league"] = _load(wh, "marts.kpi_agency_league", league)

        agency_month = _records(
            wh.query(query("kpi/select_agency_month"), [month, end]),
            AGENCY_MONTH_COLUMNS,
            AGENCY_MONTH_RATES,
            stamp,
        )
        rows["marts.kpi_agency_month"] = _load(wh, "marts.kpi_agency_month", agency_month)

        portfolio = _records(
            wh.query(query("kpi/select_portfolio_month"), [month, end]),
            PORTFOLIO_COLUMNS,
            PORTFOLIO_RATES,
            stamp,
        )
        rows["marts.kpi_portfolio_month"] = _load(wh, "marts.kpi_portfolio_month", portfolio)

        by_kind = _records(
            wh.query(query("kpi/select_recovered_kind"), [month]), RECOVERED_KIND_COLUMNS, {}, stamp
        )
        rows["marts.kpi_recovered_kind"] = _load(wh, "marts.kpi_recovered_kind", by_kind)

        # Reads the dossier positions just written (and the earlier months' as they were loaded).
        rows["marts.kpi_agency_effect"] = load_agency_effects(wh, month, now)
        rows["marts.kpi_score_calibration"] = load_score_calibration(
            wh, month, now, horizon_months=calibration_horizon_months
        )

        # V007's snapshot table follows the latest month loaded, whichever month this run is.
        wh.execute(query("kpi/delete_cohort_outcome"))
        wh.execute(query("kpi/insert_cohort_outcome_latest"))
        rows["marts.kpi_cohort_outcome"] = int(wh.query(query("kpi/count_cohort_outcome"))[0][0])

    def total(name: str) -> Decimal:
        return sum((Decimal(r[name]) for r in cohorts), Decimal("0.00"))

    report = KpiReport(
        month=month,
        computed_at=now,
        rows=rows,
        dossiers=sum(int(r["dossiers_count"]) for r in cohorts),
        assigned_amount=total("assigned_amount"),
        recovered_to_date=total("recovered_to_date"),
        open_amount=total("open_amount"),
        commission_to_date=total("commission_to_date"),
    )
    log.info(
        "KPIs of %s on %s: %s; recovered %s of %s assigned",
        month.isoformat(),
        wh.label,
        ", ".join(f"{t} {n}" for t, n in rows.items()),
        report.recovered_to_date,
        report.assigned_amount,
    )
    return report


def _kept_month(wh: Warehouse, month: dt.date) -> KpiReport | None:
    """The report of ``month`` as loaded, when it was loaded and a later month has been since."""
    month_rows, latest = wh.query(query("kpi/select_month_loaded"), [month])[0]
    if not month_rows or latest is None or latest <= month:
        return None
    dossiers, assigned, recovered, open_amount, commission, computed = wh.query(
        query("kpi/select_kept_month"), [month])[0]
    report = KpiReport(month=month, computed_at=computed, rows={}, dossiers=int(dossiers),
                       assigned_amount=Decimal(assigned), recovered_to_date=Decimal(recovered),
                       open_amount=Decimal(open_amount), commission_to_date=Decimal(commission), kept=True)
    log.info("KPIs of %s kept as loaded on %s (a later month, %s, was loaded since): recovered %s of %s "
             "assigned", month.isoformat(), computed, latest.isoformat(), recovered, assigned)
    return report


def load_kpi_months(wh: Warehouse, first: dt.date, last: dt.date, **options: Any) -> list[KpiReport]:
    """:func:`load_kpis` for every month from ``first`` to ``last`` (first days, inclusive): a backfill,
    e.g. before the first report, whose curves and trends read past months."""
    first, last = _check_month(first), _check_month(last)
    if last < first:
        raise KpiError(f"last month {last.isoformat()} is before first month {first.isoformat()}")
    reports, month = [], first
    while month <= last:
        reports.append(load_kpis(wh, month, **options))
        month = month_end(month) + dt.timedelta(days=1)
    return reports
