"""A month of entity resolution that costs what changed: the changed records against the existing entities.

Last month's resolution (:class:`recouvra.match_cache.ResolutionState`: each record's content key,
version and entity, the evidence of each merge, each entity's golden record) is the starting point. A
record is *changed* when it is new, or its content key (:func:`recouvra.match_cache.content_keys`) or
its version (the source's last update, which the golden record reads) moved; a record of last month no
longer in the portfolio is *removed*. The part of the portfolio resolved again grows in rounds from the
changed records and the entities of the removed ones until it is closed:

- every candidate of a part record (the whole portfolio's blocking restricted to it,
  :class:`recouvra.matching.BlockingIndex`) whose pair with it *links* (scored with the stored model and
  the whole portfolio's term frequencies, accepted by the resolver's rules: a pair that does not link
  never joins two entities);
- every record sharing a strong identifier with it (ICE root, RC number and court, CIN, affiliation
  number);
- the whole entity of last month of each of these.

Closed, the part is a union of components of the graph of links, and it is resolved as the whole
portfolio would resolve it (:func:`recouvra.matching.resolve` with the whole portfolio's features, its
candidate pairs within the part, its population and its oversized key groups). Every other entity keeps
its records, its id, its evidence and its golden record.

What a full rebuild (``recouvra master build --full``) can decide otherwise: a pair of two unchanged
records outside the part whose score crosses the threshold only because the portfolio's size and term
frequencies moved, or that a window of the blocking brings together only because a record arrived
beside them; and the evidence of an unchanged entity keeps the scores of the month its records were
linked. ``bench/bench_master_increment.py`` counts such differences on a bench run (23 records of a
million at L); ``tests/unit/test_master_increment.py`` and ``tests/unit/test_master_incremental.py``
compare both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from recouvra.fellegi_sunter import FSModel
    from recouvra.match_cache import MatchCache, ResolutionState
    from recouvra.matching import MatchConfig, Resolution

log = logging.getLogger(__name__)


@dataclass
class Increment:
    """What an incremental month resolved again, and why."""

    records: int = 0
    changed: int = 0  # new records and records whose content changed
    removed: int = 0  # records of last month no longer in the portfolio
    resolved: int = 0  # records resolved again: the part
    #: entities taken from last month as they were (same records, same id): their golden records too
    kept_entity_ids: Any = ()
    rounds: int = 0  # rounds of growing the part until it was closed under links

    @property
    def kept_entities(self) -> int:
        return len(self.kept_entity_ids)

    def summary(self) -> str:
        return (f"incremental resolution: {self.changed:,} changed and {self.removed:,} removed of "
                f"{self.records:,} records; {self.resolved:,} records resolved again (closed in "
                f"{self.rounds} rounds), "
                f"{self.kept_entities:,} entities kept")


def resolve_changes(
    records: pd.DataFrame, config: MatchConfig, model: FSModel, cache: MatchCache, state: ResolutionState,
    progress: Any = None, versions: np.ndarray | None = None, features: pd.DataFrame | None = None,
) -> tuple[Resolution, Increment, np.ndarray]:
    """Resolve ``records`` (this month's whole portfolio) from last month's ``state``: only the part
    the month's changes reach is resolved again (module docstring). Returns a :class:`Resolution` of
    every record (``features``: the golden-record features of every record), what was redone, and
    each record's content key (rows of ``records``). ``versions``: a text per record (its source's
    last update) that, when it moved, makes the record changed even with the same content (what the
    golden record reads beyond the content, :func:`state_frame`). ``features``: ``cache.features(records)``
    when the caller made them (then ``records`` need only hold ``record_id``)."""
    import numpy as np
    import pandas as pd

    from recouvra.match_cache import KEY_COLUMN
    from recouvra.matching import (
        EVIDENCE_COLUMNS,
        GOLDEN_FEATURES,
        STRONG_COLUMNS,
        BlockingIndex,
        Resolution,
        _codes,
        _narrow,
        oversized_key_groups,
        resolve,
    )

    step = progress or (lambda _msg: None)
    n = len(records)
    if features is None:
        step("features")
    # every record's, term frequencies of the whole portfolio
    feats = features if features is not None else cache.features(records)
    del features  # a caller that handed its only reference over lets it go with ``feats`` below
    rid = records["record_id"].astype("str").reset_index(drop=True)
    # record_id order, as resolve works: the blocking's ties fall as in a full build
    order = np.argsort(rid.to_numpy(), kind="stable")
    index = feats.index
    # ``f``: every column again in record_id order, taken column by column out of ``feats`` (whose column
    # goes once taken: the two frames whole held 1.1 GB at L); what is returned in the caller's order is
    # taken back from ``f`` at the end
    f = pd.DataFrame({c: feats.pop(c).take(order).reset_index(drop=True) for c in list(feats.columns)})
    del feats
    # the ids in record_id order stay Arrow text, last month's entities codes: a million Python strings
    # are 70 MB, and the record ids, last month's ids and entities were held through every round
    ids = rid.take(order).reset_index(drop=True)
    del rid
    keys = f[KEY_COLUMN].to_numpy(dtype=np.uint64)

    prev = state.records
    at = pd.Index(prev["record_id"].astype("str")).get_indexer(ids)
    was = at >= 0
    changed = ~was | (prev["content_key"].to_numpy(dtype=np.uint64)[np.maximum(at, 0)] != keys)
    if versions is not None:  # as state_frame keeps them: text; two missing versions are the same
        now = pd.Series(np.asarray(versions, dtype=object)[order]).astype("str").fillna("")
        then = prev["version"].astype("str").fillna("").take(np.maximum(at, 0)).reset_index(drop=True)
        changed |= np.asarray(now != then, dtype=bool)
        del now, then
    removed = np.ones(len(prev), dtype=bool)
    removed[at[was]] = False
    # last month's entity of each record (-1: new), as codes of last month's entity ids
    entity_code, entity_names = pd.factorize(prev["entity_id"].astype("str"))
    own = np.where(was, entity_code[np.maximum(at, 0)], -1)

    # The part grows in rounds until it is closed: each round takes the candidate pairs of its new
    # records (the whole portfolio's blocking restricted to them), keeps those that link (scored and
    # accepted as the whole portfolio would: a pair that does not link never joins two entities) and the
    # records sharing a strong key with them, then the whole entities of all these. Closed, the part is a
    # union of components of the graph of links, which clustering resolves one by one.
    strong = [_narrow(_codes(f[column])) for column in STRONG_COLUMNS.values()]  # isin over texts is slow
    touched = np.zeros(len(entity_names), dtype=bool)
    touched[entity_code[removed]] = True  # the entities of removed records
    del entity_code
    part = np.zeros(n, dtype=bool)
    frontier = changed | ((own >= 0) & touched[np.maximum(own, 0)])
    found: list[np.ndarray] = []
    rounds = 0
    blocking = BlockingIndex(f, config)  # the whole portfolio's blocks, sorted once for every round
    while frontier.any():
        rounds += 1
        step(f"candidates of {int(frontier.sum()):,} records (round {rounds})")
        part |= frontier
        pairs = blocking.pairs(frontier)
        found.append(pairs)
        grow = frontier.copy()
        grow[pairs[_linking(f, pairs, config, model, n)].ravel()] = True
        for codes in strong:
            shared = np.unique(codes[frontier & (codes >= 0)])
            if len(shared):
                grow |= np.isin(codes, shared)
        touched[own[grow & (own >= 0)]] = True
        grow |= (own >= 0) & touched[np.maximum(own, 0)]
        frontier = grow & ~part
    where = np.flatnonzero(part)
    # every pair with a side in the part was found in some round: those with both sides in it
    inner = np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)
    inner = inner[part[inner[:, 0]] & part[inner[:, 1]]]
    local = np.full(n, -1, dtype=np.int64)
    local[where] = np.arange(len(where))
    oversized = {rule: flags[where] for rule, flags in oversized_key_groups(f, config).items()}
    sub = resolve(pd.DataFrame({"record_id": ids.take(where).reset_index(drop=True)}), config,
                  features=f.iloc[where].reset_index(drop=True), model=model, progress=progress,
                  candidates=local[inner], oversized=oversized, population=n)

    # every record outside the part was there last month (a new record is changed, so in the part)
    entity = np.asarray(entity_names, dtype=object)[np.maximum(own, 0)]
    entity[where] = sub.assignments["entity_id"].to_numpy()
    assignments_sorted = pd.DataFrame({"record_id": ids, "entity_id": entity})
    # back to the caller's order
    back = np.empty(n, dtype=np.int64)
    back[order] = np.arange(n)
    assignments = assignments_sorted.iloc[back].reset_index(drop=True)
    left = state.evidence["left_record_id"].astype("str").to_numpy()
    kept_evidence = state.evidence[~member(left, ids.take(where)) & member(left, ids)]
    evidence = pd.concat([kept_evidence, sub.evidence], ignore_index=True)[list(EVIDENCE_COLUMNS)]
    kept = np.asarray(entity_names.take(np.unique(own[~part & (own >= 0)])), dtype=object)
    stats = Increment(records=n, changed=int(changed.sum()), removed=int(removed.sum()),
                      resolved=len(where), kept_entity_ids=kept, rounds=rounds)
    log.info(stats.summary())
    # the golden-record features of every record and their keys, in the caller's order (as resolve's
    # keep_features)
    golden = f[list(GOLDEN_FEATURES)].iloc[back].set_axis(index)
    keys_back = keys[back]
    return Resolution(assignments, evidence, sub.vetoed, sub.ignored_keys, model, golden), stats, keys_back


def member(values: Any, within: Any) -> np.ndarray:
    """``values`` found in ``within``, a flag each: a hash lookup (pandas' ``isin`` of its string
    columns took 0.6 s for 100,000 ids)."""
    import numpy as np
    import pandas as pd

    return np.asarray(pd.Index(pd.unique(np.asarray(within, dtype=object))).get_indexer(
        np.asarray(values, dtype=object)) >= 0)


def _linking(features: pd.DataFrame, pairs: np.ndarray, config: MatchConfig, model: FSModel,
             population: int) -> np.ndarray:
    """Which ``pairs`` (row positions of ``features``, the whole portfolio's) the resolver accepts,
    computed on their records alone (the term frequencies are the whole portfolio's)."""
    import numpy as np

    from recouvra.matching import _fuzzy_accept, score_pairs

    if len(pairs) == 0:
        return np.zeros(0, dtype=bool)
    involved = np.unique(pairs.ravel())
    local = np.full(len(features), -1, dtype=np.int64)
    local[involved] = np.arange(len(involved))
    part = features.iloc[involved].reset_index(drop=True)
    scored, _ = score_pairs(part, local[pairs], config, model=model, population=population)
    return np.asarray(_fuzzy_accept(scored, part, config), dtype=bool)


def state_frame(records: pd.DataFrame, assignments: pd.DataFrame, keys: np.ndarray,
                versions: np.ndarray | None = None) -> pd.DataFrame:
    """What :meth:`recouvra.match_cache.MatchCache.save_state` keeps of a month's resolution (rows
    of ``records``, ``assignments``, ``keys`` and ``versions`` aligned)."""
    import pandas as pd

    return pd.DataFrame({"record_id": records["record_id"].astype("str").to_numpy(),
                         "content_key": keys,
                         "version": (pd.Series(versions, dtype="object").astype("str").to_numpy()
                                     if versions is not None else ""),
                         "entity_id": assignments["entity_id"].astype("str").to_numpy()})
