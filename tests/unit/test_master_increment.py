"""The incremental debtor master's resolution: the changed records against last month's entities.

Its premises (a part of the file, closed under its links and told of the whole file's candidate pairs,
size and oversized keys, resolves as in the whole file) and :func:`resolve_changes` itself against a
full resolution of the same month (the warehouse side: ``test_master_incremental.py``).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from recouvra.master_increment import member, resolve_changes, state_frame
from recouvra.match_cache import KEY_COLUMN, MatchCache
from recouvra.matching import (
    BlockingIndex,
    MatchConfig,
    build_golden_records,
    candidate_pairs,
    prepare_features,
    resolve,
)

# the records of the match cache's tests, a small file of twins and its next month (tests/ is no package)
_spec = importlib.util.spec_from_file_location("match_cache_cases",
                                               Path(__file__).with_name("test_match_cache.py"))
assert _spec is not None and _spec.loader is not None
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)
_records, _next_month, _sorted = cases._records, cases._next_month, cases._sorted
NOVEMBER = dt.date(2026, 11, 1)


def _november(directory: Path) -> Any:
    """November resolved in full, its resolution kept in the cache ``directory``; returns the model."""
    records = _records()
    cache = MatchCache(directory)
    feats = cache.features(records)
    done = resolve(records, MatchConfig(), features=feats, keep_features=True)
    golden = build_golden_records(records, done.assignments, features=done.features)
    keys = feats[KEY_COLUMN].to_numpy()
    cache.save_state(NOVEMBER, NOVEMBER, state_frame(records, done.assignments, keys), done.evidence, golden)
    return done.model


@pytest.mark.parametrize("month", ["next", "same", "one left"])
def test_resolving_the_changes_gives_the_full_resolution(tmp_path: Path, month: str) -> None:
    model = _november(tmp_path)
    records = {"next": _next_month(_records()), "same": _records(),
               "one left": _next_month(_records()).drop(index=[8]).sample(frac=1, random_state=3)}[month]
    state = MatchCache(tmp_path).load_state()
    assert state is not None
    got, increment, keys = resolve_changes(records, MatchConfig(), model, MatchCache(tmp_path), state)
    full = resolve(records, MatchConfig(), model=model)
    assert got.assignments["record_id"].tolist() == records["record_id"].astype(str).tolist()
    assert got.assignments["entity_id"].tolist() == full.assignments["entity_id"].tolist()
    def links(evidence: pd.DataFrame) -> set[tuple[str, ...]]:
        return {tuple(sorted(p)) for p in evidence[["left_record_id", "right_record_id"]].to_numpy().tolist()}

    assert links(got.evidence) == links(full.evidence)
    assert len(keys) == len(records) and got.features is not None and len(got.features) == len(records)
    changed = {"next": 4, "same": 0, "one left": 4}[month]  # three edited, one new
    assert (increment.changed, increment.removed) == (changed, int(month == "one left"))
    # (in this small file of twins every record links to some other: the changes reach them all)
    assert increment.resolved == (0 if month == "same" else len(records))
    if month == "same":
        assert increment.kept_entities == len(set(full.assignments["entity_id"]))
        pd.testing.assert_frame_equal(got.evidence.reset_index(drop=True), state.evidence, check_dtype=False)


def test_a_moved_version_changes_a_record_and_two_missing_versions_are_the_same(tmp_path: Path) -> None:
    records = _records()
    versions = np.array([f"2026-10-{1 + i % 28:02d} 08:00:00" for i in range(len(records))], dtype=object)
    versions[[0, 5]] = None  # the source never said when these were updated
    cache = MatchCache(tmp_path)
    feats = cache.features(records)
    done = resolve(records, MatchConfig(), features=feats, keep_features=True)
    golden = build_golden_records(records, done.assignments, features=done.features)
    cache.save_state(NOVEMBER, NOVEMBER, state_frame(records, done.assignments, feats[KEY_COLUMN].to_numpy(),
                                                     versions), done.evidence, golden)
    state = MatchCache(tmp_path).load_state()
    assert state is not None
    later = versions.copy()
    later[3] = "2026-11-15 09:30:00"  # the same content, updated at the source
    shuffle = np.random.default_rng(1).permutation(len(records))  # any order of the caller's rows
    mixed = records.iloc[shuffle].reset_index(drop=True)
    got, increment, _ = resolve_changes(mixed, MatchConfig(), done.model, MatchCache(tmp_path), state,
                                        versions=later[shuffle])
    assert increment.changed == 1
    assert got.assignments["entity_id"].tolist() == done.assignments["entity_id"].iloc[shuffle].tolist()


def test_member_is_isin_by_hash() -> None:
    ids = pd.Series([f"{i:07d}" for i in range(1000)], dtype="str")
    assert member(ids, ids.to_numpy()[::3]).tolist() == ids.isin(ids.to_numpy()[::3]).tolist()
    assert member(np.array(["a", "b"], dtype=object), []).tolist() == [False, False]


def test_candidate_pairs_of_some_records_are_the_whole_file_s_pairs_with_them() -> None:
    """BlockingIndex: the whole file's windows, kept where a side is flagged."""
    recs = _next_month(_records())
    feats = _sorted(prepare_features(recs), recs)
    config = MatchConfig(window=3, neighbour_window=3)  # small windows: big blocks are windowed
    every = candidate_pairs(feats, config)
    index = BlockingIndex(feats, config)  # the blocks sorted once, asked again and again
    for flagged in ([0], [3, 17, 40], list(range(0, 41, 2)), list(range(41)), []):
        focus = np.zeros(len(feats), dtype=bool)
        focus[flagged] = True
        want = every[focus[every[:, 0]] | focus[every[:, 1]]]
        assert np.array_equal(index.pairs(focus), want)


