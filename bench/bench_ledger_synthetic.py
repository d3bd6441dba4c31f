"""load_ledger at scale L's size, on a synthetic ledger: 3.07 M lake entries over 1 M affiliation numbers
(one reversal in 50), loaded three times into a fresh DuckDB warehouse: all new, a re-run (nothing
changed), then 1 % new entries. Prints wall and CPU time of each load and the peak RSS so far (the
lake is an in-memory DuckDB table here, held in the same process: a real lake is Parquet on disk).

    PYTHONPATH=$PWD/include nice -n 19 /usr/bin/time -v .venv/bin/python bench/bench_ledger_synthetic.py \\
        data/ledger-L.duckdb
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import time
from pathlib import Path

import duckdb

from recouvra.ledger import load_ledger
from recouvra.warehouse import connect, migrate_connection

N, AFFS = 3_070_000, 1_000_000
LAKE = f"""
CREATE TABLE ledger_payments AS
SELECT i AS payment_id, 'R' || i AS receipt_no, lpad(CAST(i % {AFFS} AS VARCHAR), 7, '0') AS affiliation_no,
       DATE '2020-01-01' + CAST(i % 2400 AS INTEGER) AS payment_date,
       CASE WHEN i % 50 = 0 THEN -(1000 + i % 7777) ELSE 1000 + i % 7777 END AS amount_centimes,
       '2024-' || lpad(CAST(1 + i % 12 AS VARCHAR), 2, '0') AS settles_period,
       CASE WHEN i % 50 = 0 THEN 'REVERSAL' ELSE 'PAYMENT' END AS kind,
       CASE WHEN i % 50 = 0 THEN i - 1 END AS reverses_payment_id, 'CHEQUE' AS channel,
       TIMESTAMP '2026-10-01 00:00:00' + to_seconds(i % 86400) AS recorded_at,
       CASE WHEN i % 9 = 0 THEN 'RF' || i END AS payment_ref
FROM range(1, {N} + 1) t(i)
"""
BRIDGE = f"""
INSERT INTO core.bridge_affiliation_debtor
SELECT lpad(CAST(i AS VARCHAR), 7, '0'), DATE '2019-01-01', NULL, true, i + 1, 'SINGLETON', NULL
FROM range(0, {AFFS}) t(i)
"""
NEW = f"""
INSERT INTO ledger_payments
SELECT payment_id + {N}, receipt_no, affiliation_no, payment_date, amount_centimes, settles_period, 'PAYMENT',
       NULL, channel, TIMESTAMP '2026-11-15 10:00:00', payment_ref
FROM ledger_payments WHERE payment_id % 100 = 1
"""


def main(path: Path) -> None:
    path.unlink(missing_ok=True)
    lake = duckdb.connect()
    lake.execute(LAKE)
    with connect(f"duckdb:///{path}") as wh:
        migrate_connection(wh)
        wh.execute(BRIDGE)
    on = dt.date(2026, 11, 1)
    for label in ("first (all new)", "re-run (none changed)", "steady (1% new)"):
        if label.startswith("steady"):
            lake.execute(NEW)
            on = dt.date(2026, 11, 30)
        with connect(f"duckdb:///{path}") as wh:
            c0, w0 = time.process_time(), time.perf_counter()
            r = load_ledger(wh, lake, on)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU, entries {r.entries}, inserted {r.inserted}, "
              f"updated {r.updated}, peak RSS so far {peak} MiB", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
