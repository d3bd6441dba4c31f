"""What each blocking key of the resolver brings: its candidate pairs, and the links that only it finds.

    python bench/bench_dedupe_blocks.py --input records.csv --truth truth.csv
    python bench/bench_dedupe_blocks.py --input r.csv --truth t.csv --window "manager+locality=6,4,3"

For every block of ``recouvra.matching._blocking_keys`` and sorted neighbourhood of
``_NEIGHBOUR_COLUMNS``: its pairs, the pairs no other block gives (``alone``), and among those the pairs
the resolver accepts (score and gate, ``_fuzzy_accept``) that are true and false by the truth file.
A block whose alone pairs are many and whose accepted alone pairs are few costs comparison time for
little recall (the clustering may still join an accepted pair's records through others).

``--window NAME=W1,W2,...`` takes that block at the widest of these windows (and its own), then for each
the pairs a narrower window drops and the accepted true and false pairs lost with them. Records are
scored once, on the union of all blocks.
Prints a table; the figures of the blocking choices in ``docs/benchmarks.md`` come from this script.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from recouvra import matching as m

#: Names of :func:`recouvra.matching._blocking_keys`' blocks, in its order.
BLOCK_NAMES = ("phone", "email", "name_key", "longest+locality", "manager+locality", "longest+manager",
               "address+locality", "id_number", "longest+address", "phon_key", "phon_skeleton",
               "phon_longest+locality", "owner_skeleton")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", type=Path, required=True, help="records (CSV ; or Parquet)")
    ap.add_argument("--truth", type=Path, required=True, help="record_id;entity_id of the input")
    ap.add_argument("--window", help="NAME=W1,W2,...: one block's window shrunk to each W")
    args = ap.parse_args(argv)
    config = m.MatchConfig()
    records = m.read_records(args.input)
    truth = pd.read_csv(args.truth, sep=";", dtype=str, keep_default_na=False).set_index("record_id")
    recs = records.iloc[np.argsort(records["record_id"].astype(str).to_numpy(), kind="stable")]
    recs = recs.reset_index(drop=True)
    print(f"{len(recs):,} records: normalising", file=sys.stderr)
    feats = m.prepare_features(recs)
    base = len(recs) + 1
    entity = pd.factorize(truth.loc[recs["record_id"], "entity_id"].to_numpy())[0]
    name_order, blocks = m._blocking_keys(feats, config)
    if len(blocks) != len(BLOCK_NAMES):
        raise SystemExit(f"the resolver has {len(blocks)} blocks, this script names {len(BLOCK_NAMES)}")
    widths: list[int] = []
    if args.window:
        name, _, listed = args.window.partition("=")
        at = BLOCK_NAMES.index(name)
        widths = [int(x) for x in listed.split(",")]
        blocks[at] = (blocks[at][0], max([blocks[at][1], *widths]))
    sets = [(name, m._packed(m._window_pairs(key, name_order, w), base))
            for name, (key, w) in zip(BLOCK_NAMES, blocks, strict=True)]
    sets += [(f"sorted {col}", m._packed(m._neighbour_pairs(feats[col], config.neighbour_window), base))
             for col in m._NEIGHBOUR_COLUMNS]
    union = np.unique(np.concatenate([keys for _, keys in sets]))
    pairs = np.stack([union // base, union % base], axis=1)
    print(f"scoring {len(pairs):,} candidate pairs", file=sys.stderr)
    scored, _ = m.score_pairs(feats, pairs, config)
    accepted = m._fuzzy_accept(scored, feats, config)
    true = entity[pairs[:, 0]] == entity[pairs[:, 1]]
    member = np.zeros((len(sets), len(union)), dtype=bool)
    for k, (_, keys) in enumerate(sets):
        member[k, np.searchsorted(union, keys)] = True
    holders = member.sum(axis=0)
    print(f"candidate pairs {len(union):,}; accepted {int(accepted.sum()):,}, of them true "
          f"{int((accepted & true).sum()):,}")
    print(f"{'block':<24} {'pairs':>12} {'alone':>12} {'accepted true alone':>20} "
          f"{'accepted false alone':>21}")
    for k, (name, _) in enumerate(sets):
        alone = member[k] & (holders == 1)
        print(f"{name:<24} {int(member[k].sum()):>12,} {int(alone.sum()):>12,} "
              f"{int((alone & accepted & true).sum()):>20,} {int((alone & accepted & ~true).sum()):>21,}")
    if args.window:
        key, widest = blocks[at]
        print(f"{name} at window {widest}:")
        others = member[[k for k in range(len(sets)) if k != at]].any(axis=0)
        for width in widths:
            kept = np.zeros(len(union), dtype=bool)
            if width > 1:
                kept[np.searchsorted(union, m._packed(m._window_pairs(key, name_order, width), base))] = True
            lost = ~others & ~kept
            print(f"{name} window {width}: pairs {int((others | kept).sum()):,}, lost {int(lost.sum()):,}: "
                  f"accepted true {int((lost & accepted & true).sum()):,}, "
                  f"accepted false {int((lost & accepted & ~true).sum()):,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
