"""The debtor master: one legal entity, one debtor, built from the lake into the warehouse.

On a day ``on`` it (1) reads the current employers from the lake, (2) groups their affiliation
numbers into legal entities (:mod:`recouvra.matching`), (3) builds each entity's golden record,
(4) gives each entity a stable ``debtor_id`` (an entity keeps the id most of its affiliation numbers
had; new entities draw from ``core.debtor_id_seq``; an id whose affiliations all moved is marked
MERGED into the one that took most of them), and (5) writes ``core.dim_debtor`` with its history,
``core.bridge_affiliation_debtor``, ``core.debtor_match_evidence`` and the portfolio features of each
debtor (``core.debtor_portfolio``), all in one transaction. Re-running the same date changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from recouvra.lake import create_outstanding, open_lake
from recouvra.sqlfiles import query

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pandas as pd

    from recouvra.fellegi_sunter import FSModel
    from recouvra.warehouse import Warehouse

log = logging.getLogger(__name__)

#: Entity activity from the source statuses of its affiliations: the first that applies wins.
ACTIVITY_PRIORITY = (("LIQUIDATION", {"LIQUIDATION"}), ("INSOLVENT", {"INSOLVENT"}),
                     ("ACTIVE", {"ACTIVE"}), ("SUSPENDED", {"SUSPENDED"}), ("CEASED", {"CEASED"}))
STRONG_RULES_SCORE = 1.0
GOLDEN_COLUMNS = ("legal_name", "legal_form", "is_natural_person", "ice", "rc_number", "rc_court",
                  "if_number", "cin", "address", "city", "region", "phone_1", "phone_2", "email",
                  "legal_rep_name", "sector", "activity_status", "primary_affiliation_no",
                  "affiliations_count")
FEATURE_COLUMNS = ("principal_open", "surcharge_open", "penalty_open", "total_open", "unpaid_periods",
                   "oldest_unpaid_period", "newest_unpaid_period", "oldest_title_notified_on",
                   "title_days_left", "payments_12m", "paid_12m", "reversals", "last_payment_date",
                   "plans", "broken_plans", "active_plans", "honoured_plans", "in_legal_proceeding",
                   "in_insolvency", "open_disputes")
#: Placement history columns of core.debtor_portfolio (V012), from the warehouse's own dossiers.
PLACEMENT_COLUMNS = ("previous_placements", "last_placement_month", "last_placement_outcome")


@dataclass
class MasterReport:
    as_of: str
    affiliations: int
    debtors: int
    merged_records: int
    new_debtors: int
    changed_debtors: int
    retired_debtors: int
    moved_affiliations: int
    evidence_pairs: int
    by_rule: dict[str, int] = field(default_factory=dict)
    #: The master was already built for a later day: this day's version was kept, nothing written.
    kept: bool = False
    #: Day the Fellegi-Sunter model scored with was trained (core.match_model); trained by this build?
    model_trained_on: str | None = None
    model_trained: bool = False
    #: Records whose normalized features, candidate pairs whose comparison came from the match cache.
    features_reused: int = 0
    comparisons_reused: int = 0
    #: Incremental month (recouvra.master_increment): records resolved again; None for a full build.
    records_resolved: int | None = None

    def summary(self) -> str:
        if self.kept:
            return (f"debtor master {self.as_of}: kept as built (a later day was built since): "
                    f"{self.affiliations:,} affiliation numbers -> {self.debtors:,} debtors on that day")
        return (f"debtor master {self.as_of}: {self.affiliations:,} affiliation numbers -> "
                f"{self.debtors:,} debtors ({self.merged_records:,} merged records; new "
                f"{self.new_debtors:,}, changed {self.changed_debtors:,}, retired {self.retired_debtors:,}, "
                f"affiliations moved {self.moved_affiliations:,}); merges by rule {self.by_rule}; model "
                f"{'trained' if self.model_trained else 'stored'} {self.model_trained_on}; reused "
                f"{self.features_reused:,} records' features, {self.comparisons_reused:,} comparisons; "
                + ("a full resolution" if self.records_resolved is None else
                   f"incremental: {self.records_resolved:,} records resolved again"))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: DuckDB's memory for reading the lake (the outstanding amounts of every affiliation): with 4 GB it
#: took up to 3.1 GB of the process at L on a busy machine (the build's peak), with 1.5 GB 2.2 GB, no
#: slower; what does not fit spills to the system's temporary directory (:func:`recouvra.lake.open_lake`)
READ_MEMORY_LIMIT = "1500MB"


def read_inputs(lake: Path, on: dt.date, title_limit_years: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Current employers (as matching records) and their portfolio features on the day ``on``."""
    with open_lake(lake, as_of=on, memory_limit=READ_MEMORY_LIMIT) as con:
        records = con.execute(query("debtor_master/select_employer_records")).df()
        create_outstanding(con, on)  # table outstanding, which the features query reads
        features = con.execute(query("lake/build_affiliation_features"),
                               {"as_of": on, "title_limit_years": title_limit_years}).df()
    return records, features


