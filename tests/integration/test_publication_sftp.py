"""Assignment packages built from a DuckDB warehouse, published to the embedded SFTP server, fetched
by each agency with OpenSSH ``sftp``, checked against their manifests; faults leave no final file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from recouvra.exchange.csvparse import parse_rows
from recouvra.publication import (
    Package,
    Publication,
    PublicationConflictError,
    PublishedFile,
    build_packages,
    build_payment_notices,
    build_recall_files,
    publish_package,
    publish_with_params,
    record_publication,
)
from recouvra.sftp.client import connect
from recouvra.sftp.errors import SftpAuthError, SftpUploadError
from recouvra.standins.sftp_server import EmbeddedSftpServer
from recouvra.warehouse import Warehouse, migrate_connection
from recouvra.warehouse import connect as wh_connect

pytestmark = [pytest.mark.integration]

NOV = dt.date(2026, 11, 1)
CREATED = dt.datetime(2026, 11, 1, 5, 0)
HIST = ("debtor_id, valid_from, valid_to, is_current, primary_affiliation_no, legal_name, legal_form, "
        "is_natural_person, ice, rc_number, rc_court, address, city, phone_1, phone_2, email, "
        "legal_rep_name, activity_status, change_source")


def _seed(wh: Warehouse, per_agency: int = 40) -> None:
    """``per_agency`` dossiers for AG01 and AG02, each with three detail rows."""
    n = 0
    for agency in ("AG01", "AG02"):
        for _ in range(per_agency):
            n += 1
            wh.execute(
                f"INSERT INTO core.debtor_history ({HIST}) VALUES (?, TIMESTAMP '2026-06-01', NULL, true, "
                "?, ?, 'SARL', false, NULL, '12345', 'Casablanca', ?, 'Casablanca', '+212522123456', NULL, "
                "'contact@example.ma', '-Rep', 'ACTIVE', 'SOURCE')",
                [n, f"{n:07d}", f"Société {agency} n°{n}; \"SARL\"", f"{n} Rue\nBloc {n}"],
            )
            did = f"D202611-{n:06d}"
            rows = [(dt.date(2026, 1, 1), "PRINCIPAL", Decimal(f"{n}00.10")),
                    (dt.date(2026, 2, 1), "PRINCIPAL", Decimal("50.00")),
                    (dt.date(2026, 2, 1), "SURCHARGE", Decimal("5.05"))]
            for period, kind, amount in rows:
                wh.execute("INSERT INTO core.dossier_period VALUES (?, ?, ?, ?, NULL)",
                           [did, period, kind, amount])
            principal = rows[0][2] + rows[1][2]
            wh.execute(
                "INSERT INTO core.dossier VALUES (?, ?, ?, ?, ?, 'FRESH', NULL, ?, ?, 0.0300, 30000.00, 2, "
                "?, ?, ?, ?, 0, ?, 'ALLOCATED', ?, ?, NULL, 1, NULL, NULL, NULL, NULL)",
                [did, NOV, n, f"{n:07d}", agency, NOV, dt.date(2027, 4, 30), dt.date(2026, 1, 1),
                 dt.date(2026, 2, 1), principal, rows[2][2], principal + rows[2][2], CREATED.date(), CREATED],
            )


@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with wh_connect("duckdb:///:memory:") as w:
        migrate_connection(w)
        _seed(w)
        yield w


def _outbox(server: EmbeddedSftpServer, agency: str) -> dict[str, bytes]:
    folder = server.account(agency).home / "outbox"
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_publish_two_agencies_and_each_agency_verifies_its_package(
    wh: Warehouse, sftp_server: EmbeddedSftpServer, agency_sftp, tmp_path: Path
) -> None:
    packages = build_packages(wh, dt.date(2026, 11, 1), tmp_path / "outbox")
    assert [p.agency for p in packages] == ["AG01", "AG02"]
    # mapped tasks: upload only, small metadata back (through XCom as dicts)
    results = [publish_with_params(sftp_server.params(p.agency), Package.from_dict(p.to_dict())).to_dict()
               for p in packages]
    assert wh.query("SELECT count(*) FROM core.dossier WHERE status = 'ALLOCATED'") == [(80,)]
    summary = record_publication(wh, results)  # the one writer, after every upload
    assert summary.dossiers_published == 80 and summary.files_logged == 6
    assert wh.query("SELECT DISTINCT status FROM core.dossier") == [("PUBLISHED",)]

    for pkg in packages:
        got = tmp_path / "agency" / pkg.agency
        got.mkdir(parents=True)
        run = agency_sftp(pkg.agency, f"lcd {got}\ncd outbox\nmget *.json\nmget *.csv\nls -1\n")
        assert run.returncode == 0, run.stderr
        assert ".part" not in run.stdout
        (manifest,) = got.glob("*.manifest.json")
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        assert doc["agency"] == pkg.agency and doc["month"] == "2026-11" and doc["seq"] == 1
        names = sorted(p.name for p in got.iterdir())
        assert names == sorted([manifest.name, *(e["name"] for e in doc["files"])])
        for entry in doc["files"]:
            data = (got / entry["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            rows = [r for r in parse_rows(data.decode("utf-8"))[1:] if not r.blank]
            assert len(rows) == entry["rows"] == (40 if "ASSIGN" in entry["name"] else 120)
            header = parse_rows(data.decode("utf-8"))[0].cells
            col = header.index("total_due" if "ASSIGN" in entry["name"] else "amount_due")
            assert f"{sum(Decimal(r.cells[col]) for r in rows):.2f}" == entry["control_total"]
            assert all(r.cells[0].startswith("D202611-") for r in rows)
        # another agency sees nothing of it
        other = "AG02" if pkg.agency == "AG01" else "AG01"
        assert not any(pkg.agency in name for name in _outbox(sftp_server, other))
        peek = agency_sftp(other, f"get ../{pkg.agency}/outbox/{manifest.name} {tmp_path}/x.json\n")
        assert peek.returncode != 0 and not (tmp_path / "x.json").exists()

    # a re-run republishes the same bytes under the same SEQ, without complaint
    again = build_packages(wh, dt.date(2026, 11, 1), tmp_path / "outbox2")
    assert [p.seq for p in again] == [1, 1]
    before = _outbox(sftp_server, "AG01")
    publish_with_params(sftp_server.params("AG01"), again[0])
    after = _outbox(sftp_server, "AG01")
    assert {k: v for k, v in after.items() if k.endswith(".csv")} == {
        k: v for k, v in before.items() if k.endswith(".csv")}


@pytest.mark.parametrize(
    ("fault", "message"),
    [({"disk_full_after": 3_000}, "No space left on device"), ({"drop_after": 3_000}, "dropped")],
    ids=["disk-full", "connection-dropped"],
)
def test_fault_leaves_no_final_file_and_records_nothing(
    wh: Warehouse, sftp_server: EmbeddedSftpServer, tmp_path: Path, fault: dict[str, int], message: str
) -> None:
    (pkg, _) = build_packages(wh, dt.date(2026, 11, 1), tmp_path / "outbox")
    assert pkg.files[0].size > 3_000
    sftp_server.faults.set(**fault)
    with pytest.raises(SftpUploadError) as err:
        publish_with_params(sftp_server.params("AG01"), pkg)
    text = str(err.value)
    assert message in text and "AG01" in text and sftp_server.host in text
    assert pkg.files[0].name in text
    assert _outbox(sftp_server, "AG01") == {}  # nothing under a final name, no .part left
    assert wh.query("SELECT count(*) FROM core.dossier WHERE status = 'ALLOCATED'") == [(80,)]

    sftp_server.faults.clear()
    result = publish_with_params(sftp_server.params("AG01"), pkg)
    assert sorted(_outbox(sftp_server, "AG01")) == sorted(f.name for f in pkg.all_files)
    assert record_publication(wh, [result]).dossiers_published == 40


def test_a_missing_fund_key_is_a_clear_error(
    wh: Warehouse, sftp_server: EmbeddedSftpServer, tmp_path: Path
) -> None:
    (pkg, _) = build_packages(wh, dt.date(2026, 11, 1), tmp_path / "outbox")
    params = dataclasses.replace(sftp_server.params("AG01"), key_file=tmp_path / "no-such-key")
    with pytest.raises(SftpAuthError, match=r"no-such-key.*agency AG01 \(fund-ag01@127\.0\.0\.1"):
        publish_with_params(params, pkg)
    assert _outbox(sftp_server, "AG01") == {}


def test_a_different_file_under_the_same_name_is_never_replaced(
    wh: Warehouse, sftp_server: EmbeddedSftpServer, tmp_path: Path
) -> None:
    (pkg, _) = build_packages(wh, dt.date(2026, 11, 1), tmp_path / "outbox")
    outbox = sftp_server.account("AG01").home / "outbox"
    (outbox / pkg.files[0].name).write_bytes(b"published earlier, never recorded\n")
    with pytest.raises(PublicationConflictError, match="already exists with other content"):
        with connect(sftp_server.params("AG01")) as client:
            publish_package(client, pkg)
    assert _outbox(sftp_server, "AG01") == {pkg.files[0].name: b"published earlier, never recorded\n"}


def test_recall_file_is_published_and_recorded(
    wh: Warehouse, sftp_server: EmbeddedSftpServer, agency_sftp, tmp_path: Path
) -> None:
    record_publication(wh, [publish_with_params(sftp_server.params(p.agency), p)
                            for p in build_packages(wh, dt.date(2026, 11, 1), tmp_path / "outbox")])
    wh.execute("INSERT INTO core.dossier_recall VALUES ('D202611-000041', DATE '2026-12-03', "
               "'FUND_DECISION', 10.00, TIMESTAMP '2026-12-02 10:00:00', NULL, DATE '2026-12-03')")
    (recall,) = build_recall_files(wh, dt.date(2026, 12, 3), tmp_path / "outbox")
    assert recall.agency == "AG02"
    record_publication(wh, [publish_with_params(sftp_server.params("AG02"), recall)])
    assert _outbox(sftp_server, "AG02")["CNSS_RECALL_AG02_20261203_01.csv"] == (
        b"dossier_id;recall_date;reason\nD202611-000041;2026-12-03;FUND_DECISION\n")
    assert "CNSS_RECALL_AG02_20261203_01.csv" not in _outbox(sftp_server, "AG01")
    assert wh.query("SELECT file_name FROM core.dossier_recall") == [("CNSS_RECALL_AG02_20261203_01.csv",)]


def _as_published(pkg: Package) -> Publication:
    """What publish_package returns for a package, without a server (recording tests)."""
    return Publication(pkg, tuple(
        PublishedFile(f.name, f.file_type, f"outbox/{f.name}", f.sha256, f.rows, f.control_total)
        for f in pkg.all_files), "2026-11-01T06:00:00Z")


@pytest.mark.postgres
def test_build_and_record_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    """The same SQL on PostgreSQL: the same bytes as on DuckDB, SEQ kept, statuses and log written."""
    with wh_connect(pg_url) as pg, wh_connect("duckdb:///:memory:") as duck:
        for w in (pg, duck):
            migrate_connection(w)
            _seed(w, per_agency=5)
        on_pg = build_packages(pg, dt.date(2026, 11, 1), tmp_path / "pg")
        on_duck = build_packages(duck, dt.date(2026, 11, 1), tmp_path / "duck")
        assert [f.sha256 for p in on_pg for f in p.files] == [f.sha256 for p in on_duck for f in p.files]
        pubs = [_as_published(p) for p in on_pg]
        summary = record_publication(pg, pubs)
        assert summary.dossiers_published == 10 and summary.files_logged == 6
        record_publication(pg, pubs)  # an upsert
        assert pg.query("SELECT count(*) FROM core.publication_log") == [(6,)]
        assert pg.query("SELECT DISTINCT status FROM core.dossier") == [("PUBLISHED",)]
        assert [p.seq for p in build_packages(pg, dt.date(2026, 11, 1), tmp_path / "pg2")] == [1, 1]
        pg.execute("INSERT INTO core.dossier_recall VALUES ('D202611-000001', DATE '2026-12-03', "
                   "'PAID_IN_FULL', 0, TIMESTAMP '2026-12-02 10:00:00', NULL, DATE '2026-12-03')")
        (recall,) = build_recall_files(pg, dt.date(2026, 12, 3), tmp_path / "pg")
        assert record_publication(pg, [_as_published(recall)]).recalls_marked == 1
        # weekly payments from core.ledger_payment (the warehouse only), recorded as notices
        pg.execute("INSERT INTO core.ledger_payment VALUES (501, 'R501', '0000002', 2, DATE '2026-11-10', "
                   "150.00, 'PAYMENT', NULL, DATE '2026-01-01', 'ONLINE', DATE '2026-11-11', NULL)")
        (payments,) = build_payment_notices(pg, dt.date(2026, 11, 20), tmp_path / "pg")
        assert Path(payments.files[0].path).read_text(encoding="utf-8").splitlines()[1] == (
            "D202611-000002;501;2026-11-10;150.00;2026-01;PAYMENT")
        assert record_publication(pg, [_as_published(payments)]).notices_recorded == 1
        assert build_payment_notices(pg, dt.date(2026, 11, 27), tmp_path / "pg") == []


def test_one_session_publishes_an_agency_file_sets_in_order_and_a_retry_changes_nothing(
    wh: Warehouse, sftp_server: EmbeddedSftpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """assignment_monthly's mapped ``publish`` (one task per agency): the agency's package and recall
    file through one session of its Airflow connection, in build order; run again (a task retry), the
    same bytes, no conflict."""
    from recouvra.airflow_adapter.sftp import publish_all_with_connection
    from recouvra.publication import by_agency
    from recouvra.sftp.keys import connection_extras

    record_publication(wh, [publish_with_params(sftp_server.params(p.agency), p)
                            for p in build_packages(wh, dt.date(2026, 11, 1), tmp_path / "first")])
    wh.execute("INSERT INTO core.dossier_recall VALUES ('D202611-000041', DATE '2026-12-01', "
               "'FUND_DECISION', 10.00, TIMESTAMP '2026-11-30 10:00:00', NULL, DATE '2026-12-01')")
    packages = (build_packages(wh, dt.date(2026, 11, 1), tmp_path / "outbox")
                + build_recall_files(wh, dt.date(2026, 12, 1), tmp_path / "outbox"))
    groups = by_agency(packages)
    assert [[p["agency"] for p in g] for g in groups] == [["AG01"], ["AG02", "AG02"]]
    assert [p["kind"] for p in groups[1]] == [packages[1].kind, packages[2].kind]

    for agency in ("AG01", "AG02"):
        p = sftp_server.params(agency)
        monkeypatch.setenv(f"AIRFLOW_CONN_SFTP_T{agency}", json.dumps({
            "conn_type": "sftp", "host": p.host, "port": p.port, "login": p.username,
            "extra": connection_extras(sftp_server.root)}))
    sent = [publish_all_with_connection(f"sftp_t{g[0]['agency'].lower()}", [Package.from_dict(d) for d in g])
            for g in groups]
    assert [len(s) for s in sent] == [1, 2]
    outbox = _outbox(sftp_server, "AG02")
    assert outbox["CNSS_RECALL_AG02_20261201_01.csv"] == (
        b"dossier_id;recall_date;reason\nD202611-000041;2026-12-01;FUND_DECISION\n")
    again = publish_all_with_connection("sftp_tag02", [Package.from_dict(d) for d in groups[1]])
    assert [f.sha256 for pub in again for f in pub.files] == [f.sha256 for pub in sent[1] for f in pub.files]
    assert _outbox(sftp_server, "AG02") == outbox
    with pytest.raises(Exception, match=r"one session is for one agency, not \['AG01', 'AG02'\]"):
        publish_all_with_connection("sftp_tag01", [Package.from_dict(groups[0][0]), packages[1]])
