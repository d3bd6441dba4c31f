"""Real faults, then recovery: files, rows and totals after it are those of a run without the fault.

- the SFTP server process killed (SIGKILL, by its PID) mid-upload while a package is published, and
  mid-download while a return file is fetched; restarted, the task run again;
- a private PostgreSQL restarted (immediate: no shutdown checkpoint, crash recovery) while a return
  file's load is in flight;
- the ingestion task's process killed at each point between the load and the acknowledgement, then
  retried as Airflow does, or left to the next hourly run;
- two ingestions at once on the embedded DuckDB (one writer): the second fails on the lock, its retry
  takes the upload the first already acknowledged;
- one return file delivered twice, and under two names in one fetch;
- a month's assignment re-run while the next month's runs, both on the one embedded DuckDB.

No fault here is timed: each test stops the code at a point it can observe (a ``.part`` file with some
bytes, a backend waiting for a lock, a marker file written by a held process) before it strikes, and
waits for processes by their PIDs. ``fault_runner.py`` runs the DAG tasks' code in a child process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from recouvra.exchange.names import PART_SUFFIX
from recouvra.ingest import deliver_acks, fetch_inbox, ingest_fetched, record_deliveries, spool_dir
from recouvra.ingest.spool import FILES_FOLDER
from recouvra.publication import build_packages, publish_with_params, record_publication
from recouvra.sftp.client import CHUNK
from recouvra.sftp.client import connect as sftp_connect
from recouvra.sftp.errors import SftpTransferError, SftpUploadError
from recouvra.standins.return_samples import return_csv
from recouvra.standins.sftp_server import LOG_FILE as SERVER_LOG
from recouvra.standins.sftp_server import EmbeddedSftpServer, Faults, start_daemon, stop_daemon
from recouvra.warehouse import Warehouse, connect, discover_migrations, migrate, migrate_connection

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
AGENCIES = ("AG01", "AG02")
NOV = dt.date(2026, 11, 1)
DEC = dt.date(2026, 12, 1)
AS_OF = dt.date(2026, 11, 25)
BUILT = dt.datetime(2026, 11, 1, 6, 0)
PAYMENTS = ["dossier_id", "payment_id", "payment_date", "amount", "channel", "receipt_ref"]
ACTIONS = ["dossier_id", "action_id", "action_date", "action_type", "outcome", "promise_amount",
           "promise_date", "comment"]
GUARD_S = 120.0  # a guard against a hang, never a measure: every wait below ends on what it watches


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _load("fault_runner", HERE / "fault_runner.py")
worlds = _load("selection_worlds", ROOT / "tests" / "unit" / "selection" / "worlds.py")


def missing(config: pytest.Config, what: str, how: str) -> None:
    """tests/integration/conftest.py's ``missing_component``: skip locally, fail under CI=true."""
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == HERE / "conftest.py":
            plugin.missing_component(config, what, how)
            return
    raise RuntimeError("tests/integration/conftest.py is not loaded")


def wait_until(condition: Callable[[], bool], what: str, *, alive: Callable[[], bool] | None = None) -> None:
    """Wait for an observable state; fail at once if what should bring it about died."""
    deadline = time.monotonic() + GUARD_S
    while not condition():
        if alive is not None and not alive():
            if condition():
                return
            raise AssertionError(f"gave up waiting for {what}: the process that should bring it about ended")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {GUARD_S:.0f} s")
        time.sleep(0.01)


