"""What a simulated agency reads from its ``outbox/``: complete packages only, checked against their
manifests, then its dossiers (assignment + detail), recalls and the fund's payments notices.

The agency downloads into a local folder first (:func:`recouvra.standins.simulator.run.simulate_agencies`);
everything here reads that folder, so the parsing is tested without a server.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from recouvra.exchange.csvparse import decode_utf8, parse_rows, unguard
from recouvra.exchange.errors import ManifestError
from recouvra.exchange.manifest import read_manifest
from recouvra.exchange.names import Outgoing, parse_outgoing_name
from recouvra.standins.simulator.model import LEDGER_ID_BASE, DossierFacts, Notices

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)

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
    """The package's data files when the manifest is the contract's and each file it lists is in
    ``folder`` with its sha256; :class:`~recouvra.exchange.errors.ManifestError` otherwise."""
    listed = read_manifest(manifest)
    return [p.name for p in listed.check_files((folder / f.name for f in listed.files), name=manifest.name)]


def _is_data(file_name: str, kind: Outgoing) -> bool:
    """Whether ``file_name`` is a data file (not a manifest) of ``kind``."""
    name = parse_outgoing_name(file_name)
    return name is not None and name.kind is kind and not name.manifest


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
            debtor_name=unguard(row.get("debtor_name", "")),
            total_due=total,
            assignment_start=dt.date.fromisoformat(row["assignment_start"]),
            assignment_end=dt.date.fromisoformat(row["assignment_end"]),
            periods=months,
            city=unguard(row.get("city", "")),
            address=unguard(row.get("address", "")),
            phone=row.get("phone_1", ""),
            email=row.get("email", ""),
            legal_rep_name=unguard(row.get("legal_rep_name", "")),
            payment_ref=row.get("payment_ref", ""),
        )
    return out


def read_outbox(agency: str, folder: Path) -> OutboxContent:
    """Read a local copy of ``outbox/`` (``.part`` files ignored; packages only with a valid manifest).

    A month may have several assignment packages (``_01`` its selection, ``_02`` its top-up): each
    complete one adds its dossiers, none replaces another. Recalls are applied (earliest date wins).
    Payments notices of ledger entries that the simulator did not write itself become :class:`Notices`
    (payments from elsewhere).
    """
    content = OutboxContent()
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(".part"))
    assignments, payments, recall_files = _sort_outbox(agency, files)
    _read_assignments(agency, folder, assignments, content)
    _read_added(agency, folder, _added_manifests(agency, files), content)
    _apply_recalls(recall_files, content)
    _read_recall_notices([p for p in files if _is_notice(agency, p)], content)
    _read_payments(agency, folder, payments, content)
    _fully_paid(content)
    return content


def _sort_outbox(agency: str, files: list[Path]) -> tuple[list[Path], list[Path], list[Path]]:
    """The agency's (assignment manifests, every SEQ of every month, by month then SEQ; payments
    manifests; recall files), each in name order."""
    assigned: list[tuple[str, int, Path]] = []
    payments: list[Path] = []
    recall_files: list[Path] = []
    for path in files:
        parsed = parse_outgoing_name(path.name)
        if parsed is None or parsed.agency != agency:
            continue
        if parsed.kind is Outgoing.ASSIGN and parsed.manifest and parsed.seq is not None:
            assigned.append((parsed.period_label, parsed.seq, path))
        elif parsed.kind is Outgoing.PAYMENTS and parsed.manifest:
            payments.append(path)
        elif parsed.kind is Outgoing.RECALL:
            recall_files.append(path)
    assignments = [manifest for _month, _seq, manifest in sorted(assigned)]
    return assignments, payments, recall_files


def _read_assignments(agency: str, folder: Path, manifests: list[Path], content: OutboxContent) -> None:
    """The dossiers of every complete assignment package; the others are set aside with the reason."""
    for manifest in manifests:
        try:
            names = verify_manifest(folder, manifest)
        except (ManifestError, OSError) as exc:
            content.problems.append(f"{agency}: package set aside: {exc}")
            continue
        assign = next((folder / n for n in names if _is_data(n, Outgoing.ASSIGN)), None)
        detail = next((folder / n for n in names if _is_data(n, Outgoing.DETAIL)), None)
        if assign is None:
            content.problems.append(f"{agency}: {manifest.name} lists no assignment file")
            continue
        content.dossiers.update(_dossiers(agency, assign, detail))
        content.packages.append(manifest.name)


def _added_manifests(agency: str, files: list[Path]) -> list[Path]:
    """The agency's supplementary detail files' manifests (``CNSS_ADDED``, an addition to v1), by name."""
    out = []
    for path in files:
        parsed = parse_outgoing_name(path.name)
        if parsed is not None and parsed.agency == agency and parsed.kind is Outgoing.ADDED \
                and parsed.manifest:
            out.append(path)
    return sorted(out)


def _read_added(agency: str, folder: Path, manifests: list[Path], content: OutboxContent) -> None:
    """Months added to dossiers the agency holds (complete files only): each one's months and total grow."""
    for manifest in manifests:
        try:
            names = verify_manifest(folder, manifest)
        except (ManifestError, OSError) as exc:
            content.problems.append(f"{agency}: supplementary detail file set aside: {exc}")
            continue
        added: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for name in names:
            for row in _table(folder / name):
                added[row["dossier_id"]][row["period"]] += Decimal(row["amount_due"])
        for did, months in added.items():
            f = content.dossiers.get(did)
            if f is None:
                content.problems.append(f"{agency}: {manifest.name} adds to {did}, a dossier never received")
                continue
            merged = dict(f.periods)
            for period, amount in months.items():
                merged[period] = merged.get(period, Decimal(0)) + amount
            total = f.total_due + sum(months.values(), Decimal(0))
            content.dossiers[did] = DossierFacts(**{**f.__dict__, "periods": tuple(sorted(merged.items())),
                                                    "total_due": total})
        content.packages.append(manifest.name)


