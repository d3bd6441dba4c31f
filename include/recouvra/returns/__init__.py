"""Agency return files: the contract's validation core (agency-exchange/1) and its command line.

The judge (:func:`judge_file`) is the one implementation shared by ``recouvra returns check`` (what an
agency runs before sending) and the ingestion DAG (what the fund runs on receipt).
"""

from __future__ import annotations

from recouvra.exchange.ack import FileError, Reject
from recouvra.exchange.errors import (
    CsvSyntaxError,
    ExchangeContextError,
    ExchangeFileError,
    ReturnFileError,
)
from recouvra.exchange.spec import Status
from recouvra.returns.ack import write_acknowledgement
from recouvra.returns.context import Dossier, ExchangeContext, load_context
from recouvra.returns.history import InMemoryReturnHistory, ReturnHistory
from recouvra.returns.judge import (
    DuplicateRecord,
    Judgement,
    judge_bytes,
    judge_file,
    judge_unread,
)
from recouvra.returns.records import (
    ActionRecord,
    ClosureRecord,
    ContactRecord,
    ObjectionRecord,
    PaymentRecord,
    PlanRecord,
    ReturnRecord,
)

__all__ = [
    "ActionRecord",
    "ClosureRecord",
    "ContactRecord",
    "CsvSyntaxError",
    "Dossier",
    "DuplicateRecord",
    "ExchangeContext",
    "ExchangeContextError",
    "ExchangeFileError",
    "FileError",
    "InMemoryReturnHistory",
    "Judgement",
    "ObjectionRecord",
    "PaymentRecord",
    "PlanRecord",
    "Reject",
    "ReturnFileError",
    "ReturnHistory",
    "ReturnRecord",
    "Status",
    "judge_bytes",
    "judge_file",
    "judge_unread",
    "load_context",
    "write_acknowledgement",
]
