"""The monthly programme report: one self-contained HTML page read from the KPI marts.

:func:`render_report` reads the marts of a month (and the months before it, for curves and trends),
draws inline SVG charts (no script library, no font or style fetched: it opens offline and prints)
and writes ``report_<YYYY-MM>.html`` atomically (a ``.part`` file renamed). :func:`publish_report`
does it for the configured warehouse into ``storage.reports_dir``.

Sections: headline figures; recovery curves per agency (one line per vintage); the agency league
(recovery rate, cost to collect, right-party contact, promises kept, plans, location, assets);
re-placements by tier and months added to dossiers; the funnel from assigned to recovered; the amount
remaining to recover over time. Load the month's KPIs first (:func:`recouvra.kpi.load_kpis`); definitions
are in ``docs/kpi.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Any

from recouvra.calendar import require_month
from recouvra.errors import RecouvraError
from recouvra.kpi import rate
from recouvra.report.svg import PALETTE, Series, funnel_chart, line_chart, nice_max, rate_bar
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from recouvra.config import Settings
    from recouvra.warehouse import Warehouse

STYLE = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:24px auto;max-width:1000px;color:#1d2733;
 background:#fff;line-height:1.35}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:2px solid #dfe5ec;
 padding-bottom:4px}.sub{color:#5b6b7c;font-size:13px;margin:0 0 14px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{flex:1 1 150px;border:1px solid #dfe5ec;border-radius:6px;
 padding:8px 10px}.card .k{font-size:12px;color:#5b6b7c}.card .v{font-size:20px;font-weight:bold}
.grid2{display:flex;flex-wrap:wrap;gap:12px}.grid2 > div{flex:1 1 460px;min-width:320px}
svg.chart{width:100%;height:auto;display:block}svg .title{font-size:13px;font-weight:bold;fill:#1d2733}
svg .tick,svg .legend,svg .value{font-size:11px;fill:#4a5868}svg .label{font-size:12px;fill:#1d2733}
svg .grid{stroke:#e6ebf0;stroke-width:1}svg .axis{stroke:#8a99a8;stroke-width:1}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{padding:4px 5px;border-bottom:1px solid #e6ebf0;
 text-align:right;white-space:nowrap}th{background:#f4f6f9;font-weight:bold;white-space:normal;vertical-align:bottom}td.l,th.l{text-align:left}
.note{font-size:11.5px;color:#5b6b7c}.empty{color:#8a99a8;font-style:italic}
"""


class ReportError(RecouvraError):
    """The report cannot be rendered as asked; the message says why and what to do."""


@dataclass(frozen=True)
class ReportData:
    """What the report shows, read from the marts."""

    month: dt.date
    vintage: list[tuple[str, dt.date, int, Decimal, Decimal]]
    league: list[dict[str, Any]]
    trend: list[tuple[dt.date, Decimal, Decimal, Decimal, Decimal]]
    #: marts.kpi_agency_effect of the month, all vintages, by agency and months on book (EFFECT_FIELDS).
    effects: list[dict[str, Any]] = field(default_factory=list)
    #: marts.kpi_score_calibration of the month, by decile (CALIBRATION_FIELDS).
    calibration: list[dict[str, Any]] = field(default_factory=list)
    #: Each monthly selection's share rule and per-agency shares: (month, rule, {agency: {...}}).
    shares: list[tuple[dt.date, str, dict[str, dict[str, Any]]]] = field(default_factory=list)
    #: marts.v_recovery_tier of the month by tier, with the months added to dossiers (TIER_FIELDS).
    tiers: list[dict[str, Any]] = field(default_factory=list)
    #: marts.v_recovered_by_kind of the month, by agency (KIND_FIELDS).
    kinds: list[dict[str, Any]] = field(default_factory=list)


KIND_FIELDS = ("agency_code", "principal_in_month", "surcharges_in_month", "penalties_in_month",
               "recovered_in_month", "principal_to_date", "surcharges_to_date", "penalties_to_date",
               "recovered_to_date")
