"""Export the seeded employers as a labelled sample in the dedupe CLI contract form.

Two files, UTF-8, ``;`` delimited: the records (``record_id; affiliation_no; name; legal_form; ice;
rc_number; rc_court; cin; address; city; phone; email; legal_rep_name``) and the truth
(``record_id; entity_id``). A sample keeps whole entities: every record of a sampled entity is in it,
so that precision and recall measured on the sample mean something.
"""

from __future__ import annotations

import csv
from pathlib import Path

from recouvra.sqlfiles import query

SAMPLE_COLUMNS: tuple[str, ...] = (
    "record_id", "affiliation_no", "name", "legal_form", "ice", "rc_number", "rc_court", "cin", "address",
    "city", "phone", "email", "legal_rep_name",
)
TRUTH_COLUMNS: tuple[str, ...] = ("record_id", "entity_id")


def export_dedupe_sample(
    url: str,
    truth_dir: Path,
    out_csv: Path,
    out_truth: Path,
    max_records: int | None = None,
    sample_seed: int = 0,
) -> int:
    """Write the employers of the source at ``url`` (all, or whole entities up to ``max_records``
    records, drawn with ``sample_seed``) and their truth; return the number of records written."""
    import numpy as np
    import pandas as pd
    import sqlalchemy as sa

    from recouvra.standins.generator.seed import TRUTH_FILE

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            emp = pd.read_sql(sa.text(query("standins/select_sample_employers")), conn)
    finally:
        engine.dispose()
    truth = pd.read_parquet(Path(truth_dir) / TRUTH_FILE, columns=["affiliation_no", "entity_id"])
    df = emp.merge(truth, on="affiliation_no", how="inner", validate="one_to_one")
    if len(df) != len(emp):
        raise ValueError(f"truth in {truth_dir} does not cover the source's employers "
                         f"({len(df)} of {len(emp)} matched): seed again with the same truth_dir")
    if max_records is not None and max_records < len(df):
        rng = np.random.default_rng(sample_seed)
        entities = df["entity_id"].unique()
        rng.shuffle(entities)
        sizes = df.groupby("entity_id").size().reindex(entities).to_numpy()
        keep = entities[: int(np.searchsorted(np.cumsum(sizes), max_records, side="right"))]
        df = df[df["entity_id"].isin(set(keep.tolist()))]
    df = df.sort_values("affiliation_no").reset_index(drop=True)
    df.insert(0, "record_id", [f"R{i:07d}" for i in range(1, len(df) + 1)])
    for path in (out_csv, out_truth):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    df[list(SAMPLE_COLUMNS)].to_csv(out_csv, sep=";", index=False, encoding="utf-8",
                                    quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    df[list(TRUTH_COLUMNS)].to_csv(out_truth, sep=";", index=False, encoding="utf-8", lineterminator="\n")
    return len(df)
