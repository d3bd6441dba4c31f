"""Fund-to-agency updates: what the fund learns about a placed debtor reaches the agency holding it.

An addition to ``agency-exchange/1`` (a new file an agency may ignore): each weekly run
(``payments_weekly``) writes, per agency with something new,
``outbox/CNSS_UPDATES_<AGENCY>_<YYYYMMDD>_<SEQ>.csv`` (columns
:data:`recouvra.exchange.spec.UPDATE_COLUMNS`) and its manifest. For every dossier with its agency on
the run's day ``on`` (published, window begun and not ended, no recall decided by then):

* **the fund's own records** (``source = FUND``): the employer record of the dossier's affiliation
  number in the lake as of ``on`` against the record as of the portfolio date its assignment was read
  on (what the agency was told): ``ADDRESS``, ``CITY``, ``PHONE``, ``PHONE_2`` (E.164), ``EMAIL``,
  ``LEGAL_REP`` and ``ACTIVITY_STATUS`` (an insolvency, a liquidation, a cessation), each when its
  value changed, compared after normalisation (a phone typed another way is no change);
* **another agency's findings** (``source = AGENCY``): contact updates another agency reported about the
  same debtor, observed since the dossier began, that the fund applied to its golden record (the other
  agency is never named);
* **a payment plan signed with the fund** (``PLAN_WITH_FUND``, its total in MAD) after that portfolio
  date, on or before ``on`` (the lifecycle may recall the dossier for it: the agency learns it first).

An update is sent once per value: a (dossier, field, value) already sent before ``on`` is left out, so a
later change of the same field is sent again. Everything is read as of ``on`` (the lake's snapshots up to
``on``, return files dated by ``on``, updates sent before ``on``), so re-running a day writes the same
file. Building reads only; :func:`record_update_publication` records what was uploaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recouvra.exchange.csvparse import begins_formula
from recouvra.exchange.manifest import Manifest, ManifestEntry
from recouvra.exchange.names import updates_names
from recouvra.exchange.spec import UPDATE_COLUMNS
from recouvra.normalize import normalize_email, normalize_phone
from recouvra.publication import (
    Package,
    Publication,
    choose_seq,
    csv_bytes,
    date_cell,
    generated_stamp,
    out_file,
    published_files,
    record_publication,
    text_cell,
)
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)

#: Lake column of the employer record -> the update's field.
EMPLOYER_FIELDS: dict[str, str] = {
    "address": "ADDRESS", "city": "CITY", "phone": "PHONE", "phone_2": "PHONE_2", "email": "EMAIL",
    "legal_rep_name": "LEGAL_REP", "status": "ACTIVITY_STATUS",
}


@dataclass(frozen=True, order=True)
class Update:
    """One line of an updates file."""

    dossier_id: str
    field: str
    value: str
    source: str
    observed_date: dt.date

    def update_id(self, on: dt.date) -> str:
        return f"{on:%Y%m%d}-{self.field}"


def _text(value: Any) -> str | None:
    text = None if value is None else " ".join(str(value).split())
    return text or None


def comparable(field: str, value: Any) -> str | None:
    """The value as the agency would read it: phones in E.164, e-mails in lower case, text trimmed."""
    if field in ("PHONE", "PHONE_2"):
        return normalize_phone(value)
    if field == "EMAIL":
        return normalize_email(value)
    return _text(value)


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any], dossier_id: str,
            changed_on: dt.date) -> list[Update]:
    """Pure: the fields of the employer record that differ between what the agency was told
    (``before``) and the fund's record now (``after``); a field emptied is not an update."""
    out = []
    for column, field in EMPLOYER_FIELDS.items():
        new = comparable(field, after.get(column))
        old = None if before is None else comparable(field, before.get(column))
        if new is not None and new != old:
            out.append(Update(dossier_id, field, new, "FUND", changed_on))
    return out


def _lake_rows(lake: Path, as_of: dt.date, sql: str, affiliations: Sequence[str]) -> list[tuple[Any, ...]]:
    import pyarrow as pa

    from recouvra.lake import open_lake

    if not affiliations:
        return []
    with open_lake(lake, as_of=as_of, affiliations=affiliations) as con:  # those numbers' rows only
        con.register("wanted", pa.table({"affiliation_no": pa.array(sorted(set(affiliations)), pa.string())}))
        return [tuple(r) for r in con.execute(query(sql)).fetchall()]