def _set_aside(frame: pd.DataFrame) -> Callable[[], pd.DataFrame]:
    """``frame`` written to an anonymous file of the system's temporary directory (gone when closed,
    or when the process ends, whatever happens), and what reads it back, once."""
    import pickle
    import tempfile

    spill = tempfile.TemporaryFile(prefix="recouvra-")
    pickle.dump(frame, spill, protocol=pickle.HIGHEST_PROTOCOL)

    def back() -> pd.DataFrame:
        with spill:
            spill.seek(0)
            return cast("pd.DataFrame", pickle.load(spill))  # our own file, written just above
    return back


def _score01(rule: str, raw: float, accept: float) -> float:
    """Evidence score in [0, 1]: strong-key rules are certain; a probabilistic link's score is its log2-odds
    (``accept`` or more), given as the probability that the two records are one debtor."""
    if not rule.lower().startswith("fuzzy"):
        return STRONG_RULES_SCORE
    return round(1.0 / (1.0 + float(2.0 ** -max(raw, -60.0))), 4)


#: The record columns :func:`_entity_frame` reads (beside the portfolio features and the golden record).
_ENTITY_RECORD_COLUMNS = ("record_id", "affiliation_no", "name", "if_number", "sector", "status", "recency")
#: The record columns read once the match features are made: survivorship given the features (the raw
#: texts it publishes) and the entity frame (the phones: the first when not normalized)
_LATER_RECORD_COLUMNS = (*_ENTITY_RECORD_COLUMNS, "address", "legal_rep_name", "phone", "phone_2")


