"""The code the DAG tasks call, run as a task process runs it: for tests/integration/test_faults.py.

Two pipelines, each a list of steps named after the DAG's tasks:

- ``ingest`` (``returns_ingest``): ``fetch_inbox`` -> ``ingest`` -> ``deliver_acks`` -> ``record_acks``;
- ``assign`` (``assignment_monthly``): ``check_configuration`` -> ``refresh_lifecycle`` ->
  ``select_and_allocate`` -> ``build_files`` -> ``publish`` -> ``record_publication``.

A run is a folder that keeps each finished step's result as JSON, as Airflow keeps a task's XCom:
running a pipeline again on the same folder is Airflow retrying the failed task (the steps done are
not run again, their results are read back), and a new folder is a new DAG run. Each step opens the
warehouse (and each agency's SFTP account) itself, as a task does.

As a script (a separate process, so that it can die, and hold DuckDB's file lock, as a task does)::

    python fault_runner.py ingest --warehouse URL --sftp PARAMS.json --spool DIR --run DIR [--run DIR]
        [--kill-at POINT]
    python fault_runner.py assign --warehouse URL --sftp PARAMS.json --config YAML --lake DIR
        --outbox DIR --month YYYY-MM-DD --run DIR [--hold-at STEP ...]

``--kill-at`` sends the process SIGKILL at one point of the ingestion (:data:`KILL_POINTS`): nothing
after it runs, nothing is cleaned up. ``--hold-at STEP`` stops inside that step (after it opened the
warehouse, when it uses one) until the test lets it go: it writes ``<run>/held-<STEP>`` and waits for
``<run>/go-<STEP>``. A step that fails prints ``step <name> failed: <error>`` and the process exits 3.
``PARAMS.json`` maps each agency to its :class:`~recouvra.sftp.client.SftpParams` (``params_json``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from recouvra.sftp.client import SftpParams

STEP_FAILED = 3
HOLD_TIMEOUT_S = 300.0
#: Where ``--kill-at`` kills the ingestion: the step and point each stands for.
KILL_POINTS = {
    "writing-ack": "ingest: records loaded, transaction not committed (the acknowledgement being written)",
    "ingested": "between ingest (committed) and deliver_acks",
    "ack-part": "deliver_acks: the acknowledgement's .part uploaded and verified, not renamed",
    "ack-uploaded": "deliver_acks: the acknowledgement under its final name, the file not yet moved",
    "moved": "between deliver_acks (file moved to inbox/processed/) and record_acks",
}
INGEST_STEPS = ("fetch_inbox", "ingest", "deliver_acks", "record_acks")
ASSIGN_STEPS = ("check_configuration", "refresh_lifecycle", "select_and_allocate", "build_files", "publish",
                "record_publication")


class StepFailed(Exception):
    """A step raised: its name and the error, as the task's log would show them."""


# --- SFTP parameters handed to the process ---------------------------------------------------------

def params_json(params: Mapping[str, SftpParams]) -> str:
    """Each agency's connection parameters as JSON (what ``--sftp`` reads)."""
    return json.dumps({a: {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(p).items()}
                       for a, p in params.items()})


def read_params(text: str) -> dict[str, SftpParams]:
    return {a: SftpParams(**{**p, "key_file": Path(p["key_file"])}) for a, p in json.loads(text).items()}


# --- runs: steps whose results are kept -------------------------------------------------------------

def hold(run: Path, step: str, held: Collection[str]) -> None:
    """Stop here when the test asked to: ``held-<step>`` written, then wait for ``go-<step>``."""
    if step not in held:
        return
    (run / f"held-{step}").write_text(f"{os.getpid()}\n")
    deadline = time.monotonic() + HOLD_TIMEOUT_S
    while not (run / f"go-{step}").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"held at {step} for {HOLD_TIMEOUT_S:.0f} s: nobody let it go")
        time.sleep(0.02)