def _is_notice(agency: str, path: Path) -> bool:
    parsed = parse_outgoing_name(path.name)
    return parsed is not None and parsed.agency == agency and parsed.kind is Outgoing.RECALLNOTICE


def _read_recall_notices(paths: list[Path], content: OutboxContent) -> None:
    """The recall notices still open to an objection (a row with an ``objection_deadline``), by dossier;
    the day of the file is the day the agency learns of it."""
    for path in sorted(paths):
        parsed = parse_outgoing_name(path.name)
        assert parsed is not None
        day = dt.datetime.strptime(parsed.period_label, "%Y%m%d").date()
        for row in _table(path):
            if row.get("objection_deadline") and row["dossier_id"] in content.dossiers:
                content.notices.recall_notices[row["dossier_id"]] = (
                    day, dt.date.fromisoformat(row["intended_recall_date"]),
                    dt.date.fromisoformat(row["objection_deadline"]), Decimal(row["owed_amount"]))


def _apply_recalls(recall_files: list[Path], content: OutboxContent) -> None:
    """Set each recalled dossier's recall date (the earliest of its recall files)."""
    recalls: dict[str, dt.date] = {}
    for path in recall_files:
        for row in _table(path):
            day = dt.date.fromisoformat(row["recall_date"])
            recalls[row["dossier_id"]] = min(day, recalls.get(row["dossier_id"], day))
    for did, day in recalls.items():
        if did in content.dossiers:
            f = content.dossiers[did]
            content.dossiers[did] = DossierFacts(**{**f.__dict__, "recall_date": day})


def _read_payments(agency: str, folder: Path, manifests: list[Path], content: OutboxContent) -> None:
    """The notices of every complete payments package; the others are set aside with the reason."""
    for manifest in sorted(manifests):
        try:
            names = verify_manifest(folder, manifest)
        except (ManifestError, OSError) as exc:
            content.problems.append(f"{agency}: payments file set aside: {exc}")
            continue
        for name in names:
            _read_notices(folder / name, content)
        content.packages.append(manifest.name)


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