def _entity_frame(records: pd.DataFrame, features: pd.DataFrame, assignments: pd.DataFrame,
                  golden: pd.DataFrame, normalized: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per entity: golden fields, primary affiliation, activity, summed features.

    ``normalized``: the records' normalized features (``Resolution.features``, same rows as
    ``records``), whose ``phone`` is the E.164 form of each record's first phone."""
    import numpy as np
    import pandas as pd

    from recouvra.normalize import phone_series

    # only the record columns read below go through the joins (a million rows of every column,
    # copied at each join, took about 1 GB at L)
    e164 = records[[c for c in _ENTITY_RECORD_COLUMNS if c in records.columns]].copy(deep=False)
    e164["e164_1"] = (normalized["phone"].to_numpy() if normalized is not None
                      else phone_series(records["phone"])["phone"].to_numpy())
    e164["e164_2"] = phone_series(records["phone_2"])["phone"].to_numpy()
    rec = e164.merge(assignments, on="record_id").merge(
        features, left_on="affiliation_no", right_on="affiliation_no", how="left"
    )
    del e164
    rec["total_open"] = rec["total_open"].fillna(0).astype("int64")
    # Primary affiliation: the one owing most, then the oldest number.
    # (only the columns read from it are sorted: a sorted copy of every column held 0.3 GB at L)
    primary = rec[["entity_id", "total_open", "affiliation_no", "name", "if_number", "sector"]].sort_values(
        ["entity_id", "total_open", "affiliation_no"], ascending=[True, False, True])
    primary = primary.drop_duplicates("entity_id").set_index("entity_id")
    # activity: the first label of ACTIVITY_PRIORITY that one of the entity's statuses has
    by_entity = rec["entity_id"].to_numpy()
    has = pd.DataFrame({label: rec["status"].isin(members).to_numpy() for label, members in ACTIVITY_PRIORITY}
                       ).groupby(by_entity).any()
    statuses = pd.Series(np.select([has[label].to_numpy() for label, _ in ACTIVITY_PRIORITY],
                                   [label for label, _ in ACTIVITY_PRIORITY], "UNKNOWN"),
                         index=has.index, dtype="object")

    sums = rec.groupby("entity_id")[[
        "principal_open", "surcharge_open", "penalty_open", "total_open", "unpaid_periods", "payments_12m",
        "paid_12m", "reversals", "plans", "broken_plans", "active_plans", "honoured_plans", "open_disputes",
    ]].sum()
    agg = rec.groupby("entity_id").agg(
        affiliations_count=("affiliation_no", "size"),
        oldest_unpaid_period=("oldest_unpaid_period", "min"),
        newest_unpaid_period=("newest_unpaid_period", "max"),
        oldest_title_notified_on=("oldest_title_notified_on", "min"),
        title_days_left=("title_days_left", "min"),
        last_payment_date=("last_payment_date", "max"),
        in_legal_proceeding=("in_legal_proceeding", "max"),
        in_insolvency=("in_insolvency", "max"),
        source_updated_on=("recency", "max"),
    )
    # A second phone: any normalized phone of the entity's records other than the golden one.
    # (phone_series: normalize_phone in bulk, the same answers)
    phones = pd.concat([rec[["entity_id", "e164_1"]].rename(columns={"e164_1": "e164"}),
                        rec[["entity_id", "e164_2"]].rename(columns={"e164_2": "e164"})])
    phones = phones.dropna(subset=["e164"]).drop_duplicates(["entity_id", "e164"])
    del rec, has, by_entity  # the record-level frame (a million rows of some 30 columns) is done with

    g = golden.set_index("entity_id")
    out = pd.DataFrame(index=g.index)
    out["legal_name"] = g["name"].fillna(primary["name"]).fillna("(unnamed)")
    out["legal_form"] = g["legal_form"]
    out["ice"] = g["ice"]
    out["rc_number"] = g["rc_number"]
    out["rc_court"] = g["rc_court"]
    out["if_number"] = primary["if_number"]
    out["sector"] = primary["sector"]
    out["cin"] = g["cin"]
    out["is_natural_person"] = (g["legal_form"].fillna("").str.upper().isin(["EI"])
                                | (g["cin"].notna() & g["ice"].isna() & g["rc_number"].isna()))
    out["address"] = g["address"]
    out["city"] = g["city"]
    out["region"] = g["region"]
    out["phone_1"] = g["phone"]
    second = phones.merge(out[["phone_1"]], left_on="entity_id", right_index=True)
    second = second[second["e164"] != second["phone_1"]].drop_duplicates("entity_id").set_index("entity_id")
    out["phone_2"] = second["e164"]
    out["email"] = g["email"]
    out["legal_rep_name"] = g["legal_rep_name"]
    out["activity_status"] = statuses
    out["primary_affiliation_no"] = primary["affiliation_no"]
    del primary, phones, second, g
    out = out.join(agg).join(sums)
    out["source_updated_on"] = pd.to_datetime(out["source_updated_on"]).dt.date
    return out.reset_index()


def _stable_ids(wh: Warehouse, assignments: pd.DataFrame) -> tuple[pd.Series, dict[int, int]]:
    """debtor_id per entity_id, and {retired debtor_id: debtor_id that absorbed it}."""
    import pandas as pd

    bridge = pd.DataFrame(
        wh.query(query("debtor_master/select_current_bridge")),
        columns=["record_id", "debtor_id"],
    )
    m = assignments.merge(bridge, on="record_id", how="left")
    votes = (m.dropna(subset=["debtor_id"]).groupby(["entity_id", "debtor_id"]).size()
             .reset_index(name="n"))
    # Each old id goes to the entity holding most of its affiliations; each entity keeps its best id.
    won = votes.sort_values(["debtor_id", "n", "entity_id"], ascending=[True, False, True])
    won = won.drop_duplicates("debtor_id")
    kept = won.sort_values(["entity_id", "n", "debtor_id"], ascending=[True, False, True])
    kept = kept.drop_duplicates("entity_id").set_index("entity_id")["debtor_id"].astype("int64")
    entities = pd.Index(sorted(assignments["entity_id"].unique()))
    missing = [e for e in entities if e not in kept.index]
    fresh: list[int] = []
    if missing:
        fresh = [int(r[0]) for r in wh.query(query("debtor_master/select_new_debtor_ids"), [len(missing)])]
    ids = pd.concat([kept, pd.Series(sorted(fresh), index=missing, dtype="int64")]).reindex(entities)
    # Old ids no entity kept: retired into the id of the entity that took most of their affiliations.
    retired: dict[int, int] = {}
    for old, grp in votes[~votes["debtor_id"].isin(ids.to_numpy())].groupby("debtor_id"):
        best = grp.sort_values(["n", "entity_id"], ascending=[False, True]).iloc[0]["entity_id"]
        retired[int(old)] = int(ids[best])
    return ids, retired