TIER_FIELDS = ("placement_tier", "dossiers_count", "assigned_amount", "recovered_to_date",
               "dossiers_added_to", "added_amount")


CALIBRATION_FIELDS = (
    "decile", "dossiers_count", "weighted_due", "predicted_amount", "observed_amount", "predicted_rate",
    "observed_rate", "horizon_months", "vintages_count", "model_source", "fitted_month",
)
EFFECT_FIELDS = (
    "agency_code", "months_on_book", "dossiers_count", "pool_dossiers_count", "agency_rate", "pool_rate",
    "effect", "ci_low", "ci_high", "significant", "finding",
)


LEAGUE_FIELDS = (
    "agency_code",
    "league_rank",
    "dossiers_count",
    "assigned_amount",
    "recovered_to_date",
    "recovery_rate",
    "recovery_rate_90d",
    "open_amount",
    "commission_to_date",
    "cost_to_collect",
    "dossiers_worked",
    "dossiers_right_party_contact",
    "right_party_contact_rate",
    "dossiers_committed",
    "promises_count",
    "promises_kept",
    "promise_kept_rate",
    "plan_activation_rate",
    "plan_kept_rate",
    "located_rate",
    "assets_found_rate",
    "data_update_rate",
    "dossiers_paying",
    "dossiers_paid_in_full",
)


def read_report_data(wh: Warehouse, month: dt.date) -> ReportData:
    """The marts the report of ``month`` (first day) reads; refuses a month whose KPIs are not loaded."""
    require_month(month, error=ReportError)
    league = [
        dict(zip(LEAGUE_FIELDS, r, strict=True)) for r in wh.query(query("kpi/select_report_league"), [month])
    ]
    if not league:
        raise ReportError(
            f"no KPIs loaded for {month:%Y-%m} on {wh.label}: run recouvra.kpi.load_kpis for that month first"
        )
    vintage = [
        (str(a), p, int(m), Decimal(s), Decimal(r))
        for a, p, m, s, r in wh.query(query("kpi/select_report_vintage"), [month.year * 12 + month.month])
    ]
    trend = [
        (m, Decimal(p), Decimal(pl), Decimal(o), Decimal(r))
        for m, p, pl, o, r in wh.query(query("kpi/select_report_trend"), [month])
    ]
    effect_rows = wh.query(query("kpi/select_report_effects"), [month])
    effects = [dict(zip(EFFECT_FIELDS, r, strict=True)) for r in effect_rows]
    calibration = [
        dict(zip(CALIBRATION_FIELDS, r, strict=True))
        for r in wh.query(query("kpi/select_report_calibration"), [month])
    ]
    shares = [
        (m, str(rule), json.loads(str(per_agency)))
        for m, rule, per_agency in wh.query(query("kpi/select_report_shares"), [month])
    ]
    end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    tiers = [dict(zip(TIER_FIELDS, r, strict=True))
             for r in wh.query(query("kpi/select_report_tiers"), [end, end, month])]
    kinds = [dict(zip(KIND_FIELDS, r, strict=True))
             for r in wh.query(query("kpi/select_report_kinds"), [month])]
    return ReportData(month, vintage, league, trend, effects, calibration, shares, tiers, kinds)


# --- formatting -------------------------------------------------------------------------------------


def _mad(v: Decimal | None) -> str:
    """Money as the fund writes it in reports: thin-space thousands, two decimals, MAD."""
    return "–" if v is None else f"{v:,.2f}".replace(",", "\u202f") + " MAD"


