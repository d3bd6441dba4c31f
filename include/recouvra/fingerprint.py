"""What the pipeline has sent and published, reduced to comparable fingerprints: the proof that a
re-run or a backfill reproduced a month (issue 12, "re-runs reproduce").

A fingerprint holds

* every file the fund wrote in the agencies' homes (``outbox/`` and ``outbox/acks/`` of each agency
  home, ``<sftp_root>/home/<AGENCY>`` on the embedded SFTP server): its path and the SHA-256 of its
  bytes; a manifest's ``generated_at`` (the one field the contract lets differ between two sends of
  the same package) is blanked first;
* every row of every BI view and mart table (schema ``marts``): a SHA-256 per row over its values in
  column order, ``computed_at`` aside (when the row was last written, not what it says).

``recouvra fingerprint --out before.json`` records one; ``recouvra fingerprint --compare before.json
after.json`` lists every file or row added, removed or changed, prints the figures (files compared, rows
compared, differences) and exits 1 when anything differs.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from recouvra.exchange.names import ACKS, HOME_FOLDERS, OUTBOX
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.config import Settings
    from recouvra.warehouse import Warehouse

#: Columns that say when a row was written, not what it says: left out of a row's fingerprint.
VOLATILE_COLUMNS = frozenset({"computed_at"})
#: The manifest field the contract lets differ between two sends of the same package.
MANIFEST_VOLATILE = "generated_at"
FORMAT = "recouvra-fingerprint/1"
#: Where the embedded SFTP server keeps the agencies' homes, under ``storage.sftp_root``.
HOMES = "home"


def file_digest(path: Path) -> str:
    """SHA-256 of a fund-written file; a manifest's ``generated_at`` is blanked first."""
    data = path.read_bytes()
    if path.name.endswith(".manifest.json"):
        try:
            doc = json.loads(data)
        except ValueError:
            return hashlib.sha256(data).hexdigest()
        if isinstance(doc, dict) and MANIFEST_VOLATILE in doc:
            doc[MANIFEST_VOLATILE] = ""
            data = json.dumps(doc, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()


def outbox_files(homes: Path) -> dict[str, str]:
    """``{agency/outbox/...: sha256}`` for every file the fund wrote in each agency's home (one folder
    per agency under ``homes``)."""
    out: dict[str, str] = {}
    if not homes.is_dir():
        return out
    folders = [f for f in HOME_FOLDERS if f in (OUTBOX, ACKS)]
    for home in sorted(p for p in homes.iterdir() if p.is_dir()):
        for folder in folders:
            base = home / folder
            if not base.is_dir():
                continue
            for f in sorted(p for p in base.iterdir() if p.is_file()):
                out[f"{home.name}/{folder}/{f.name}"] = file_digest(f)
    return out


def _row_digest(values: tuple[Any, ...]) -> str:
    return hashlib.sha256(json.dumps([None if v is None else str(v) for v in values]).encode()).hexdigest()


def mart_rows(wh: Warehouse) -> dict[str, list[str]]:
    """``{marts.relation: sorted row digests}`` for every table and view of schema ``marts``."""
    out: dict[str, list[str]] = {}
    columns: dict[str, list[str]] = {}
    for relation, column in wh.query(query("fingerprint/select_mart_columns")):
        columns.setdefault(str(relation), []).append(str(column))
    for relation, cols in sorted(columns.items()):
        kept = [c for c in cols if c not in VOLATILE_COLUMNS]
        rows = wh.query(query("fingerprint/select_relation_rows", columns=", ".join(f'"{c}"' for c in kept),
                              relation=f"marts.{relation}"))
        out[f"marts.{relation}"] = sorted(_row_digest(tuple(r)) for r in rows)
    return out


def take(settings: Settings) -> dict[str, Any]:
    """The fingerprint of the embedded default's agency outboxes and of the warehouse marts."""
    from recouvra.warehouse import connect

    files = outbox_files(settings.path(settings.storage.sftp_root) / HOMES)
    with connect(settings.warehouse_url) as wh:
        rows = mart_rows(wh)
    return {"format": FORMAT, "files": files, "rows": rows}


@dataclass
class Comparison:
    """The differences between two fingerprints, and what was compared."""

    files_compared: int = 0
    rows_compared: int = 0
    differences: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"files compared: {self.files_compared:,}; rows compared: {self.rows_compared:,}; "
                f"differences: {len(self.differences):,}")


def compare(before: dict[str, Any], after: dict[str, Any]) -> Comparison:
    """Every file and row added, removed or changed from ``before`` to ``after``."""
    result = Comparison()
    fb, fa = before["files"], after["files"]
    result.files_compared = len(set(fb) | set(fa))
    for name in sorted(set(fb) | set(fa)):
        if name not in fa:
            result.differences.append(f"file removed: {name}")
        elif name not in fb:
            result.differences.append(f"file added: {name}")
        elif fb[name] != fa[name]:
            result.differences.append(f"file changed: {name}")
    rb, ra = before["rows"], after["rows"]
    for relation in sorted(set(rb) | set(ra)):
        old, new = Counter(rb.get(relation, [])), Counter(ra.get(relation, []))
        result.rows_compared += max(sum(old.values()), sum(new.values()))
        gone, came = sum((old - new).values()), sum((new - old).values())
        if gone or came:
            result.differences.append(f"rows of {relation}: {gone} no longer there, {came} new or changed "
                                      f"({sum(old.values())} -> {sum(new.values())} rows)")
    return result