def run_steps(run: Path, steps: Sequence[tuple[str, Callable[[dict[str, Any]], Any]]]) -> dict[str, Any]:
    """Run the steps not yet done in ``run`` in order, keeping each result (JSON) as it finishes;
    returns every step's result. A step that raises stops the run: :class:`StepFailed`."""
    run.mkdir(parents=True, exist_ok=True)
    done: dict[str, Any] = {}
    for name, step in steps:
        saved = run / f"{name}.json"
        if saved.exists():
            done[name] = json.loads(saved.read_text(encoding="utf-8"))
            continue
        try:
            result = step(done)
        except Exception as exc:
            raise StepFailed(f"step {name} failed: {type(exc).__name__}: {exc}") from exc
        text = json.dumps(result, default=str)
        tmp = saved.with_name(saved.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(saved)
        done[name] = json.loads(text)
    return done


# --- returns_ingest --------------------------------------------------------------------------------

def ingest_steps(url: str, params: Mapping[str, SftpParams], spool: Path, run: Path, on: dt.date,
                 held: Collection[str] = ()) -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    """The steps of one ``returns_ingest`` run for the agencies of ``params`` (module names looked up
    at call time, so that a kill point patched on them applies)."""
    import recouvra.ingest.load as load
    import recouvra.ingest.record as record
    import recouvra.ingest.spool as spool_module
    from recouvra.sftp.client import connect as sftp_connect
    from recouvra.warehouse import connect

    def fetch(_: dict[str, Any]) -> list[list[dict[str, Any]]]:
        fetched = []
        for agency, p in params.items():
            with sftp_connect(p) as client:
                hold(run, "fetch_inbox", held)
                fetched.append(spool_module.fetch_inbox(client, agency,
                                                        spool_module.spool_dir(spool, agency, run.name)))
        return fetched

    def ingest(done: dict[str, Any]) -> list[dict[str, Any]]:
        with connect(url) as wh:
            hold(run, "ingest", held)
            return load.ingest_fetched(wh, done["fetch_inbox"], on)

    def deliver(done: dict[str, Any]) -> list[list[dict[str, Any]]]:
        reports = []
        for group in done["ingest"]:
            with sftp_connect(params[group["agency"]]) as client:
                hold(run, "deliver_acks", held)
                reports.append(spool_module.deliver_acks(client, group["agency"], group["items"]))
        return reports

    def record_acks(done: dict[str, Any]) -> dict[str, int]:
        with connect(url) as wh:
            hold(run, "record_acks", held)
            return record.record_deliveries(wh, done["deliver_acks"])

    return list(zip(INGEST_STEPS, (fetch, ingest, deliver, record_acks), strict=True))


def _die(*_: Any, **__: Any) -> Any:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def arm_kill(point: str) -> None:
    """Patch the code so that the process kills itself at ``point`` (:data:`KILL_POINTS`)."""
    import paramiko

    import recouvra.ingest.load as load
    import recouvra.ingest.record as record
    import recouvra.ingest.spool as spool_module
    from recouvra.sftp.client import ParamikoSftpClient

    if point == "writing-ack":
        load.write_ack_files = _die  # type: ignore[assignment]
    elif point == "ingested":
        spool_module.deliver_acks = _die  # type: ignore[assignment]
    elif point == "ack-part":
        rename = paramiko.SFTPClient.posix_rename

        def rename_or_die(self: paramiko.SFTPClient, old: str, new: str) -> None:
            if ".ack." in new:
                _die()
            rename(self, old, new)

        paramiko.SFTPClient.posix_rename = rename_or_die  # type: ignore[method-assign]
    elif point == "ack-uploaded":
        ParamikoSftpClient.move = _die  # type: ignore[method-assign]
    elif point == "moved":
        record.record_deliveries = _die  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown kill point {point!r}: one of {', '.join(KILL_POINTS)}")


# --- assignment_monthly ----------------------------------------------------------------------------

def assign_steps(url: str, params: Mapping[str, SftpParams], config: Path, lake: Path, outbox: Path,
                 month: dt.date, run: Path, held: Collection[str] = ()
                 ) -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    """The steps of one ``assignment_monthly`` run of ``month``, as its task bodies call the domain
    package (the publication through plain SFTP parameters instead of an Airflow connection)."""
    from recouvra.config import load_settings
    from recouvra.publication import Package, build_packages, build_recall_files, publish_with_params
    from recouvra.publication import record_publication as record
    from recouvra.selection import check_settings, refresh_dossiers, require_dossiers, select_and_allocate
    from recouvra.warehouse import connect

    s = load_settings(config, environ={})

    def check_configuration(_: dict[str, Any]) -> list[str]:
        hold(run, "check_configuration", held)
        return check_settings(s, month)

    def refresh_lifecycle(_: dict[str, Any]) -> dict[str, Any]:
        with connect(url) as wh:
            hold(run, "refresh_lifecycle", held)
            return refresh_dossiers(wh, lake, s, month).as_dict()

    def select(_: dict[str, Any]) -> dict[str, Any]:
        with connect(url) as wh:
            hold(run, "select_and_allocate", held)
            report = select_and_allocate(wh, lake, s, month, seed=s.allocation.seed)
        return require_dossiers(report).as_dict()

    def build_files(_: dict[str, Any]) -> list[dict[str, Any]]:
        with connect(url) as wh:
            hold(run, "build_files", held)
            packages = build_packages(wh, month, outbox) + build_recall_files(wh, month, outbox)
        return [p.to_dict() for p in packages]

    def publish(done: dict[str, Any]) -> list[dict[str, Any]]:
        hold(run, "publish", held)
        return [publish_with_params(params[p["agency"]], Package.from_dict(p)).to_dict()
                for p in done["build_files"]]

    def record_publication(done: dict[str, Any]) -> dict[str, Any]:
        with connect(url) as wh:
            hold(run, "record_publication", held)
            return dataclasses.asdict(record(wh, done["publish"]))

    return list(zip(ASSIGN_STEPS, (check_configuration, refresh_lifecycle, select, build_files, publish,
                                   record_publication), strict=True))


# --- the script ------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="fault_runner.py")
    p.add_argument("pipeline", choices=("ingest", "assign"))
    p.add_argument("--warehouse", required=True)
    p.add_argument("--sftp", required=True, type=Path, help="agency -> SFTP parameters (JSON file)")
    p.add_argument("--run", required=True, action="append", type=Path, help="a run folder; repeat: in turn")
    p.add_argument("--hold-at", action="append", default=[], choices=INGEST_STEPS + ASSIGN_STEPS)
    p.add_argument("--kill-at", choices=sorted(KILL_POINTS))
    p.add_argument("--spool", type=Path)
    p.add_argument("--on", type=dt.date.fromisoformat, default=dt.date(2026, 11, 25))
    p.add_argument("--config", type=Path)
    p.add_argument("--lake", type=Path)
    p.add_argument("--outbox", type=Path)
    p.add_argument("--month", type=dt.date.fromisoformat)
    args = p.parse_args(argv)
    params = read_params(args.sftp.read_text(encoding="utf-8"))
    if args.kill_at:
        arm_kill(args.kill_at)
    held = set(args.hold_at)
    try:
        for run in args.run:
            if args.pipeline == "ingest":
                steps = ingest_steps(args.warehouse, params, args.spool, run, args.on, held)
            else:
                steps = assign_steps(args.warehouse, params, args.config, args.lake, args.outbox, args.month,
                                     run, held)
            run_steps(run, steps)
    except StepFailed as exc:
        print(exc, file=sys.stderr)
        return STEP_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
