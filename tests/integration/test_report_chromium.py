"""The monthly report opens offline in headless Chromium and its charts draw with real sizes.

A seeded synthetic programme (4 agencies, 6 monthly vintages) goes through the KPI stage on DuckDB;
the June report is rendered, then Chromium loads it with networking disabled: ``--dump-dom`` after a
measuring script (added to a copy of the page only) says how many chart paths and bars have a
non-zero rendered size, and ``--screenshot`` must not be blank.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from recouvra.kpi import load_kpi_months
from recouvra.report import render_report, report_path
from recouvra.warehouse import Warehouse, connect, migrate_connection

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MONTHS = [dt.date(2026, m, 1) for m in range(1, 7)]
AGENCIES = {"AG01": 0.55, "AG02": 0.40, "AG03": 0.30, "AG04": 0.20}  # share of dossiers that pay
REGIONS = ["Casablanca-Settat", "Rabat-Salé-Kénitra", "Fès-Meknès", "Souss-Massa"]
CENT = Decimal("0.01")

MEASURE = """<script>
window.addEventListener('load', function () {
  function sized(sel) { return Array.from(document.querySelectorAll(sel)).filter(function (e) {
    var b = e.getBBox(); return b.width > 0 && (b.height > 0 || e.tagName === 'path'); }).length; }
  var out = {paths: sized('svg.chart path.series'),
             paths_all: document.querySelectorAll('svg.chart path.series').length,
             bars: sized('svg.chart rect.bar'), dots: sized('svg.chart circle'),
             cellbars: sized('svg.cellbar rect.bar'),
             charts: document.querySelectorAll('svg.chart').length,
             resources: performance.getEntriesByType('resource').length};
  var pre = document.createElement('pre'); pre.id = 'measured'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def chromium_or_skip(pytestconfig: pytest.Config) -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            "root_conftest", Path(__file__).resolve().parents[1] / "conftest.py"
        )
        assert spec and spec.loader
        root = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(root)
        root.missing_component("Chromium", "apt-get install chromium")
    assert exe
    return exe


MONEY = {
    "commission_rate",
    "commission_cap",
    "principal_due",
    "surcharges_due",
    "penalties_due",
    "total_due",
    "amount_due",
    "amount",
    "promise_amount",
    "attributed_amount",
    "commission_before_cap",
    "commission_paid_to_date",
    "commission_this_month",
}


@dataclass
class Programme:
    """The rows of the synthetic programme, table by table, and the running ids."""

    dossiers: list[dict[str, object]] = field(default_factory=list)
    periods: list[dict[str, object]] = field(default_factory=list)
    actions: list[dict[str, object]] = field(default_factory=list)
    attributions: list[dict[str, object]] = field(default_factory=list)
    decisions: list[dict[str, object]] = field(default_factory=list)
    paid_by_month: dict[tuple[str, dt.date], Decimal] = field(default_factory=dict)
    ledger_id: int = 0
    debtor: int = 0


def synthetic_programme(wh: Warehouse, seed: int = 7) -> None:
    """Dossiers, actions, attributions, commission statements and selections for 6 months (bulk loads)."""
    rng = random.Random(seed)
    prog = Programme()
    for month in MONTHS:
        for agency, pay_share in AGENCIES.items():
            for k in range(25):
                place_dossier(prog, rng, month, agency, pay_share, k)
        # Debtors placed earlier are still in the portfolio, excluded as ALREADY_PLACED.
        for d in prog.dossiers:
            if d["assignment_month"] < month:  # type: ignore[operator]
                prog.decisions.append(
                    {
                        "selection_month": month,
                        "debtor_id": d["debtor_id"],
                        "decision": "EXCLUDED",
                        "reason_code": "ALREADY_PLACED",
                        "segment": d["segment"],
                        "region": d["region"],
                        "total_due": d["total_due"],
                        "periods_count": 1,
                        "decided_at": dt.datetime.combine(month, dt.time(5)),
                    }
                )
        # The month's unplaced part of the portfolio.
        for _ in range(150):
            prog.debtor += 1
            prog.decisions.append(
                {
                    "selection_month": month,
                    "debtor_id": prog.debtor,
                    "decision": rng.choice(["NOT_SELECTED", "EXCLUDED"]),
                    "reason_code": "QUOTA",
                    "segment": "FRESH",
                    "region": rng.choice(REGIONS),
                    "total_due": Decimal(rng.randint(2_000_00, 60_000_00)) * CENT,
                    "periods_count": 1,
                    "decided_at": dt.datetime.combine(month, dt.time(5)),
                }
            )
    agency_of = {str(d["dossier_id"]): str(d["agency_code"]) for d in prog.dossiers}
    statements = commission_statements(prog.paid_by_month, agency_of)
    migrate_connection(wh)
    wh.load_arrow("core.dossier", arrow_table(prog.dossiers))
    wh.load_arrow("core.dossier_period", arrow_table(prog.periods))
    wh.load_arrow("core.agency_action", arrow_table(prog.actions))
    wh.load_arrow("core.attribution", arrow_table(prog.attributions))
    wh.load_arrow("core.commission_statement", arrow_table(statements))
    wh.load_arrow("core.selection_decision", arrow_table(prog.decisions))


def place_dossier(
    prog: Programme, rng: random.Random, month: dt.date, agency: str, pay_share: float, k: int
) -> None:
    """One dossier placed with ``agency`` in ``month``: its selection, maybe an action, maybe payments."""
    prog.debtor += 1
    debtor = prog.debtor
    dossier_id = f"D{month:%Y%m}-{debtor:06d}"
    total = Decimal(rng.randint(2_000_00, 80_000_00)) * CENT
    start = month + dt.timedelta(days=2)
    region = rng.choice(REGIONS)
    segment = "FRESH" if k % 3 else "UNPAID_TITLE"
    prog.dossiers.append(
        {
            "dossier_id": dossier_id,
            "assignment_month": month,
            "debtor_id": debtor,
            "affiliation_no": f"{1_000_000 + debtor}",
            "agency_code": agency,
            "segment": segment,
            "region": region,
            "assignment_start": start,
            "assignment_end": start + dt.timedelta(days=364),
            "commission_rate": Decimal("0.0300"),
            "commission_cap": Decimal("30000.00"),
            "periods_count": 1,
            "oldest_period": dt.date(2025, 6, 1),
            "newest_period": dt.date(2025, 6, 1),
            "principal_due": total,
            "surcharges_due": Decimal("0.00"),
            "penalties_due": Decimal("0.00"),
            "total_due": total,
            "status": "PUBLISHED",
            "status_date": start,
            "created_at": dt.datetime.combine(month, dt.time(6)),
        }
    )
    prog.periods.append(
        {
            "dossier_id": dossier_id,
            "period": dt.date(2025, 6, 1),
            "kind": "PRINCIPAL",
            "amount_due": total,
        }
    )
    prog.decisions.append(
        {
            "selection_month": month,
            "debtor_id": debtor,
            "decision": "SELECTED",
            "segment": segment,
            "region": region,
            "total_due": total,
            "periods_count": 1,
            "decided_at": dt.datetime.combine(month, dt.time(5)),
        }
    )
    if rng.random() < 0.9:
        prog.actions.append(agency_action(rng, agency, debtor, dossier_id, start, total))
    if rng.random() < pay_share:
        pay_dossier(prog, rng, agency, dossier_id, start, total)


def agency_action(
    rng: random.Random, agency: str, debtor: int, dossier_id: str, start: dt.date, total: Decimal
) -> dict[str, object]:
    """One call with a drawn outcome within 25 days of the assignment start."""
    outcome = rng.choice(
        [
            "RIGHT_PARTY_CONTACT",
            "NO_ANSWER",
            "PROMISE_TO_PAY",
            "WRONG_CONTACT",
            "ASSETS_FOUND",
            "REFUSAL",
        ]
    )
    day = start + dt.timedelta(days=rng.randint(1, 25))
    return {
        "agency_code": agency,
        "action_id": f"A{debtor}",
        "dossier_id": dossier_id,
        "action_date": day,
        "action_type": "CALL",
        "outcome": outcome,
        "promise_amount": (total / 4).quantize(CENT) if outcome == "PROMISE_TO_PAY" else None,
        "promise_date": day + dt.timedelta(days=20) if outcome == "PROMISE_TO_PAY" else None,
        "return_file_id": 1,
        "line_no": 2,
    }


def pay_dossier(
    prog: Programme, rng: random.Random, agency: str, dossier_id: str, start: dt.date, total: Decimal
) -> None:
    """One to three payments attributed to the dossier, never above its total."""
    left = total
    for n in range(rng.randint(1, 3)):
        day = start + dt.timedelta(days=rng.randint(5, 150) + 30 * n)
        amount = min(left, (total * Decimal(rng.uniform(0.15, 0.6))).quantize(CENT))
        if amount <= 0:
            break
        prog.ledger_id += 1
        left -= amount
        paid_month = day.replace(day=1)
        prog.attributions.append(
            {
                "ledger_payment_id": prog.ledger_id,
                "dossier_id": dossier_id,
                "agency_code": agency,
                "amount": amount,
                "payment_date": day,
                "settles_period": dt.date(2025, 6, 1),
                "attribution_month": paid_month,
                "attributed_at": dt.datetime.combine(day, dt.time(20)),
            }
        )
        prog.paid_by_month[(dossier_id, paid_month)] = (
            prog.paid_by_month.get((dossier_id, paid_month), Decimal(0)) + amount
        )


def commission_statements(
    paid_by_month: dict[tuple[str, dt.date], Decimal], agency_of: dict[str, str]
) -> list[dict[str, object]]:
    """Monthly commission statements at 3 % of the cumulative attributed amount, capped at 30,000."""
    statements: list[dict[str, object]] = []
    for dossier_id in sorted({d for d, _ in paid_by_month}):
        cumulative, paid_before = Decimal(0), Decimal(0)
        for month in MONTHS:
            cumulative += paid_by_month.get((dossier_id, month), Decimal(0))
            if cumulative == 0:
                continue
            before_cap = (cumulative * Decimal("0.03")).quantize(CENT)
            paid = min(before_cap, Decimal("30000.00"))
            statements.append(
                {
                    "statement_month": month,
                    "dossier_id": dossier_id,
                    "agency_code": agency_of[dossier_id],
                    "attributed_amount": cumulative,
                    "commission_rate": Decimal("0.0300"),
                    "commission_cap": Decimal("30000.00"),
                    "commission_before_cap": before_cap,
                    "commission_paid_to_date": paid,
                    "commission_this_month": paid - paid_before,
                    "cap_reached": before_cap >= Decimal("30000.00"),
                    "computed_at": dt.datetime.combine(month, dt.time(23)),
                }
            )
            paid_before = paid
    return statements


def arrow_table(rows: list[dict[str, object]]) -> pa.Table:
    """The rows as an Arrow table: money columns as decimals, ``*_at`` columns as timestamps."""
    cols = list({k: None for r in rows for k in r})
    data = {}
    for c in cols:
        values = [r.get(c) for r in rows]
        if c in MONEY:
            kind = pa.decimal128(18, 2) if c != "commission_rate" else pa.decimal128(6, 4)
            data[c] = pa.array(values, kind)
        elif c.endswith("_at"):
            data[c] = pa.array(values, pa.timestamp("us"))
        else:
            data[c] = pa.array(values)
    return pa.table(data)


def png_is_drawn(png: bytes) -> tuple[int, int, float]:
    """(width, height, share of non-white pixels) of an 8-bit RGB(A) PNG, decoded with zlib only."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 4
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        chunk = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    inked = 0
    for y in range(height):
        filt, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if filt == 1:
                line[i] = (line[i] + a) & 255
            elif filt == 2:
                line[i] = (line[i] + b) & 255
            elif filt == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif filt == 4:
                p = a + b - c
                pa_, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa_ <= pb and pa_ <= pc else b if pb <= pc else c)) & 255
        inked += sum(1 for x in range(0, stride, channels) if min(line[x : x + 3]) < 200)
        prev = line
    return width, height, inked / (width * height)


def test_report_renders_offline_in_chromium(tmp_path: Path, pytestconfig: pytest.Config) -> None:
    exe = chromium_or_skip(pytestconfig)
    tmp_path = Path(os.environ.get("RECOUVRA_REPORT_TEST_DIR") or tmp_path)  # to keep the page and PNG
    with connect(f"duckdb:///{(tmp_path / 'warehouse.duckdb').as_posix()}") as wh:
        synthetic_programme(wh)
        load_kpi_months(wh, MONTHS[0], MONTHS[-1])
        out = render_report(wh, MONTHS[-1], tmp_path / "reports")
        assert render_report(wh, MONTHS[-1], tmp_path / "reports") == out  # a re-run replaces it
    assert (
        out == report_path(tmp_path / "reports", MONTHS[-1]) == tmp_path / "reports" / "report_2026-06.html"
    )
    assert sorted(p.name for p in out.parent.iterdir()) == ["report_2026-06.html"]
    html = out.read_text(encoding="utf-8")
    # Self-contained: nothing to fetch (no src/href/url(), no script).
    assert not re.search(r"""(src|href)\s*=|url\(|<script|<link|@import""", html, re.IGNORECASE)
    for agency in AGENCIES:
        assert f"{agency}: recovery rate by month since placement" in html

    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    profile = tmp_path / "chromium-profile"
    dom = subprocess.run(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom.stdout)
    assert found, dom.stdout[-2000:]
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    # 4 vintage panels with a line per vintage of 2 points or more (the June one is a dot), the trend's 2.
    assert measured["charts"] == 4 + 1 + 1
    assert measured["paths"] == measured["paths_all"] == 4 * 5 + 2
    assert measured["dots"] >= 4 * (6 + 5 + 4 + 3 + 2 + 1) + 2 * 6
    assert measured["bars"] == 6  # the funnel's stages
    assert measured["cellbars"] == len(AGENCIES)  # recovery-rate bars of the league table
    assert measured["resources"] == 0  # nothing was fetched

    shot = tmp_path / "report.png"
    run = subprocess.run(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            "--window-size=1100,2600",
            f"--screenshot={shot}",
            out.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    width, height, inked = png_is_drawn(shot.read_bytes())
    assert (width, height) == (1100, 2600)
    assert inked > 0.02, f"screenshot looks blank: {inked:.2%} of pixels drawn"