@pytest.mark.parametrize("told", [True, False])
def test_a_part_closed_under_its_links_resolves_as_in_the_whole_file(told: bool) -> None:
    """resolve of a part, given the whole file's features, candidate pairs, size and oversized key
    groups, links its records as the whole file does (the incremental debtor master's premise); not
    told of the whole file's oversized groups, a part links records by a key the whole file ignores."""
    from recouvra.matching import oversized_key_groups, resolve

    recs = _next_month(_records())
    base = 15254780000  # a valid ICE (mod 97 key) on nine records: more than max_key_group
    recs.loc[[0, 7, 14, 21, 28, 35, 1, 2, 3], "ice"] = f"{base * 100 + (97 - base * 100 % 97) % 97:015d}"
    config = MatchConfig(max_key_group=7)
    whole = resolve(recs, config)
    feats = _sorted(prepare_features(recs), recs)
    ids = np.sort(recs["record_id"].astype(str).to_numpy())
    entity = whole.assignments.set_index("record_id")["entity_id"].reindex(ids).to_numpy()
    # two entities holding the common ICE, which the whole file keeps apart, with at most
    # max_key_group of its records between them (a part of them alone would not find the ICE common)
    holders = pd.Series(entity[feats["ice_root"].notna().to_numpy()]).value_counts(ascending=True)
    two = holders.index[:2].to_numpy()
    assert len(two) == 2 and holders.iloc[:2].sum() <= config.max_key_group
    part = np.isin(entity, two)
    where = np.flatnonzero(part)
    pairs = BlockingIndex(feats, config).pairs(part)
    pairs = pairs[part[pairs[:, 0]] & part[pairs[:, 1]]]
    local = np.full(len(ids), -1)
    local[where] = np.arange(len(where))
    oversized = {r: v[where] for r, v in oversized_key_groups(feats, config).items()} if told else None
    sub_feats = feats.iloc[where].reset_index(drop=True)
    sub = resolve(pd.DataFrame({"record_id": ids[where]}), config, features=sub_feats, model=whole.model,
                  candidates=local[pairs], population=len(ids), oversized=oversized)
    same = sub.assignments["entity_id"].tolist() == entity[where].tolist()
    assert same is told
    if told:
        mine = whole.evidence[whole.evidence["left_record_id"].isin(ids[where])]
        pd.testing.assert_frame_equal(sub.evidence.reset_index(drop=True), mine.reset_index(drop=True))
    with pytest.raises(ValueError, match="given model"):
        resolve(pd.DataFrame({"record_id": ids[where]}), config, features=sub_feats, candidates=local[pairs])