def _mad_short(v: Decimal) -> str:
    for size, unit in ((Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
        if abs(v) >= size:
            return f"{v / size:.1f} {unit}"
    return f"{v:.0f}"


def _pct(v: Decimal | None, places: int = 1) -> str:
    return "–" if v is None else f"{v * 100:.{places}f} %"


def _month_label(m: dt.date) -> str:
    return f"{m:%Y-%m}"


def _sum(rows: Sequence[dict[str, Any]], key: str) -> Decimal:
    return sum((Decimal(r[key]) for r in rows if r[key] is not None), Decimal(0))


# --- sections ---------------------------------------------------------------------------------------


def _headline(data: ReportData) -> str:
    lg = data.league
    assigned, recovered = _sum(lg, "assigned_amount"), _sum(lg, "recovered_to_date")
    commission, open_amount = _sum(lg, "commission_to_date"), _sum(lg, "open_amount")
    latest = data.trend[-1] if data.trend and data.trend[-1][0] == data.month else None
    coverage = rate(latest[3], latest[1]) if latest else None
    cards = [
        ("Dossiers placed", f"{int(_sum(lg, 'dossiers_count')):,}".replace(",", "\u202f")),
        ("Assigned", _mad(assigned)),
        ("Recovered (attributed)", _mad(recovered)),
        ("Recovery rate", _pct(rate(recovered, assigned))),
        ("Remaining with agencies", _mad(open_amount)),
        ("Cost to collect", _pct(rate(commission, recovered), 2)),
        ("Portfolio coverage", _pct(coverage)),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="k">{escape(k)}</div><div class="v">{escape(v)}</div></div>'
            for k, v in cards
        )
        + "</div>"
    )


def _vintage_section(data: ReportData) -> str:
    agencies = sorted({a for a, *_ in data.vintage})
    if not agencies:
        return '<p class="empty">No dossier placed yet.</p>'
    vintages = sorted({p for _, p, *_ in data.vintage})
    colour = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(vintages)}
    top = max((float(rate(r, s) or 0) for *_, s, r in data.vintage), default=0.0)
    # Quarter gridlines on round percentages: 5 %, 10 %, 15 %, 20 % or 25 % apart.
    y_max = next((v for v in (0.2, 0.4, 0.6, 0.8) if top <= v), 1.0)
    max_m = max(m for _, _, m, _, _ in data.vintage)
    x_labels = {float(m): str(m) for m in range(0, max_m + 1)}
    panels = []
    for agency in agencies:
        series = []
        for p in vintages:
            pts = [
                (float(m), float(rate(r, s) or 0))
                for a, pv, m, s, r in data.vintage
                if a == agency and pv == p
            ]
            if pts:
                series.append(Series(f"placed {_month_label(p)}", colour[p], pts))
        panels.append(
            "<div>"
            + line_chart(
                series,
                title=f"{agency}: recovery rate by month since placement",
                x_labels=x_labels,
                y_max=y_max,
            )
            + "</div>"
        )
    return (
        '<div class="grid2">' + "".join(panels) + "</div>"
        '<p class="note">Each line is a placement month (vintage); x = months since placement (0 = the '
        "placement month); y = cumulative amount attributed to the agency, net of reversals, over the "
        "amount assigned.</p>"
    )