def _load(wh: Warehouse, table: str, frame: pd.DataFrame) -> None:
    import pyarrow as pa

    wh.execute(query("debtor_master/delete_work_table", table=table))
    if len(frame):
        wh.load_arrow(table, pa.Table.from_pandas(frame, preserve_index=False))


def load_match_model(wh: Warehouse, on: dt.date) -> tuple[FSModel, dt.date] | None:
    """The stored model a build on ``on`` scores with (the latest trained on or before it) and its
    training day; None when none is stored or its fields and levels are not the matcher's."""
    import numpy as np

    from recouvra.fellegi_sunter import FSModel
    from recouvra.matching import FS_FIELDS

    head = wh.query(query("debtor_master/select_match_model"), [on])
    if not head:
        return None
    trained_on, prior, prior_candidates, _records, pairs, random_pairs, iterations, mail_share = head[0]
    rows = wh.query(query("debtor_master/select_match_model_levels"), [trained_on])
    stored = {(str(f), int(lv)): (str(label), float(m), float(u)) for f, lv, label, m, u in rows}
    expected = {(spec.name, lv): label for spec in FS_FIELDS for lv, label in enumerate(spec.labels)}
    if set(stored) != set(expected) or any(stored[k][0] != expected[k] for k in expected):
        log.warning("stored match model of %s has other fields or levels than the matcher: retraining",
                    trained_on)
        return None
    m = {spec.name: np.array([stored[(spec.name, lv)][1] for lv in range(spec.levels)]) for spec in FS_FIELDS}
    u = {spec.name: np.array([stored[(spec.name, lv)][2] for lv in range(spec.levels)]) for spec in FS_FIELDS}
    model = FSModel(FS_FIELDS, m, u, float(prior), iterations=int(iterations), pairs=int(pairs),
                    random_pairs=int(random_pairs), lam_candidates=float(prior_candidates),
                    # a model stored before V038 kept no share: the e-mail is not a company's support
                    namesakes_mail_share=1.0 if mail_share is None else float(mail_share))
    return model, trained_on


