"""What the pipeline has produced and where: the closing summary of `make demo` (`recouvra status`)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.config import Settings


def source_counts(url: str) -> dict[str, int]:
    """Row count of every table in the operational source (any SQLAlchemy URL)."""
    from sqlalchemy import create_engine, func, inspect, select, table

    engine = create_engine(url)
    try:
        names = sorted(inspect(engine).get_table_names())
        with engine.connect() as conn:
            return {
                n: int(conn.execute(select(func.count()).select_from(table(n))).scalar_one())
                for n in names
            }
    finally:
        engine.dispose()


def warehouse_counts(url: str) -> dict[str, int]:
    """Row count of every table of the warehouse's schemas, keyed ``schema.table``."""
    from recouvra.warehouse import connect

    with connect(url) as wh:
        names = [
            f"{s}.{t}"
            for s, t in wh.query(query("status/select_warehouse_tables"))
        ]
        return {n: int(wh.query(query("status/count_table_rows", table=n))[0][0]) for n in names}


def debtor_master_line(url: str) -> str:
    """Entities and merges of the debtor master, in one sentence."""
    from recouvra.warehouse import connect

    with connect(url) as wh:
        debtors, affiliations = wh.query(query("status/count_active_debtors"))[0]
        rules = wh.query(query("status/count_current_links_by_rule"))
    return (f"debtor master: {affiliations:,} affiliation numbers -> {debtors:,} debtors "
            f"({affiliations - debtors:,} merged; linked by " + ", ".join(f"{r} {n:,}" for r, n in rules)
            + ")")


def returns_lines(url: str) -> list[str]:
    """Agency return files received so far, per agency: files and rows by outcome."""
    from recouvra.warehouse import connect

    with connect(url) as wh:
        rows = wh.query(query("status/select_return_totals"))
    out = ["returns received (agency: files, rows received = accepted + rejected + duplicate):"]
    for agency, files, received, accepted, rejected, duplicate, f_rej, f_dup in rows:
        out.append(f"  {agency}: {files} files ({f_rej} rejected whole, {f_dup} duplicate); "
                   f"{received:,} rows = {accepted:,} + {rejected:,} + {duplicate:,}")
    return out


def _pct(rate: Decimal | None) -> str:
    """A rate for display (stored as DECIMAL); n/a when there is no base yet."""
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def league_lines(url: str) -> list[str]:
    """The agency league table of the latest month loaded in the KPI marts."""
    from recouvra.warehouse import connect

    with connect(url) as wh:
        month = wh.query(query("status/select_latest_league_month"))[0][0]
        rows = wh.query(query("status/select_league_table"), [month])
    out = [f"agency league table at the end of {str(month)[:7]}:",
           f"  {'#':>2} {'agency':<6} {'dossiers':>8} {'assigned MAD':>15} {'recovered MAD':>14} "
           f"{'recovery':>8} {'commission MAD':>14} {'cost to collect':>15} {'RPC rate':>8}"]
    for rank, agency, n, assigned, recovered, rate, commission, cost, rpc in rows:
        out.append(f"  {rank:>2} {agency:<6} {n:>8,} {assigned:>15,.2f} {recovered:>14,.2f} "
                   f"{_pct(rate):>8} {commission:>14,.2f} {_pct(cost):>15} {_pct(rpc):>8}")
    return out


def placement_lines(url: str) -> list[str]:
    """Dossiers by placement tier, and the months added to open dossiers (issue 17, items 2 and 3)."""
    from recouvra.warehouse import connect

    with connect(url) as wh:
        tiers = wh.query(query("status/select_placement_tiers"))
        days, dossiers, rows, amount, sent = wh.query(query("status/select_addition_totals"))[0]
    out = ["dossiers by placement tier: " + ", ".join(
        f"tier {t}: {int(n):,} ({Decimal(total):,.2f} MAD)" for t, n, total in tiers)]
    out.append(f"months added to open dossiers: {int(rows):,} rows on {int(dossiers):,} dossiers, "
               f"{Decimal(amount):,.2f} MAD, in {int(days):,} day(s) of files ({int(sent):,} rows sent)")
    return out


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def report(settings: Settings, source_url: str | None = None, warehouse_url: str | None = None) -> str:
    """A readable report of the source, the warehouse and the files under the data folders."""
    from recouvra.config import redact_url

    src = source_url or settings.source_url
    wh = warehouse_url or settings.warehouse_url
    lines = [f"source     {redact_url(src)}"]
    try:
        for name, n in source_counts(src).items():
            lines.append(f"  {name:<32} {n:>12,} rows")
    except Exception as exc:  # a missing source is worth a line, not a traceback
        lines.append(f"  unavailable: {type(exc).__name__}: {exc}")
    lines.append(f"warehouse  {redact_url(wh)}")
    try:
        counts = warehouse_counts(wh)
        for name, n in counts.items():
            if n:
                lines.append(f"  {name:<32} {n:>12,} rows")
        empty = sum(1 for n in counts.values() if not n)
        lines.append(f"  ({len(counts)} tables, {empty} still empty)")
        if counts.get("core.dim_debtor"):
            lines.append("  " + debtor_master_line(wh))
        if counts.get("core.return_file"):
            lines.extend("  " + line for line in returns_lines(wh))
        if counts.get("core.dossier"):
            lines.extend("  " + line for line in placement_lines(wh))
        if counts.get("marts.kpi_agency_league"):
            lines.extend("  " + line for line in league_lines(wh))
    except Exception as exc:
        lines.append(f"  unavailable: {type(exc).__name__}: {exc}")
    for label, folder in (
        ("lake", settings.path(settings.storage.lake_dir)),
        ("truth", settings.path(settings.storage.truth_dir)),
        ("reports", settings.path(settings.storage.reports_dir)),
        ("bi", settings.path(settings.storage.bi_dir)),
        ("sftp", settings.path(settings.storage.sftp_root)),
    ):
        files = _files(folder)
        if files:
            size = sum(p.stat().st_size for p in files)
            lines.append(f"{label:<10} {folder}  ({len(files)} files, {size / 1e6:.1f} MB)")
            if label == "reports":
                lines.extend(f"  report: {p}" for p in files if p.suffix == ".html")
    return "\n".join(lines)