def _league_section(data: ReportData) -> str:
    best = max((r["recovery_rate"] for r in data.league if r["recovery_rate"] is not None), default=None)
    head = (
        "<tr><th>#</th><th class=l>Agency</th><th>Dossiers</th><th>Assigned</th><th>Recovered</th>"
        "<th class=l>Recovery rate</th><th>Within 90 d</th><th>Cost to collect</th>"
        "<th>Right-party contact</th>"
        "<th>Promises kept</th><th>Plans signed</th><th>Plans kept</th><th>Located</th><th>Assets found</th>"
        "<th>Data updated</th></tr>"
    )
    rows = []
    for r in data.league:
        rows.append(
            f"<tr><td>{r['league_rank']}</td><td class=l><b>{escape(r['agency_code'])}</b></td>"
            f"<td>{r['dossiers_count']}</td><td>{_mad_short(Decimal(r['assigned_amount']))}</td>"
            f"<td>{_mad_short(Decimal(r['recovered_to_date']))}</td>"
            f"<td class=l>{rate_bar(r['recovery_rate'], scale=best or Decimal(1))} "
            f"{_pct(r['recovery_rate'])}</td>"
            f"<td>{_pct(r['recovery_rate_90d'])}</td><td>{_pct(r['cost_to_collect'], 2)}</td>"
            f"<td>{_pct(r['right_party_contact_rate'])}</td>"
            f"<td>{_pct(r['promise_kept_rate'])} "
            f"<span class=note>({r['promises_kept']}/{r['promises_count']})</span></td>"
            f"<td>{_pct(r['plan_activation_rate'])}</td><td>{_pct(r['plan_kept_rate'])}</td>"
            f"<td>{_pct(r['located_rate'])}</td><td>{_pct(r['assets_found_rate'])}</td>"
            f"<td>{_pct(r['data_update_rate'])}</td></tr>"
        )
    return (
        f"<table>{head}{''.join(rows)}</table>"
        '<p class="note">All vintages to date. Cost to collect = commission paid ÷ amount attributed. '
        "Right-party contact over dossiers worked; promises kept over promises due (grace included); "
        "plans signed over plans requested; plans kept over signed plans with an instalment due. "
        "A dash: no base yet.</p>"
    )


def _signed_points(v: Any) -> str:
    return "–" if v is None else f"{Decimal(v) * 100:+.1f}"


def _effects_section(data: ReportData) -> str:
    """Per agency, the longest months on book with a verdict (else the longest at all)."""
    chosen: dict[str, dict[str, Any]] = {}
    for r in data.effects:  # ordered by agency, months on book
        best = chosen.get(r["agency_code"])
        if best is None or r["significant"] is not None or best["significant"] is None:
            chosen[r["agency_code"]] = r
    if not chosen:
        return '<p class="empty">No agency effect computed yet.</p>'
    rows = []
    for code, r in sorted(chosen.items()):
        verdict = {True: "<b>significant</b>", False: "not significant", None: "too few dossiers"}[
            r["significant"]
        ]
        interval = (
            "–" if r["ci_low"] is None else f"{_signed_points(r['ci_low'])} to {_signed_points(r['ci_high'])}"
        )
        rows.append(
            f"<tr><td class=l><b>{escape(code)}</b></td><td>{r['months_on_book']}</td>"
            f"<td>{r['dossiers_count']} / {r['pool_dossiers_count']}</td><td>{_pct(r['agency_rate'])}</td>"
            f"<td>{_pct(r['pool_rate'])}</td><td>{_signed_points(r['effect'])}</td><td>{interval}</td>"
            f"<td class=l>{verdict}</td></tr>"
        )
    findings = "".join(f"<li>{escape(str(r['finding']))}</li>" for _, r in sorted(chosen.items()))
    return (
        "<table><tr><th class=l>Agency</th><th>Months on book</th><th>Dossiers (agency / pool)</th>"
        "<th>Agency rate</th><th>Pool rate</th><th>Difference (points)</th><th>95% interval</th>"
        "<th class=l>Verdict</th></tr>" + "".join(rows) + "</table>"
        f"<ul>{findings}</ul>"
        '<p class="note">Dossiers are allocated at random within strata (placement month × region × segment '
        "× score band), so within a stratum the agencies get alike dossiers. Each agency is compared with "
        "the other agencies on the strata they share: the pool's rate is weighted to the agency's own mix. "
        "The interval is a stratified bootstrap over dossiers (2,000 resamples); a difference is significant "
        "when its interval excludes 0. Every vintage together, at the longest months on book with enough "
        "dossiers; by vintage in marts.v_agency_effect.</p>"
    )


