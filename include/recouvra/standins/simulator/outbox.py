"""What a simulated agency reads from its ``outbox/``: complete packages only, checked against their
manifests, then its dossiers (assignment + detail), recalls and the fund's payments notices.

The agency downloads into a local folder first (:func:`recouvra.standins.simulator.run.simulate_agencies`);
everything here reads that folder, so the parsing is tested without a server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from recouvra.exchange.csvparse import decode_utf8, parse_rows
from recouvra.standins.simulator.model import LEDGER_ID_BASE, DossierFacts, Notices

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)

_ASSIGN = re.compile(
    r"CNSS_ASSIGN_(?P<agency>[A-Z0-9]+)_(?P<month>[0-9]{6})_(?P<seq>[0-9]{2})\.manifest\.json"
)
_PAYMENTS = re.compile(
    r"CNSS_PAYMENTS_(?P<agency>[A-Z0-9]+)_(?P<date>[0-9]{8})_(?P<seq>[0-9]{2})\.manifest\.json"
)
_RECALL = re.compile(r"CNSS_RECALL_(?P<agency>[A-Z0-9]+)_(?P<date>[0-9]{8})_(?P<seq>[0-9]{2})\.csv")


@dataclass
class OutboxContent:
    """An agency's view of its outbox: dossiers by id, notices, and what it had to set aside."""

    dossiers: dict[str, DossierFacts] = field(default_factory=dict)
    notices: Notices = field(default_factory=Notices)
    packages: list[str] = field(default_factory=list)  # manifests accepted
    problems: list[str] = field(default_factory=list)  # packages or files set aside, and why


def _table(path: Path) -> list[dict[str, str]]:
    rows = parse_rows(decode_utf8(path.read_bytes()), file=path.name)
    if not rows:
        return []
    header = rows[0].cells
    return [dict(zip(header, r.cells, strict=False)) for r in rows[1:] if not r.blank]


def verify_manifest(folder: Path, manifest: Path) -> list[str]:
    """The package's data files when each exists and has the manifest's sha256; ValueError otherwise."""
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    names = []
    for entry in doc.get("files", []):
        path = folder / str(entry["name"])
        if not path.exists():
            raise ValueError(f"{manifest.name}: {entry['name']} is missing")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != str(entry.get("sha256", "")).lower():
            raise ValueError(
                f"{manifest.name}: sha256 of {entry['name']} is {digest}, manifest says {entry['sha256']}"
            )
        names.append(str(entry["name"]))
    return names


def _unguard(text: str) -> str:
    """Free text without the fund's spreadsheet-formula guard."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r", "\n") else text


def _dossiers(agency: str, assign: Path, detail: Path | None) -> dict[str, DossierFacts]:
    periods: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    if detail is not None:
        for row in _table(detail):
            periods[row["dossier_id"]][row["period"]] += Decimal(row["amount_due"])
    out = {}
    for row in _table(assign):
        did = row["dossier_id"]
        total = Decimal(row["total_due"])
        months = tuple(sorted(periods.get(did, {}).items()))
        if sum((a for _, a in months), Decimal(0)) != total:  # no usable detail: one line, newest month
            months = ((row.get("newest_period") or row.get("oldest_period") or "1970-01", total),)
        out[did] = DossierFacts(
            dossier_id=did,
            agency=agency,
            affiliation_no=row["affiliation_no"],
            debtor_name=_unguard(row.get("debtor_name", "")),
            total_due=total,
            assignment_start=dt.date.fromisoformat(row["assignment_start"]),
            assignment_end=dt.date.fromisoformat(row["assignment_end"]),
            periods=months,
            city=_unguard(row.get("city", "")),
            address=_unguard(row.get("address", "")),
            phone=row.get("phone_1", ""),
            email=row.get("email", ""),
            legal_rep_name=_unguard(row.get("legal_rep_name", "")),
        )
    return out


def read_outbox(agency: str, folder: Path) -> OutboxContent:
    """Read a local copy of ``outbox/`` (``.part`` files ignored; packages only with a valid manifest).

    For a month with several assignment SEQs the latest complete one stands (it supersedes the
    others). Recalls are applied (earliest date wins). Payments notices of ledger entries that the
    simulator did not write itself become :class:`Notices` (payments from elsewhere).
    """
    content = OutboxContent()
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(".part"))
    by_month: dict[str, tuple[int, Path]] = {}
    payments: list[Path] = []
    for path in files:
        m = _ASSIGN.fullmatch(path.name)
        if m and m["agency"] == agency:
            seq = int(m["seq"])
            if m["month"] not in by_month or by_month[m["month"]][0] < seq:
                by_month[m["month"]] = (seq, path)
        m = _PAYMENTS.fullmatch(path.name)
        if m and m["agency"] == agency:
            payments.append(path)
    for _month, (_seq, manifest) in sorted(by_month.items()):
        try:
            names = verify_manifest(folder, manifest)
        except (ValueError, OSError, KeyError) as exc:
            content.problems.append(f"{agency}: package set aside: {exc}")
            continue
        assign = next((folder / n for n in names if n.startswith("CNSS_ASSIGN_")), None)
        detail = next((folder / n for n in names if n.startswith("CNSS_DETAIL_")), None)
        if assign is None:
            content.problems.append(f"{agency}: {manifest.name} lists no assignment file")
            continue
        content.dossiers.update(_dossiers(agency, assign, detail))
        content.packages.append(manifest.name)
    recalls: dict[str, dt.date] = {}
    for path in files:
        m = _RECALL.fullmatch(path.name)
        if m and m["agency"] == agency:
            for row in _table(path):
                day = dt.date.fromisoformat(row["recall_date"])
                recalls[row["dossier_id"]] = min(day, recalls.get(row["dossier_id"], day))
    for did, day in recalls.items():
        if did in content.dossiers:
            f = content.dossiers[did]
            content.dossiers[did] = DossierFacts(**{**f.__dict__, "recall_date": day})
    for manifest in sorted(payments):
        try:
            names = verify_manifest(folder, manifest)
        except (ValueError, OSError, KeyError) as exc:
            content.problems.append(f"{agency}: payments file set aside: {exc}")
            continue
        for name in names:
            _read_notices(folder / name, content)
        content.packages.append(manifest.name)
    _fully_paid(content)
    return content


def _read_notices(path: Path, content: OutboxContent) -> None:
    for row in _table(path):
        try:
            entry = int(row["ledger_payment_id"])
            amount = Decimal(row["amount"])
        except (KeyError, ValueError, InvalidOperation):
            content.problems.append(f"{path.name}: unreadable payments row {row}")
            continue
        if entry >= LEDGER_ID_BASE:  # what the simulator itself reported: already counted
            continue
        key = (row["dossier_id"], row["settles_period"])
        content.notices.paid[key] = content.notices.paid.get(key, Decimal(0)) + amount
        day = dt.date.fromisoformat(row["payment_date"])
        last = content.notices.fully_paid_on.get(row["dossier_id"])
        # remember the latest notice day per dossier; _fully_paid keeps it only when all is paid
        content.notices.fully_paid_on[row["dossier_id"]] = max(day, last) if last else day


def _fully_paid(content: OutboxContent) -> None:
    for did in list(content.notices.fully_paid_on):
        f = content.dossiers.get(did)
        paid = sum((v for (d, _), v in content.notices.paid.items() if d == did), Decimal(0))
        if f is None or paid < f.total_due:
            del content.notices.fully_paid_on[did]