def pending_updates(wh: Warehouse, lake: Path, on: dt.date) -> dict[str, list[Update]]:
    """Each agency's updates of day ``on`` not yet sent, by dossier then field."""
    dossiers = wh.query(query("updates/select_open_dossiers"), [on, on, on])
    if not dossiers:
        return {}
    agency_of = {str(d[0]): str(d[1]) for d in dossiers}
    found: list[Update] = []
    # The fund's own records: as told (each selection's portfolio date) against as of the day.
    told: dict[dt.date, list[tuple[str, str]]] = defaultdict(list)
    for dossier_id, _, _, affiliation_no, _, told_as_of in dossiers:
        told[told_as_of].append((str(dossier_id), str(affiliation_no)))
    columns = ["affiliation_no", *EMPLOYER_FIELDS, "changed_on"]
    now = {r[0]: dict(zip(columns, r, strict=True))
           for r in _lake_rows(lake, on, "updates/select_employers_of", [a for _, _, _, a, _, _ in dossiers])}
    for day, pairs in sorted(told.items()):
        then = {r[0]: dict(zip(columns, r, strict=True))
                for r in _lake_rows(lake, day, "updates/select_employers_of", [a for _, a in pairs])}
        for dossier_id, affiliation_no in pairs:
            current = now.get(affiliation_no)
            if current is not None:
                changed_on = current["changed_on"] or on
                found += changes(then.get(affiliation_no), current, dossier_id, min(changed_on, on))
    # Plans signed with the fund after the portfolio date the dossier was read on.
    since = {str(d[0]): d[5] for d in dossiers}
    by_affiliation = defaultdict(list)
    for dossier_id, _, _, affiliation_no, _, _ in dossiers:
        by_affiliation[str(affiliation_no)].append(str(dossier_id))
    for affiliation_no, _, signed_on, _, total_centimes in _lake_rows(
            lake, on, "updates/select_plans_of", list(by_affiliation)):
        for dossier_id in by_affiliation[str(affiliation_no)]:
            if since[dossier_id] < signed_on <= on:
                amount = (Decimal(int(total_centimes)) / 100).quantize(Decimal("0.01"))
                found.append(Update(dossier_id, "PLAN_WITH_FUND", f"{amount:.2f}", "FUND", signed_on))
    # What other agencies found, applied by the fund.
    for dossier_id, field, value, observed in wh.query(query("updates/select_other_agency_findings"),
                                                        [on, sorted(agency_of)]):
        found.append(Update(str(dossier_id), str(field), str(value), "AGENCY", observed))
    sent = {(str(d), str(f), str(v)) for d, f, v in wh.query(query("updates/select_sent_updates"), [on])}
    latest: dict[tuple[str, str], Update] = {}
    for u in sorted(found, key=lambda u: (u.dossier_id, u.field, u.observed_date, u.source, u.value)):
        latest[(u.dossier_id, u.field)] = u  # one line per dossier and field: the latest observation
    out: dict[str, list[Update]] = defaultdict(list)
    for (dossier_id, _), u in sorted(latest.items()):
        if (u.dossier_id, u.field, u.value) not in sent:
            out[agency_of[dossier_id]].append(u)
    return dict(out)


#: Fields whose value is free text the fund writes (formula-guarded); the others are typed cells.
FREE_TEXT_FIELDS = frozenset({"ADDRESS", "CITY", "LEGAL_REP"})


def update_cells(u: Update, on: dt.date) -> list[str]:
    ref = f"{u.dossier_id} {u.field}"
    value = u.value
    if u.field in FREE_TEXT_FIELDS:
        value = text_cell(u.value, what="value", ref=ref, required=True)
    return [u.dossier_id, u.update_id(on), u.field, value, u.source, date_cell(u.observed_date)]


def cell_value(field: str, cell: str) -> str:
    """The value an updates file's cell carries, its formula guard removed (what was compared)."""
    if field in FREE_TEXT_FIELDS and cell.startswith("'") and begins_formula(cell[1:]):
        return cell[1:]
    return cell


def render_updates(rows: Iterable[Update], on: dt.date) -> bytes:
    """The updates file's bytes: header and one row per dossier and field, in that order."""
    return csv_bytes(UPDATE_COLUMNS, (update_cells(u, on) for u in sorted(rows)))


def write_updates_file(out_dir: Path, agency: str, on: dt.date, seq: int, rows: Sequence[Update], *,
                       now: dt.datetime | None = None) -> Package:
    """Write one agency's updates file and then its manifest (no control total: no amounts to add)."""
    name, manifest_name = updates_names(agency, on, seq)
    folder = Path(out_dir) / agency
    f = out_file(folder, name, "UPDATES", render_updates(rows, on), len(rows), None)
    generated_at = generated_stamp(now)
    manifest = out_file(folder, manifest_name, "MANIFEST", Manifest(
        agency, seq, generated_at, (ManifestEntry(f.name, f.sha256, f.rows, "0.00"),), date=on.isoformat(),
    ).render(), 0, None)
    return Package("UPDATES", agency, f"{on:%Y%m%d}", seq, generated_at, (f,), manifest,
                   dossier_ids=tuple(sorted({u.dossier_id for u in rows})))


def build_update_files(wh: Warehouse, lake: Path, on: dt.date, out_dir: Path, *,
                       now: dt.datetime | None = None) -> list[Package]:
    """Updates files of day ``on``, one per agency with something new (reads only)."""
    import hashlib

    packages = []
    for agency, rows in sorted(pending_updates(wh, lake, on).items()):
        digest = hashlib.sha256(render_updates(rows, on)).hexdigest()
        seq = choose_seq(published_files(wh, agency, f"{on:%Y%m%d}", ["UPDATES"]), {"UPDATES": digest})
        packages.append(write_updates_file(out_dir, agency, on, seq, rows, now=now))
    log.info("updates of %s: %s", on.isoformat(), {p.agency: p.files[0].rows for p in packages})
    return packages


def _read_file(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=";"))


def record_update_publication(wh: Warehouse, published: Iterable[Publication | Mapping[str, Any]]) -> int:
    """Record uploaded updates files (publication log, ``core.dossier_update``) in one transaction; a
    re-run of the day replaces that day's rows. Returns the updates recorded."""
    pubs = [p if isinstance(p, Publication) else Publication.from_dict(p) for p in published]
    recorded = 0
    with wh.transaction():
        record_publication(wh, pubs)
        for pub in pubs:
            pkg, f = pub.package, pub.package.files[0]
            day = dt.datetime.strptime(pkg.period_label, "%Y%m%d").date()
            at = dt.datetime.strptime(pub.published_at, "%Y-%m-%dT%H:%M:%SZ")
            wh.execute(query("updates/delete_sent_updates"), [pkg.agency, day])
            for row in _read_file(Path(f.path)):
                wh.execute(query("updates/insert_sent_update"), [
                    pkg.agency, row["dossier_id"], row["update_id"], row["field"],
                    cell_value(row["field"], row["value"]), row["source"],
                    dt.date.fromisoformat(row["observed_date"]), day, f.name, at,
                ])
                recorded += 1
    return recorded