def _calibration_section(data: ReportData) -> str:
    """Predicted against observed by decile, and which model scored the latest selection."""
    if not data.calibration:
        return ('<p class="empty">No vintage has outcomes yet: a placement month counts once its results '
                "horizon has passed.</p>")
    first = data.calibration[0]
    fitted = first["fitted_month"]
    model = (
        f"The latest selection was scored by the <b>{escape(str(first['model_source']))}</b> model; "
        + (
            "it was last refitted on the programme's own results for the selection of "
            f"{_month_label(fitted)}."
            if fitted is not None
            else "the score has not been refitted on results yet (the configured prior)."
        )
    )
    scale = Decimal(str(max(
        [float(r["observed_rate"] or 0) for r in data.calibration]
        + [float(r["predicted_rate"] or 0) for r in data.calibration] + [0.01]
    )))

    def bar(v: Any) -> str:
        return f"<td class=l>{rate_bar(v, scale=scale)} {_pct(v)}</td>"

    rows = "".join(
        f"<tr><td>{r['decile']}</td><td>{r['dossiers_count']}</td>"
        f"<td>{_mad_short(Decimal(r['weighted_due']))}</td>{bar(r['predicted_rate'])}{bar(r['observed_rate'])}</tr>"
        for r in data.calibration
    )
    return (
        f"<p>{model}</p>"
        "<table><tr><th>Decile</th><th>Dossiers</th><th>Weighted amount</th><th class=l>Predicted</th>"
        f"<th class=l>Observed</th></tr>{rows}</table>"
        f'<p class="note">Dossiers of the {first["vintages_count"]} placement month(s) whose '
        f"{first['horizon_months']}-month results horizon has passed, ranked by the likelihood their score "
        "card predicted (decile 1 = the highest). Predicted = score ÷ weighted amount; observed = attributed "
        "within the horizon ÷ weighted amount. A calibrated score has the two close in every decile, falling "
        "from decile 1 to 10.</p>"
    )


SHARE_RULES = {
    "CAPACITY": "by capacity: not yet enough placement months with results (allocation.performance)",
    "RECOVERY_RATE": "by results: capacity × the agency's recovery rate ÷ the mean rate, within the "
                     "minimum and maximum shares",
}


def _shares_section(data: ReportData) -> str:
    """Each month's shares and why: capacity until results exist, then shifted towards results."""
    if not data.shares:
        return '<p class="empty">No selection recorded yet.</p>'
    agencies = sorted({a for _, _, per in data.shares for a in per})
    head = "".join(f"<th>{escape(a)}</th>" for a in agencies)
    rows = []
    for m, rule, per in data.shares[-12:]:
        cells = []
        for a in agencies:
            s = per.get(a)
            if s is None:
                cells.append("<td>–</td>")
                continue
            rate = s.get("recovery_rate")
            why = "" if rate is None else f' <span class="note">(recovered {float(rate):.1%})</span>'
            cells.append(f"<td>{float(s.get('share') or 0):.0%} · {int(s.get('dossiers') or 0)}{why}</td>")
        rows.append(f"<tr><td class=l>{_month_label(m)}</td><td class=l>{escape(SHARE_RULES.get(rule, rule))}"
                    f"</td>{''.join(cells)}</tr>")
    switched = next((m for m, rule, _ in data.shares if rule == "RECOVERY_RATE"), None)
    when = (f"Shares follow results since the selection of {_month_label(switched)}."
            if switched is not None else "Shares still follow capacity: results are not in yet.")
    return (
        f"<p>{when}</p><table><tr><th class=l>Month</th><th class=l>Rule</th>{head}</tr>{''.join(rows)}"
        '</table><p class="note">Each cell: the agency\'s share of the month\'s dossiers · dossiers placed '
        "(and, once shares follow results, the recovery rate they were weighted by).</p>"
    )


