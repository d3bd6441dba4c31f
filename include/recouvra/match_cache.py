"""What a month of entity resolution can take from the month before: features and comparisons by content.

A steady month changes a few percent of the employers; the rest are the same records as last month.
Two results of :mod:`recouvra.matching` depend on a record's content alone, so they are memoised by a
*content key* (a 64-bit hash of the record's :data:`~recouvra.matching.FEATURE_INPUTS`, exactly as
``prepare_record_features`` reads them):

- the normalized features of a record (:func:`recouvra.matching.prepare_record_features`), keyed by
  its content key: a month normalizes only its new and changed records;
- the comparison of a candidate pair (:class:`recouvra.matching._Compared`: the fields' levels and
  the legal representatives' similarity), keyed by the content keys of its two records in the pair's
  order: only pairs with a new or changed side are compared again.

What depends on the whole portfolio is recomputed every month: the term frequencies
(:func:`recouvra.matching.add_term_frequencies`, a group count), the candidate pairs (blocks and
sorted windows), the scores and the clustering. So a month with the cache gives what a full
computation gives, entry for entry (``tests/unit/test_master_incremental.py``).

The cache is two files in a directory (``storage.match_cache_dir``), each written to a temporary file
and renamed over the old one, so a killed build leaves the previous file or the new one, never half a
file. Every entry is a function of its key, so an old features file beside a new comparisons file is
still right. Each file carries the fingerprint of the code and libraries that computed it
(:func:`code_fingerprint`); a file that is missing, unreadable or of another fingerprint is ignored:
that month computes everything, never a wrong answer. Each file is written as soon as the month's
entries are computed (features before blocking, comparisons before scoring), not after the warehouse
commit: an entry is right whatever the build does next, and holding the month's comparisons until the
end cost a second copy of them through clustering and golden records (8.5 GiB peak at L, against
5.1 GiB without the cache). After a build the files hold the entries of that month's records and
candidate pairs only (the cache does not grow with time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import pandas as pd

    from recouvra.matching import _Column, _Compared

log = logging.getLogger(__name__)

FEATURES_FILE = "features.parquet"
COMPARISONS_FILE = "comparisons.npz"
#: The last month's resolution (record, content key, entity) and its merges' evidence: what an
#: incremental month starts from (:meth:`MatchCache.load_state`).
STATE_FILE = "resolution.parquet"
EVIDENCE_FILE = "evidence.parquet"
#: The golden record of each entity of that month (recouvra.matching.build_golden_records).
GOLDEN_FILE = "golden.parquet"
#: The features column carrying each record's content key (resolve keeps it with the features).
KEY_COLUMN = "content_key"
# 2: content keys hashed column-wise, the month's resolution kept; 3: comparisons without the
# same/differ flags (read from the columns' codes) and the names' and addresses' similarities
_FORMAT = "recouvra-match-cache/3"
_NONE_FLAG = "none:"  # prefix of the flag columns of the features file (see _save_features)
#: Records per slice of the features file as it is written (one row group each).
FEATURES_SLICE = 100_000
# multiplier of the pair hash (odd, 64 bits): packs two content keys into one sortable integer
_PAIR_MIX = 0x9E3779B97F4A7C15


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of what computes the cached entries: the matching and normalizing code, the city list,
    the libraries' versions. A cache written by other code is not used."""
    import numpy
    import pandas
    import phonenumbers
    import rapidfuzz

    from recouvra import matching, normalize
    from recouvra.config import config_dir

    h = hashlib.sha256(_FORMAT.encode())
    for module in (matching, normalize):
        h.update(Path(str(module.__file__)).read_bytes())
    cities = Path(config_dir()) / "cities.yaml"
    if cities.exists():
        h.update(cities.read_bytes())
    for lib in (numpy, pandas, rapidfuzz, phonenumbers):
        h.update(f"{lib.__name__}={getattr(lib, '__version__', '?')}".encode())
    return h.hexdigest()