def process_gone(pid: int) -> bool:
    """True once ``pid`` is no process, or only a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def kill_and_wait(pid: int) -> None:
    """SIGKILL ``pid``, then wait until it is gone (reaped when it is our child)."""
    os.kill(pid, signal.SIGKILL)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # not our child, or reaped already by subprocess's own clean-up
        wait_until(lambda: process_gone(pid), f"process {pid} to end")


class InThread:
    """Run a call in a thread; :meth:`result` joins it and returns its value or raises its error."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                self._outcome["value"] = call()
            except BaseException as exc:  # handed to result()
                self._outcome["error"] = exc

        self._thread = threading.Thread(target=target, daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def result(self) -> Any:
        self._thread.join(GUARD_S)
        assert not self._thread.is_alive(), "the call did not end"
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["value"]


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its path from there."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- worlds ----------------------------------------------------------------------------------------

def seed_published(wh: Warehouse) -> None:
    """Migrate, then one debtor and one published dossier per agency (D202611-000001 for AG01, ...)."""
    migrate_connection(wh)
    for n, agency in enumerate(AGENCIES, start=1):
        wh.execute(
            "INSERT INTO core.dim_debtor (debtor_id, primary_affiliation_no, legal_name, is_natural_person, "
            "phone_1, activity_status, affiliations_count, status, created_at, updated_at) "
            "VALUES (?, ?, 'Atlas SARL', false, '+212522123456', 'ACTIVE', 1, 'ACTIVE', ?, ?)",
            [n, str(n), BUILT, BUILT])
        wh.execute(
            "INSERT INTO core.debtor_history (debtor_id, valid_from, valid_to, is_current, "
            "primary_affiliation_no, legal_name, is_natural_person, phone_1, activity_status, change_source, "
            "change_ref) VALUES (?, ?, NULL, true, ?, 'Atlas SARL', false, '+212522123456', 'ACTIVE', "
            "'SOURCE', '2026-11-01')", [n, BUILT, str(n)])
        wh.execute(
            "INSERT INTO core.dossier (dossier_id, assignment_month, debtor_id, affiliation_no, agency_code, "
            "segment, assignment_start, assignment_end, commission_rate, commission_cap, periods_count, "
            "oldest_period, newest_period, principal_due, surcharges_due, penalties_due, total_due, status, "
            "status_date, created_at) VALUES (?, DATE '2026-11-01', ?, ?, ?, 'FRESH', DATE '2026-11-01', "
            "DATE '2027-04-30', 0.03, 30000, 1, DATE '2026-01-01', DATE '2026-01-01', 1000000, 0, 0, "
            "1000000, 'PUBLISHED', DATE '2026-11-01', ?)",
            [f"D202611-{n:06d}", n, str(n), agency, BUILT])


def payments_file(rows: int, *, unknown: int = 0) -> bytes:
    """A PAYMENTS return file of AG01: ``rows`` payments on its dossier, then ``unknown`` rows on a
    dossier the fund never published (rejected E001)."""
    body = [["D202611-000001", f"P{k:07d}", "2026-11-10", f"{1 + k % 97}.{k % 100:02d}", "CHEQUE", f"R-{k}"]
            for k in range(rows)]
    body += [["D202611-999999", f"X{k:07d}", "2026-11-10", "5.00", "CHEQUE", ""] for k in range(unknown)]
    return return_csv(PAYMENTS, body)


def actions_file(rows: int) -> bytes:
    """An ACTIONS return file of AG01, each row with a long comment: a few MB for a few thousand rows."""
    return return_csv(ACTIONS, [
        ["D202611-000001", f"A{k:07d}", "2026-11-10", "CALL", "NO_ANSWER", "", "", f"call {k}: " + "x" * 950]
        for k in range(rows)])


def drop_in_inbox(server: EmbeddedSftpServer, agency: str, name: str, data: bytes) -> None:
    """The agency's complete upload (written aside, then renamed into ``inbox/``, as the contract says)."""
    inbox = server.account(agency).home / "inbox"
    part = inbox / (name + PART_SUFFIX)
    part.write_bytes(data)
    part.replace(inbox / name)


def ingest_run(server: EmbeddedSftpServer, wh: Warehouse, spool: Path, run: str) -> list[dict[str, Any]]:
    """One returns_ingest run in this process, every agency: fetch, ingest, deliver, record."""
    fetched = []
    for agency in AGENCIES:
        with sftp_connect(server.params(agency)) as client:
            fetched.append(fetch_inbox(client, agency, spool_dir(spool, agency, run)))
    groups = ingest_fetched(wh, fetched, AS_OF)
    reports = []
    for group in groups:
        with sftp_connect(server.params(group["agency"])) as client:
            reports.append(deliver_acks(client, group["agency"], group["items"]))
    record_deliveries(wh, reports)
    return [item for group in groups for item in group["items"]]


# --- the SFTP server as a process ------------------------------------------------------------------

class Daemon:
    """The embedded SFTP server as its own process (``start_daemon``), to be killed by its PID."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = 0  # chosen at the first start, kept on restarts

    def start(self, faults: Faults | None = None) -> EmbeddedSftpServer:
        self.port = start_daemon(self.root, AGENCIES, port=self.port, faults=faults)
        return EmbeddedSftpServer.attach(self.root, AGENCIES)

    def kill(self) -> None:
        kill_and_wait(int((self.root / "server.pid").read_text()))

    def stop(self) -> None:
        stop_daemon(self.root)


@pytest.fixture()
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    d = Daemon(tmp_path / "sftp")
    try:
        yield d
    finally:
        d.stop()


# --- a private PostgreSQL --------------------------------------------------------------------------

class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb in a temporary folder, a free port on 127.0.0.1), so that
    a test may restart it: the shared server on 5432 serves other tests. Run as the ``postgres`` OS
    user when the tests run as root (PostgreSQL refuses to run as root)."""

    def __init__(self, bindir: Path, folder: Path, as_user: str | None) -> None:
        self.bindir, self.folder, self.as_user = bindir, folder, as_user
        self.data = folder / "data"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / tool), *args]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=GUARD_S, check=False)
        assert done.returncode == 0, f"{tool} {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        return done

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--locale=C", "--no-sync")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options, "-w",
                 "start")

    def restart_immediately(self) -> None:
        """``pg_ctl restart -m immediate``: every backend ends at once, no shutdown checkpoint; the
        server comes back through crash recovery."""
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-m", "immediate",
                 "-w", "restart")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")  # its data is thrown away

    def log(self) -> str:
        return (self.folder / "server.log").read_text(errors="replace")


@pytest.fixture()
def private_pg(pytestconfig: pytest.Config) -> Iterator[PrivatePostgres]:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    initdb = found[-1] if found else (Path(w) if (w := shutil.which("initdb")) else None)
    if initdb is None or not (initdb.parent / "pg_ctl").exists():
        missing(pytestconfig, "PostgreSQL server binaries (initdb, pg_ctl)", "apt-get install postgresql")
    assert initdb is not None
    as_user = None
    if os.geteuid() == 0:  # PostgreSQL refuses root: its own OS user runs it
        if shutil.which("runuser") is None:
            missing(pytestconfig, "runuser (to run PostgreSQL as its OS user)", "apt-get install util-linux")
        try:
            import pwd

            owner = pwd.getpwnam("postgres")
        except KeyError:
            missing(pytestconfig, "the postgres OS user", "apt-get install postgresql")
        as_user = "postgres"
    folder = Path(tempfile.mkdtemp(prefix="recouvra-pg-"))  # not under pytest's root-only tmp folder
    if as_user:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    pg = PrivatePostgres(initdb.parent, folder, as_user)
    try:
        pg.init()
        yield pg
    finally:
        pid_file = pg.data / "postmaster.pid"
        if pid_file.exists():
            try:
                pg.stop()
            except AssertionError:  # pg_ctl could not stop it: end the postmaster we started, by its PID
                with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
                    kill_and_wait(int(pid_file.read_text().split()[0]))
        shutil.rmtree(folder, ignore_errors=True)