def _tier_section(data: ReportData) -> str:
    """Recovery of first placements against re-placements with another agency; months added to dossiers."""
    if not data.tiers:
        return '<p class="empty">No dossier placed by the end of the month.</p>'
    rows = "".join(
        f"<tr><td>{r['placement_tier']}</td><td>{int(r['dossiers_count'])}</td>"
        f"<td>{_mad(Decimal(r['assigned_amount']))}</td><td>{_mad(Decimal(r['recovered_to_date']))}</td>"
        f"<td>{_pct(rate(r['recovered_to_date'], r['assigned_amount']))}</td>"
        f"<td>{int(r['dossiers_added_to'])}</td><td>{_mad(Decimal(r['added_amount']))}</td></tr>"
        for r in data.tiers
    )
    return (
        "<table><tr><th>Tier</th><th>Dossiers</th><th>Assigned</th><th>Recovered</th><th>Recovery rate</th>"
        f"<th>Dossiers with added months</th><th>Added (MAD)</th></tr>{rows}</table>"
        '<p class="note">Tier 1: a first placement. Tier 2 and 3: a debtor whose dossier came back '
        "unresolved (window ended, or closed unreachable or other), placed again after the cooling-off "
        "with an agency that never held it. Added: new unpaid months sent to the agency holding the "
        "dossier in a supplementary detail file; assigned includes them from the day they were sent.</p>"
    )


def _kind_section(data: ReportData) -> str:
    """Recovered by kind per agency: in the month and to date, with the principal's share."""
    if not data.kinds:
        return '<p class="empty">No recovered-by-kind figures loaded for the month.</p>'
    total = {k: _sum(data.kinds, k) for k in KIND_FIELDS[1:]}

    def row(name: str, r: dict[str, Any]) -> str:
        cells = "".join(f"<td>{_mad(Decimal(r[k]))}</td>" for k in KIND_FIELDS[1:])
        share = _pct(rate(r["principal_to_date"], r["recovered_to_date"]))
        return f"<tr><td>{name}</td>{cells}<td>{share}</td></tr>"

    rows = "".join(row(str(r["agency_code"]), r) for r in data.kinds) + row("<b>All agencies</b>", total)
    return (
        "<table><tr><th>Agency</th><th>Principal (month)</th><th>Surcharges (month)</th>"
        "<th>Penalties (month)</th><th>Recovered (month)</th><th>Principal to date</th>"
        "<th>Surcharges to date</th><th>Penalties to date</th><th>Recovered to date</th>"
        f"<th>Principal share to date</th></tr>{rows}</table>"
        '<p class="note">Each payment attributed to an agency is split over the principal, surcharges and '
        "penalties its contribution month still owes, in the fund's imputation order (configuration "
        "<code>programme.imputation_order</code>; by default principal, then surcharges, then penalties, an "
        "assumption: the reference gives no CNSS order), never above what a kind owes; a reversal takes "
        "back what its payment settled. Month: statement month, net of reversals.</p>"
    )


def _funnel_section(data: ReportData) -> str:
    lg = data.league
    stages = [
        ("Assigned", int(_sum(lg, "dossiers_count"))),
        ("Worked (an action reported)", int(_sum(lg, "dossiers_worked"))),
        ("Debtor reached (right party)", int(_sum(lg, "dossiers_right_party_contact"))),
        ("Promise or plan obtained", int(_sum(lg, "dossiers_committed"))),
        ("Paying (something recovered)", int(_sum(lg, "dossiers_paying"))),
        ("Recovered in full", int(_sum(lg, "dossiers_paid_in_full"))),
    ]
    return funnel_chart(
        stages, title=f"Dossiers placed up to {_month_label(data.month)}, by furthest stage reached"
    )


