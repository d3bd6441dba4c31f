"""How far the resolver's comparisons can go with the truth in hand: a supervised reference.

    PYTHONPATH=include:bench python bench/bench_dedupe_ceiling.py --persons 20000 --seed 11
    PYTHONPATH=include:bench python bench/bench_dedupe_ceiling.py --febrl 1 2
    PYTHONPATH=include:bench python bench/bench_dedupe_ceiling.py --input r.csv --truth t.csv

The resolver learns without labels. To tell a miss its model could avoid from one the data does not
allow anyone to avoid, the same candidate pairs, with the same comparison vector the resolver scores
(each field's level and match weight, term frequencies included, the name's frequency, person or
company, the resolver's score), are given to a gradient-boosted classifier trained on the truth
(scikit-learn's ``HistGradientBoostingClassifier``, two folds split by entity: a pair is scored by the
model that did not see its entity). The resolver's strong-key links, then the model's links above a
probability, strongest first, are clustered by the resolver's union-find, which refuses to join two
clusters whose valid ICE roots or CINs differ (the resolver's cluster checks of names are left out).
The best F1 with precision >= 0.99 over the thresholds is printed beside the resolver's own figures.
It is a reference, not a proof: with labels, a model learns the dirt of this very set.

The reference is for these comparisons and these candidate pairs: a true pair that is not a candidate, or
whose records agree on nothing the comparison vector reads, is missed by it too. A set whose
reference is under a target may not reach the target by a better model alone, only by new evidence.

scikit-learn is for this benchmark only (not a dependency of recouvra): ``pip install scikit-learn``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from dedupe_data import add_set_arguments, sets_from_arguments

from recouvra import matching as m

THRESHOLDS = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
MIN_PRECISION = 0.99


def _say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _clustered(features: pd.DataFrame, strong: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each record's cluster: the ``strong`` links, then ``edges`` in their order, none joining two
    clusters whose valid ICE roots or CINs differ (the resolver's own union-find and rule)."""
    clusters = m._Clusters(features, ("ice_root", "cin"))
    for a, b in np.concatenate([strong, edges]).tolist():
        ra, rb = clusters.find(a), clusters.find(b)
        if ra != rb and not clusters.conflict(ra, rb):
            clusters.union(ra, rb)
    return np.array([clusters.find(x) for x in range(len(features))])


def ceiling(records: pd.DataFrame, truth: pd.Series, label: str) -> dict[str, Any]:
    """The resolver's P / R / F1 on ``records`` and the supervised bound on its comparisons."""
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError as exc:  # bench only
        raise SystemExit("bench_dedupe_ceiling needs scikit-learn: pip install scikit-learn") from exc

    records = records.sort_values("record_id").reset_index(drop=True)
    t = truth.loc[records["record_id"]].to_numpy()
    entity = pd.factorize(t)[0]
    n = len(records)
    config = m.MatchConfig()
    _say(f"{label}: resolve {n:,} records")
    res = m.resolve(records, config)
    ours = m.pair_metrics(t, res.assignments["entity_id"].to_numpy())
    _say(f"{label}: candidate pairs and their comparison vectors")
    feats = m.prepare_features(records)
    pairs = m.candidate_pairs(feats, config)
    scored, _model = m.score_pairs(feats, pairs, config)
    y = entity[pairs[:, 0]] == entity[pairs[:, 1]]
    sizes = np.bincount(entity)
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    columns: list[np.ndarray] = []
    for spec in m.FS_FIELDS:
        columns.append(scored.compared.levels[spec.name].astype(float))
        columns.append(scored.field_weight(spec))
    company = (feats["legal_form"].isin(m._LEGAL_PERSON_FORMS) | feats["rep"].notna()).to_numpy()
    columns.append(company[pairs[:, 0]].astype(float) + company[pairs[:, 1]])
    freq = feats["name_clean_freq"].to_numpy()
    columns.append(np.maximum(freq[pairs[:, 0]], freq[pairs[:, 1]]).astype(float))
    columns.append(scored.score)
    x = np.column_stack(columns).astype(np.float32)
    del columns
    fold = np.random.default_rng(0).integers(0, 2, size=int(entity.max()) + 1)[entity[pairs[:, 0]]]
    prob = np.zeros(len(pairs))
    for k in (0, 1):
        _say(f"{label}: train on fold {1 - k}, score fold {k}")
        clf = HistGradientBoostingClassifier(max_iter=300, random_state=0)
        clf.fit(x[fold != k], y[fold != k])
        prob[fold == k] = clf.predict_proba(x[fold == k])[:, 1]
    rank = pd.Series(np.arange(n), index=records["record_id"].to_numpy())
    strong = res.evidence[res.evidence["rule"] != "fuzzy"]
    strong_edges = np.column_stack([rank.loc[strong["left_record_id"]].to_numpy(),
                                    rank.loc[strong["right_record_id"]].to_numpy()]).astype(np.int64)
    strong_edges = strong_edges.reshape(-1, 2)
    order = np.argsort(-prob, kind="stable")
    sweep = []
    for threshold in THRESHOLDS:
        _say(f"{label}: cluster at probability {threshold}")
        edges = pairs[order[prob[order] >= threshold]]
        metrics = m.pair_metrics(t, _clustered(feats, strong_edges, edges).astype(str))
        sweep.append({"threshold": threshold, **metrics})
    kept = [s for s in sweep if s["precision"] >= MIN_PRECISION]
    best = max(kept or sweep, key=lambda s: s["f1"])
    return {"data": label, "records": n, "true_pairs": true_pairs,
            "candidate_share": round(float(y.sum()) / max(true_pairs, 1), 4),
            "recouvra": {k: round(v, 4) for k, v in ours.items() if k in ("precision", "recall", "f1")},
            "bound": {k: round(v, 4) if isinstance(v, float) else v for k, v in best.items()},
            "bound_meets_precision": bool(kept), "sweep": sweep}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_set_arguments(ap)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    sets = sets_from_arguments(ap, args, Path(tempfile.mkdtemp(prefix="bench_ceiling_")))
    rows = [ceiling(records, truth, label) for label, records, truth in sets]
    head = f"{'data':<34} {'candidates':>10} {'recouvra P / R / F1':>24} {'bound P / R / F1':>24} {'at p':>5}"
    print(head)
    print("-" * len(head))
    for r in rows:
        o, b = r["recouvra"], r["bound"]
        print(f"{r['data']:<34} {r['candidate_share']:>10.4f} "
              f"{o['precision']:.4f} / {o['recall']:.4f} / {o['f1']:.4f}  "
              f"{b['precision']:.4f} / {b['recall']:.4f} / {b['f1']:.4f} {b['threshold']:>5}"
              + ("" if r["bound_meets_precision"] else "  (no threshold reaches P 0.99)"))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
