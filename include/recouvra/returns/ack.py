"""Write the fund's answer to a return file: ``<stem>.ack.json`` and, when rows were rejected,
``<stem>.rejects.csv`` (``<stem>.ack.<n>.json`` and ``<stem>.rejects.<n>.csv`` for the n-th file of a
stem), each under a ``.part`` name renamed when complete (the exchange's rule).

Their names and bytes are the contract's (:mod:`recouvra.exchange.names`, :mod:`recouvra.exchange.ack`);
this module only puts them on disk. The rejects file is written first, so an agency that sees an
acknowledgement finds its rejects next to it. The ingestion (:func:`recouvra.ingest.write_ack_files`)
writes the same files, numbered by the warehouse's registry; :func:`write_acknowledgement` is for a
judgement outside it, whose caller knows which file of its stem it is.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from recouvra.exchange.names import ack_name, rejects_name

if TYPE_CHECKING:
    from pathlib import Path

    from recouvra.returns.judge import Judgement


def write_complete(path: Path, text: str) -> None:
    """Write ``text`` to ``path.part``, flush it to disk, then rename it to ``path``."""
    part = path.with_name(path.name + ".part")
    with part.open("w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(part, path)


def write_acknowledgement(judgement: Judgement, acks_dir: Path, number: int = 1) -> list[Path]:
    """Write the acknowledgement files of ``judgement``, the ``number``-th file of its stem, into
    ``acks_dir``; return their paths."""
    acks_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rejects = judgement.rejects_csv()
    if rejects:
        path = acks_dir / rejects_name(judgement.file_name, number)
        write_complete(path, rejects)
        written.append(path)
    path = acks_dir / ack_name(judgement.file_name, number)
    write_complete(path, judgement.acknowledgement().render())
    written.append(path)
    return written