def content_keys(records: pd.DataFrame) -> np.ndarray:
    """One 64-bit key per record from the columns ``prepare_record_features`` reads, as it reads them
    (text, a missing column empty): records with equal keys have equal features."""
    import numpy as np
    import pandas as pd

    from recouvra.matching import FEATURE_INPUTS

    df = records.reindex(columns=list(FEATURE_INPUTS), fill_value="").astype("str").fillna("")
    # each column hashed by pandas' SipHash with its fixed key (deterministic across runs and
    # processes), its distinct values once, and the columns' hashes combined per row: five times faster
    # than hashing each row's cells joined into one text (1.0 -> 0.2 s at M), and a value cannot run
    # into the next column's
    hashed = pd.util.hash_pandas_object(df, index=False, categorize=True)
    return np.asarray(hashed, dtype=np.uint64)


def _pair_hash(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    import numpy as np

    with np.errstate(over="ignore"):
        return cast("np.ndarray", a * np.uint64(_PAIR_MIX) + b)


def _pair_hashes(keys: np.ndarray, pairs: np.ndarray, chunk: int = 1_000_000) -> np.ndarray:
    """:func:`_pair_hash` of each pair's two records' keys, a chunk of pairs at a time (the keys of
    every pair are not held at once)."""
    import numpy as np

    out = np.empty(len(pairs), dtype=np.uint64)
    for a in range(0, len(pairs), chunk):
        part = pairs[a : a + chunk]
        out[a : a + len(part)] = _pair_hash(keys[part[:, 0]], keys[part[:, 1]])
    return out


def _given(values: np.ndarray) -> Callable[[], np.ndarray]:
    return lambda: values


def _write_atomically(path: Path, write: Any) -> None:
    """``write(tmp)`` then rename over ``path``: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass
class ResolutionState:
    """A month's resolution as an incremental month reads it: each record's content key and entity,
    the evidence of the merges, the day it was built on and the day its model was trained."""

    on: dt.date
    model_on: dt.date
    records: pd.DataFrame  # record_id (str), content_key (uint64), version (str), entity_id (str)
    evidence: pd.DataFrame  # recouvra.matching.EVIDENCE_COLUMNS
    #: reads the golden records (one per entity, build_golden_records) when asked: a month needs them
    #: only once it is resolved (held through the resolution, 0.25 GB at L)
    read_golden: Callable[[], pd.DataFrame]

    @property
    def golden(self) -> pd.DataFrame:
        return self.read_golden()


@dataclass
class CacheStats:
    """What one month took from the cache and what it computed."""

    records: int = 0
    records_cached: int = 0
    pairs: int = 0
    pairs_cached: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"match cache: {self.records_cached:,}/{self.records:,} records' features and "
                f"{self.pairs_cached:,}/{self.pairs:,} pair comparisons reused"
                + (f" ({'; '.join(self.notes)})" if self.notes else ""))


class MatchCache:
    """Features and comparisons of one portfolio by content, read from and written to ``directory``.

    Use: ``features = cache.features(records)`` (the full features, term frequencies and the
    :data:`KEY_COLUMN` included), ``resolve(records, features=features, compare=cache.compare)``;
    each writes its file as soon as it has computed the month's entries. ``directory=None``: nothing
    is read or written (a full computation that still goes through the same code); ``read=False``:
    nothing is read, the files are written afresh."""

    def __init__(self, directory: Path | None, *, read: bool = True):
        self.directory = directory
        self.read = read  # False: compute everything (a full rebuild), then write the files afresh
        self.stats = CacheStats()

    # ------------------------------------------------------------------------------- reading

    def _ignored(self, path: Path | None, what: str, exc: Exception) -> None:
        """An unreadable cache file is ignored (what it held is computed afresh): logged and noted."""
        log.warning("match cache %s unreadable, ignored: %s", path, exc)
        self.stats.notes.append(f"{what} unreadable: ignored")

    def _open_features(self) -> Any:
        """The features file as a ``pyarrow.parquet.ParquetFile`` (read a column at a time by
        :meth:`features`), or None when there is none, it is unreadable or other code wrote it."""
        if self.directory is None or not self.read:
            return None
        path = self.directory / FEATURES_FILE
        if not path.exists():
            self.stats.notes.append("no features file")
            return None
        try:
            import pyarrow.parquet as pq

            file = pq.ParquetFile(path)
            meta = file.schema_arrow.metadata or {}
            if meta.get(b"fingerprint", b"").decode() != code_fingerprint():
                self.stats.notes.append("features written by other code: ignored")
                return None
            return file
        except Exception as exc:  # any unreadable file means: compute everything
            self._ignored(path, "features file", exc)
            return None

    def _read_cached_rows(self, file: Any, names: list[str], used: np.ndarray,
                          reference: pd.DataFrame) -> pd.DataFrame:
        """Rows ``used`` of the features file in the dtypes of ``reference`` (a fresh computation),
        read one column at a time: the whole file is never held as Arrow data beside its pandas copy
        (at L that pair took a steady month from 2.4 to 5.2 GB)."""
        import numpy as np
        import pandas as pd
        import pyarrow as pa

        take = pa.array(used)
        out: dict[str, Any] = {}
        for col in [KEY_COLUMN, *reference.columns]:
            values = file.read(columns=[col]).column(0).take(take).to_pandas()
            if col == KEY_COLUMN:
                out[col] = values.to_numpy(dtype=np.uint64)
                continue
            none = None
            if _NONE_FLAG + col in names:
                none = file.read(columns=[_NONE_FLAG + col]).column(0).take(take).to_numpy(
                    zero_copy_only=False).astype(bool)
            out[col] = _as_dtype(values, reference[col].dtype, none)
            del values
        return pd.DataFrame(out)

    def _read_comparisons(self) -> dict[str, np.ndarray] | None:
        if self.directory is None or not self.read:
            return None
        path = self.directory / COMPARISONS_FILE
        if not path.exists():
            self.stats.notes.append("no comparisons file")
            return None
        try:
            import numpy as np

            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            if str(arrays.pop("fingerprint")) != code_fingerprint():
                self.stats.notes.append("comparisons written by other code: ignored")
                return None
            n = len(arrays["hash"])
            if any(len(v) != n for v in arrays.values()):
                raise ValueError("arrays of different lengths")
            return arrays
        except Exception as exc:  # any unreadable file means: compute everything
            self._ignored(path, "comparisons file", exc)
            return None

    # ------------------------------------------------------------------------------ features

    def features(self, records: pd.DataFrame) -> pd.DataFrame:
        """:func:`recouvra.matching.prepare_features` of ``records`` (same index), plus
        :data:`KEY_COLUMN`; only records whose content is not in the cache are normalized."""
        import numpy as np
        import pandas as pd

        from recouvra.matching import add_term_frequencies, prepare_record_features, release_memory

        keys = content_keys(records)
        self.stats.records = len(records)
        file = self._open_features()
        # the dtypes a fresh computation gives (pandas infers some from the values): cached rows are
        # brought to them, so the assembled frame is the one a full computation makes
        reference = prepare_record_features(records.iloc[:1]) if len(records) else None
        found = np.zeros(len(records), dtype=bool)
        at = np.full(len(records), -1, dtype=np.int64)
        names: list[str] = [] if file is None else list(file.schema_arrow.names)
        if file is not None and reference is not None and names[:1] == [KEY_COLUMN] and (
            [c for c in names[1:] if not c.startswith(_NONE_FLAG)] == list(reference.columns)
        ):
            try:
                cached_keys = file.read(columns=[KEY_COLUMN]).column(0).to_numpy().astype(np.uint64)
            except Exception as exc:  # any unreadable file means: compute everything
                self._ignored(self.directory, "features file", exc)
                file = None
            else:
                index = pd.Index(cached_keys)
                if index.is_unique:
                    at = index.get_indexer(keys)
                    found = at >= 0
        parts = []
        if file is not None and found.any():
            assert reference is not None
            try:
                parts.append(self._read_cached_rows(file, names, np.unique(at[found]), reference))
            except Exception as exc:  # unreadable after all: every record is computed afresh
                self._ignored(self.directory, "features file", exc)
                found[:] = False
            release_memory()
        self.stats.records_cached = int(found.sum())
        fresh_rows = np.flatnonzero(~found)
        # one computation per distinct content among the records not found
        _, first = np.unique(keys[fresh_rows], return_index=True)
        fresh_rows = fresh_rows[np.sort(first)]
        fresh = prepare_record_features(records.iloc[fresh_rows])
        fresh.insert(0, KEY_COLUMN, keys[fresh_rows])
        if len(fresh):
            parts.append(fresh.reset_index(drop=True))
        table = (pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]) if parts else fresh
        self._write(self._save_features, table)
        position = pd.Index(table[KEY_COLUMN].to_numpy(dtype=np.uint64)).get_indexer(keys)
        out = table.iloc[position].drop(columns=[KEY_COLUMN]).set_axis(records.index)
        del table, parts, fresh  # ``out`` holds every row again in the records' order (0.55 GB at L)
        release_memory()
        out = add_term_frequencies(out)
        out[KEY_COLUMN] = keys
        return out

    # ---------------------------------------------------------------------------- comparisons

    def compare(self, features: pd.DataFrame, pairs: np.ndarray, columns: dict[str, _Column]) -> _Compared:
        """:func:`recouvra.matching.compare_pairs` of ``pairs``, taking each pair whose two records'
        contents (in the pair's order) were compared before from the cache."""
        import numpy as np

        from recouvra.matching import _Compared, compare_pairs

        keys = features[KEY_COLUMN].to_numpy(dtype=np.uint64)
        self.stats.pairs = len(pairs)
        cached = self._read_comparisons()
        found = np.zeros(len(pairs), dtype=bool)
        at = np.zeros(0, dtype=np.int64)  # where each pair's entry is in the file (only with a file)
        if cached is not None and len(cached["hash"]):
            ka, kb = keys[pairs[:, 0]], keys[pairs[:, 1]]
            h = _pair_hash(ka, kb)
            # the file keeps the month's order (no sorted copy of every array); its hashes sorted here
            by_hash = np.argsort(cached["hash"], kind="stable")
            # the month's hashes looked up in their own sorted order, then put back: a binary search
            # per pair in random order missed the CPU cache at every step (45 s for 18 M pairs at L;
            # sorted, the searches walk forward: about 5 s with both sorts)
            queries = np.argsort(h, kind="stable")
            pos = np.empty(len(h), dtype=np.int64)
            pos[queries] = np.searchsorted(cached["hash"][by_hash], h[queries])
            at = by_hash[np.minimum(pos, len(by_hash) - 1)]
            del by_hash, pos, queries
            # the hash finds the entry, the two keys prove it (a clash of hashes is a miss, not an error)
            found = (cached["hash"][at] == h) & (cached["a"][at] == ka) & (cached["b"][at] == kb)
            # the pairs' keys are made again for the file once the comparisons are done: not held
            # through them (0.4 GB at L's 18 M pairs)
            del ka, kb, h
        self.stats.pairs_cached = int(found.sum())
        some_cached = cached is not None and bool(found.any())
        # nothing from the cache (a first month): the pairs themselves are compared, no list of the
        # pairs to do and no copy of them (0.4 GB at L's 18 M pairs)
        todo = np.flatnonzero(~found) if some_cached else None
        asked = pairs if todo is None else pairs[todo]
        fresh = compare_pairs(features, asked, columns) if len(asked) else None
        del asked
        groups: dict[str, dict[str, np.ndarray]] = {"levels": {}, "sims": {}}
        reference = fresh or (compare_pairs(features, pairs[:0], columns))
        for g, arrays in groups.items():
            # one array at a time, each source array dropped once used: the month's comparisons are
            # held about once, not once fresh, once cached and once assembled
            for name in list(getattr(reference, g)):
                part = getattr(fresh, g).pop(name) if fresh is not None else None
                if part is not None and not some_cached:
                    arrays[name] = part  # nothing came from the cache: the fresh array is the answer
                    continue
                ref = part if part is not None else getattr(reference, g)[name]
                out = np.empty(len(pairs), dtype=ref.dtype)
                if some_cached:
                    assert cached is not None
                    out[found] = cached.pop(f"{g}:{name}")[at[found]]
                if part is not None:
                    assert todo is not None  # some came from the cache, the rest is ``todo``
                    out[todo] = part
                arrays[name] = out
                del part, out
        del cached, fresh, reference  # the month's comparisons are now held once, in ``groups``
        # written now, not after the build: the file holds entries by content, right whatever the
        # build does next. The pairs' keys and hashes are made as each is written, one array at a
        # time (the three together held 0.44 GB more at L's 18 M pairs)
        store: dict[str, Callable[[], np.ndarray]] = {
            "hash": lambda: _pair_hashes(keys, pairs),
            "a": lambda: keys[pairs[:, 0]],
            "b": lambda: keys[pairs[:, 1]],
        }
        for g, arrays in groups.items():
            store.update({f"{g}:{name}": _given(values) for name, values in arrays.items()})
        self._write(self._save_comparisons, store)
        del store
        return _Compared(pairs, groups["levels"], groups["sims"], columns)

    # ----------------------------------------------------------------------- the month's state

    def load_state(self) -> ResolutionState | None:
        """The resolution the last build saved (:meth:`save_state`), or None when there is none, it is
        unreadable, other code wrote it, or its two files are not of one build."""
        if self.directory is None or not self.read:
            return None
        paths = [self.directory / name for name in (STATE_FILE, EVIDENCE_FILE, GOLDEN_FILE)]
        if not all(p.exists() for p in paths):
            self.stats.notes.append("no resolution state")
            return None
        try:
            import pyarrow.parquet as pq

            tables = [pq.read_table(p) for p in paths[:2]]
            metas = [t.schema.metadata or {} for t in tables] + [pq.read_schema(paths[2]).metadata or {}]
            meta = metas[0]
            if meta.get(b"fingerprint", b"").decode() != code_fingerprint():
                self.stats.notes.append("resolution state written by other code: ignored")
                return None
            if len({m.get(b"build") for m in metas}) != 1:
                self.stats.notes.append("resolution state files of two builds: ignored")
                return None
            records, evidence = (t.to_pandas() for t in tables)
            build = meta.get(b"build")

            def read_golden(path: Path = paths[2]) -> pd.DataFrame:
                table = pq.read_table(path)
                if (table.schema.metadata or {}).get(b"build") != build:  # rewritten since: refuse
                    raise RuntimeError(f"{path}: golden records of another build than the state read")
                return table.to_pandas()

            return ResolutionState(on=dt.date.fromisoformat(meta[b"on"].decode()),
                                   model_on=dt.date.fromisoformat(meta[b"model_on"].decode()),
                                   records=records, evidence=evidence, read_golden=read_golden)
        except Exception as exc:  # any unreadable file means: a full computation
            log.warning("match cache %s: resolution state unreadable, ignored: %s", self.directory, exc)
            self.stats.notes.append("resolution state unreadable: ignored")
            return None

    def save_state(self, on: dt.date, model_on: dt.date, records: pd.DataFrame,
                   evidence: pd.DataFrame, golden: pd.DataFrame) -> None:
        """Keep this month's resolution for the next (the records' file last: the three files carry one
        build token, so a build killed between two leaves files that :meth:`load_state` refuses)."""
        if self.directory is None:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        meta = {b"fingerprint": code_fingerprint().encode(), b"on": on.isoformat().encode(),
                b"model_on": model_on.isoformat().encode(), b"build": uuid.uuid4().hex.encode()}
        try:
            for name, frame in ((EVIDENCE_FILE, evidence), (GOLDEN_FILE, golden), (STATE_FILE, records)):
                table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
                table = table.replace_schema_metadata(meta)
                _write_atomically(self.directory / name, lambda tmp, t=table: pq.write_table(t, tmp))
        except OSError as exc:
            log.warning("match cache %s: resolution state not written: %s", self.directory, exc)

    # ------------------------------------------------------------------------------- writing

    def _write(self, save: Any, entries: Any) -> None:
        """Write this month's features or comparisons as soon as they are computed (each file
        atomically). A failure to write is logged, not raised: the next month then computes more,
        nothing else."""
        if self.directory is None:
            return
        try:
            save(entries)
        except OSError as exc:
            log.warning("match cache %s not written: %s", self.directory, exc)

    def _save_features(self, frame: pd.DataFrame) -> None:
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        from recouvra.matching import release_memory

        assert self.directory is not None
        objects = [c for c in frame.columns if frame[c].dtype == object]
        none = np.array(None, dtype=object)

        def with_flags(part: pd.DataFrame) -> dict[str, Any]:
            # pandas keeps two missing values apart in object columns, None and NaN (a full
            # computation gives both): which one each missing cell was goes along as a flag column
            # (np.equal over an object array compares in C: a list comprehension took seconds at L)
            columns: dict[str, Any] = {c: part[c] for c in part.columns}
            columns.update({_NONE_FLAG + c: np.equal(part[c].to_numpy(dtype=object), none) for c in objects})
            return columns

        # the schema of the whole frame (an object column's type inferred from all its values), then
        # the rows written a slice at a time: the file's Arrow copy of a million records' text is
        # never held at once (a whole-table conversion added about 1 GB at L)
        schema = pa.Schema.from_pandas(frame, preserve_index=False)
        for c in objects:
            schema = schema.append(pa.field(_NONE_FLAG + c, pa.bool_()))
        schema = schema.with_metadata({b"fingerprint": code_fingerprint().encode()})

        def write(tmp: Path) -> None:
            with pq.ParquetWriter(tmp, schema) as writer:
                for a in range(0, max(len(frame), 1), FEATURES_SLICE):
                    part = pd.DataFrame(with_flags(frame.iloc[a : a + FEATURES_SLICE]))
                    writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))
                    del part

        _write_atomically(self.directory / FEATURES_FILE, write)
        release_memory()

    def _save_comparisons(self, store: dict[str, Callable[[], np.ndarray]]) -> None:
        """The comparisons as an ``.npz`` file (what ``np.savez`` writes: one ``<name>.npy`` member
        per array, stored), each array made by its function just before it is written and let go
        after, so that the arrays the build does not hold anyway exist one at a time."""
        import zipfile

        import numpy as np

        assert self.directory is not None
        makers = {"fingerprint": lambda: np.array(code_fingerprint()), **store}

        def write(tmp: Path) -> None:
            with zipfile.ZipFile(tmp, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
                for name, make in makers.items():
                    with zf.open(f"{name}.npy", mode="w", force_zip64=True) as member:
                        np.lib.format.write_array(member, np.asanyarray(make()), allow_pickle=False)

        _write_atomically(self.directory / COMPARISONS_FILE, write)


def _as_dtype(values: pd.Series, dtype: Any, none: np.ndarray | None) -> pd.Series:
    """A column read back from Parquet in the dtype a fresh computation gives it; in an object column
    a missing cell is None where ``none`` says so, NaN elsewhere (as it was written)."""
    import numpy as np
    import pandas as pd

    if not (isinstance(dtype, np.dtype) and dtype == np.dtype(object)):
        return values if values.dtype == dtype else values.astype(dtype)
    out = values.to_numpy(dtype=object, na_value=np.nan).copy()
    if none is not None and none.any():
        out[none] = None
    return pd.Series(out, index=values.index, dtype=object)
