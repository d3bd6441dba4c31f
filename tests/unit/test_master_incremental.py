"""A month of the debtor master costs what changed, and gives what a full rebuild gives.

A seeded portfolio is built on 1 November (the model trained and stored, the match cache written);
1 December brings new employers, changed ones, a new record joining two entities and employers who
moved (address, city, phone). Built from the cache (features, and last month's resolution: only the
records the changes reach are resolved again), the month's tables equal, row for row, those of a full
rebuild scoring with the same stored model, but for the scores in the evidence of untouched entities
(``assert_same_master``); a missing or corrupt cache or state falls back to computing everything;
``retrain`` trains a new model; re-running a month changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from recouvra import debtor_master
from recouvra.config import load_settings
from recouvra.debtor_master import build_debtor_master, read_inputs
from recouvra.lake import TABLES
from recouvra.match_cache import COMPARISONS_FILE, EVIDENCE_FILE, FEATURES_FILE, STATE_FILE, MatchCache
from recouvra.matching import prepare_features
from recouvra.portfolio import extract_snapshot, gate_and_publish
from recouvra.standins.generator import seed_source
from recouvra.warehouse import connect, migrate_connection

NOVEMBER, DECEMBER = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
#: The master's tables a month writes (timestamps of the build aside).
TABLES_COMPARED = ("core.dim_debtor", "core.debtor_history", "core.bridge_affiliation_debtor",
                   "core.debtor_match_evidence", "core.debtor_portfolio", "core.debtor_source_golden")


def _december(records: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """November's employers one month on: new, changed, joined and moved ones (what changed, for the
    assertions)."""
    recs = records.copy().reset_index(drop=True)
    feats = prepare_features(recs)
    # moved: a new address, another city and a new phone
    moved = recs.index[10:16]
    recs.loc[moved, "address"] = [f"{i} Boulevard Nouveau" for i in range(len(moved))]
    recs.loc[moved, "city"] = "Agadir"
    recs.loc[moved, "phone"] = [f"06610000{i:02d}" for i in range(len(moved))]
    # changed: an e-mail and a manager's name
    changed = recs.index[20:24]
    recs.loc[changed, "email"] = [f"contact{i}@exemple.ma" for i in range(len(changed))]
    recs.loc[changed, "legal_rep_name"] = "Karim Bennani"
    # joined: a new record with A's ICE (joins A, no name needed) and B's RC number, court and name
    # (joins B); B has no ICE root nor CIN that could veto it
    with_ice = feats.index[feats["ice_root"].notna() & feats["cin"].isna()]
    rc_only = feats.index[feats["rc_key"].notna() & feats["ice_root"].isna() & feats["cin"].isna()
                          & feats["name_clean"].notna()]
    a, b = int(with_ice[40]), int(rc_only[40])
    joiner = recs.loc[[b]].copy()
    joiner["record_id"] = joiner["affiliation_no"] = "9990000001"
    joiner["ice"] = recs.at[a, "ice"]
    joiner[["phone", "phone_2", "email", "cin"]] = None
    # new employers: names, numbers and contacts not seen before
    new = recs.loc[recs.index[30:35]].copy()
    new["record_id"] = new["affiliation_no"] = [f"99900001{i:02d}" for i in range(len(new))]
    new["name"] = [f"Nouvelle Entreprise Zenith {chr(65 + i)}" for i in range(len(new))]
    new[["ice", "rc_number", "rc_court", "cin", "email", "legal_rep_name"]] = None
    new["phone"] = [f"05220000{i:02d}" for i in range(len(new))]
    recs = pd.concat([recs, joiner, new], ignore_index=True)
    return recs, {"a": recs.at[a, "affiliation_no"], "b": recs.at[b, "affiliation_no"],
                  "moved": recs.loc[moved, "affiliation_no"].tolist(), "new": new["affiliation_no"].tolist()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("incremental")
    url = f"sqlite:///{root / 'source.db'}"
    seed_source(load_settings(), scale=1200, seed=11, url=url, truth_dir=root / "truth", progress=False)
    lake = root / "lake"
    high = dt.datetime.combine(NOVEMBER, dt.time())
    snaps = [extract_snapshot(url, lake, t, NOVEMBER, high, "seed") for t in TABLES]
    gate_and_publish(url, lake, root / "gx", snaps, "seed")
    records, features = read_inputs(lake, NOVEMBER, 4)
    december, what = _december(records)
    return {"lake": lake, "inputs": {NOVEMBER: (records, features), DECEMBER: (december, features)},
            "what": what}


@pytest.fixture
def months(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The lake's November and the edited December, read by the master as its inputs of each day."""
    inputs = world["inputs"]

    def read(_lake: Path, on: dt.date, _years: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        records, features = inputs[on]
        return records.copy(), features.copy()

    monkeypatch.setattr(debtor_master, "read_inputs", read)
    return world


def _columns(wh: Any, table: str) -> list[str]:
    schema, name = table.split(".")
    rows = wh.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? "
                    "AND table_name = ? ORDER BY ordinal_position", [schema, name])
    return [c for c, t in rows if not str(t).upper().startswith("TIMESTAMP")]


