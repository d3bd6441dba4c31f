"""Is the resolver's score a probability, and how far could a better threshold go? Calibration and an
oracle on labelled sets.

    PYTHONPATH=include:bench python bench/bench_dedupe_calibration.py --persons 20000 --seed 11 \\
        --svg docs/img/dedupe-calibration.svg
    PYTHONPATH=include:bench python bench/bench_dedupe_calibration.py --febrl 2 3
    PYTHONPATH=include:bench python bench/bench_dedupe_calibration.py --input r.csv --truth t.csv

The score of a candidate pair is the model's log2-odds that its two records are one debtor, prior
included: a pair at score s should be one debtor with probability 2^s / (1 + 2^s). For each band of
scores this prints how many candidate pairs fall there and the share of them the truth says are one
debtor, beside that probability. Where the two agree, the score is calibrated: a lower threshold links
as many wrong pairs as the model says, and recall below the threshold is not the model's to win.

The oracle then adds to the resolver's clusters every candidate pair *the truth says is one debtor*
with a score at or above a bound (and none that is not): the best any rule drawing its line on this
score could do. If even the oracle at a bound well under the threshold stays below a target, the
target needs evidence the comparisons do not read, not a better threshold or model.
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

BANDS = (-99.0, -3.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0, 99.0)
ORACLE_BOUNDS = (3.0, 2.0, 1.0, 0.0, -2.0)


def _say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _roots(n: int, edges: np.ndarray) -> np.ndarray:
    """Connected components of ``edges`` over ``n`` records (scipy's, as a root per record)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def calibration(records: pd.DataFrame, truth: pd.Series, label: str) -> dict[str, Any]:
    """The calibration bands and the oracle's figures of one labelled set."""
    records = records.sort_values("record_id").reset_index(drop=True)  # the order resolve works in
    t = truth.loc[records["record_id"]].to_numpy()
    n = len(records)
    config = m.MatchConfig()
    _say(f"{label}: resolve {n:,} records")
    predicted = m.resolve(records, config).assignments["entity_id"].to_numpy()
    ours = m.pair_metrics(t, predicted)
    _say(f"{label}: score the candidate pairs")
    feats = m.prepare_features(records)
    pairs = m.candidate_pairs(feats, config)
    scored, _model = m.score_pairs(feats, pairs, config)
    same = t[pairs[:, 0]] == t[pairs[:, 1]]
    bands = pd.cut(scored.score, BANDS)
    table = pd.DataFrame({"band": bands, "same": same, "score": scored.score}).groupby("band", observed=True)
    rows = []
    for band, group in table:
        mid = float(np.clip(group["score"].median(), -30, 30))
        rows.append({"band": str(band), "pairs": len(group), "one_debtor": int(group["same"].sum()),
                     "share": round(float(group["same"].mean()), 4),
                     "model": round(2.0**mid / (1 + 2.0**mid), 4), "median_score": round(mid, 2)})
    # the resolver's clusters as edges (each record to its entity's first record), then the oracle's
    first = pd.Series(np.arange(n)).groupby(pd.factorize(predicted)[0]).transform("min").to_numpy()
    base = np.column_stack([np.arange(n), first])
    oracle = []
    for bound in ORACLE_BOUNDS:
        extra = pairs[same & (scored.score >= bound)]
        roots = _roots(n, np.concatenate([base, extra]))
        got = m.pair_metrics(t, roots.astype(str))
        oracle.append({"bound": bound, **{k: round(got[k], 4) for k in ("precision", "recall", "f1")}})
    return {"data": label, "records": n, "candidates": len(pairs),
            "recouvra": {k: round(v, 4) for k, v in ours.items() if k in ("precision", "recall", "f1")},
            "bands": rows, "oracle": oracle}


def svg(results: list[dict[str, Any]]) -> str:
    """The share of one-debtor pairs per band against the model's probability, one line per set."""
    from recouvra.report.svg import PALETTE, Series, line_chart

    series = [Series(r["data"], PALETTE[k % len(PALETTE)],
                     [(b["median_score"], b["share"]) for b in r["bands"] if -6 <= b["median_score"] <= 14])
              for k, r in enumerate(results)]
    xs = np.linspace(-6, 14, 41)
    series.append(Series("the model: 2^s / (1 + 2^s)", "#000000",
                         [(float(x), float(2.0**x / (1 + 2.0**x))) for x in xs]))
    chart = line_chart(series, title="Candidate pairs that are one debtor, by the resolver's score s",
                       x_labels={float(x): f"{x:g}" for x in range(-6, 15, 2)}, y_max=1.0, width=720,
                       height=340)
    # standalone: the report's stylesheet is not there
    style = ("<style>.grid{stroke:#ddd}.axis{stroke:#555}.title{font:bold 13px sans-serif}"
             ".tick,.legend{font:11px sans-serif;fill:#333}</style>")
    return chart.replace(">", ">" + style, 1).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_set_arguments(ap)
    ap.add_argument("--svg", type=Path, help="also draw the calibration here")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    sets = sets_from_arguments(ap, args, Path(tempfile.mkdtemp(prefix="bench_calibration_")))
    results = [calibration(records, truth, label) for label, records, truth in sets]
    for r in results:
        o = r["recouvra"]
        print(f"\n{r['data']}: {r['records']:,} records, {r['candidates']:,} candidate pairs; "
              f"recouvra P {o['precision']:.4f} R {o['recall']:.4f} F1 {o['f1']:.4f}")
        print(f"  {'score band':<14} {'pairs':>8} {'one debtor':>10} {'share':>7} {'model':>7}")
        for b in r["bands"]:
            print(f"  {b['band']:<14} {b['pairs']:>8,} {b['one_debtor']:>10,} {b['share']:>7.3f} "
                  f"{b['model']:>7.3f}")
        print("  oracle (the resolver's clusters + every true candidate pair scoring at least):")
        for o in r["oracle"]:
            print(f"    {o['bound']:>5g}: P {o['precision']:.4f} R {o['recall']:.4f} F1 {o['f1']:.4f}")
    if args.svg:
        args.svg.parent.mkdir(parents=True, exist_ok=True)
        args.svg.write_text(svg(results), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
