"""
### returns_ingest

Every hour, takes in what the agencies sent back (actions, contacts, payments, plans, closures, objections),
judges each file by the exchange contract, answers with an acknowledgement, and updates the warehouse
and the debtor master. Nothing an agency sends is lost or counted twice.

1. `list_agencies`: the configured agencies (read at run time, not at parse time).
2. `fetch_inbox` (one mapped task per agency, pool `sftp_agencies`): complete files of `inbox/` (never
   `.part`) and `.sha256` sidecars, downloaded to a local spool; a file above the contract's 50 MiB stays
   on the server, answered F005 from its size. An unreachable agency fails only its task.
3. `ingest` (the one warehouse writer): per file, one transaction: file-level checks (F001-F008),
   row-level checks (E001-E012, one code per row, in the contract's order), accepted rows loaded,
   rejected rows kept verbatim in `core.return_reject`, the file registered in `core.return_file`
   (`rows_received = accepted + rejected + duplicate`), contact updates applied to the debtor master,
   the acknowledgement written locally. One bad file never stops another.
4. `deliver_acks` (mapped per agency): `outbox/acks/<stem>.ack.json` (and `.rejects.csv`) uploaded
   atomically, then the file moved to `inbox/processed/`; the n-th file of a stem gets
   `<stem>.ack.<n>.json`; an earlier file's delivery never recorded: its ack read back (docs/runbook.md).
5. `record_acks` (warehouse writer, also after a failed delivery): the uploads, into `core.publication_log`.
6. `report`: counts per agency; fails (after every ack went out) if a file could not be ingested (it stays
   in `inbox/`). Otherwise emits `return_files` (triggers `collections_reconcile`); no file: no event.

Exactly once: after a crash between load and ack, or two runs at once, the registry's ack is replayed
(nothing loaded twice); a re-delivered file is DUPLICATE. An open delivery of an agency no longer
configured is logged and left open. `received_at`: `fetch_inbox`'s run clock, never the agency's.
"""

from __future__ import annotations

from airflow.sdk import TriggerRule, dag, get_current_context, task

from recouvra.airflow_adapter import DEFAULT_ARGS, SFTP_POOL, START_DATE, WAREHOUSE_WRITER_POOL, run_date
from recouvra.airflow_adapter.assets import RETURN_FILES, emit
from recouvra.airflow_adapter.runtime import schedule_end


@dag(
    schedule="@hourly",
    start_date=START_DATE,
    end_date=schedule_end(),
    catchup=False,
    max_active_runs=1,
    tags=["recouvra", "returns", "sftp"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def returns_ingest() -> None:
    @task
    def list_agencies() -> list[str]:
        from recouvra.airflow_adapter import settings

        return [a.code for a in settings().agencies]

    @task(pool=SFTP_POOL, map_index_template="{{ task.op_kwargs['agency'] }}")
    def fetch_inbox(agency: str) -> list[dict]:
        """Download one agency's complete return files to the local spool."""
        from recouvra.airflow_adapter import run_clock, settings
        from recouvra.airflow_adapter.sftp import sftp_client
        from recouvra.ingest import fetch_inbox as fetch
        from recouvra.ingest import spool_dir

        s, run = settings(), get_current_context()["run_id"]
        local = spool_dir(s.path(s.storage.lake_dir).parent / "inbox", agency, run)
        with sftp_client(s.agency(agency).sftp_conn_id, agency=agency) as client:
            return fetch(client, agency, local, clock=run_clock)

    @task(pool=WAREHOUSE_WRITER_POOL)
    def ingest(fetched: list[list[dict]]) -> list[dict]:
        """Judge, load and acknowledge every fetched file (single warehouse writer)."""
        from recouvra.airflow_adapter import settings, warehouse_url
        from recouvra.ingest import ingest_fetched
        from recouvra.warehouse import connect

        with connect(warehouse_url()) as wh:  # objections judged by the configured rules `recalls`
            return ingest_fetched(wh, list(fetched), run_date().day, rules=settings().recalls.rules(),
                                  agencies={a.code for a in settings().agencies})  # (loaded once)

    @task(pool=SFTP_POOL, map_index_template="{{ task.op_kwargs['batch']['agency'] }}")
    def deliver_acks(batch: dict) -> list[dict]:
        """Upload the agency's acknowledgements, then move its files to inbox/processed/."""
        from recouvra.airflow_adapter import settings
        from recouvra.airflow_adapter.sftp import sftp_client
        from recouvra.ingest import deliver_acks as deliver

        agency = batch["agency"]
        with sftp_client(settings().agency(agency).sftp_conn_id, agency=agency) as client:
            return deliver(client, agency, batch["items"])

    @task(pool=WAREHOUSE_WRITER_POOL, trigger_rule=TriggerRule.ALL_DONE)
    def record_acks(delivered: list[list[dict]]) -> list[list[dict]]:
        """core.publication_log: the acks uploaded by every agency's delivery that succeeded."""
        from recouvra.airflow_adapter import warehouse_url
        from recouvra.ingest import record_deliveries
        from recouvra.warehouse import connect

        delivered = list(delivered)
        with connect(warehouse_url()) as wh:
            print(record_deliveries(wh, delivered))
        return delivered

    @task(outlets=[RETURN_FILES])
    def report(ingested: list[dict], delivered: list[list[dict]]) -> dict:
        """Files and rows per agency; fail if any file could not be ingested (it stays in inbox/)."""
        from airflow.sdk.exceptions import AirflowFailException

        from recouvra.ingest import summarize

        lines, summary, errors = summarize(ingested, delivered)
        print("\n".join(lines))
        if errors:
            raise AirflowFailException("files not ingested (left in inbox/):\n" + "\n".join(errors))
        emit(RETURN_FILES, run_date().month, ingested)
        return summary

    ingested = ingest(fetch_inbox.expand(agency=list_agencies()))
    report(ingested, record_acks(deliver_acks.expand(batch=ingested)))


returns_ingest()