# === 3. PostgreSQL restarted in the middle of a warehouse load =====================================

def _payment_rows(wh: Warehouse) -> list[tuple[Any, ...]]:
    return wh.query("SELECT agency_code, dossier_id, payment_id, payment_date, amount, channel, receipt_ref, "
                    "line_no FROM core.agency_payment ORDER BY payment_id")


def _reject_rows(wh: Warehouse) -> list[tuple[Any, ...]]:
    return wh.query("SELECT line_no, record_id, reason_code, raw_line FROM core.return_reject "
                    "ORDER BY line_no")


@pytest.mark.postgres
def test_postgres_restarted_mid_load_fails_cleanly_and_a_rerun_loads_exactly_once(
    private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    """The returns load of one file is one transaction: the payments copied in, then its rejects. While
    the rejects wait for a table another session holds, the server restarts immediately: the file's
    ingestion fails with the server's own words, nothing of it stays, the migrations are whole, and the
    next run loads exactly what a load without the fault loads."""
    url, rows = private_pg.url, 5_000
    with connect(url) as wh:
        seed_published(wh)
    name = "AG01_PAYMENTS_20261125_01.csv"
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / name).write_bytes(payments_file(rows, unknown=3))
    fetched = [{"agency": "AG01", "file_name": name, "remote_path": f"inbox/{name}",
                "size": (spool / name).stat().st_size, "mtime": 1_764_000_000,
                "received_at": "2026-11-25T10:00:00+00:00", "sha256": None, "local_path": str(spool / name),
                "sidecar_remote": None, "sidecar_path": None, "spool_dir": str(spool)}]

    # Another session holds core.return_reject: the load copies its payments, then waits there.
    import psycopg

    holder = psycopg.connect(host="127.0.0.1", port=private_pg.port, user="postgres", dbname="postgres")
    holder.execute("LOCK TABLE core.return_reject IN ACCESS EXCLUSIVE MODE")
    loading = InThread(lambda: _ingest_with_own_connection(url, fetched))
    with connect(url) as observer:
        wait_until(lambda: observer.query(
            "SELECT count(*) FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
            "WHERE NOT l.granted AND c.relname = 'return_reject'")[0][0] == 1,
            "the load to wait for core.return_reject", alive=loading.alive)
        # ... in the transaction that wrote the payments (they are not committed: nobody else sees them)
        assert ("RowExclusiveLock",) in observer.query(
            "SELECT l.mode FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
            "WHERE l.granted AND c.relname = 'agency_payment' AND l.pid IN (SELECT w.pid FROM pg_locks AS w "
            "JOIN pg_class AS r ON r.oid = w.relation WHERE NOT w.granted AND r.relname = 'return_reject')")
        assert observer.query("SELECT count(*) FROM core.agency_payment") == [(0,)]
    private_pg.restart_immediately()
    holder.close()
    assert "automatic recovery in progress" in private_pg.log()  # a crash for the server, not a shutdown

    (item,) = loading.result()
    assert item["status"] == "ERROR", item
    assert item["error"].startswith("WarehouseError: "), item["error"]
    assert "core.return_reject" in item["error"] and "terminat" in item["error"], item["error"]
    with connect(url) as wh:
        assert wh.query("SELECT count(*) FROM core.return_file") == [(0,)]
        assert wh.query("SELECT count(*) FROM core.agency_payment") == [(0,)]
        assert wh.query("SELECT count(*) FROM core.return_reject") == [(0,)]
        assert [v for (v,) in wh.query("SELECT version FROM meta.schema_migrations ORDER BY 1")] == [
            m.version for m in discover_migrations()]
    assert migrate(url) == []  # nothing half-applied, nothing to apply again

    (again,) = _ingest_with_own_connection(url, fetched)
    assert (again["status"], again["rows_accepted"], again["rows_rejected"], again.get("error")) == (
        "PARTIAL", rows, 3, None)
    with connect("duckdb:///:memory:") as clean, connect(url) as wh:
        seed_published(clean)
        (reference,) = [i for g in ingest_fetched(clean, fetched, AS_OF) for i in g["items"]]
        assert reference["status"] == "PARTIAL"
        assert _payment_rows(wh) == _payment_rows(clean) and len(_payment_rows(wh)) == rows
        assert _reject_rows(wh) == _reject_rows(clean) and len(_reject_rows(wh)) == 3
        total = wh.query("SELECT sum(amount) FROM core.agency_payment")
        assert total == clean.query("SELECT sum(amount) FROM core.agency_payment")
        assert total[0][0] == sum(Decimal(f"{1 + k % 97}.{k % 100:02d}") for k in range(rows))
        assert wh.query("SELECT count(*), min(status) FROM core.return_file") == [(1, "PARTIAL")]


