"""The fund's side of a simulated payment: rows in the source database's ``ledger_payments``.

Any SQLAlchemy URL (SQLite for the embedded demo, PostgreSQL, ...). Ids come from a range of their
own (:data:`~recouvra.standins.simulator.model.LEDGER_ID_BASE` and up) and rows already present are skipped,
so writing the same rows twice changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from recouvra.sqlfiles import query
from recouvra.standins.simulator.model import LEDGER_ID_BASE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from recouvra.standins.simulator.model import LedgerRow

COLUMNS = (
    "payment_id",
    "receipt_no",
    "affiliation_no",
    "payment_date",
    "amount_centimes",
    "settles_period",
    "kind",
    "reverses_payment_id",
    "channel",
    "payment_ref",
    "recorded_at",
    "updated_at",
)


def _params(row: LedgerRow, textual: bool) -> dict[str, Any]:
    stamp: Any = row.recorded_at.strftime("%Y-%m-%d %H:%M:%S") if textual else row.recorded_at
    return {
        "payment_id": row.payment_id,
        "receipt_no": row.receipt_no,
        "affiliation_no": row.affiliation_no,
        "payment_date": row.payment_date.isoformat() if textual else row.payment_date,
        "amount_centimes": row.amount_centimes,
        "settles_period": row.settles_period,
        "kind": row.kind,
        "reverses_payment_id": row.reverses_payment_id,
        "channel": row.channel,
        "payment_ref": row.payment_ref,
        "recorded_at": stamp,
        "updated_at": stamp,
    }


def write_ledger(url: str, rows: Sequence[LedgerRow]) -> int:
    """Insert the rows not yet in ``ledger_payments`` (by payment_id) in one transaction; return how many.

    SQLite gets dates and timestamps as text ``YYYY-MM-DD HH:MM:SS``, like the generator writes them;
    other engines get typed values.
    """
    if not rows:
        return 0
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(url)
    try:
        textual = engine.dialect.name == "sqlite"
        with engine.begin() as conn:
            ids = sorted({r.payment_id for r in rows})
            existing = {
                int(v)
                for (v,) in conn.execute(
                    text(query("standins/select_simulated_payment_ids")).bindparams(
                        bindparam("ids", expanding=True)
                    ),
                    {"lo": LEDGER_ID_BASE, "ids": ids},
                )
            }
            new = [_params(r, textual) for r in rows if r.payment_id not in existing]
            if new:
                conn.execute(
                    text(query("standins/insert_simulated_payments", columns=", ".join(COLUMNS),
                               values=", ".join(":" + c for c in COLUMNS))),
                    new,
                )
        return len(new)
    finally:
        engine.dispose()