def snapshot(wh: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the master's tables, build timestamps aside, in a stable order."""
    out = {}
    for table in TABLES_COMPARED:
        cols = _columns(wh, table)
        rows = wh.query(f"SELECT {', '.join(cols)} FROM {table}")
        out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out


Tables = dict[str, list[tuple[Any, ...]]]


def assert_same_master(incremental: Tables, full: Tables) -> None:
    """An incremental month's tables equal a full rebuild's, row for row, but for the scores in the
    evidence of the entities the month did not reach: that evidence is the one that linked them, scored
    in the month they were linked (same pairs, rules and fields); a score moves only with the
    portfolio's size (the term frequencies are shares of it), by less than a thousandth here."""
    for table in TABLES_COMPARED:
        if table != "core.debtor_match_evidence":
            assert incremental[table] == full[table], table
    evidence_inc, evidence_full = (sorted(t["core.debtor_match_evidence"], key=lambda r: r[:3])
                                   for t in (incremental, full))
    # the fields' weights, written to a tenth, may round the other way when they moved by a thousandth
    assert [r[:4] + (_WEIGHT.sub("", r[4]),) + r[6:] for r in evidence_inc] == \
        [r[:4] + (_WEIGHT.sub("", r[4]),) + r[6:] for r in evidence_full]
    for a, b in zip(evidence_inc, evidence_full, strict=True):
        assert abs(a[5] - b[5]) < Decimal("0.001")
        for x, y in zip(_WEIGHT.findall(a[4]), _WEIGHT.findall(b[4]), strict=True):
            assert abs(float(x) - float(y)) <= 0.1 + 1e-9, (a, b)


#: a field's match weight in the evidence's fields text (``name=exact:+6.1``)
_WEIGHT = re.compile(r"(?<=:)[+-]\d+\.\d")


def _build(url: str, cache: Path | None, **december: Any) -> tuple[dict[str, list[tuple[Any, ...]]], Any]:
    with connect(url) as wh:
        migrate_connection(wh)
        build_debtor_master(wh, Path("lake"), NOVEMBER, match_cache=cache)
        report = build_debtor_master(wh, Path("lake"), DECEMBER, match_cache=cache, **december)
        return snapshot(wh), report


@contextlib.contextmanager
def _november(tmp_path: Path, cache: Path) -> Iterator[Any]:
    """A warehouse with November built with the match cache ``cache``, December not yet."""
    with connect(f"duckdb:///{tmp_path / 'inc.duckdb'}") as wh:
        migrate_connection(wh)
        build_debtor_master(wh, Path("lake"), NOVEMBER, match_cache=cache)
        yield wh


def test_a_month_from_the_cache_equals_a_full_rebuild_row_for_row(
    months: dict[str, Any], tmp_path: Path
) -> None:
    full, full_report = _build(f"duckdb:///{tmp_path / 'full.duckdb'}", None)
    cache = tmp_path / "cache"
    incremental, report = _build(f"duckdb:///{tmp_path / 'inc.duckdb'}", cache)
    assert (cache / FEATURES_FILE).exists() and (cache / COMPARISONS_FILE).exists()
    # December scored with November's stored model, and took most of its work from the cache
    assert (report.model_trained, report.model_trained_on) == (False, NOVEMBER.isoformat())
    assert (full_report.model_trained, full_report.features_reused) == (False, 0)
    n = report.affiliations
    changed = len(months["what"]["moved"]) + 4 + 1 + len(months["what"]["new"])
    assert report.features_reused == n - changed
    # only the part of the portfolio the changes reach was resolved again
    assert report.records_resolved is not None and changed <= report.records_resolved < n // 4
    assert full_report.records_resolved is None
    assert_same_master(incremental, full)
    # the month's changes are in it: the joining record put A and B under one debtor, new ones are debtors
    with connect(f"duckdb:///{tmp_path / 'inc.duckdb'}") as wh:
        what = months["what"]
        ids = dict(wh.query("SELECT affiliation_no, debtor_id FROM core.bridge_affiliation_debtor "
                            "WHERE is_current AND affiliation_no IN (?, ?, ?)",
                            [what["a"], what["b"], "9990000001"]))
        assert len(ids) == 3 and len(set(ids.values())) == 1
        assert report.retired_debtors >= 1
        cities = {r[0] for r in wh.query(
            "SELECT d.city FROM core.dim_debtor d JOIN core.bridge_affiliation_debtor b "
            "ON b.debtor_id = d.debtor_id AND b.is_current WHERE b.affiliation_no = ?", [what["moved"][0]])}
        assert cities == {"Agadir"}
    assert report.new_debtors >= len(months["what"]["new"])


@pytest.mark.parametrize("damage", ["missing", "corrupt", "truncated"])
def test_a_missing_or_corrupt_cache_means_a_full_computation(
    months: dict[str, Any], tmp_path: Path, damage: str
) -> None:
    full, _ = _build(f"duckdb:///{tmp_path / 'full.duckdb'}", None)
    cache = tmp_path / "cache"
    with _november(tmp_path, cache) as wh:
        for name in (FEATURES_FILE, COMPARISONS_FILE, STATE_FILE, EVIDENCE_FILE):
            path = cache / name
            if damage == "missing":
                path.unlink()
            elif damage == "corrupt":
                path.write_bytes(b"not a cache file")
            else:
                path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        report = build_debtor_master(wh, Path("lake"), DECEMBER, match_cache=cache)
        assert (report.features_reused, report.comparisons_reused, report.records_resolved) == (0, 0, None)
        assert snapshot(wh) == full
    # and the month wrote a good cache again
    again = MatchCache(cache)
    again.features(months["inputs"][DECEMBER][0])
    assert again.stats.records_cached == report.affiliations


@pytest.mark.parametrize("damage", ["state missing", "evidence of another build", "other model"])
def test_a_month_without_last_month_s_resolution_resolves_everything(
    months: dict[str, Any], tmp_path: Path, damage: str
) -> None:
    """The state an incremental month starts from must be whole and of the model it scores with."""
    full, _ = _build(f"duckdb:///{tmp_path / 'full.duckdb'}", None)
    cache = tmp_path / "cache"
    with _november(tmp_path, cache) as wh:
        state = MatchCache(cache).load_state()
        assert state is not None and (state.on, state.model_on) == (NOVEMBER, NOVEMBER)
        assert len(state.records) == months["inputs"][NOVEMBER][0].shape[0]
        parts = (state.records, state.evidence, state.golden)
        if damage == "state missing":
            (cache / STATE_FILE).unlink()
        elif damage == "evidence of another build":
            kept = (cache / EVIDENCE_FILE).read_bytes()
            MatchCache(cache).save_state(NOVEMBER, NOVEMBER, *parts)
            assert MatchCache(cache).load_state() is not None  # one build's files: readable
            (cache / EVIDENCE_FILE).write_bytes(kept)  # a build killed between its files
        else:
            MatchCache(cache).save_state(NOVEMBER, dt.date(2026, 10, 1), *parts)
        report = build_debtor_master(wh, Path("lake"), DECEMBER, match_cache=cache)
        assert report.records_resolved is None
        assert snapshot(wh) == full


def test_full_rebuild_ignores_the_cache_and_rewrites_it(months: dict[str, Any], tmp_path: Path) -> None:
    full, _ = _build(f"duckdb:///{tmp_path / 'full.duckdb'}", None)
    cache = tmp_path / "cache"
    rebuilt, report = _build(f"duckdb:///{tmp_path / 'inc.duckdb'}", cache, full_rebuild=True)
    assert (report.features_reused, report.comparisons_reused) == (0, 0)
    assert rebuilt == full
    again = MatchCache(cache)
    again.features(months["inputs"][DECEMBER][0])
    assert again.stats.records_cached == report.affiliations


def test_retrain_trains_and_stores_a_new_model(months: dict[str, Any], tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    _, report = _build(url, tmp_path / "cache", retrain=True)
    assert (report.model_trained, report.model_trained_on) == (True, DECEMBER.isoformat())
    with connect(url) as wh:
        trained = wh.query("SELECT trained_on FROM core.match_model ORDER BY 1")
        assert [r[0] for r in trained] == [NOVEMBER, DECEMBER]
        levels = wh.query("SELECT count(*) FROM core.match_model_level GROUP BY trained_on")
        assert [r[0] for r in levels] == [levels[0][0]] * 2 and levels[0][0] > 20
        # the stored model is the one trained: loading it back scores as the trained one did
        loaded = debtor_master.load_match_model(wh, DECEMBER)
        assert loaded is not None and loaded[1] == DECEMBER
        assert 0 < loaded[0].lam < 1
        # how often namesakes share a mailbox is kept with the model (a company's support reads it)
        stored = wh.query("SELECT namesakes_mail_share FROM core.match_model WHERE trained_on = ?",
                          [DECEMBER])
        assert stored[0][0] is not None and 0 < stored[0][0] <= 1
        assert loaded[0].namesakes_mail_share == stored[0][0]
        # a model stored before V038 kept none: read as 1, the e-mail no company's support
        wh.execute("UPDATE core.match_model SET namesakes_mail_share = NULL")
        before = debtor_master.load_match_model(wh, DECEMBER)
        assert before is not None and before[0].namesakes_mail_share == 1.0


def test_re_running_a_month_changes_nothing_and_takes_everything_from_the_cache(
    months: dict[str, Any], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    first, _ = _build(url, cache)
    with connect(url) as wh:
        again = build_debtor_master(wh, Path("lake"), DECEMBER, match_cache=cache)
        assert (again.new_debtors, again.changed_debtors, again.moved_affiliations) == (0, 0, 0)
        assert again.features_reused == again.affiliations
        assert snapshot(wh) == first
        assert wh.query("SELECT count(*) FROM core.match_model")[0][0] == 1


def test_the_command_line_builds_a_day_with_the_switches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from recouvra import cli

    calls: list[dict[str, Any]] = []

    def build(_wh: Any, lake: Path, on: dt.date, **kw: Any) -> Any:
        calls.append({"lake": lake, "on": on, **kw})
        return debtor_master.MasterReport(on.isoformat(), 1, 1, 0, 1, 0, 0, 0, 0)

    monkeypatch.setattr(debtor_master, "build_debtor_master", build)
    monkeypatch.setenv("RECOUVRA__STORAGE__WAREHOUSE_URL", f"duckdb:///{tmp_path / 'wh.duckdb'}")
    monkeypatch.setenv("RECOUVRA__STORAGE__MATCH_CACHE_DIR", str(tmp_path / "mc"))
    assert cli.main(["master", "build", "--date", "2026-12-01", "--retrain"]) == 0
    assert cli.main(["master", "build", "--date", "2026-12-01", "--full"]) == 0
    assert [(c["on"], c["retrain"], c["full_rebuild"], c["match_cache"]) for c in calls] == [
        (DECEMBER, True, False, tmp_path / "mc"), (DECEMBER, False, True, tmp_path / "mc")]
    assert "debtor master 2026-12-01" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["master", "build", "--date", "December"])
