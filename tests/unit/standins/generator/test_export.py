"""The dedupe sample export (recouvra.standins.generator.export): whole entities, the agreed columns."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pandas as pd

from recouvra.standins.generator import export_dedupe_sample

_spec = importlib.util.spec_from_file_location("generator_sources", Path(__file__).with_name("sources.py"))
assert _spec is not None and _spec.loader is not None
sources = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sources)
N, _truth = sources.N, sources._truth


def test_export_dedupe_sample_keeps_whole_entities(seeded: tuple[Path, Path], tmp_path: Path) -> None:
    db, truth_dir = seeded
    out_csv, out_truth = tmp_path / "sample.csv", tmp_path / "sample_truth.csv"
    n = export_dedupe_sample(f"sqlite:///{db}", truth_dir, out_csv, out_truth, max_records=500)
    assert 450 <= n <= 500
    with out_csv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == ["record_id", "affiliation_no", "name", "legal_form", "ice", "rc_number", "rc_court",
                       "cin", "address", "city", "phone", "email", "legal_rep_name"]
    assert len(rows) == n + 1
    truth = pd.read_csv(out_truth, sep=";", dtype=str)
    assert list(truth.columns) == ["record_id", "entity_id"] and len(truth) == n
    full = _truth(truth_dir)
    sizes = full.groupby("entity_id").size()
    sample_sizes = truth.groupby("entity_id").size()
    assert (sizes.reindex(sample_sizes.index.astype("int64")).to_numpy() == sample_sizes.to_numpy()).all()
    assert export_dedupe_sample(f"sqlite:///{db}", truth_dir, out_csv, out_truth) == N