def _trend_section(data: ReportData) -> str:
    if not data.trend:
        return '<p class="empty">No portfolio month loaded.</p>'
    index = {m: i for i, (m, *_) in enumerate(data.trend)}
    step = max(1, len(data.trend) // 12)
    x_labels = {float(i): _month_label(m) for m, i in index.items() if i % step == 0 or i == len(index) - 1}
    remaining = Series(
        "Remaining with agencies (open)",
        PALETTE[1],
        [(float(index[m]), float(o)) for m, _, _, o, _ in data.trend],
    )
    recovered = Series(
        "Recovered to date (attributed)",
        PALETTE[2],
        [(float(index[m]), float(r)) for m, _, _, _, r in data.trend],
    )
    top = max([float(o) for *_, o, _ in data.trend] + [float(r) for *_, r in data.trend] + [1.0])
    chart = line_chart(
        [remaining, recovered],
        title="Amount remaining to recover and recovered, MAD",
        x_labels=x_labels,
        y_format=lambda v: _mad_short(Decimal(v)),
        width=940,
        height=280,
        area=True,
        y_max=nice_max(top),
    )
    rows = "".join(
        f"<tr><td class=l>{_month_label(m)}</td><td>{_mad(p)}</td><td>{_mad(pl)}</td><td>{_mad(o)}</td>"
        f"<td>{_pct(rate(o, p))}</td><td>{_mad(r)}</td></tr>"
        for m, p, pl, o, r in data.trend[-6:]
    )
    table = (
        "<table><tr><th class=l>Month</th><th>Portfolio (selection)</th><th>Placed (open dossiers)</th>"
        "<th>Remaining with agencies</th><th>Coverage</th><th>Recovered to date</th></tr>" + rows + "</table>"
    )
    return (
        chart
        + table
        + (
            '<p class="note">Coverage = amount open on placed dossiers ÷ amount owed by the '
            "debtors of the month's selection.</p>"
        )
    )


def render_html(data: ReportData, *, generated_at: dt.datetime | None = None) -> str:
    """The report page as text."""
    stamp = (generated_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)).strftime("%Y-%m-%d %H:%M UTC")
    month = _month_label(data.month)
    body = [
        f"<h1>Recouvra: amicable recovery programme, {month}</h1>",
        f'<p class="sub">CNSS monthly report, as of the end of {month}. Generated {stamp} from the KPI marts '
        "(definitions: docs/kpi.md). Amounts in MAD; recovered = ledger payments attributed to the agency, "
        "net of reversals.</p>",
        _headline(data),
        "<h2>Recovery curves per agency</h2>",
        _vintage_section(data),
        "<h2>Agency league</h2>",
        _league_section(data),
        "<h2>Does an agency truly recover more? (randomised comparison)</h2>",
        _effects_section(data),
        "<h2>Is the score right? (calibration)</h2>",
        _calibration_section(data),
        "<h2>How each month's dossiers were shared</h2>",
        _shares_section(data),
        "<h2>Re-placements and added months</h2>",
        _tier_section(data),
        "<h2>Recovered by kind</h2>",
        _kind_section(data),
        "<h2>From assigned to recovered</h2>",
        _funnel_section(data),
        "<h2>Remaining to recover over time</h2>",
        _trend_section(data),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Recouvra report {month}</title><style>{STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def report_path(out_dir: Path, month: dt.date) -> Path:
    """Where the report of a month is published: ``<out_dir>/report_<YYYY-MM>.html``."""
    return out_dir / f"report_{month:%Y-%m}.html"


def render_report(
    wh: Warehouse, month: dt.date, out_dir: Path, *, generated_at: dt.datetime | None = None
) -> Path:
    """Render the report of ``month`` (first day) from the marts to ``out_dir/report_<YYYY-MM>.html``;
    the file appears complete or not at all (written as ``.part`` and renamed). A re-run replaces it."""
    html = render_html(read_report_data(wh, month), generated_at=generated_at)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = report_path(out_dir, month)
    part = target.with_name(target.name + ".part")
    part.write_text(html, encoding="utf-8")
    os.replace(part, target)
    return target


def publish_report(settings: Settings, month: dt.date) -> Path:
    """:func:`render_report` on the configured warehouse into ``storage.reports_dir``."""
    from recouvra.warehouse import connect

    with connect(settings.warehouse_url) as wh:
        return render_report(wh, month, settings.path(settings.storage.reports_dir))
