"""The monthly report page: what it reads from the marts, what it shows (figures formatted as the fund
writes them, escaped), and the file it publishes. The page in a real browser: tests/integration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from recouvra.report import (
    LEAGUE_FIELDS,
    ReportData,
    ReportError,
    read_report_data,
    render_html,
    render_report,
    report_path,
)
from recouvra.warehouse import Warehouse, connect, migrate_connection

NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
GENERATED = dt.datetime(2026, 12, 2, 7, 5)
NNBSP = "\u202f"


def league_row(agency: str, rank: int, **figures: Any) -> dict[str, Any]:
    row: dict[str, Any] = {f: None for f in LEAGUE_FIELDS}
    row.update(agency_code=agency, league_rank=rank, dossiers_count=0, assigned_amount=Decimal(0),
               recovered_to_date=Decimal(0), open_amount=Decimal(0), commission_to_date=Decimal(0),
               dossiers_worked=0, dossiers_right_party_contact=0, dossiers_committed=0, promises_count=0,
               promises_kept=0, dossiers_paying=0, dossiers_paid_in_full=0)
    row.update(figures)
    return row


DATA = ReportData(
    month=DEC,
    vintage=[("AG01", NOV, 0, Decimal("1000000"), Decimal("0")), ("AG01", NOV, 1, Decimal("1000000"),
                                                                 Decimal("50000"))],
    league=[
        league_row("AG01", 1, dossiers_count=1200, assigned_amount=Decimal("1000000.00"),
                   recovered_to_date=Decimal("50000.00"), recovery_rate=Decimal("0.05"),
                   open_amount=Decimal("950000.00"), commission_to_date=Decimal("1500.00"),
                   cost_to_collect=Decimal("0.03"), promises_kept=3, promises_count=4,
                   promise_kept_rate=Decimal("0.75"), dossiers_worked=900, dossiers_paying=40),
        league_row("<AG2>", 2, dossiers_count=34, assigned_amount=Decimal("500.00")),
    ],
    trend=[(NOV, Decimal("2000000"), Decimal("1000000"), Decimal("1000000"), Decimal("0")),
           (DEC, Decimal("2000000"), Decimal("1000000"), Decimal("950000"), Decimal("50000"))],
)


def test_report_path_is_named_by_month(tmp_path: Path) -> None:
    assert report_path(tmp_path, DEC) == tmp_path / "report_2026-12.html"


def test_the_page_states_its_month_and_when_it_was_generated() -> None:
    html = render_html(DATA, generated_at=GENERATED)
    assert html.startswith('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                           "<title>Recouvra report 2026-12</title>")
    assert "<h1>Recouvra: amicable recovery programme, 2026-12</h1>" in html
    assert "Generated 2026-12-02 07:05 UTC" in html
    assert html.endswith("</body></html>\n")
    assert "<script" not in html and "http://" not in html and "https://" not in html  # opens offline


def test_headline_figures_sum_the_league() -> None:
    html = render_html(DATA, generated_at=GENERATED)
    cards = {
        "Dossiers placed": f"1{NNBSP}234",
        "Assigned": f"1{NNBSP}000{NNBSP}500.00 MAD",
        "Recovered (attributed)": f"50{NNBSP}000.00 MAD",
        "Recovery rate": "5.0 %",
        "Remaining with agencies": f"950{NNBSP}000.00 MAD",
        "Cost to collect": "3.00 %",
        "Portfolio coverage": "47.5 %",  # open 950,000 / portfolio 2,000,000 in the report month
    }
    for key, value in cards.items():
        assert f'<div class="k">{key}</div><div class="v">{value}</div>' in html


def test_the_league_shows_each_agency_with_its_rates_and_dashes_without_a_base() -> None:
    html = render_html(DATA, generated_at=GENERATED)
    assert "<td>1</td><td class=l><b>AG01</b></td><td>1200</td><td>1.0 M</td><td>50.0 k</td>" in html
    assert "75.0 % <span class=note>(3/4)</span>" in html
    assert "<td>2</td><td class=l><b>&lt;AG2&gt;</b></td><td>34</td><td>500</td><td>0</td>" in html
    assert "<AG2>" not in html
    assert "– <span class=note>(0/0)</span>" in html


def test_the_funnel_and_the_curves_are_drawn() -> None:
    html = render_html(DATA, generated_at=GENERATED)
    assert "Dossiers placed up to 2026-12, by furthest stage reached" in html
    assert "<title>Assigned: 1234</title>" in html
    assert "<title>Paying (something recovered): 40</title>" in html
    assert "AG01: recovery rate by month since placement" in html
    assert "<title>placed 2026-11</title>" in html
    assert '<td class=l>2026-12</td><td>2' in html  # the trend table's last month


def test_sections_without_data_say_so() -> None:
    empty = ReportData(DEC, [], [league_row("AG01", 1)], [])
    html = render_html(empty, generated_at=GENERATED)
    assert '<p class="empty">No dossier placed yet.</p>' in html
    assert '<p class="empty">No portfolio month loaded.</p>' in html
    assert '<div class="k">Recovery rate</div><div class="v">–</div>' in html
    assert '<div class="k">Portfolio coverage</div><div class="v">–</div>' in html


def effect_row(agency: str, m: int, significant: bool | None, effect: str | None, low: str | None,
               high: str | None, finding: str) -> dict[str, Any]:
    def dec(v: str | None) -> Decimal | None:
        return None if v is None else Decimal(v)

    return {"agency_code": agency, "months_on_book": m, "dossiers_count": 120, "pool_dossiers_count": 360,
            "agency_rate": Decimal("0.25"), "pool_rate": Decimal("0.20"), "effect": dec(effect),
            "ci_low": dec(low), "ci_high": dec(high), "significant": significant, "finding": finding}


def test_agency_effects_show_the_longest_months_on_book_with_a_verdict() -> None:
    effects = [
        effect_row("AG01", 0, None, None, None, None, "AG01: too few comparable dossiers to say"),
        effect_row("AG01", 1, True, "0.05", "0.012", "0.088", "AG01 recovered 5.0 points more: significant"),
        effect_row("AG01", 2, None, None, None, None, "AG01: too few comparable dossiers to say"),
        effect_row("AG02", 1, False, "-0.01", "-0.04", "0.02",
                   "AG02 recovered 1.0 points less: not significant"),
    ]
    data = ReportData(DEC, DATA.vintage, DATA.league, DATA.trend, effects)
    html = render_html(data, generated_at=GENERATED)
    assert "Does an agency truly recover more?" in html
    assert ("<tr><td class=l><b>AG01</b></td><td>1</td><td>120 / 360</td><td>25.0" in html
            and "<td>+5.0</td><td>+1.2 to +8.8</td><td class=l><b>significant</b></td></tr>" in html)
    assert "<td>-1.0</td><td>-4.0 to +2.0</td><td class=l>not significant</td>" in html
    assert "<li>AG01 recovered 5.0 points more: significant</li>" in html
    assert "too few comparable dossiers" not in html
    assert '<p class="empty">No agency effect computed yet.</p>' in render_html(DATA, generated_at=GENERATED)


def test_the_calibration_shows_predicted_against_observed_and_the_model_in_use() -> None:
    calibration = [
        {"decile": k, "dossiers_count": 50, "weighted_due": Decimal("100000.00"),
         "predicted_amount": Decimal(30000 - 2000 * k), "observed_amount": Decimal(28000 - 2000 * k),
         "predicted_rate": Decimal(30000 - 2000 * k) / 100000,
         "observed_rate": Decimal(28000 - 2000 * k) / 100000,
         "horizon_months": 3, "vintages_count": 4, "model_source": "CALIBRATED", "fitted_month": NOV}
        for k in range(1, 11)
    ]
    data = ReportData(DEC, DATA.vintage, DATA.league, DATA.trend, [], calibration)
    html = render_html(data, generated_at=GENERATED)
    assert "Is the score right? (calibration)" in html
    assert "scored by the <b>CALIBRATED</b> model" in html and "for the selection of 2026-11." in html
    assert html.count("<tr><td>") >= 10 and "28.0" in html and "26.0" in html
    assert "Dossiers of the 4 placement month(s) whose 3-month results horizon has passed" in html
    empty = render_html(DATA, generated_at=GENERATED)
    assert "No vintage has outcomes yet" in empty


def test_each_months_shares_and_why_and_when_they_switched_to_results() -> None:
    def per(share: float, dossiers: int, rate: float | None = None) -> dict[str, Any]:
        return {"share": share, "dossiers": dossiers, "recovery_rate": rate}

    shares = [
        (NOV, "CAPACITY", {"AG01": per(0.4, 200), "AG02": per(0.6, 300)}),
        (DEC, "RECOVERY_RATE", {"AG01": per(0.5, 250, 0.12), "AG02": per(0.5, 250, 0.08)}),
    ]
    data = ReportData(DEC, DATA.vintage, DATA.league, DATA.trend, [], [], shares)
    html = render_html(data, generated_at=GENERATED)
    assert "Shares follow results since the selection of 2026-12." in html
    assert "<td class=l>2026-11</td><td class=l>by capacity: not yet enough placement months" in html
    assert "<td>40% · 200</td><td>60% · 300</td>" in html
    assert '<td>50% · 250 <span class="note">(recovered 12.0%)</span></td>' in html
    only_capacity = ReportData(DEC, DATA.vintage, DATA.league, DATA.trend, [], [], shares[:1])
    assert "Shares still follow capacity: results are not in yet." in render_html(only_capacity)


def test_tiers_compare_first_placements_with_re_placements_and_show_added_months() -> None:
    tiers = [
        {"placement_tier": 1, "dossiers_count": 400, "assigned_amount": Decimal("1000000.00"),
         "recovered_to_date": Decimal("150000.00"), "dossiers_added_to": 12,
         "added_amount": Decimal("36000.00")},
        {"placement_tier": 2, "dossiers_count": 20, "assigned_amount": Decimal("80000.00"),
         "recovered_to_date": Decimal("4000.00"), "dossiers_added_to": 0, "added_amount": Decimal("0.00")},
    ]
    data = ReportData(DEC, DATA.vintage, DATA.league, DATA.trend, [], [], tiers=tiers)
    html = render_html(data, generated_at=GENERATED)
    assert "<h2>Re-placements and added months</h2>" in html
    assert "<tr><td>1</td><td>400</td>" in html and "15.0" in html and "<td>12</td>" in html
    assert "<tr><td>2</td><td>20</td>" in html and "5.0" in html
    assert "No dossier placed by the end of the month." in render_html(DATA, generated_at=GENERATED)


def test_recovered_by_kind_shows_each_agency_and_all_agencies_with_the_principal_share() -> None:
    def kinds(agency: str, *amounts: str) -> dict[str, Any]:
        fields = ("principal_in_month", "surcharges_in_month", "penalties_in_month", "recovered_in_month",
                  "principal_to_date", "surcharges_to_date", "penalties_to_date", "recovered_to_date")
        return {"agency_code": agency, **{f: Decimal(a) for f, a in zip(fields, amounts, strict=True)}}

    data = ReportData(DEC, DATA.vintage, DATA.league, DATA.trend, kinds=[
        kinds("AG01", "1000", "200", "0", "1200", "3000", "600", "400", "4000"),
        kinds("AG02", "500", "0", "0", "500", "1000", "0", "0", "1000"),
    ])
    html = render_html(data, generated_at=GENERATED)
    assert "<h2>Recovered by kind</h2>" in html
    nbsp = "\u202f"
    assert (f"<tr><td>AG01</td><td>1{nbsp}000.00 MAD</td><td>200.00 MAD</td><td>0.00 MAD</td>"
            f"<td>1{nbsp}200.00 MAD</td>") in html
    assert f"<tr><td><b>All agencies</b></td><td>1{nbsp}500.00 MAD</td>" in html
    assert f"<td>5{nbsp}000.00 MAD</td><td>80.0" in html  # all agencies: 4000 principal of 5000 to date
    assert "imputation order" in html
    assert "No recovered-by-kind figures loaded for the month." in render_html(DATA, generated_at=GENERATED)


@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as w:
        migrate_connection(w)
        yield w


def add_league_row(wh: Warehouse, month: dt.date, agency: str, rank: int) -> None:
    counts = ("dossiers_count", "assigned_amount", "recovered_to_date", "assigned_90d", "open_amount",
              "commission_to_date", "dossiers_worked", "dossiers_right_party_contact", "dossiers_committed",
              "promises_count", "promises_kept", "plans_requested", "plans_signed", "plans_started",
              "plans_kept", "dossiers_located", "dossiers_assets_found", "dossiers_data_updated",
              "dossiers_paying", "dossiers_paid_in_full")
    wh.execute(f"INSERT INTO marts.kpi_agency_league (as_of_month, agency_code, league_rank, computed_at, "
               f"{', '.join(counts)}) VALUES (?, ?, ?, ?, {', '.join('10' for _ in counts)})",
               [month, agency, rank, GENERATED])


def test_read_report_data_reads_the_months_league(wh: Warehouse) -> None:
    add_league_row(wh, DEC, "AG02", 2)
    add_league_row(wh, DEC, "AG01", 1)
    add_league_row(wh, NOV, "AG03", 1)
    data = read_report_data(wh, DEC)
    assert (data.month, data.vintage, data.trend) == (DEC, [], [])
    assert [(r["league_rank"], r["agency_code"], r["dossiers_count"]) for r in data.league] == [
        (1, "AG01", 10), (2, "AG02", 10)]
    assert list(data.league[0]) == list(LEAGUE_FIELDS)


def test_a_month_without_kpis_or_not_a_month_is_refused(wh: Warehouse, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no KPIs loaded for 2026-12 .*load_kpis"):
        read_report_data(wh, DEC)
    with pytest.raises(ReportError, match="not the first day of a month"):
        read_report_data(wh, dt.date(2026, 12, 31))
    with pytest.raises(ReportError):
        render_report(wh, DEC, tmp_path / "reports")
    assert not (tmp_path / "reports" / "report_2026-12.html").exists()


def test_render_report_writes_the_page_whole_and_a_rerun_replaces_it(wh: Warehouse, tmp_path: Path) -> None:
    add_league_row(wh, DEC, "AG01", 1)
    out = tmp_path / "reports"
    path = render_report(wh, DEC, out, generated_at=GENERATED)
    assert path == out / "report_2026-12.html"
    assert path.read_text(encoding="utf-8") == render_html(read_report_data(wh, DEC), generated_at=GENERATED)
    later = render_report(wh, DEC, out, generated_at=GENERATED + dt.timedelta(hours=1))
    assert later == path and "Generated 2026-12-02 08:05 UTC" in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["report_2026-12.html"]


def test_publish_report_renders_the_configured_warehouse_into_reports_dir(tmp_path: Path) -> None:
    from recouvra.config import load_settings
    from recouvra.report import publish_report

    url = f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}"
    with connect(url) as w:
        migrate_connection(w)
        add_league_row(w, DEC, "AG01", 1)
    settings = load_settings(Path(__file__).resolve().parents[3] / "config" / "recouvra.yaml", environ={
        "RECOUVRA__STORAGE__WAREHOUSE_URL": url, "RECOUVRA__STORAGE__REPORTS_DIR": str(tmp_path / "out")})
    path = publish_report(settings, DEC)
    assert path == tmp_path / "out" / "report_2026-12.html"
    assert "<b>AG01</b>" in path.read_text(encoding="utf-8")
