"""The match cache gives what a full computation gives: features, comparisons, and nothing when in doubt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recouvra import match_cache
from recouvra.match_cache import COMPARISONS_FILE, FEATURES_FILE, KEY_COLUMN, MatchCache, content_keys
from recouvra.matching import (
    MatchConfig,
    _columns,
    _Compared,
    candidate_pairs,
    compare_pairs,
    prepare_features,
)


def _records() -> pd.DataFrame:
    names = ["Ste Atlas Bois SARL", "Atlas Bois", "Hicham Skalli", "H. Skalli", "Boulangerie Al Amal",
             "Boulangerie Alamal SARL", "Transports Nour", "Nour Transport SA", "Meryem Rifai",
             "Errifai Meriem"]
    rows = []
    for i in range(40):
        name = names[i % len(names)]
        rows.append({
            "record_id": f"{1000 + i}", "affiliation_no": f"{1000 + i}", "name": name,
            "legal_form": "SARL" if "SARL" in name else "",
            "ice": "" if i % 3 else "001525478000088", "rc_number": str(2000 + i % 7) if i % 2 else "",
            "rc_court": "Casablanca" if i % 2 else "", "cin": "BE123456" if i % 10 == 2 else None,
            "address": f"{10 + i % 5} Rue Ibn Sina", "city": ["Casablanca", "Rabat", "Fes", "casa"][i % 4],
            "phone": f"06612345{i % 8:02d}" if i % 4 else "",
            "email": f"contact{i % 6}@atlas.ma" if i % 5 else None,
            "legal_rep_name": ["Karim Bennani", "K. Bennani", "", "Youssef Tazi"][i % 4],
        })
    return pd.DataFrame(rows)


def _next_month(records: pd.DataFrame) -> pd.DataFrame:
    recs = records.copy()
    recs.loc[3, "address"] = "7 Avenue Hassan II"
    recs.loc[4, "city"] = "Agadir"
    recs.loc[5, "phone"] = "0522000000"
    extra = recs.loc[[6]].assign(record_id="2001", affiliation_no="2001", name="Atlas Bois Nouveau")
    return pd.concat([recs, extra], ignore_index=True)


def _sorted(features: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    order = np.argsort(records["record_id"].astype(str).to_numpy(), kind="stable")
    return features.iloc[order].reset_index(drop=True)


def _assert_same(a: _Compared, b: _Compared) -> None:
    assert np.array_equal(a.pairs, b.pairs)
    for group in ("levels", "sims", "same", "differ"):
        x, y = getattr(a, group), getattr(b, group)
        assert x.keys() == y.keys()
        for k in x:
            assert x[k].dtype == y[k].dtype and np.array_equal(x[k], y[k]), (group, k)


def _month(directory: Path | None, records: pd.DataFrame) -> tuple[MatchCache, pd.DataFrame, _Compared]:
    cache = MatchCache(directory)
    feats = cache.features(records)
    pd.testing.assert_frame_equal(feats.drop(columns=[KEY_COLUMN]), prepare_features(records))
    ordered = _sorted(feats, records)
    pairs = candidate_pairs(ordered, MatchConfig())
    columns = _columns(ordered)
    got = cache.compare(ordered, pairs, columns)
    _assert_same(got, compare_pairs(ordered, pairs, columns))
    return cache, ordered, got


def test_a_month_reuses_what_did_not_change_and_gives_the_full_answer(tmp_path: Path) -> None:
    first, _, compared = _month(tmp_path, _records())
    assert (first.stats.records_cached, first.stats.pairs_cached) == (0, 0)
    assert len(compared.pairs) > 20
    second, _, _ = _month(tmp_path, _next_month(_records()))
    assert second.stats.records_cached == 40 - 3  # three changed, one new
    assert 0 < second.stats.pairs_cached < second.stats.pairs
    third, _, _ = _month(tmp_path, _next_month(_records()))  # the same month again: all from the cache
    assert (third.stats.records_cached, third.stats.pairs_cached) == (41, third.stats.pairs)


def test_content_keys_follow_the_columns_the_features_read() -> None:
    recs = _records()
    keys = content_keys(recs)
    assert len(set(keys.tolist())) == len(recs)
    same = recs.assign(record_id=[f"X{i}" for i in range(len(recs))], recency="2026-11-30")
    assert np.array_equal(content_keys(same), keys)  # record_id and other columns are not read
    moved = recs.copy()
    moved.loc[0, "city"] = "Rabat"
    assert (content_keys(moved) != keys).tolist() == [True] + [False] * (len(recs) - 1)


def test_a_hash_clash_is_a_miss_not_a_wrong_answer(tmp_path: Path) -> None:
    _month(tmp_path, _records())
    path = tmp_path / COMPARISONS_FILE
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["b"] = arrays["b"] + np.uint64(1)  # every entry's hash now points at the wrong second record
    with path.open("wb") as fh:
        np.savez(fh, **arrays)
    cache, _, _ = _month(tmp_path, _records())
    assert cache.stats.pairs_cached == 0 and cache.stats.records_cached == 40


@pytest.mark.parametrize("damage", ["missing", "garbage", "other code"])
def test_a_cache_in_doubt_is_ignored(tmp_path: Path, damage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _month(tmp_path, _records())
    if damage == "other code":
        monkeypatch.setattr(match_cache, "code_fingerprint", lambda: "another version")
    for name in (FEATURES_FILE, COMPARISONS_FILE):
        if damage == "missing":
            (tmp_path / name).unlink()
        elif damage == "garbage":
            (tmp_path / name).write_bytes(b"PAR1 not really")
    cache, _, _ = _month(tmp_path, _next_month(_records()))
    assert (cache.stats.records_cached, cache.stats.pairs_cached) == (0, 0)
    assert cache.stats.notes


def test_no_directory_reads_and_writes_nothing_and_a_failed_write_is_no_error(tmp_path: Path) -> None:
    cache, _, _ = _month(None, _records())
    assert cache.stats.records_cached == 0
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    _month(blocked / "cache", _records())  # cannot be written: logged, the month's answer stands
    assert not (blocked / "cache").exists()
    assert not list(tmp_path.glob("**/*.tmp"))



def test_features_are_written_and_read_a_slice_and_a_column_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    monkeypatch.setattr(match_cache, "FEATURES_SLICE", 7)
    _month(tmp_path, _records())  # asserts the features equal a fresh computation's
    assert pq.ParquetFile(tmp_path / FEATURES_FILE).metadata.num_row_groups == 6  # 40 records by 7
    # read back a column at a time, the missing cells' None and NaN kept apart: the same frame
    cache, _, _ = _month(tmp_path, _next_month(_records()))
    assert cache.stats.records_cached == 37


def test_a_features_file_that_fails_half_way_is_computed_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _month(tmp_path, _records())

    def broken(*_args: object, **_kwargs: object) -> pd.DataFrame:
        raise OSError("read error")

    monkeypatch.setattr(MatchCache, "_read_cached_rows", broken)
    cache, _, _ = _month(tmp_path, _next_month(_records()))  # asserts the full answer
    assert cache.stats.records_cached == 0 and "features file unreadable: ignored" in cache.stats.notes