def _ingest_with_own_connection(url: str, fetched: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with connect(url) as wh:
        return [i for g in ingest_fetched(wh, fetched, AS_OF) for i in g["items"]]


# === 1. the SFTP server killed mid-upload while a package is published ==============================

HIST = ("debtor_id, valid_from, valid_to, is_current, primary_affiliation_no, legal_name, legal_form, "
        "is_natural_person, ice, rc_number, rc_court, address, city, phone_1, phone_2, email, "
        "legal_rep_name, activity_status, change_source")


def seed_allocated(wh: Warehouse, per_agency: int) -> None:
    """Migrate, then ``per_agency`` ALLOCATED dossiers of November for each agency (AG01 first), each
    debtor with a long address: the assignment files are some 100 KB, several SFTP writes each."""
    migrate_connection(wh)
    agency = "CASE WHEN i <= ? THEN 'AG01' ELSE 'AG02' END"
    numbers = "FROM generate_series(1, ?) AS t(i)"
    wh.execute(
        f"INSERT INTO core.debtor_history ({HIST}) SELECT i, TIMESTAMP '2026-06-01', NULL, true, "
        f"lpad(CAST(i AS VARCHAR), 7, '0'), 'Société ' || {agency} || ' n°' || i, 'SARL', false, NULL, "
        "'12345', 'Casablanca', i || ' Rue ' || repeat('des Orangers ', 70), 'Casablanca', '+212522123456', "
        f"NULL, 'contact@example.ma', 'Rep', 'ACTIVE', 'SOURCE' {numbers}", [per_agency, 2 * per_agency])
    dossier = "'D202611-' || lpad(CAST(i AS VARCHAR), 6, '0')"
    due = "CAST(i * 100 + 0.10 AS DECIMAL(18, 2))"
    wh.execute(f"INSERT INTO core.dossier_period SELECT {dossier}, DATE '2026-01-01', 'PRINCIPAL', {due}, "
               f"NULL {numbers}", [2 * per_agency])
    wh.execute(
        f"INSERT INTO core.dossier SELECT {dossier}, DATE '2026-11-01', i, lpad(CAST(i AS VARCHAR), 7, '0'), "
        f"{agency}, 'FRESH', NULL, DATE '2026-11-01', DATE '2027-04-30', 0.0300, 30000.00, 1, "
        f"DATE '2026-01-01', DATE '2026-01-01', {due}, 0, 0, {due}, 'ALLOCATED', DATE '2026-11-01', "
        f"TIMESTAMP '2026-11-01 05:00:00', NULL, 1, NULL, NULL, NULL, NULL {numbers}",
        [per_agency, 2 * per_agency])


def test_sftp_server_killed_mid_upload_then_the_publication_rerun_sends_each_file_once(
    daemon: Daemon, tmp_path: Path
) -> None:
    """The server process dies (SIGKILL) with an assignment file half written under its ``.part``
    name. The task fails naming the agency, server and file; the agency's outbox holds no file under a
    final name. Restarted, the publication re-run (every agency's, as clearing the task does) leaves
    each outbox byte for byte what a run without the fault leaves, the ``.part`` gone, and
    core.publication_log one row per file."""
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    with connect(url) as wh:
        seed_allocated(wh, per_agency=100)
        packages = build_packages(wh, NOV, tmp_path / "outbox")
    first = packages[0].files[0]
    assert packages[0].agency == "AG01" and first.size > 3 * CHUNK

    server = daemon.start(faults=Faults(stall_after=2 * CHUNK))  # hangs on its third 32 KiB write
    part = server.account("AG01").home / "outbox" / (first.name + PART_SUFFIX)
    upload = InThread(lambda: publish_with_params(server.params("AG01"), packages[0]))
    wait_until(lambda: part.exists() and part.stat().st_size > 0, f"{part.name} to hold bytes",
               alive=upload.alive)
    daemon.kill()
    with pytest.raises(SftpUploadError) as failed:
        upload.result()
    message = str(failed.value)
    assert "AG01" in message and f"127.0.0.1:{daemon.port}" in message and first.name in message, message
    assert "connection dropped" in message and "nothing written under the final name" in message, message
    # the server died before the client could remove its .part: a name readers ignore, never a final one
    assert 0 < part.stat().st_size < first.size
    assert sorted(files(server.account("AG01").home / "outbox")) == [part.name]

    server = daemon.start()  # same root and port, no fault
    published = [publish_with_params(server.params(p.agency), p).to_dict() for p in packages]
    with connect(url) as wh:
        summary = record_publication(wh, published)
        record_publication(wh, published)  # the recording task retried: an upsert
        logged = wh.query("SELECT agency_code, file_name, sha256 FROM core.publication_log ORDER BY 1, 2")
        statuses = wh.query("SELECT status, count(*) FROM core.dossier GROUP BY 1")
    assert summary.files_logged == 6 and summary.dossiers_published == 200
    assert statuses == [("PUBLISHED", 200)]
    assert logged == sorted((p.agency, f.name, f.sha256) for p in packages for f in p.all_files)

    with EmbeddedSftpServer(tmp_path / "clean", AGENCIES) as clean:  # the same packages, no fault
        for p in packages:
            publish_with_params(clean.params(p.agency), p)
        for agency in AGENCIES:
            expected = files(clean.account(agency).home / "outbox")
            assert files(server.account(agency).home / "outbox") == expected
            assert len(expected) == 3 and not any(n.endswith(PART_SUFFIX) for n in expected)


# === 2. the SFTP server killed mid-download while a return file is fetched ===========================

def test_sftp_server_killed_mid_download_then_the_ingestion_rerun_takes_the_file_once(
    daemon: Daemon, tmp_path: Path
) -> None:
    """The server dies while the fund reads a 3 MB return file: the fetch fails naming the agency and
    file, the spool holds nothing under the file's name, the warehouse nothing. Restarted, the next
    run ingests it once, acknowledges it once and moves it once; its rows are the file's."""
    rows = 3_000
    name = "AG01_ACTIONS_20261125_01.csv"
    data = actions_file(rows)
    assert len(data) > 2 * (1 << 20)
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    with connect(url) as wh:
        seed_published(wh)
    # The fund reads 1 MiB at a time: the server hangs once it sent 1.25 MiB, the first MiB on disk.
    server = daemon.start(faults=Faults(stall_after=(1 << 20) + 8 * CHUNK))
    drop_in_inbox(server, "AG01", name, data)
    spool = tmp_path / "spool"
    local = spool_dir(spool, "AG01", "run1")
    part = local / FILES_FOLDER / (name + PART_SUFFIX)  # downloads land in the spool's files/ folder

    def fetch() -> list[dict[str, Any]]:
        with sftp_connect(server.params("AG01")) as client:
            return fetch_inbox(client, "AG01", local)

    fetching = InThread(fetch)
    # the server stalls once it sent 1.25 MiB; the first MiB is then on disk, unless paramiko's
    # prefetch thread and reader hang among themselves (a rare race, paramiko/paramiko#577: the
    # download then holds an empty .part): either way the kill below is mid-download
    server_log = daemon.root / SERVER_LOG

    def holds_bytes() -> bool:
        return part.exists() and part.stat().st_size > 0

    wait_until(lambda: holds_bytes() or "fault: session stalled" in server_log.read_text(errors="replace"),
               f"{part.name} to hold bytes or the server to stall", alive=fetching.alive)
    deadline = time.monotonic() + 30
    while not holds_bytes() and time.monotonic() < deadline and fetching.alive():
        time.sleep(0.05)
    daemon.kill()
    with pytest.raises(SftpTransferError) as failed:
        fetching.result()
    message = str(failed.value)
    assert "AG01" in message and f"inbox/{name}" in message and "download failed" in message, message
    assert "connection dropped" in message, message
    assert files(local) == {}  # neither the file under its name nor the .part
    assert files(server.account("AG01").home / "inbox") == {name: data}

    server = daemon.start()
    with connect(url) as wh:
        (item,) = ingest_run(server, wh, spool, "run2")
        assert ingest_run(server, wh, spool, "run3") == []  # the next run finds nothing
        assert (item["status"], item["rows_received"], item["rows_accepted"], item["replayed"]) == (
            "ACCEPTED", rows, rows, False)
        assert wh.query("SELECT count(*), count(DISTINCT action_id), min(line_no), max(line_no) "
                        "FROM core.agency_action") == [(rows, rows, 2, rows + 1)]
        assert wh.query("SELECT file_name, sha256, rows_received, delivered_at IS NOT NULL "
                        "FROM core.return_file") == [(name, hashlib.sha256(data).hexdigest(), rows, True)]
        assert wh.query("SELECT file_name FROM core.publication_log") == [
            ("AG01_ACTIONS_20261125_01.ack.json",)]
    home = server.account("AG01").home
    assert files(home / "inbox") == {f"processed/{name}": data}
    assert sorted(files(home / "outbox")) == ["acks/AG01_ACTIONS_20261125_01.ack.json"]


def test_a_server_that_stalls_mid_download_fails_the_fetch_after_the_io_timeout(
    daemon: Daemon, tmp_path: Path
) -> None:
    """The server stays connected but stops sending half way through a 3 MB return file (never killed):
    the fetch fails once no packet came for the session's I/O timeout, naming the agency and the file,
    and leaves nothing in the spool; the file waits in the inbox for the next run."""
    from dataclasses import replace

    name = "AG01_ACTIONS_20261125_01.csv"
    data = actions_file(3_000)
    server = daemon.start(faults=Faults(stall_after=(1 << 20) + 8 * CHUNK))
    drop_in_inbox(server, "AG01", name, data)
    local = spool_dir(tmp_path / "spool", "AG01", "run1")
    started = time.monotonic()
    with pytest.raises(SftpTransferError) as failed, \
            sftp_connect(replace(server.params("AG01"), io_timeout=3.0)) as client:
        fetch_inbox(client, "AG01", local)
    waited = time.monotonic() - started
    message = str(failed.value)
    assert "AG01" in message and f"inbox/{name}" in message and "download failed" in message, message
    assert "sent nothing for the session's I/O timeout" in message, message
    assert 3.0 <= waited < 60, waited  # the I/O timeout, not a hang
    assert files(local) == {}
    assert files(server.account("AG01").home / "inbox") == {name: data}


# === 4. the ingestion task's process killed between the load and the acknowledgement ================

STEM = "AG01_PAYMENTS_20261125_01"
KILLS = [  # (where the process dies, how the work is taken up again)
    ("writing-ack", "retry"), ("writing-ack", "next-run"),
    ("ingested", "retry"), ("ingested", "next-run"),
    ("ack-part", "retry"),
    ("ack-uploaded", "retry"), ("ack-uploaded", "next-run"),
    ("moved", "retry"),
    # record_acks never retried, the file already in inbox/processed/: the next run's delivery step finds
    # the open registry row's acknowledgement on the account (recouvra.ingest.open_deliveries)
    ("moved", "next-run"),
]
KILL_PARAMS = [pytest.param(point, resume, id=f"{point}-then-{resume}") for point, resume in KILLS]


def run_in_process(pipeline: str, tmp_path: Path, runs: list[str], *options: str,
                   wait: bool = True) -> subprocess.CompletedProcess[str] | subprocess.Popen[str]:
    """fault_runner.py in its own process, this worktree's code first on its path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "include"),
                                                                      os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, str(HERE / "fault_runner.py"), pipeline, "--sftp", str(tmp_path / "sftp.json"),
           *[a for r in runs for a in ("--run", str(tmp_path / "runs" / r))], *options]
    if not wait:
        return subprocess.Popen(cmd, env=env, cwd=tmp_path, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    return subprocess.run(cmd, env=env, cwd=tmp_path, text=True, capture_output=True, timeout=GUARD_S,
                          check=False)


def write_params(server: EmbeddedSftpServer, tmp_path: Path, agencies: tuple[str, ...] = AGENCIES) -> None:
    (tmp_path / "sftp.json").write_text(runner.params_json({a: server.params(a) for a in agencies}),
                                        encoding="utf-8")


@pytest.mark.parametrize(("point", "resume"), KILL_PARAMS)
def test_ingestion_killed_between_load_and_acknowledgement_ends_with_one_of_each(
    point: str, resume: str, sftp_server: EmbeddedSftpServer, tmp_path: Path
) -> None:
    """The ingestion's process dies by SIGKILL at ``point`` (fault_runner.KILL_POINTS). Taken up again,
    by Airflow retrying the task that died (then the next hourly run) or by the next hourly run alone,
    the file is loaded once, acknowledged once (its rejects too), moved to inbox/processed/ once, and
    every acknowledgement is in core.publication_log once."""
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    with connect(url) as wh:
        seed_published(wh)
    name = f"{STEM}.csv"
    data = payments_file(50, unknown=2)
    drop_in_inbox(sftp_server, "AG01", name, data)
    write_params(sftp_server, tmp_path)
    home = sftp_server.account("AG01").home
    ingest = ("--warehouse", url, "--spool", str(tmp_path / "spool"))

    killed = run_in_process("ingest", tmp_path, ["hour1"], *ingest, "--kill-at", point)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    with connect(url) as wh:
        registered = wh.query("SELECT count(*), count(delivered_at) FROM core.return_file")[0]
        logged = wh.query("SELECT count(*) FROM core.publication_log")[0][0]
    acks, inbox = sorted(files(home / "outbox" / "acks")), sorted(files(home / "inbox"))
    left = {  # what the kill left: (registered, delivered), acks on the server, inbox
        "writing-ack": ((0, 0), [], [name]),
        "ingested": ((1, 0), [], [name]),
        "ack-part": ((1, 0), [f"{STEM}.ack.json{PART_SUFFIX}", f"{STEM}.rejects.csv"], [name]),
        "ack-uploaded": ((1, 0), [f"{STEM}.ack.json", f"{STEM}.rejects.csv"], [name]),
        "moved": ((1, 0), [f"{STEM}.ack.json", f"{STEM}.rejects.csv"], [f"processed/{name}"]),
    }[point]
    assert (registered, acks, inbox) == left and logged == 0

    runs = ["hour1", "hour2"] if resume == "retry" else ["hour2"]
    resumed = run_in_process("ingest", tmp_path, runs, *ingest)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr

    assert files(home / "inbox") == {f"processed/{name}": data}
    assert sorted(files(home / "outbox")) == [f"acks/{STEM}.ack.json", f"acks/{STEM}.rejects.csv"]
    with connect(url) as wh:
        assert wh.query("SELECT file_name, status, rows_accepted, rows_rejected, ack_number, "
                        "delivered_at IS NOT NULL FROM core.return_file") == [
            (name, "PARTIAL", 50, 2, 1, True)]
        assert wh.query("SELECT count(*), count(DISTINCT payment_id), sum(amount) "
                        "FROM core.agency_payment") == [
            (50, 50, sum(Decimal(f"{1 + k % 97}.{k % 100:02d}") for k in range(50)))]
        assert wh.query("SELECT count(*) FROM core.return_reject") == [(2,)]
        acks = home / "outbox" / "acks"
        assert wh.query("SELECT file_name, file_type, sha256 FROM core.publication_log ORDER BY 1") == [
            (f"{STEM}.ack.json", "ACK", hashlib.sha256((acks / f"{STEM}.ack.json").read_bytes()).hexdigest()),
            (f"{STEM}.rejects.csv", "REJECTS",
             hashlib.sha256((acks / f"{STEM}.rejects.csv").read_bytes()).hexdigest())]



def test_two_ingestions_at_once_take_one_upload_once(sftp_server: EmbeddedSftpServer, tmp_path: Path) -> None:
    """Two runs of returns_ingest at once (a manual run while the hourly one runs) on the embedded
    warehouse: both fetch the upload; the first holds DuckDB (one writer) while it ingests, so the
    second waits for the lock (recouvra.warehouse.DUCKDB_LOCK_WAIT_S) and ingests once the first has
    delivered and recorded the file. The second's copy was fetched before the fund was done with the
    upload: it is that upload, replayed, not a new one: one registry row, one acknowledgement, rows once."""
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    with connect(url) as wh:
        seed_published(wh)
    name = f"{STEM}.csv"
    data = payments_file(30, unknown=1)
    drop_in_inbox(sftp_server, "AG01", name, data)
    write_params(sftp_server, tmp_path)
    ingest = ("--warehouse", url, "--spool", str(tmp_path / "spool"))
    runs = tmp_path / "runs"

    hourly = run_in_process("ingest", tmp_path, ["hourly"], *ingest, "--hold-at", "ingest", wait=False)
    assert isinstance(hourly, subprocess.Popen)
    manual: subprocess.Popen[str] | None = None
    try:
        wait_until(lambda: (runs / "hourly" / "held-ingest").exists(), "the hourly run to hold the warehouse",
                   alive=lambda: hourly.poll() is None)
        started = run_in_process("ingest", tmp_path, ["manual"], *ingest, wait=False)
        assert isinstance(started, subprocess.Popen)
        manual = started
        time.sleep(3)  # the manual run fetches the upload, then waits for the warehouse's lock
        assert manual.poll() is None, "the manual run did not wait for the warehouse"
        (runs / "hourly" / "go-ingest").touch()
        out, err = hourly.communicate(timeout=GUARD_S)
        assert hourly.returncode == 0, out + err
        out, err = manual.communicate(timeout=GUARD_S)
        assert manual.returncode == 0, out + err
    finally:
        for proc in (hourly, manual):
            if proc is not None and proc.poll() is None:
                kill_and_wait(proc.pid)

    home = sftp_server.account("AG01").home
    assert files(home / "inbox") == {f"processed/{name}": data}
    assert sorted(files(home / "outbox")) == [f"acks/{STEM}.ack.json", f"acks/{STEM}.rejects.csv"]
    with connect(url) as wh:
        assert wh.query("SELECT file_name, status, ack_file_name, delivered_at IS NOT NULL "
                        "FROM core.return_file") == [(name, "PARTIAL", f"{STEM}.ack.json", True)]
        assert wh.query("SELECT count(*) FROM core.agency_payment") == [(30,)]
        assert wh.query("SELECT file_name FROM core.publication_log ORDER BY 1") == [
            (f"{STEM}.ack.json",), (f"{STEM}.rejects.csv",)]

# === 5. one return file delivered twice, and under two names in one fetch ==========================

def test_one_file_under_two_names_in_one_fetch_then_sent_again_is_loaded_once_and_each_acknowledged(
    sftp_server: EmbeddedSftpServer, agency_sftp: Any, tmp_path: Path
) -> None:
    """The agency uploads the same bytes as ``_01`` and ``_02`` (its OpenSSH client, ``.part`` then
    rename); the fund fetches both in one run: the first is loaded, the second answered DUPLICATE.
    Sent again under the first name once both were processed: DUPLICATE, with its own numbered
    acknowledgement. Every upload acknowledged and moved, none overwritten; the rows once."""
    data = payments_file(40, unknown=1)
    first, second = f"{STEM}.csv", "AG01_PAYMENTS_20261125_02.csv"
    out = tmp_path / "agency" / "AG01"
    out.mkdir(parents=True)
    (out / "file.csv").write_bytes(data)

    def send(*names: str) -> None:
        batch = "".join(f"put {out / 'file.csv'} inbox/{n}{PART_SUFFIX}\n"
                        f"rename inbox/{n}{PART_SUFFIX} inbox/{n}\n" for n in names)
        done = agency_sftp("AG01", batch)
        assert done.returncode == 0, done.stderr

    home = sftp_server.account("AG01").home
    with connect(f"duckdb:///{tmp_path / 'warehouse.duckdb'}") as wh:
        seed_published(wh)
        send(first, second)
        one = ingest_run(sftp_server, wh, tmp_path / "spool", "hour1")
        send(first)
        two = ingest_run(sftp_server, wh, tmp_path / "spool", "hour2")

        verdicts = [(i["file_name"], i["status"], i["rows_accepted"], i["rows_duplicate"],
                     Path(i["ack_path"]).name) for i in one + two]
        assert verdicts == [
            (first, "PARTIAL", 40, 0, f"{STEM}.ack.json"),
            (second, "DUPLICATE", 0, 41, "AG01_PAYMENTS_20261125_02.ack.json"),
            (first, "DUPLICATE", 0, 41, f"{STEM}.ack.2.json"),
        ]
        assert wh.query("SELECT count(*), sum(amount) FROM core.agency_payment") == [
            (40, sum(Decimal(f"{1 + k % 97}.{k % 100:02d}") for k in range(40)))]
        assert wh.query("SELECT count(*) FROM core.return_reject") == [(1,)]
        assert wh.query("SELECT file_name, status, delivered_at IS NOT NULL FROM core.return_file "
                        "ORDER BY return_file_id") == [(first, "PARTIAL", True), (second, "DUPLICATE", True),
                                                        (first, "DUPLICATE", True)]
        logged = wh.query("SELECT file_name FROM core.publication_log ORDER BY 1")
    acks = sorted(files(home / "outbox" / "acks"))
    assert acks == sorted([f"{STEM}.ack.json", f"{STEM}.rejects.csv", f"{STEM}.ack.2.json",
                           "AG01_PAYMENTS_20261125_02.ack.json"])
    assert [n for (n,) in logged] == acks
    processed = files(home / "inbox")
    assert len(processed) == 3 and all(n.startswith("processed/") and v == data for n, v in processed.items())
    assert {f"processed/{first}", f"processed/{second}"} < set(processed)


# === 6. a month re-run while the next month runs ====================================================

def assignment_world(folder: Path) -> tuple[str, Path, Path, EmbeddedSftpServer]:
    """Twenty debtors (selection_worlds) in a DuckDB warehouse and a lake, six dossiers a month over
    the configured agencies, their SFTP server started: (warehouse URL, config file, lake, server)."""
    folder.mkdir(parents=True)
    settings = worlds._settings(folder, per_month=6)
    regions = [worlds.CASA, worlds.RABAT, worlds.TANGER, worlds.SOUSS]
    url = f"duckdb:///{folder / 'warehouse.duckdb'}"
    with connect(url) as wh:
        migrate_connection(wh)
        worlds._build(wh, folder / "lake", [worlds._debtor(i, 7_000 + 3_000 * i, region=regions[i % 4])
                                            for i in range(1, 21)])
        wh.execute("UPDATE core.debtor_history SET address = 'Rue 1', city = 'Casablanca'")
    server = EmbeddedSftpServer(folder / "sftp", [a.code for a in settings.agencies]).start()
    write_params(server, folder, tuple(a.code for a in settings.agencies))
    return url, folder / "config" / "recouvra.yaml", folder / "lake", server


def assign_options(folder: Path, url: str, config: Path, lake: Path, month: dt.date) -> list[str]:
    return ["--warehouse", url, "--config", str(config), "--lake", str(lake), "--outbox",
            str(folder / "outbox"), "--month", month.isoformat()]


def assign_here(folder: Path, url: str, config: Path, lake: Path, month: dt.date, run: str) -> None:
    """One assignment_monthly run in this process."""
    params = runner.read_params((folder / "sftp.json").read_text(encoding="utf-8"))
    runner.run_steps(folder / "runs" / run, runner.assign_steps(url, params, config, lake, folder / "outbox",
                                                                 month, folder / "runs" / run))


def outcome(url: str, server: EmbeddedSftpServer) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, Any]]:
    """Every core and marts table (wall-clock stamps ``*_at`` left out, and a manifest's digest) and
    every agency's outbox (manifests without their ``generated_at``)."""
    import json

    tables: dict[str, list[tuple[Any, ...]]] = {}
    with connect(url) as wh:
        for schema, table in wh.query("SELECT table_schema, table_name FROM information_schema.tables WHERE "
                                      "table_schema IN ('core', 'marts') AND table_type = 'BASE TABLE'"):
            columns = [c for c, t in wh.query(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND "
                "table_name = ? ORDER BY ordinal_position", [schema, table])
                if not (c.endswith("_at") and t.startswith("TIMESTAMP"))]
            if table == "publication_log":  # a manifest's digest covers its generated_at
                columns = [c if c != "sha256" else
                           "CASE WHEN file_type = 'MANIFEST' THEN NULL ELSE sha256 END" for c in columns]
            tables[f"{schema}.{table}"] = wh.query(
                f"SELECT {', '.join(columns)} FROM {schema}.{table} ORDER BY ALL")
    outboxes: dict[str, Any] = {}
    for account in server.accounts:
        for name, data in files(account.home / "outbox").items():
            if name.endswith(".manifest.json"):
                doc = json.loads(data)
                doc.pop("generated_at")
                outboxes[f"{account.agency}/{name}"] = doc
            else:
                outboxes[f"{account.agency}/{name}"] = data
    return tables, outboxes


@pytest.mark.slow
def test_a_month_rerun_while_the_next_month_runs_ends_as_one_after_the_other(tmp_path: Path) -> None:
    """November is assigned and published. December's run starts and holds the embedded warehouse
    (DuckDB: one writer) inside its selection; November's re-run, started then, waits at its first
    warehouse task for DuckDB's lock (recouvra.warehouse.DUCKDB_LOCK_WAIT_S) and goes through while
    December waits between its selection and its publication; then December ends. Warehouse and
    outboxes are those of the same runs one after the other: no dossier, file or log row doubled or
    lost, November's files as first sent."""
    reference = tmp_path / "one-after-the-other"
    url, config, lake, server = assignment_world(reference)
    try:
        for month, run in ((NOV, "nov"), (DEC, "dec"), (NOV, "nov-again")):
            assign_here(reference, url, config, lake, month, run)
        expected = outcome(url, server)
    finally:
        server.stop()

    world = tmp_path / "at-once"
    url, config, lake, server = assignment_world(world)
    try:
        assign_here(world, url, config, lake, NOV, "nov")
        sent = {n: v for n, v in outcome(url, server)[1].items() if not n.endswith(".manifest.json")}
        december = run_in_process("assign", world, ["dec"], *assign_options(world, url, config, lake, DEC),
                                  "--hold-at", "select_and_allocate", "--hold-at", "publish", wait=False)
        assert isinstance(december, subprocess.Popen)
        runs = world / "runs"
        november: subprocess.Popen[str] | None = None
        try:
            alive = lambda: december.poll() is None  # noqa: E731
            wait_until(lambda: (runs / "dec" / "held-select_and_allocate").exists(),
                       "December to hold the warehouse", alive=alive)
            nov = assign_options(world, url, config, lake, NOV)
            started = run_in_process("assign", world, ["nov-again"], *nov, wait=False)
            assert isinstance(started, subprocess.Popen)
            november = started
            wait_until(lambda: (runs / "nov-again" / "check_configuration.json").exists(),
                       "November's re-run to start", alive=lambda: started.poll() is None)
            time.sleep(2)  # its first warehouse task waits for December's lock: nothing more is done
            assert november.poll() is None, "November's re-run did not wait for the warehouse"
            assert sorted(p.name for p in (runs / "nov-again").iterdir()) == ["check_configuration.json"]

            (runs / "dec" / "go-select_and_allocate").touch()
            wait_until(lambda: (runs / "dec" / "held-publish").exists(), "December to reach its publication",
                       alive=alive)
            out, err = november.communicate(timeout=GUARD_S)
            assert november.returncode == 0, out + err
            (runs / "dec" / "go-publish").touch()
            out, err = december.communicate(timeout=GUARD_S)
            assert december.returncode == 0, out + err
        finally:
            for proc in (december, november):
                if proc is not None and proc.poll() is None:
                    kill_and_wait(proc.pid)
        got = outcome(url, server)
    finally:
        server.stop()
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert sent.items() <= got[1].items()  # November's files as first sent
    assert len([n for n in got[1] if "_202611_" in n]) == len([n for n in got[1] if "_202612_" in n]) == 12