def store_match_model(wh: Warehouse, model: FSModel, on: dt.date, records: int) -> None:
    """Store the model a build on ``on`` trained (replacing one trained that day)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    wh.execute(query("debtor_master/delete_match_model_levels"), [on])
    wh.execute(query("debtor_master/delete_match_model"), [on])
    wh.execute(query("debtor_master/insert_match_model"),
               [on, float(model.lam), float(model.lam_candidates), records, model.pairs, model.random_pairs,
                model.iterations, now, float(model.namesakes_mail_share)])
    for spec in model.fields:
        for lv, label in enumerate(spec.labels):
            m, u = float(model.m[spec.name][lv]), float(model.u[spec.name][lv])
            wh.execute(query("debtor_master/insert_match_model_level"), [on, spec.name, lv, label, m, u])


def build_debtor_master(
    wh: Warehouse, lake: Path, on: dt.date, *, title_limit_years: int = 4,
    progress: Any = None, match_cache: Path | None = None, retrain: bool = False,
    full_rebuild: bool = False,
) -> MasterReport:
    """Resolve entities on the day ``on`` and write the debtor master; idempotent for a date.

    The master's history is a sequence of days: once a later day was built, the version valid on
    ``on`` is what every stage of that day read (bridge rows valid on it, debtor history versions,
    its portfolio), so a re-run or backfill of ``on`` keeps it and writes nothing (``kept``).

    Candidate pairs are scored with the stored Fellegi-Sunter model (``core.match_model``, the latest
    trained on or before ``on``); the first build, or one with ``retrain``, trains a model on the
    portfolio and stores it. ``match_cache``: a directory where the records' normalized features and
    the pairs' comparisons are kept by content (:mod:`recouvra.match_cache`), with the month's
    resolution: the next month, scoring with the same model, resolves only what its changes reach
    (:mod:`recouvra.master_increment`: the changed records against the existing entities).
    ``full_rebuild`` resolves the whole portfolio and computes everything without reading the cache
    (and writes it afresh)."""

    import pandas as pd

    from recouvra.master_increment import member, resolve_changes, state_frame
    from recouvra.match_cache import KEY_COLUMN, MatchCache
    from recouvra.matching import MatchConfig, build_golden_records, release_memory, resolve

    latest = wh.query(query("debtor_master/select_latest_build"))[0][0]
    if latest is not None and latest > on:
        affiliations, debtors = wh.query(query("debtor_master/count_bridge_on"), [on, on])[0]
        kept = MasterReport(on.isoformat(), int(affiliations), int(debtors), int(affiliations) - int(debtors),
                            0, 0, 0, 0, 0, kept=True)
        log.info(kept.summary())
        return kept
    records, features = read_inputs(lake, on, title_limit_years)
    # the portfolio features wait on disk while the records are resolved (0.18 GB at L)
    portfolio_features = _set_aside(features)
    del features
    release_memory()  # what the lake's DuckDB freed
    config = MatchConfig()
    stored = None if retrain else load_match_model(wh, on)
    model, model_on = stored if stored is not None else (None, on)
    cache = MatchCache(match_cache, read=not full_rebuild) if match_cache is not None else None
    state = cache.load_state() if cache is not None and model is not None else None
    resolved: int | None = None
    keys: Any = None  # each record's content key (recouvra.match_cache), when there is a cache
    versions = records["recency"].to_numpy()  # the golden record reads it beside the content
    kept_golden = None  # golden records of the entities an incremental month kept as they were
    # the match features first (they read every matching column of the records); then the records keep
    # only the columns survivorship and the entity frame read. The features are handed over (the list
    # emptied by the call): the resolver holds the only reference and lets the text of the columns it
    # is done with go (about 0.5 GB at L)
    if progress is not None and cache is not None:
        progress("features")
    held = [cache.features(records)] if cache is not None else []
    if held:
        records = records[[c for c in _LATER_RECORD_COLUMNS if c in records.columns]]
    if cache is not None and model is not None and state is not None and state.model_on == model_on \
            and state.on <= on:
        resolution, increment, keys = resolve_changes(records, config, model, cache, state, progress,
                                                      versions, features=held.pop())
        resolved = increment.resolved
        previous = state.golden  # read now, after the resolution
        kept_golden = previous[member(previous["entity_id"], increment.kept_entity_ids)]
        del previous
    else:
        keys = held[0][KEY_COLUMN].to_numpy() if held else None
        resolution = resolve(records, config, progress=progress, keep_features=True, model=model,
                             features=held.pop() if held else None,
                             compare=cache.compare if cache is not None else None)
    state = None  # last month's records, evidence and golden records: not needed past this point
    release_memory()  # what the resolution freed (its features' text, pairs and comparisons)
    assignments = resolution.assignments[["record_id", "entity_id"]].astype("str")
    # the resolver's normalized records: survivorship and the second phone need not normalise again
    normalized = resolution.features
    if kept_golden is None:
        golden = build_golden_records(records, assignments, recency_column="recency", features=normalized)
    else:  # an entity with the same records, contents and versions has last month's golden record
        redo = ~member(assignments["entity_id"], kept_golden["entity_id"])
        assert normalized is not None
        fresh = build_golden_records(records[redo], assignments[redo], recency_column="recency",
                                     features=normalized[redo])
        golden = pd.concat([kept_golden, fresh], ignore_index=True).sort_values("entity_id",
                                                                                ignore_index=True)
        del kept_golden, fresh
    if cache is not None:
        log.info(cache.stats.summary())
        assert keys is not None
        cache.save_state(on, model_on, state_frame(records, resolution.assignments, keys, versions),
                         resolution.evidence, golden)
    # the entity frame reads only some record columns and the normalized first phone: the rest of the
    # records and the other normalized columns (a million rows of 12 texts) go before it, the build's
    # peak (3,175 MiB of a steady month at L with them held)
    records = records[[c for c in (*_ENTITY_RECORD_COLUMNS, "phone", "phone_2") if c in records.columns]]
    normalized = normalized[["phone"]] if normalized is not None else None
    resolution.features = None
    del keys, versions
    release_memory()
    features = portfolio_features()
    entities = _entity_frame(records, features, assignments, golden, normalized)
    # what the warehouse writes below no longer reads: freed before them (their peak was the build's)
    affiliations = len(records)
    del records, features, golden, normalized
    release_memory()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    with wh.transaction():
        if model is None and resolution.model is not None:
            store_match_model(wh, resolution.model, on, affiliations)
        ids, retired = _stable_ids(wh, assignments)
        entities["debtor_id"] = entities["entity_id"].map(ids).astype("int64")
        source_golden = entities[["debtor_id", *SOURCE_TRACKED]].copy(deep=False)
        entities = _overlay_agency_findings(wh, entities, retired)
        _store_source_golden(wh, source_golden, entities, on)
        # --- dim_debtor and its history -----------------------------------------------------
        work = entities[["debtor_id", *GOLDEN_COLUMNS]].copy(deep=False)
        work["affiliations_count"] = work["affiliations_count"].astype("int32")
        wh.execute(query("debtor_master/create_load_debtor", columns=", ".join(GOLDEN_COLUMNS)))
        _load(wh, "core.load_debtor", work)
        differs = " OR ".join(f"d.{c} IS DISTINCT FROM l.{c}" for c in GOLDEN_COLUMNS)
        changed = wh.query(query("debtor_master/count_changed_debtors", differs=differs))[0][0]
        new = wh.query(query("debtor_master/count_new_debtors"))[0][0]
        # Close the current history version of every debtor whose golden record changes.
        wh.execute(query("debtor_master/close_changed_versions", differs=differs), [now])
        sets = ", ".join(f"{c} = l.{c}" for c in GOLDEN_COLUMNS)
        wh.execute(
            query("debtor_master/update_changed_debtors", sets=sets,
                  differs=differs.replace("d.", "core.dim_debtor.")),
            [now],
        )
        cols = ", ".join(GOLDEN_COLUMNS)
        wh.execute(query("debtor_master/insert_new_debtors", columns=cols), [now, now])
        hist_cols = [c for c in GOLDEN_COLUMNS if c != "affiliations_count"]
        wh.execute(
            query("debtor_master/insert_source_versions", columns=", ".join(hist_cols),
                  d_columns=", ".join("d." + c for c in hist_cols)),
            [now, on.isoformat()],
        )
        for old, into in retired.items():
            wh.execute(query("debtor_master/close_current_version"), [now, old])
            wh.execute(query("debtor_master/mark_debtor_merged"), [into, now, old])
        wh.execute(query("debtor_master/drop_load_debtor"))

        # --- bridge from affiliation number to debtor, with history ---------------------------
        moved = _write_bridge(wh, assignments, ids, resolution.evidence, config.accept_score, on)
        # --- evidence of every merge of this run ----------------------------------------------
        evidence = _evidence_frame(resolution.evidence, config.accept_score, on)
        wh.execute(query("debtor_master/delete_match_evidence"), [on])
        if len(evidence):
            import pyarrow as pa

            wh.load_arrow("core.debtor_match_evidence", pa.Table.from_pandas(evidence, preserve_index=False))
        # --- portfolio features per debtor on as_of --------------------------------------------
        _write_portfolio(wh, entities, on)

    report = MasterReport(
        as_of=on.isoformat(), affiliations=affiliations, debtors=len(entities),
        merged_records=affiliations - len(entities), new_debtors=int(new), changed_debtors=int(changed),
        retired_debtors=len(retired), moved_affiliations=moved, evidence_pairs=len(evidence),
        by_rule=resolution.by_rule(), model_trained_on=model_on.isoformat(), model_trained=model is None,
        features_reused=cache.stats.records_cached if cache is not None else 0,
        comparisons_reused=cache.stats.pairs_cached if cache is not None else 0,
        records_resolved=resolved,
    )
    log.info(report.summary())
    return report


#: Golden columns that agency findings may change (recouvra.ingest.master feeds them).
SOURCE_TRACKED = ("address", "city", "region", "phone_1", "phone_2", "email", "legal_rep_name",
                  "activity_status")
_FIELD_COLUMN = {"ADDRESS": "address", "CITY": "city", "PHONE": "phone_1", "EMAIL": "email",
                 "LEGAL_REP": "legal_rep_name", "ACTIVITY_STATUS": "activity_status"}
_LEGAL_STATES = {"LIQUIDATION", "INSOLVENT"}


def _agency_findings(wh: Warehouse, retired: dict[int, int]) -> pd.DataFrame:
    """The latest applied agency finding per debtor and field (closures count as ACTIVITY_STATUS),
    on the debtor ids of this build (merged debtors followed to the one that absorbed them)."""
    import pandas as pd

    rows = wh.query(query("debtor_master/select_agency_findings"))
    found = pd.DataFrame(rows, columns=["debtor_id", "field", "value", "observed", "file", "line"])
    if found.empty:
        return found
    merged = dict(wh.query(query("debtor_master/select_merged_debtors")))
    merged.update(retired)

    def current(debtor: int) -> int:
        for _ in range(20):  # merge chains are short; bounded against a cycle
            if debtor not in merged:
                break
            debtor = int(merged[debtor])
        return debtor

    found["debtor_id"] = [current(int(d)) for d in found["debtor_id"]]
    found = found[found["field"].isin(list(_FIELD_COLUMN))]
    found = found.sort_values(["debtor_id", "field", "observed", "file", "line"])
    return found.drop_duplicates(["debtor_id", "field"], keep="last")


def _overlay_agency_findings(wh: Warehouse, entities: pd.DataFrame, retired: dict[int, int]) -> pd.DataFrame:
    """Keep agency findings in the golden record unless the source changed the field since.

    The source wins only when its value differs from the one it gave at the previous build and its
    records changed after the agency's observation; otherwise the agency's latest applied finding
    stays (so a rebuild never undoes what agencies found). Legal states (liquidation, insolvency)
    from the source are never lifted by an agency.
    """
    import pandas as pd

    from recouvra.normalize import canonical_city

    found = _agency_findings(wh, retired)
    if found.empty:
        return entities
    prev = pd.DataFrame(
        wh.query(query("debtor_master/select_source_golden", columns=", ".join(SOURCE_TRACKED))),
        columns=["debtor_id", *SOURCE_TRACKED],
    ).set_index("debtor_id")
    out = entities.set_index("debtor_id")
    for row in found.itertuples(index=False):
        debtor = int(row.debtor_id)
        if debtor not in out.index:
            continue
        column = _FIELD_COLUMN[row.field]
        src_value = out.at[debtor, column]
        # a missing golden value is NaN in a text column, NULL (None) in prev: both compared as None
        src_value = None if pd.isna(src_value) else src_value
        if debtor in prev.index:
            before = prev.at[debtor, column]
            changed = (None if pd.isna(before) else before) != src_value
        else:
            changed = False
        source_date = out.at[debtor, "source_updated_on"]
        if changed and not pd.isna(source_date) and source_date > row.observed:
            continue  # the fund's own source changed it after the agency saw it
        if column == "activity_status" and src_value in _LEGAL_STATES and row.value not in _LEGAL_STATES:
            continue
        if column == "phone_1" and src_value != row.value:
            out.at[debtor, "phone_2"] = src_value if src_value is not None else out.at[debtor, "phone_2"]
        if column == "city":
            known = canonical_city(row.value)
            if known:
                out.at[debtor, "region"] = known.region
        out.at[debtor, column] = row.value
    return out.reset_index()


def _store_source_golden(wh: Warehouse, source: pd.DataFrame, entities: pd.DataFrame,
                         on: dt.date) -> None:
    frame = source.merge(entities[["debtor_id", "source_updated_on"]], on="debtor_id")
    frame.insert(1, "built_on", on)
    _load(wh, "core.debtor_source_golden", frame[["debtor_id", "built_on", "source_updated_on",
                                                  *SOURCE_TRACKED]])


def _evidence_frame(evidence: pd.DataFrame, accept: float, on: dt.date) -> pd.DataFrame:
    import pandas as pd

    if evidence.empty:
        return pd.DataFrame()
    a = evidence["left_record_id"].astype("str")
    b = evidence["right_record_id"].astype("str")
    out = pd.DataFrame({
        "resolved_on": on,
        "affiliation_no_a": a.where(a < b, b),
        "affiliation_no_b": b.where(a < b, a),
        "rule": evidence["rule"].astype("str"),
        "fields_matched": evidence["matched_fields"].astype("str"),
        "score": [_decimal4(_score01(r, float(s), accept)) for r, s in
                  zip(evidence["rule"], evidence["score"], strict=True)],
        "decision": "MATCH",
    })
    return out.drop_duplicates(["affiliation_no_a", "affiliation_no_b"])


def _decimal4(x: float) -> Any:
    from decimal import Decimal

    return Decimal(f"{x:.4f}")


def _write_bridge(wh: Warehouse, assignments: pd.DataFrame, ids: pd.Series, evidence: pd.DataFrame,
                  accept: float, on: dt.date) -> int:
    """Close the bridge rows whose debtor changed, open new ones; returns affiliations moved."""
    import pandas as pd

    rule = pd.Series("SINGLETON", index=assignments["record_id"])
    score = pd.Series([None] * len(assignments), index=assignments["record_id"], dtype="object")
    if not evidence.empty:
        ev = pd.concat([
            evidence.rename(columns={"left_record_id": "record_id"})[["record_id", "rule", "score"]],
            evidence.rename(columns={"right_record_id": "record_id"})[["record_id", "rule", "score"]],
        ])
        ev["record_id"] = ev["record_id"].astype("str")
        ev["s01"] = [_score01(r, float(s), accept) for r, s in zip(ev["rule"], ev["score"], strict=True)]
        best = ev.sort_values(["record_id", "s01"], ascending=[True, False]).drop_duplicates("record_id")
        best = best.set_index("record_id")
        rule.loc[best.index] = best["rule"].astype("str")
        score.loc[best.index] = [_decimal4(x) for x in best["s01"]]
    new = pd.DataFrame({
        "affiliation_no": assignments["record_id"].to_numpy(),
        "debtor_id": assignments["entity_id"].map(ids).astype("int64").to_numpy(),
        "match_rule": rule.reindex(assignments["record_id"]).to_numpy(),
        "match_score": score.reindex(assignments["record_id"]).to_numpy(),
    })
    current = pd.DataFrame(
        wh.query(query("debtor_master/select_current_bridge_since")),
        columns=["affiliation_no", "old_debtor_id", "valid_from"],
    )
    m = new.merge(current, on="affiliation_no", how="left")
    changed = m[m["old_debtor_id"].isna() | (m["old_debtor_id"] != m["debtor_id"])]
    moved = int(m["old_debtor_id"].notna().sum() - (m["old_debtor_id"] == m["debtor_id"]).sum())
    if changed.empty:
        return moved
    wh.execute(query("debtor_master/create_load_bridge"))
    _load(wh, "core.load_bridge", changed[["affiliation_no", "debtor_id", "match_rule", "match_score"]])
    # A row opened today (an earlier run of the same date) is replaced, not closed.
    wh.execute(query("debtor_master/delete_bridge_opened_on"), [on])
    wh.execute(query("debtor_master/close_bridge_rows"), [on])
    wh.execute(query("debtor_master/insert_bridge_rows"), [on])
    wh.execute(query("debtor_master/drop_load_bridge"))
    return moved


def _placements(wh: Warehouse, on: dt.date) -> pd.DataFrame:
    """Previous placements per debtor before the day ``on``: how many, the last month, its outcome."""
    import pandas as pd

    rows = wh.query(query("debtor_master/select_previous_placements"), [on])
    df = pd.DataFrame(rows, columns=["debtor_id", "month", "dossier_id", "outcome"])
    if df.empty:
        return pd.DataFrame({"debtor_id": pd.Series(dtype="int64"),
                             "previous_placements": pd.Series(dtype="int32"),
                             "last_placement_month": pd.Series(dtype="object"),
                             "last_placement_outcome": pd.Series(dtype="object")})
    df = df.sort_values(["debtor_id", "month", "dossier_id"])
    last = df.drop_duplicates("debtor_id", keep="last").set_index("debtor_id")
    out = df.groupby("debtor_id").size().rename("previous_placements").to_frame()
    out["last_placement_month"] = last["month"]
    out["last_placement_outcome"] = last["outcome"]
    return out.reset_index()


def _write_portfolio(wh: Warehouse, entities: pd.DataFrame, on: dt.date) -> None:
    """Portfolio features of every debtor owing something on the day ``on`` (replaces that date)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    owing = entities[entities["total_open"] > 0].copy(deep=False)
    frame = owing[["debtor_id", *FEATURE_COLUMNS, "activity_status", "region",
                   "affiliations_count"]].copy(deep=False)
    frame.insert(0, "as_of_date", on)
    for c in ("principal_open", "surcharge_open", "penalty_open", "total_open", "paid_12m"):
        frame[c] = frame[c].astype("int64")
    for c in ("unpaid_periods", "payments_12m", "reversals", "plans", "broken_plans", "active_plans",
              "honoured_plans", "open_disputes", "affiliations_count"):
        frame[c] = frame[c].fillna(0).astype("int32")
    frame["title_days_left"] = frame["title_days_left"].astype("Int32")
    frame["in_legal_proceeding"] = frame["in_legal_proceeding"].fillna(False).astype("bool")
    frame["in_insolvency"] = frame["in_insolvency"].fillna(False).astype("bool")
    frame = frame.merge(_placements(wh, on), on="debtor_id", how="left")
    frame["previous_placements"] = frame["previous_placements"].fillna(0).astype("int32")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for c in ("principal_open", "surcharge_open", "penalty_open", "total_open", "paid_12m"):
        # Centimes to MAD, exactly: int64 -> decimal, times 0.01.
        cents = table[c].cast(pa.decimal128(19, 0))
        mad = pc.multiply(cents, pa.scalar(Decimal("0.01"), pa.decimal128(3, 2)))
        table = table.set_column(table.schema.get_field_index(c), c, mad.cast(pa.decimal128(18, 2)))
    wh.execute(query("debtor_master/delete_debtor_portfolio"), [on])
    if table.num_rows:
        wh.load_arrow("core.debtor_portfolio", table)
