"""The agency simulator against the embedded SFTP server: the fund publishes assignment packages
and a recall, each agency logs in with its own key, answers with return files the judge reads as
intended, and its payments reach the fund's source ledger; a second run sends nothing."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from recouvra.config import load_settings
from recouvra.publication import (
    AssignmentRow,
    DetailRow,
    RecallRow,
    publish_package,
    write_assignment_package,
    write_recall_file,
)
from recouvra.returns.context import load_context
from recouvra.returns.history import InMemoryReturnHistory
from recouvra.returns.judge import judge_file
from recouvra.sftp.client import connect
from recouvra.sqlfiles import statements
from recouvra.standins.sftp_server import EmbeddedSftpServer
from recouvra.standins.simulator import simulate_agencies
from recouvra.standins.simulator.model import LEDGER_ID_BASE

pytestmark = [pytest.mark.integration]

NOV = dt.date(2026, 11, 1)
UNTIL = dt.date(2027, 1, 29)


def _dossier(n: int) -> tuple[AssignmentRow, list[DetailRow]]:
    did = f"D202611-{n:06d}"
    months = [dt.date(2026, m, 1) for m in (6, 7, 8)]
    details = [DetailRow(did, m, "PRINCIPAL", Decimal(f"{1500 + 10 * n}.40")) for m in months]
    details += [DetailRow(did, m, "SURCHARGE", Decimal("45.10")) for m in months]
    principal = sum((d.amount_due for d in details if d.kind == "PRINCIPAL"), Decimal(0))
    surcharges = sum((d.amount_due for d in details if d.kind == "SURCHARGE"), Decimal(0))
    row = AssignmentRow(
        dossier_id=did,
        affiliation_no=f"{n:07d}",
        debtor_name=f"Société Atlas n°{n}",
        legal_form="SARL",
        ice=None,
        rc_number=None,
        rc_court=None,
        address=f"{n} Rue de Fès",
        city="Casablanca",
        phone_1="+212522123456",
        phone_2=None,
        email="contact@atlas.ma",
        legal_rep_name="Karim Benali",
        segment="FRESH",
        periods_count=3,
        oldest_period=months[0],
        newest_period=months[-1],
        principal_due=principal,
        surcharges_due=surcharges,
        penalties_due=Decimal("0.00"),
        total_due=principal + surcharges,
        assignment_start=NOV,
        assignment_end=dt.date(2027, 4, 30),
        commission_rate=Decimal("0.03"),
        commission_cap=Decimal("30000.00"),
    )
    return row, details


@pytest.fixture()
def source(tmp_path: Path) -> str:
    path = tmp_path / "source.db"
    with sqlite3.connect(path) as conn:
        for stmt in statements("source/create_source_tables"):
            conn.execute(stmt)
    return f"sqlite:///{path}"


def test_agencies_answer_over_sftp_and_pay_into_the_ledger(
    sftp_server: EmbeddedSftpServer, source: str, tmp_path: Path
) -> None:
    staging = tmp_path / "fund"
    for agency, first in (("AG01", 1), ("AG02", 101)):
        rows, details = [], []
        for n in range(first, first + 40):
            r, d = _dossier(n)
            rows.append(r)
            details += d
        package = write_assignment_package(staging, agency, NOV, 1, rows, details)
        with connect(sftp_server.params(agency)) as client:
            publish_package(client, package)
            client.write_text_atomic("outbox/CNSS_ASSIGN_AG99_202611_01.csv.part", "ignored: not complete")
    recall = write_recall_file(
        staging,
        "AG02",
        dt.date(2026, 12, 10),
        1,
        [RecallRow("D202611-000105", dt.date(2026, 12, 10), "FUND_DECISION")],
    )
    with connect(sftp_server.params("AG02")) as client:
        publish_package(client, recall)

    settings = load_settings()
    params = {a: sftp_server.agency_params(a) for a in ("AG01", "AG02")}  # each agency's own login
    messages: list[str] = []
    report = simulate_agencies(
        settings,
        until=UNTIL,
        source_url=source,
        sftp=params,
        seed=11,
        work_dir=tmp_path / "sim",
        progress=messages.append,
    )
    assert [a.agency for a in report.agencies] == ["AG01", "AG02"]
    assert messages and report.files_sent > 0 and report.ledger_rows > 0

    context = load_context(
        sorted(staging.glob("*/CNSS_ASSIGN_*.csv")), sorted(staging.glob("*/CNSS_RECALL_*.csv"))
    )
    for rep in report.agencies:
        assert rep.dossiers == 40 and set(rep.records) >= {"ACTIONS", "PAYMENTS"}
        inbox = sftp_server.account(rep.agency).home / "inbox"
        names = sorted(p.name for p in inbox.iterdir() if p.suffix == ".csv")
        assert names == sorted(rep.file_intents) and not list(inbox.glob("*.part"))
        history = InMemoryReturnHistory()
        for name in names:  # the fund reads them in name order, as the ingestion does
            judgement = judge_file(
                inbox / name,
                rep.agency,
                context,
                history,
                on=UNTIL,
                received_at=dt.datetime(2027, 1, 29, 20),
            )
            history.remember(judgement)
            intent = rep.file_intents[name]
            if intent in ("VALID", "CORRECTION"):
                assert judgement.status.value == "ACCEPTED", judgement.report()
            elif intent == "ROWS_MALFORMED":
                assert judgement.rejects and judgement.status.value in ("PARTIAL", "REJECTED")
            elif intent == "DUPLICATE":
                assert judgement.status.value == "DUPLICATE"
            else:
                assert judgement.status.value == "REJECTED"
        # nothing dated after the recall of D202611-000105
        for name in names:
            text = (inbox / name).read_bytes().decode("utf-8", errors="replace")
            for line in text.splitlines():
                if line.startswith("D202611-000105;"):
                    dates = [
                        c for c in line.split(";") if len(c) == 10 and c[4] == "-" and c.startswith("20")
                    ]
                    assert all(d <= "2026-12-10" for d in dates[:1]), line

    with sqlite3.connect(source.removeprefix("sqlite:///")) as conn:
        rows = conn.execute(
            "SELECT kind, count(*), min(recorded_at), max(recorded_at) FROM ledger_payments "
            "WHERE payment_id >= ? GROUP BY kind",
            (LEDGER_ID_BASE,),
        ).fetchall()
        affiliations = {a for (a,) in conn.execute("SELECT DISTINCT affiliation_no FROM ledger_payments")}
    kinds = {k: n for k, n, _, _ in rows}
    assert kinds["PAYMENT"] > 0 and sum(kinds.values()) == report.ledger_rows
    assert all(hi[:10] <= UNTIL.isoformat() for _, _, _, hi in rows)
    assert affiliations <= {f"{n:07d}" for n in (*range(1, 41), *range(101, 141))}

    again = simulate_agencies(
        settings, until=UNTIL, source_url=source, sftp=params, seed=11, work_dir=tmp_path / "sim"
    )
    assert again.files_sent == 0 and again.ledger_rows == 0
    later = simulate_agencies(
        settings,
        until=UNTIL + dt.timedelta(days=14),
        source_url=source,
        sftp=params,
        seed=11,
        work_dir=tmp_path / "sim",
    )
    assert later.files_sent > 0
    assert all(name.split("_")[2] > "20270129" for a in later.agencies for name in a.files_sent)


@pytest.mark.postgres
def test_ledger_rows_on_postgresql_once(pg_url: str) -> None:
    """The same ledger rows on PostgreSQL: typed values, and writing them twice adds nothing."""
    from sqlalchemy import create_engine, text

    from recouvra.standins.simulator.ledger import write_ledger
    from recouvra.standins.simulator.model import LedgerRow

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        for stmt in statements("source/create_source_tables"):
            conn.execute(text(stmt))
    pid = LEDGER_ID_BASE + 202611000001 * 1000 + 1
    rows = [
        LedgerRow(
            pid,
            "Q202611-S202611000001001",
            "0000001",
            dt.date(2026, 11, 20),
            150040,
            "2026-06",
            "PAYMENT",
            None,
            "CHEQUE",
            dt.datetime(2026, 11, 21, 9, 30),
        ),
        LedgerRow(
            pid + 500,
            "Q202612-S202611000001501",
            "0000001",
            dt.date(2026, 12, 2),
            -150040,
            "2026-06",
            "REVERSAL",
            pid,
            "CHEQUE",
            dt.datetime(2026, 12, 2, 9, 30),
        ),
    ]
    assert write_ledger(pg_url, rows) == 2
    assert write_ledger(pg_url, rows) == 0
    with engine.connect() as conn:
        got = conn.execute(
            text("SELECT kind, amount_centimes, updated_at FROM ledger_payments ORDER BY payment_id")
        ).fetchall()
    engine.dispose()
    assert [(k, a) for k, a, _ in got] == [("PAYMENT", 150040), ("REVERSAL", -150040)]
    assert got[0][2] == dt.datetime(2026, 11, 21, 9, 30)
