"""Entity resolution of debtor records: one legal entity, one dossier.

Pipeline (see ``docs/entity-resolution.md`` for the reasons):

1. ``prepare_features``: every column normalised in bulk (:mod:`recouvra.normalize`), identifiers
   validated (an invalid ICE is no identifier at all).
2. Exact rules on strong keys, in order of trust: ICE company root (9 digits: the establishments of
   one company share it), RC number + court, CIN, affiliation number.
3. Fuzzy candidate pairs from blocks (phone, e-mail, name key, name token + city, legal
   representative + city, address + city) enumerated with a sorted window, scored in bulk with
   rapidfuzz on name, address, legal representative, plus exact agreement of phone, e-mail, city and
   legal form; the score is a sum of agreement weights in the spirit of Fellegi-Sunter.
4. Constrained clustering: edges are applied strongest first with a union-find that refuses any
   merge joining two clusters whose valid ICE roots, CINs or RC+court differ, or (for fuzzy edges)
   whose representative names disagree. This stops A~B~C chains from making A=C wrongly.
5. Each accepted merge keeps its evidence (pair, rule, score, matched fields).

A wrong merge costs more than a missed one (two debtors in one dossier, money attributed to the
wrong company), so every threshold leans towards precision.
"""

from __future__ import annotations

import csv
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from recouvra.errors import RecouvraError
from recouvra.normalize import (
    _map_unique,
    canonical_city,
    city_series,
    email_series,
    ice_series,
    normalize_address,
    normalize_cin,
    normalize_company_name,
    normalize_person_name,
    normalize_rc,
    phone_series,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import numpy as np
    import pandas as pd

__all__ = [
    "COLUMNS",
    "DedupeInputError",
    "DedupeReport",
    "MatchConfig",
    "Resolution",
    "build_golden_records",
    "dedupe_file",
    "prepare_features",
    "read_records",
    "resolve",
]

COLUMNS: tuple[str, ...] = (
    "record_id", "affiliation_no", "name", "legal_form", "ice", "rc_number", "rc_court", "cin",
    "address", "city", "phone", "email", "legal_rep_name",
)
EVIDENCE_COLUMNS = ("left_record_id", "right_record_id", "rule", "score", "matched_fields")
STRONG_RULES = ("ice_root", "rc_court", "cin", "affiliation_no")
_COMPANY_FORMS = frozenset({"SA", "SARL", "SARL AU", "SAS", "SNC", "SCS", "SCA", "GIE"})
# Legal forms that may name one company. Empty on purpose: SARL and SARL AU (one partner) are
# different forms, and identical names under two forms were sister companies in every case seen.
_COMPATIBLE_FORMS: set[frozenset[str]] = set()
_LEGAL_PERSON_FORMS = frozenset({*_COMPANY_FORMS, "COOPERATIVE", "ASSOCIATION"})


class DedupeInputError(RecouvraError):
    """The input file cannot be deduplicated; names the file, the line (1 = header) and the field."""

    def __init__(self, path: Path | str, message: str, *, line: int | None = None, field: str | None = None):
        self.path = str(path)
        self.line = line
        self.field = field
        where = f"{self.path}" + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class MatchConfig:
    """Thresholds of the matcher. Defaults were set for precision >= 0.99 (see the docs)."""

    accept_score: float = 7.0  # fuzzy pairs at or above this score are merged
    min_name_similarity: float = 80.0  # when both names are written in the same script
    no_name_score: float = 10.5  # pairs without comparable names need this much other evidence
    contact_route_name_similarity: float = 55.0  # names this close suffice when contacts all agree
    cluster_name_similarity: float = 70.0  # representative names of two clusters joined by a fuzzy edge
    # RC, CIN and affiliation merges need names at least this close (token-set ratio): RC numbers are
    # only unique per court and typed by hand, a CIN may be the manager's rather than the debtor's.
    strong_name_floor: float = 70.0
    rc_name_floor: float = 85.0  # same, for RC + court, on the ratio / token-sort similarity
    rep_veto_below: float = 50.0  # legal representatives this different (same script) veto a fuzzy merge
    max_key_group: int = 50  # a strong key shared by more records is a placeholder: ignored
    # A company re-registered after a move gets a new RC number (often at another court), so two RC
    # keys that differ are weak evidence; set True to make them a hard veto like ICE roots and CINs.
    veto_on_rc: bool = False
    window: int = 6  # sorted-neighbourhood window inside a block
    contact_window: int = 12  # window for phone and e-mail blocks (shared by few records)


@dataclass
class DedupeReport:
    """What ``dedupe_file`` did: counts a person can check against the files."""

    input_path: str
    output_path: str
    records: int
    entities: int
    merges: int  # records folded into another one's entity = records - entities
    by_rule: dict[str, int] = field(default_factory=dict)  # accepted merge edges per rule
    vetoed: int = 0  # candidate merges refused because strong identifiers conflict
    ignored_keys: dict[str, int] = field(default_factory=dict)  # placeholder key values ignored
    evidence_path: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Resolution:
    """Result of :func:`resolve`: one entity per record, and the evidence of each merge."""

    assignments: pd.DataFrame  # record_id, entity_id (input order)
    evidence: pd.DataFrame  # left_record_id, right_record_id, rule, score, matched_fields
    vetoed: int
    ignored_keys: dict[str, int]

    def by_rule(self) -> dict[str, int]:
        counts = self.evidence["rule"].value_counts()
        return {str(k): int(v) for k, v in sorted(counts.items())}


# ------------------------------------------------------------------------------------- reading


def _is_parquet(path: Path) -> bool:
    if path.suffix.lower() in {".parquet", ".pq"}:
        return True
    if path.suffix.lower() in {".csv", ".txt", ".tsv"}:
        return False
    with path.open("rb") as fh:
        return fh.read(4) == b"PAR1"


def read_records(path: Path) -> pd.DataFrame:
    """Read debtor records from CSV (``;``, ``"``, UTF-8 with or without BOM) or Parquet as strings.

    Every column is text (leading zeros kept); a missing column is empty; blank cells are ``""``.
    Raises :class:`DedupeInputError` for a missing ``record_id`` column, an empty or duplicate
    ``record_id`` (with the line of the second occurrence; line 1 is the header).
    """
    import pyarrow as pa

    path = Path(path)
    if not path.exists():
        raise DedupeInputError(path, "file not found")
    try:
        if _is_parquet(path):
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            table = table.cast(pa.schema([(f.name, pa.string()) for f in table.schema]))
            first_data_line = 1  # row numbers in Parquet: 1-based, no header
        else:
            import pyarrow.csv as pacsv

            with path.open("r", encoding="utf-8-sig", newline="") as fh:
                header = next(csv.reader(fh, delimiter=";", quotechar='"'), None)
            if not header:
                raise DedupeInputError(path, "empty file: expected a header line with record_id", line=1)
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(block_size=1 << 24),
                parse_options=pacsv.ParseOptions(delimiter=";", quote_char='"', newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(header, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            first_data_line = 2
    except DedupeInputError:
        raise
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError) as exc:
        raise DedupeInputError(path, f"cannot be read as ;-separated UTF-8 CSV or Parquet: {exc}") from exc
    names = [str(c).strip().lstrip("\ufeff").lower() for c in table.column_names]
    table = table.rename_columns(names)
    if "record_id" not in names:
        raise DedupeInputError(
            path,
            f"no record_id column (columns found: {', '.join(names) or 'none'})",
            line=1,
            field="record_id",
        )
    df = table.to_pandas()
    df = df.loc[:, ~df.columns.duplicated()]
    for col in COLUMNS:
        if col not in df.columns:
            df[col] = ""
    df = df[list(COLUMNS)].astype("str").fillna("")
    # record_id is kept byte for byte (the caller joins on it); only a blank one is an error
    empty = (df["record_id"].str.strip() == "").to_numpy()
    if empty.any():
        row = int(empty.argmax())
        raise DedupeInputError(path, "empty record_id", line=row + first_data_line, field="record_id")
    dup = df["record_id"].duplicated().to_numpy()
    if dup.any():
        row = int(dup.argmax())
        rid = df["record_id"].iat[row]
        first = int((df["record_id"] == rid).to_numpy().argmax())
        raise DedupeInputError(
            path,
            f"duplicate record_id {rid!r} (first seen on line {first + first_data_line})",
            line=row + first_data_line,
            field="record_id",
        )
    return df.reset_index(drop=True)


# ----------------------------------------------------------------------------------- features


# Scalar functions the bulk normalisation maps over distinct values: module-level, so that worker
# processes can be handed them by name (a lambda does not pickle).
def _legal_form_of(value: str) -> str | None:
    return normalize_company_name(value).legal_form


def _script_of(value: str | None) -> str:
    return "arabic" if value and value[:1] >= "\u0600" else "latin"


def _first_token(key: str) -> str | None:
    return key.split(" ")[0] or None


def _longest_token(key: str) -> str | None:
    return max(key.split(" "), key=len) or None


def prepare_features(records: pd.DataFrame) -> pd.DataFrame:
    """Normalised matching features, one row per record (same index as ``records``).

    Columns: name_clean, name_key, name_script, legal_form, ice, ice_root, rc_key, cin, aff,
    address, city, region, directorate, phone, phone_kind, email, rep.
    """
    import pandas as pd

    df = records.reindex(columns=list(COLUMNS), fill_value="").astype("str").fillna("")
    out = pd.DataFrame(index=df.index)
    names = _map_unique(df["name"], normalize_company_name)
    out["name_clean"] = [n.clean for n in names]
    out["name_key"] = [n.key for n in names]
    out["name_script"] = [n.script for n in names]
    forms_from_column = _map_unique(df["legal_form"], _legal_form_of)
    from_name = pd.Series([n.legal_form for n in names], index=df.index, dtype="object")
    out["legal_form"] = forms_from_column.where(forms_from_column.notna(), from_name)
    ice = ice_series(df["ice"])
    # A 13-14 digit ICE made valid by left-padding may be a lost leading zero (a spreadsheet) or a
    # lost digit (a typo) that happens to pass mod 97 - seen colliding with other companies' roots.
    # It is kept for the golden record but is no strong key and vetoes nothing.
    padded = ice["ice_padded"].to_numpy()
    out["ice"] = ice["ice"]
    out["ice_root"] = ice["ice_root"].where(~padded, None)
    rc = _map_unique(df["rc_number"] + "\x1f" + df["rc_court"], _rc_key)
    out["rc_key"] = rc
    out["cin"] = _map_unique(df["cin"], normalize_cin)
    aff = df["affiliation_no"].str.replace(r"\D", "", regex=True).str.lstrip("0")
    out["aff"] = aff.where(aff.str.len() >= 3, None).astype("object")
    out["address"] = _map_unique(df["address"], normalize_address)
    out = out.join(city_series(df["city"]))
    out = out.join(phone_series(df["phone"]))
    out["email"] = email_series(df["email"])
    out["rep"] = _map_unique(df["legal_rep_name"], normalize_person_name)
    out["rep_script"] = _map_unique(out["rep"], _script_of)
    for col in ("name_clean", "name_key", "address", "rep"):
        out[col] = out[col].astype("object").where(out[col] != "", None)
    # how many records share a value: agreeing on a common trade name, a frequent manager's name or
    # an accountant's phone proves less than agreeing on a rare one (term-frequency adjustment)
    for col in ("name_clean", "rep", "phone", "email"):
        out[f"{col}_freq"] = out.groupby(col, dropna=True)[col].transform("size").fillna(0).astype("int64")
    return out


def _rc_key(packed: str) -> str | None:
    number, _, court = packed.partition("\x1f")
    rc = normalize_rc(number, court)
    return f"{rc.number}@{rc.court}" if rc.number and rc.court else None


# ---------------------------------------------------------------------------------- candidates


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes of a column, -1 where missing: equality tests in bulk."""
    import pandas as pd

    codes, _ = pd.factorize(values, use_na_sentinel=True)
    return cast("np.ndarray", codes)


def _window_pairs(key: np.ndarray, order_by: np.ndarray | None, window: int) -> np.ndarray:
    """Pairs (i, j) of records sharing ``key`` (>= 0) within ``window`` positions once sorted.

    Small blocks give all their pairs; big ones a sorted neighbourhood (bounded work, no blow-up).
    """
    import numpy as np

    idx = np.flatnonzero(key >= 0)
    if len(idx) < 2:
        return np.empty((0, 2), dtype=np.int64)
    sort_keys = (order_by[idx], key[idx]) if order_by is not None else (idx, key[idx])
    idx = idx[np.lexsort(sort_keys)]
    k = key[idx]
    chunks = []
    for step in range(1, window):
        same = k[:-step] == k[step:]
        if not same.any():
            break
        chunks.append(np.stack([idx[:-step][same], idx[step:][same]], axis=1))
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks)
    return np.sort(pairs, axis=1)


def _combine(*parts: pd.Series) -> np.ndarray:
    """Codes of a compound key; missing when any part is missing."""

    ok = parts[0].notna()
    joined = parts[0].astype("str")
    for p in parts[1:]:
        ok &= p.notna()
        joined = joined + "\x1f" + p.astype("str")
    return _codes(joined.where(ok, None))


def candidate_pairs(features: pd.DataFrame, config: MatchConfig) -> np.ndarray:
    """Unique candidate pairs (i < j) from the blocking keys, as an (n, 2) int array."""
    import numpy as np
    import pandas as pd

    # inside a big block, neighbours in alphabetical order of the clean name are the likely twins
    name_order, _ = pd.factorize(features["name_clean"].fillna(""), sort=True)
    first_token = _map_unique(features["name_key"].fillna(""), _first_token)
    longest = _map_unique(features["name_clean"].fillna(""), _longest_token)
    addr_head = features["address"].str.slice(0, 14)
    blocks: list[tuple[np.ndarray, int]] = [
        (_codes(features["phone"]), config.contact_window),
        (_codes(features["email"]), config.contact_window),
        (_codes(features["name_key"]), config.window),
        (_combine(first_token, features["city"]), config.window),
        (_combine(longest, features["city"]), config.window),
        (_combine(features["rep"], features["city"]), config.window),
        (_combine(longest, features["rep"]), config.window),  # moved to another city
        (_combine(addr_head, features["city"]), config.window),
    ]
    pairs = [_window_pairs(key, name_order, w) for key, w in blocks]
    allp = np.concatenate(pairs) if pairs else np.empty((0, 2), dtype=np.int64)
    if len(allp) == 0:
        return allp
    packed = np.unique(allp[:, 0].astype(np.int64) * (len(features) + 1) + allp[:, 1])
    out = np.stack([packed // (len(features) + 1), packed % (len(features) + 1)], axis=1)
    return cast("np.ndarray", out[out[:, 0] != out[:, 1]])


def _similarities(a: np.ndarray, b: np.ndarray, scorers: Sequence[Callable[..., float]]) -> np.ndarray:
    """Best of rapidfuzz scorers over aligned object arrays, -1 where either side is missing.

    ``process.cpdist`` scores the aligned pairs in C++ on every core: no Python loop per pair.
    """
    import numpy as np
    import pandas as pd
    from rapidfuzz import process

    present = (pd.notna(a) & pd.notna(b)).astype(bool)
    out = np.full(len(a), -1.0)
    if present.any():
        left, right = list(a[present]), list(b[present])
        best = np.zeros(int(present.sum()))
        for scorer in scorers:
            best = np.maximum(best, process.cpdist(left, right, scorer=scorer, workers=-1))
        out[present] = best
    return out


def _name_similarity(a: str, b: str) -> float:
    """Ordered ratio or token-sort ratio, the best: a typo in a glued word, or swapped words."""
    from rapidfuzz import fuzz

    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


@dataclass
class _Scored:
    pairs: np.ndarray
    score: np.ndarray
    name_sim: np.ndarray
    addr_sim: np.ndarray
    rep_sim: np.ndarray
    same: dict[str, np.ndarray]
    differ: dict[str, np.ndarray]


def score_pairs(features: pd.DataFrame, pairs: np.ndarray, config: MatchConfig) -> _Scored:
    """Agreement score of each candidate pair (higher = more likely one entity)."""
    import numpy as np
    from rapidfuzz import fuzz

    i, j = pairs[:, 0], pairs[:, 1]
    obj = {c: features[c].astype("object").where(features[c].notna(), None).to_numpy() for c in (
        "name_clean", "address", "rep")}
    # ordered ratio catches a typo in a glued word ("elwafa transport" / "wafa transprt"), token-sort
    # ratio swapped words; the best of both
    name_sim = _similarities(obj["name_clean"][i], obj["name_clean"][j], (fuzz.ratio, fuzz.token_sort_ratio))
    addr_sim = _similarities(obj["address"][i], obj["address"][j], (fuzz.token_sort_ratio,))
    rep_sim = _similarities(obj["rep"][i], obj["rep"][j], (fuzz.token_sort_ratio,))
    same: dict[str, np.ndarray] = {}
    differ: dict[str, np.ndarray] = {}
    for col in ("phone", "email", "city", "legal_form", "ice_root", "cin", "rc_key", "aff"):
        c = _codes(features[col])
        both = (c[i] >= 0) & (c[j] >= 0)
        same[col] = both & (c[i] == c[j])
        differ[col] = both & (c[i] != c[j])
    if _COMPATIBLE_FORMS and len(pairs):
        forms = features["legal_form"].astype("object").to_numpy()
        pairs_forms = zip(forms[i], forms[j], strict=True)
        compatible = np.array([frozenset({x, y}) in _COMPATIBLE_FORMS for x, y in pairs_forms], dtype=bool)
        differ["legal_form"] &= ~compatible
    name_codes = _codes(features["name_clean"])
    name_exact = (name_codes[i] >= 0) & (name_codes[i] == name_codes[j])

    def common(col: str) -> np.ndarray:
        """Records sharing the value of the pair's more common side."""
        f = features[f"{col}_freq"].to_numpy()
        return cast("np.ndarray", np.maximum(f[i], f[j]))

    name_tf = np.select([common("name_clean") <= 8, common("name_clean") <= 50], [1.0, 0.6], 0.3)
    score = np.zeros(len(pairs))
    has_name = name_sim >= 0
    score += np.select(
        [name_exact, name_sim >= 92, name_sim >= 85, name_sim >= 75, name_sim >= 60, has_name],
        [6.0 * name_tf, 4.5 * name_tf, 3.0 * name_tf, 1.0, -2.0, -6.0],
        0.0,
    )
    # contacts change (a new phone, a generic mailbox) more often than they are shared by strangers;
    # one shared by many records (an accountant's) proves little
    for col, rare, shared in (("phone", 5.0, 2.0), ("email", 4.0, 1.5)):
        agree = np.where(common(col) <= 4, rare, shared)
        score += np.where(same[col], agree, np.where(differ[col], -0.5, 0.0))
    has_addr = addr_sim >= 0
    score += np.select(
        [addr_sim >= 95, addr_sim >= 85, addr_sim >= 70, has_addr & (addr_sim < 50)],
        [3.5, 2.5, 1.0, -1.0],
        0.0,
    )
    # debtors move (another address, city, court, RC number): disagreement there costs little
    score += np.where(same["city"], 0.5, np.where(differ["city"], -1.5, 0.0))
    has_rep = rep_sim >= 0
    # the same manager behind the same rare name is near proof; behind a merely similar or a common
    # trade name it is proof only if the manager's name is itself rare
    rep_tf = np.where(
        (name_sim >= 92) & (common("name_clean") <= 8),
        5.0,
        np.select([common("rep") <= 8, common("rep") <= 50], [5.0, 3.0], 1.5),
    )
    score += np.select([rep_sim >= 92, rep_sim >= 80, has_rep & (rep_sim < 60)], [rep_tf, 2.5, -3.0], 0.0)
    score += np.where(same["legal_form"], 0.5, np.where(differ["legal_form"], -4.5, 0.0))
    score += np.where(differ["rc_key"], -0.5, 0.0)
    return _Scored(pairs, score, name_sim, addr_sim, rep_sim, same, differ)


def _fuzzy_accept(s: _Scored, features: pd.DataFrame, config: MatchConfig) -> np.ndarray:
    """Which scored pairs pass: score, name gate, and no conflicting strong identifier."""
    import numpy as np

    scripts = features["name_script"].to_numpy()
    i, j = s.pairs[:, 0], s.pairs[:, 1]
    latin = np.isin(scripts, ("latin", "mixed"))
    same_script = (latin[i] & latin[j]) | ((scripts[i] == "arabic") & (scripts[j] == "arabic"))
    comparable = same_script & (s.name_sim >= 0)
    ok = np.where(
        comparable,
        (s.score >= config.accept_score) & (s.name_sim >= config.min_name_similarity),
        s.score >= config.no_name_score,
    )
    # contacts route: a name mangled beyond the gate ("et splomberie proso") still joins its twin
    # when a rare e-mail and two more of phone, address and manager agree
    f = {c: features[f"{c}_freq"].to_numpy() for c in ("phone", "email")}
    rare_email = s.same["email"] & (np.maximum(f["email"][i], f["email"][j]) <= 4)
    rare_phone = s.same["phone"] & (np.maximum(f["phone"][i], f["phone"][j]) <= 4)
    others = rare_phone.astype(int) + (s.addr_sim >= 85).astype(int) + (s.rep_sim >= 92).astype(int)
    ok |= rare_email & (others >= 2) & (s.name_sim >= config.contact_route_name_similarity)
    # a company rarely changes legal form: SA against SARL under one name is a sister company
    veto = s.differ["ice_root"] | s.differ["cin"] | s.differ["legal_form"]
    reps = features["rep_script"].to_numpy()
    veto |= (s.rep_sim >= 0) & (s.rep_sim < config.rep_veto_below) & (reps[i] == reps[j])
    # a CIN marks a natural person: it cannot be the same debtor as a company, cooperative or association
    cin = features["cin"].notna().to_numpy()
    legal_person = features["legal_form"].isin(_LEGAL_PERSON_FORMS).to_numpy()
    veto |= (cin[i] & legal_person[j]) | (cin[j] & legal_person[i])
    if config.veto_on_rc:
        veto |= s.differ["rc_key"]
    return cast("np.ndarray", ok & ~veto)


# ---------------------------------------------------------------------------------- clustering


class _Clusters:
    """Union-find whose clusters remember their strong identifiers and a representative name."""

    def __init__(self, features: pd.DataFrame, veto_columns: Sequence[str]):
        n = len(features)
        self.parent = list(range(n))
        self.size = [1] * n
        self.keys: dict[int, dict[str, set[str]]] = {}
        for col in veto_columns:
            values = features[col].to_numpy()
            for k in features.index[features[col].notna()].to_numpy():
                self.keys.setdefault(int(k), {}).setdefault(col, set()).add(str(values[k]))
        names = features["name_clean"]
        self.names: list[str | None] = names.astype("object").where(names.notna(), None).tolist()

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def conflict(self, ra: int, rb: int) -> bool:
        ka, kb = self.keys.get(ra), self.keys.get(rb)
        if not ka or not kb:
            return False
        return any(col in kb and not (ka[col] & kb[col]) for col in ka)

    def names_agree(self, ra: int, rb: int, floor: float) -> bool:
        from rapidfuzz import fuzz

        a, b = self.names[ra], self.names[rb]
        return a is None or b is None or fuzz.token_set_ratio(a, b) >= floor

    def union(self, ra: int, rb: int) -> None:
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        if self.names[ra] is None:
            self.names[ra] = self.names[rb]
        kb = self.keys.pop(rb, None)
        if kb:
            ka = self.keys.setdefault(ra, {})
            for col, vals in kb.items():
                ka.setdefault(col, set()).update(vals)


def _strong_edges(
    features: pd.DataFrame, config: MatchConfig, ignored: dict[str, int]
) -> Iterator[tuple[str, np.ndarray]]:
    """Star edges (first record of the group, each other record) for each strong key, in trust order."""
    import numpy as np

    columns = {"ice_root": "ice_root", "rc_court": "rc_key", "cin": "cin", "affiliation_no": "aff"}
    for rule in STRONG_RULES:
        codes = _codes(features[columns[rule]])
        valid = codes >= 0
        if not valid.any():
            continue
        counts = np.bincount(codes[valid])
        too_big = counts > config.max_key_group
        if too_big.any():
            ignored[rule] = int(too_big.sum())
            codes = np.where(valid & too_big[np.maximum(codes, 0)], -1, codes)
            valid = codes >= 0
        idx = np.flatnonzero(valid)
        idx = idx[np.argsort(codes[idx], kind="stable")]
        c = codes[idx]
        starts = np.r_[True, c[1:] != c[:-1]]
        head = idx[np.maximum.accumulate(np.where(starts, np.arange(len(idx)), 0))]
        edges = np.stack([head, idx], axis=1)[~starts]
        yield rule, edges


def _fields_text(s: _Scored, k: int) -> str:
    parts = []
    if s.name_sim[k] >= 75:
        parts.append(f"name:{s.name_sim[k]:.0f}")
    for col in ("phone", "email"):
        if s.same[col][k]:
            parts.append(col)
    if s.addr_sim[k] >= 70:
        parts.append(f"address:{s.addr_sim[k]:.0f}")
    if s.rep_sim[k] >= 80:
        parts.append(f"legal_rep:{s.rep_sim[k]:.0f}")
    for col in ("city", "legal_form"):
        if s.same[col][k]:
            parts.append(col)
    return ",".join(parts)


def resolve(
    records: pd.DataFrame,
    config: MatchConfig | None = None,
    *,
    features: pd.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
) -> Resolution:
    """Cluster records into entities: ``entity_id`` = ``'E'`` + the smallest record_id of the cluster.

    Deterministic: the same records (in any order) give the same ids and the same evidence.
    """
    import numpy as np
    import pandas as pd
    from rapidfuzz import fuzz

    config = config or MatchConfig()
    step = progress or (lambda _msg: None)
    rids = records["record_id"].astype("str").to_numpy()
    order = np.argsort(rids, kind="stable")  # work in record_id order: ids and evidence stable
    recs = records.iloc[order].reset_index(drop=True)
    if features is None:
        step("normalise")
        feats = prepare_features(recs)
    else:
        feats = features.iloc[order].reset_index(drop=True)
    sorted_ids = recs["record_id"].astype("str").tolist()
    clusters = _Clusters(feats, ("ice_root", "cin", "rc_key") if config.veto_on_rc else ("ice_root", "cin"))
    ev_left: list[int] = []
    ev_right: list[int] = []
    ev_rule: list[str] = []
    ev_score: list[float] = []
    ev_fields: list[str] = []
    vetoed = 0
    ignored: dict[str, int] = {}

    step("strong keys")
    names = clusters.names[:]
    for rule, edges in _strong_edges(feats, config, ignored):
        needs_names = rule != "ice_root"
        # RC numbers are only unique per court and often mistyped: the names must look alike too
        floor_fn = _name_similarity if rule == "rc_court" else fuzz.token_set_ratio
        floor = config.rc_name_floor if rule == "rc_court" else config.strong_name_floor
        for a, b in edges.tolist():
            ra, rb = clusters.find(a), clusters.find(b)
            if ra == rb:
                continue
            if clusters.conflict(ra, rb):
                vetoed += 1
                continue
            if needs_names and names[a] is not None and names[b] is not None and (
                floor_fn(names[a], names[b]) < floor
            ):
                vetoed += 1
                continue
            clusters.union(ra, rb)
            ev_left.append(a)
            ev_right.append(b)
            ev_rule.append(rule)
            ev_score.append(1.0)
            ev_fields.append(rule)

    step("candidate pairs")
    pairs = candidate_pairs(feats, config)
    # pairs the strong keys already joined need no score
    strong_root = np.fromiter((clusters.find(x) for x in range(len(recs))), dtype=np.int64, count=len(recs))
    pairs = pairs[strong_root[pairs[:, 0]] != strong_root[pairs[:, 1]]] if len(pairs) else pairs
    step(f"score {len(pairs):,} pairs")
    scored = score_pairs(feats, pairs, config)
    accept = _fuzzy_accept(scored, feats, config)
    vetoed += int(((scored.score >= config.accept_score) & ~accept).sum()) if len(pairs) else 0
    keep = np.flatnonzero(accept)
    # strongest evidence first, ties broken by record position: deterministic
    keep = keep[np.lexsort((pairs[keep, 1], pairs[keep, 0], -scored.score[keep]))]
    step("cluster")
    for k in keep.tolist():
        a, b = int(pairs[k, 0]), int(pairs[k, 1])
        ra, rb = clusters.find(a), clusters.find(b)
        if ra == rb:
            continue
        if clusters.conflict(ra, rb) or not clusters.names_agree(ra, rb, config.cluster_name_similarity):
            vetoed += 1
            continue
        clusters.union(ra, rb)
        ev_left.append(a)
        ev_right.append(b)
        ev_rule.append("fuzzy")
        ev_score.append(round(float(scored.score[k]), 2))
        ev_fields.append(_fields_text(scored, k))

    roots = np.array([clusters.find(x) for x in range(len(recs))], dtype=np.int64)
    # smallest position per root = smallest record_id, since records are sorted by record_id
    first = np.full(len(recs), len(recs), dtype=np.int64)
    np.minimum.at(first, roots, np.arange(len(recs)))
    ids = np.asarray(sorted_ids, dtype=object)
    entity_sorted = "E" + pd.Series(ids[first[roots]], dtype="str")
    entity = np.empty(len(recs), dtype=object)
    entity[order] = entity_sorted.to_numpy()
    assignments = pd.DataFrame(
        {"record_id": records["record_id"].astype("str").to_numpy(), "entity_id": entity}
    )
    evidence = pd.DataFrame(
        {
            "left_record_id": ids[np.asarray(ev_left, dtype=np.int64)] if ev_left else [],
            "right_record_id": ids[np.asarray(ev_right, dtype=np.int64)] if ev_right else [],
            "rule": ev_rule,
            "score": ev_score,
            "matched_fields": ev_fields,
        },
        columns=list(EVIDENCE_COLUMNS),
    )
    return Resolution(assignments, evidence, vetoed, ignored)


# -------------------------------------------------------------------------------- survivorship

GOLDEN_FIELDS = (
    "name", "legal_form", "ice", "rc_number", "rc_court", "cin", "address", "city", "region",
    "directorate", "phone", "email", "legal_rep_name",
)


def build_golden_records(
    records: pd.DataFrame,
    assignments: pd.DataFrame,
    *,
    recency_column: str | None = None,
) -> pd.DataFrame:
    """One golden record per entity, with the source record of each field (``<field>_source``).

    Rules, per field, in order:
    1. a value that validates beats one that does not (valid ICE, RC with a known court, CIN of the
       right shape, E.164 phone, syntactically valid e-mail, known city);
    2. the value most records of the entity agree on (after normalisation), then its spelling typed
       most often (so a typo does not win a tie);
    3. the most recent record, when ``recency_column`` (ISO date text) is given;
    4. the most complete (longest) raw text, then the smallest record_id.
    Identifiers come out normalised (ICE 15 digits, RC number digits, court = canonical city, CIN upper
    case, phone E.164, e-mail lower case); name, address and legal_rep_name keep the best raw text;
    region and directorate come from the chosen city.
    """
    import numpy as np
    import pandas as pd

    wanted = list(dict.fromkeys([*COLUMNS, *([recency_column] if recency_column else [])]))
    recs = records.reindex(columns=wanted, fill_value="").astype("str").fillna("")
    feats = prepare_features(recs)
    ent = recs[["record_id"]].merge(assignments[["record_id", "entity_id"]].astype("str"), on="record_id",
                                    how="left")
    base = pd.DataFrame({"entity_id": ent["entity_id"].to_numpy(), "record_id": recs["record_id"].to_numpy()})
    if recency_column:
        base["recency"] = recs[recency_column].to_numpy()
    rc = [normalize_rc(n, c) for n, c in zip(recs["rc_number"], recs["rc_court"], strict=True)]
    cities = feats[["city", "region", "directorate"]]
    candidates: dict[str, tuple[pd.Series, pd.Series]] = {
        # field: (value to publish, normalised value used to vote)
        "name": (recs["name"], feats["name_clean"]),
        "legal_form": (feats["legal_form"], feats["legal_form"]),
        "ice": (feats["ice"], feats["ice"]),
        "rc_number": (pd.Series([r.number if r.court else None for r in rc]), feats["rc_key"]),
        "rc_court": (pd.Series([r.court if r.number else None for r in rc]), feats["rc_key"]),
        "cin": (feats["cin"], feats["cin"]),
        "address": (recs["address"], feats["address"]),
        "city": (cities["city"], cities["city"]),
        "phone": (feats["phone"], feats["phone"]),
        "email": (feats["email"], feats["email"]),
        "legal_rep_name": (recs["legal_rep_name"], feats["rep"]),
    }
    golden = pd.DataFrame({"entity_id": sorted(base["entity_id"].unique())})
    for name, (value, vote) in candidates.items():
        frame = base.copy()
        frame["value"] = value.to_numpy()
        frame["vote"] = vote.to_numpy()
        frame = frame[frame["vote"].notna() & (frame["value"].astype("str").str.strip() != "")
                      & frame["value"].notna()]
        if frame.empty:
            golden[name] = None
            golden[f"{name}_source"] = None
            continue
        frame["votes"] = frame.groupby(["entity_id", "vote"])["record_id"].transform("size")
        # among spellings of the winning value, the one typed most often (case aside) beats a typo
        frame["raw"] = frame["value"].astype("str").str.strip().str.casefold()
        frame["raw_votes"] = frame.groupby(["entity_id", "raw"])["record_id"].transform("size")
        frame["length"] = frame["value"].astype("str").str.len()
        recency = ["recency"] if recency_column else []
        sort_cols = ["entity_id", "votes", "raw_votes", *recency, "length", "record_id"]
        ascending = [True, False, False] + [False] * len(recency) + [False, True]
        best = frame.sort_values(sort_cols, ascending=ascending).drop_duplicates("entity_id")
        picked = best.set_index("entity_id")
        golden[name] = golden["entity_id"].map(picked["value"])
        golden[f"{name}_source"] = golden["entity_id"].map(picked["record_id"])
    city_info = [canonical_city(c) if isinstance(c, str) else None for c in golden["city"]]
    golden["region"] = [i.region if i else None for i in city_info]
    golden["directorate"] = [i.directorate if i else None for i in city_info]
    golden["region_source"] = golden["city_source"]
    golden["directorate_source"] = golden["city_source"]
    ordered = ["entity_id"]
    for f in GOLDEN_FIELDS:
        ordered += [f, f"{f}_source"]
    out = golden[ordered]
    return out.replace({np.nan: None})


# ------------------------------------------------------------------------------------------ CLI


def _write_table(df: pd.DataFrame, path: Path) -> None:
    """CSV with ``;`` (UTF-8, no BOM, minimal quoting) or Parquet when the name ends in .parquet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix.lower() in {".parquet", ".pq"}:
        df.to_parquet(tmp, index=False)
    else:
        df.to_csv(tmp, sep=";", index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL, encoding="utf-8")
    tmp.replace(path)


def dedupe_file(
    input_path: Path,
    output_path: Path,
    *,
    evidence_path: Path | None = None,
    progress: bool = True,
    config: MatchConfig | None = None,
) -> DedupeReport:
    """Read debtor records, resolve entities, write ``record_id;entity_id`` for every input record.

    Output is CSV (``;``) or Parquet when ``output_path`` ends in ``.parquet``; the evidence table
    (left_record_id, right_record_id, rule, score, matched_fields) is written when asked. Progress goes
    to stderr for inputs of 10,000 records or more.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    input_path, output_path = Path(input_path), Path(output_path)
    stages = ["read", "normalise", "strong keys", "candidate pairs", "score", "cluster", "write"]
    bar = tqdm(total=len(stages), desc="dedupe", unit="step", file=sys.stderr, disable=True)
    records = read_records(input_path)
    if progress and len(records) >= 10_000:
        bar = tqdm(total=len(stages), desc=f"dedupe {len(records):,} records", unit="step", file=sys.stderr)
    bar.set_postfix_str("read")
    bar.update(1)

    def step(msg: str) -> None:
        bar.set_postfix_str(msg)
        bar.update(1)

    resolution = resolve(records, config, progress=step)
    _write_table(resolution.assignments, output_path)
    if evidence_path is not None:
        _write_table(resolution.evidence, Path(evidence_path))
    bar.update(max(0, bar.total - bar.n))
    bar.close()
    n = len(records)
    entities = int(resolution.assignments["entity_id"].nunique())
    return DedupeReport(
        input_path=str(input_path),
        output_path=str(output_path),
        records=n,
        entities=entities,
        merges=n - entities,
        by_rule=resolution.by_rule(),
        vetoed=resolution.vetoed,
        ignored_keys=resolution.ignored_keys,
        evidence_path=str(evidence_path) if evidence_path else None,
        seconds=round(time.perf_counter() - started, 3),
    )


def pair_metrics(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Pair precision, recall and F1 of a clustering against the truth (same record order).

    Counts pairs through the contingency table, so it is linear in the number of records.
    """
    import pandas as pd

    t = pd.Series(list(truth), dtype="str")
    p = pd.Series(list(predicted), dtype="str")

    def pairs(counts: pd.Series) -> int:
        c = counts.to_numpy().astype("int64")
        return int((c * (c - 1) // 2).sum())

    both = pairs(pd.DataFrame({"t": t, "p": p}).value_counts())
    true_pairs = pairs(t.value_counts())
    pred_pairs = pairs(p.value_counts())
    precision = both / pred_pairs if pred_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": true_pairs,
            "predicted_pairs": pred_pairs, "correct_pairs": both}
