"""Reference matchers for the entity-resolution benchmark, run on the same records as recouvra.

- ``splink_unsupervised``: splink 5 (DuckDB backend), trained without labels the way its tutorials
  do (u by random sampling, m by EM on blocking rules), then predict and cluster.
- ``fuzzy_rules``: a plain fuzzy-rule matcher a new user would write in an afternoon (lower-cased
  names compared with rapidfuzz inside blocks, one of address, id number, phone or e-mail agreeing).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

COMPARED = ("name", "address", "city", "cin", "phone", "email", "ice", "rc_number", "legal_rep_name")


def _clean(records: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"unique_id": records["record_id"].astype(str)})
    for col in COMPARED:
        v = records[col].astype(str) if col in records else pd.Series("", index=records.index)
        v = v.str.lower().str.replace(r"[^\w@. ]+", " ", regex=True).str.replace(r"\s+", " ", regex=True)
        v = v.str.strip()
        if col in ("phone", "ice", "cin", "rc_number"):
            v = v.str.replace(" ", "", regex=False)
        if col == "phone":
            v = v.str.replace(r"^(00212|\+212|212)", "0", regex=True)
        out[col] = v.where(v != "", None).to_numpy()
    return out


def splink_unsupervised(records: pd.DataFrame, threshold: float = 0.9) -> tuple[np.ndarray, dict[str, Any]]:
    """Entity id of each record from splink's unsupervised model (clusters at ``threshold``)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    df = _clean(records)
    used = [c for c in COMPARED if df[c].notna().mean() > 0.01]
    comparisons = []
    for col in used:
        if col in ("name", "legal_rep_name"):
            comparisons.append(cl.JaroWinklerAtThresholds(col, [0.95, 0.88, 0.7]))
        elif col == "address":
            comparisons.append(cl.LevenshteinAtThresholds(col, [1, 3, 6]))
        elif col == "cin":
            comparisons.append(cl.LevenshteinAtThresholds(col, [1]))
        else:
            comparisons.append(cl.ExactMatch(col))
    df["name_head"] = df["name"].str.slice(0, 4)
    df["addr_head"] = df["address"].str.slice(0, 6) if "address" in used else None
    blocking = [block_on("name"), block_on("name_head", "city")]
    for col in ("cin", "phone", "email", "ice"):
        if col in used:
            blocking.append(block_on(col))
    if "address" in used:
        blocking.append(block_on("addr_head", "city"))
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(df), settings)
    linker.training.estimate_probability_two_random_records_match([block_on("name")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in (
        block_on("name"),
        block_on("city"),
        *([block_on("cin")] if "cin" in used else []),
        *([block_on("phone")] if "phone" in used else []),
    ):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as exc:  # a rule fixing every compared column leaves nothing to train
            print(f"splink EM on {rule}: {exc}")
    pred = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pred, threshold
    ).as_pandas_dataframe()
    ids = dict(zip(clusters["unique_id"].astype(str), clusters["cluster_id"].astype(str), strict=True))
    return np.array([ids.get(r, r) for r in df["unique_id"]], dtype=object), {"comparisons": used}


def fuzzy_rules(records: pd.DataFrame) -> np.ndarray:
    """Entity ids of the simple rule matcher (union-find over accepted pairs)."""
    from rapidfuzz import fuzz, process

    df = _clean(records)
    n = len(df)
    name = df["name"].fillna("").to_numpy(dtype=object)
    tokens = pd.Series(name).str.split(" ")
    keys = []
    for col in ("cin", "phone", "email", "ice"):
        keys.append(df[col])
    first = tokens.str[0].where(tokens.str[0].str.len() >= 3)
    last = tokens.str[-1].where(tokens.str[-1].str.len() >= 3)
    keys += [first, last]
    pairs = []
    for key in keys:
        codes, _ = pd.factorize(key, use_na_sentinel=True)
        idx = np.flatnonzero(codes >= 0)
        idx = idx[np.argsort(codes[idx], kind="stable")]
        c = codes[idx]
        for step in range(1, 10):  # neighbours inside the block (bounded work)
            same = c[:-step] == c[step:]
            pairs.append(np.stack([idx[:-step][same], idx[step:][same]], axis=1))
    allp = np.unique(np.sort(np.concatenate(pairs), axis=1), axis=0)
    i, j = allp[:, 0], allp[:, 1]
    name_sim = process.cpdist(list(name[i]), list(name[j]), scorer=fuzz.token_sort_ratio, workers=-1)
    addr = df["address"].fillna("").to_numpy(dtype=object)
    addr_sim = process.cpdist(list(addr[i]), list(addr[j]), scorer=fuzz.token_sort_ratio, workers=-1)
    support = (addr_sim >= 80) & (addr[i] != "")
    for col in ("cin", "phone", "email"):
        v = df[col].to_numpy(dtype=object)
        support |= (v[i] == v[j]) & pd.notna(v[i])
    ok = (name_sim >= 85) & support
    parent = np.arange(n)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in allp[ok].tolist():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(x) for x in range(n)])
    return np.array(["F" + re.sub(r"\s", "", str(r)) for r in roots], dtype=object)
