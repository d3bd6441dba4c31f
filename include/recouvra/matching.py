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
import os
import re
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from recouvra.errors import RecouvraError
from recouvra.fellegi_sunter import FieldSpec
from recouvra.normalize import (
    _ARABIC_RE,
    NormalizedName,
    _map_unique,
    address_skeleton,
    canonical_city,
    city_series,
    email_series,
    fold,
    ice_series,
    map_unique_all,
    map_unique_text,
    name_parts,
    name_phonetics,
    normalize_address,
    normalize_cin,
    normalize_company_name,
    normalize_person_name,
    normalize_rc,
    owner_of_shop_sign,
    owner_of_signed_part,
    phone_series,
    phonetic_flat,
    phonetic_key,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import numpy as np
    import pandas as pd

    from recouvra.fellegi_sunter import FSModel

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
_EVIDENCE_DTYPES = {"left_record_id": "str", "right_record_id": "str", "rule": "str", "score": "float64",
                    "matched_fields": "str"}
STRONG_RULES = ("ice_root", "rc_court", "cin", "affiliation_no")
_COMPANY_FORMS = frozenset({"SA", "SARL", "SARL AU", "SAS", "SNC", "SCS", "SCA", "GIE"})
# Legal forms that can name one company, to the veto on two forms: a SARL AU (one partner) is a SARL,
# often written so, and becomes one when a partner joins (same ICE, same RC). The model's legal_form
# field still compares the forms as written.
_FORM_FAMILY = {"SARL AU": "SARL"}
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

    # a candidate pair links when its score reaches this: the Fellegi-Sunter match weight (log2) plus
    # the prior log2-odds that two records of the file are one debtor; 3 = odds of 8 to 1
    accept_score: float = 3.0
    # the prior of the score: the chance that two random records match (it falls as the file grows, so
    # the bar rises with the file's size), or the share of matches among candidate pairs (the same at
    # any size; with accept_score 12 it found more at 1M records but lost precision, see benchmarks.md)
    prior_among_candidates: bool = False
    no_name_margin: float = 4.0  # names not comparable (two scripts): this much more evidence needed
    random_pairs: int = 300_000  # random record pairs behind the u probabilities
    cluster_name_similarity: float = 70.0  # representative names of two clusters joined by a fuzzy edge
    cluster_name_margin: float = 12.0  # ... unless the edge's score exceeds the threshold by this
    # RC, CIN and affiliation merges need names at least this close (token-set ratio): RC numbers are
    # only unique per court and typed by hand, a CIN may be the manager's rather than the debtor's.
    strong_name_floor: float = 70.0
    rc_name_floor: float = 85.0  # same, for RC + court, on the ratio / token-sort similarity
    # an ICE merge whose records share no other identifier or contact needs names at least this close:
    # not a word in common (a wrong company's ICE) is below it, a renamed company keeps its RC or phone
    ice_name_floor: float = 50.0
    ice_support_similarity: float = 80.0  # ... or addresses or managers this alike (token-sort ratio)
    # name level companies need without an identifier: 3 = the same name phonetically, or closer
    company_name_level: int = 3
    rep_veto_below: float = 50.0  # managers this different (same script) veto a link of companies
    # a company's link needs its premises, phone or manager to agree (sister companies and namesakes
    # share a trade name and the mailbox made from it) unless, in this file, records of one name that
    # two different identifiers keep apart share a mailbox less often than this (upper bound, 95 %):
    # then the same e-mail supports it too (FSModel.namesakes_mail_share)
    mail_support_below: float = 0.01
    max_key_group: int = 50  # a strong key shared by more records is a placeholder: ignored
    # A company re-registered after a move gets a new RC number (often at another court), so two RC
    # keys that differ are weak evidence; set True to make them a hard veto like ICE roots and CINs.
    veto_on_rc: bool = False
    window: int = 6  # sorted-neighbourhood window inside a block
    contact_window: int = 12  # window for phone and e-mail blocks (shared by few records)
    neighbour_window: int = 3  # sorted neighbourhood over id numbers and names without spaces
    # window in a block of one manager in one locality: a manager of many companies in a city (an
    # accountant, a family) makes big blocks, whose far neighbours by name are sister companies
    manager_window: int = 4


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
    # how often records of one name that two different identifiers keep apart share a mailbox (upper
    # bound); under MatchConfig.mail_support_below, a shared e-mail supports a company's link
    namesakes_mail_share: float | None = None
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
    model: FSModel | None = None  # the Fellegi-Sunter model trained on this file
    # the normalised features survivorship reads (``GOLDEN_FEATURES``), one row per record in input
    # order (same index as the records), when ``resolve(..., keep_features=True)``: the caller's golden
    # records need not normalise every record a second time (``build_golden_records(features=...)``)
    features: pd.DataFrame | None = None

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
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# What clerks write in a legal-form column for a natural person, beside the EI phrases a name may
# hold: the fund's categories of self-employed debtors (traders, craftsmen, liberal professions,
# auto-entrepreneurs, covered since 2021). Read in that column alone: "Artisan Boulanger" is a name.
_NATURAL_PERSON_DESIGNATIONS = frozenset({
    "pp", "p p", "personne physique", "commercant", "commercante", "artisan", "artisane",
    "profession liberale", "liberal", "liberale", "auto entrepreneur", "autoentrepreneur",
    "travailleur independant", "travailleur non salarie", "tns",
})


# a name that opens on "Société" (Sté, Ste, Soc, شركة) is a company's: every société has legal personality,
# whatever its form (SARL, SA, SNC); "Ets" and "Entreprise" may be a sole trader's and say nothing.
# RE2's syntax, for Arrow (:func:`_arrow_contains`): Python's ``\W`` (neither a letter, a digit nor _,
# in any script) written as RE2's Unicode classes. Given ``\W``, pandas runs Python's ``re`` a name at a
# time on a column with a letter outside ASCII: 0.6 s for the million names of generator L, 0.16 s here
_SOCIETE_NAMED = (r"(?i)^[^\pL\pN_]*(?:s+t[eéèê]s?|soci[eéèê]t[eéèê]s?|soc|(?:ال)?شرك[ةه])"
                  r"(?:[^\pL\pN_]|$)")


# letters a scan or a hurried clerk puts for digits, in a field of digits only
_DIGIT_LOOKALIKES = str.maketrans("OoQDIlLiSsBZz", "0000111155822")


# a digit-lookalike letter touching a digit: ``0S 22 30``, ``32O64342``, ``246I2247`` (not the I of
# ``ICE``, the S of ``/SALE`` or the O of ``ou``); the values holding one found by RE2 (Arrow), fast
_MISREAD_DIGIT = re.compile(r"(?<=[0-9])[OoQDIlSBZ]|[OoQDIlSBZ](?=[0-9])")
_HAS_MISREAD_DIGIT = r"[0-9][OoQDIlSBZ]|[OoQDIlSBZ][0-9]"


#: a raw name written in two parts (normalize's ``_NAME_PARTS``), as RE2 reads it through Arrow
_TWO_PARTS = r"[()/]| [-–] "  # (a space, not \s: pandas hands \s to Python's re a value at a time)


def _arrow_contains(values: pd.Series, pattern: str) -> np.ndarray:
    """Per value, whether RE2's ``pattern`` (Unicode classes such as ``\\pL`` allowed, which Python's
    ``re`` and so pandas do not read) matches part of it; False where missing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.match_substring_regex(pa.array(values, type=pa.string(), from_pandas=True), pattern)
    return cast("np.ndarray", found.fill_null(False).to_numpy(zero_copy_only=False).astype(bool, copy=False))


def _digits_misread(values: pd.Series) -> pd.Series:
    """``values`` with the letters a scan or a clerk put for digits, where they touch a digit, read as
    those digits (:data:`_DIGIT_LOOKALIKES`); the few values holding one are rewritten, in Python."""
    odd = values.str.contains(_HAS_MISREAD_DIGIT, regex=True).fillna(False).to_numpy(dtype=bool)
    if not odd.any():
        return values
    out = values.copy()
    out[odd] = [_MISREAD_DIGIT.sub(lambda m: m.group(0).translate(_DIGIT_LOOKALIKES), v)
                for v in values[odd].tolist()]
    return out


def _legal_form_of(value: str) -> str | None:
    """The legal form a legal-form column gives: a company's (``normalize_company_name``'s), or EI for
    a natural person's designation."""
    if " ".join(_NOT_ALNUM.sub(" ", fold(value)).split()) in _NATURAL_PERSON_DESIGNATIONS:
        return "EI"
    return normalize_company_name(value).legal_form


def _script_of(value: str | None) -> str:
    return "arabic" if value and value[:1] >= "\u0600" else "latin"


#: The forms of a clean name (:func:`_name_forms`) and its phonetic keys (:func:`phonetic_key`).
_FORM_FIELDS = ("name_flat", "name_core", "name_initial", "name_initial_last", "name_turned")
_PHON_FIELDS = ("phon_key", "phon_skeleton", "phon_flat")
#: What :func:`_name_features` gives of a name, :func:`_rep_features` of a manager's.
_NAME_FIELDS = (*NormalizedName._fields, *_FORM_FIELDS, *_PHON_FIELDS)
_REP_FIELDS = ("rep", "rep_script", "rep_phon", "rep_phon_flat", "rep_skeleton", "rep_initial")


def _name_features(value: str) -> tuple[str | None, ...]:
    """A name normalised (:class:`NormalizedName`'s fields), then its clean form's forms and phonetic
    keys (:func:`_clean_name_features`): one call per distinct name on a worker process, where the forms
    and keys were a second and a third pass over the names in the calling process after the workers
    were done (12 s at L)."""
    name = normalize_company_name(value)
    return (*name, *_clean_name_features(name.clean))


def _clean_name_features(clean: str) -> tuple[str, ...]:
    """A clean name's forms (:func:`_name_forms`) and phonetic keys (:func:`phonetic_key`): the fields
    :data:`_FORM_FIELDS` and :data:`_PHON_FIELDS`."""
    words = clean.split(" ")
    if len(words) < 2 or "" in words:
        return (*_name_forms(clean), *phonetic_key(clean))
    # a name of several words: its words' phonetic forms worked out once for its keys and its forms
    # from an initial (three passes over them before, 6 % of the normalisation's time at L)
    key, skeleton, joined, but_first, but_last = name_phonetics(words)
    return (*_name_forms(clean, (but_first, but_last)), key, skeleton, joined)


def _rep_features(value: str) -> tuple[str, ...]:
    """A manager's name normalised, its script and its phonetic forms (:func:`_rep_phonetics`)."""
    rep = normalize_person_name(value)
    return (rep, _script_of(rep), *_rep_phonetics(rep))


_SHORT_WORD = re.compile(r"\b\w{1,3}\b")
_FIRST_WORD = re.compile(r"^(\w)\w*(?= )")


def _name_forms(clean: str, rests: tuple[str, str] | None = None) -> tuple[str, str, str, str, str]:
    """The clean name without spaces (joined names); its words of four letters or more (a mistyped
    designation, "St", "Set", "Se", or an initial falls out, the name itself stays); the name as
    an initial and the other words phonetically, from its first word and from its last ("h skalli" =
    "hicham skalli" = "skalli hicham" = "h sqalli"); and its letters' least rotation
    (:func:`_least_rotation`). ``rests``: :func:`phonetic_flat` of the words but the first and of the
    words but the last, when the caller has them already (:func:`name_phonetics`)."""
    words = clean.split(" ")
    first = last = ""
    if len(words) >= 2:
        # the initial as written (a vowel's phonetic form would lose it), the other words as they sound
        but_first, but_last = rests or (phonetic_flat(" ".join(words[1:])),
                                        phonetic_flat(" ".join(words[:-1])))
        first, last = f"{words[0][0]} {but_first}", f"{words[-1][0]} {but_last}"
    flat = clean.replace(" ", "")
    # a name of several words, or one long enough to be several joined: the same letters turned are the
    # same words in another order, joined or parted elsewhere ("noureddine filali" = "filali nour
    # eddine"); two short words turned ("anas", "sana") are two names
    turned = _least_rotation(flat) if len(words) >= 2 or len(flat) >= 8 else ""
    return (flat, " ".join(_SHORT_WORD.sub(" ", clean).split()), first, last, turned)


def _least_rotation(text: str) -> str:
    """The least of ``text``'s rotations: two texts are rotations of one another when these are
    equal. Only rotations starting on the least letter can be least: they are found by ``str.find``
    (a loop over every letter in Python took twice as long, 3 % of the workers' time at L)."""
    low = min(text, default="")
    if not low:
        return ""
    k = text.find(low)
    best = text[k:] + text[:k]
    k = text.find(low, k + 1)
    while k >= 0:
        best = min(best, text[k:] + text[:k])
        k = text.find(low, k + 1)
    return best


def _rep_phonetics(rep: str) -> tuple[str, str, str, str]:
    """Phonetic forms of a manager's name: sorted, joined in order, consonant skeleton, and the phonetic
    form of the name with its first word cut to the initial (``a lahla`` for ``Abderrazak Lahlou``
    and ``A. Lahlu``)."""
    key, skeleton, flat = phonetic_key(rep)
    initial = phonetic_flat(_FIRST_WORD.sub(r"\1", rep)) if " " in rep else ""
    return key, flat, skeleton, initial


def _longest_token(key: str) -> str | None:
    return max(key.split(" "), key=len) or None


def _longest_tokens(values: pd.Series) -> pd.Series:
    """:func:`_longest_token` of each value (the first of the longest words; missing for a missing or
    empty value), worked out on the distinct values in Arrow: a Python call per distinct name took a
    second at L on the thread that builds the blocks."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    words = pc.split_pattern(pa.array(np.asarray(uniques, dtype=object), type=pa.string()), " ")
    flat = pc.list_flatten(words)
    parent = pc.list_parent_indices(words).to_numpy()
    length = pc.utf8_length(flat).to_numpy()
    # per value (every value has a word, an empty one for ""), its longest word, the first of ties (a
    # lexsort is stable: ties stay in the words' order)
    order = np.lexsort((-length, parent))
    first = order[np.r_[True, parent[order][1:] != parent[order][:-1]]] if len(order) else order
    best = flat.take(pa.array(first, type=pa.int64()))
    best = pc.if_else(pc.equal(pc.utf8_length(best), 0), pa.scalar(None, pa.string()), best)
    return pd.Series(pd.array(best, dtype="str").take(codes, allow_fill=True), index=values.index)


def prepare_features(records: pd.DataFrame) -> pd.DataFrame:
    """Normalised matching features, one row per record (same index as ``records``).

    Columns: name_clean, name_key, name_script, legal_form, ice, ice_root, rc_key, cin, aff,
    address, city, region, directorate, phone, phone_kind, email, rep, ... and the term frequencies
    (:func:`add_term_frequencies`).
    """
    return add_term_frequencies(prepare_record_features(records))


#: Columns of the records that :func:`prepare_record_features` reads (``record_id`` is not one).
FEATURE_INPUTS: tuple[str, ...] = tuple(c for c in COLUMNS if c != "record_id")
#: Columns whose term frequency (records holding the value) the score reads: ``<column>_freq``.
TF_COLUMNS: tuple[str, ...] = ("name_clean", "rep", "phone_number", "email", "phon_flat")


def add_term_frequencies(features: pd.DataFrame) -> pd.DataFrame:
    """``features`` with ``<column>_freq``: how many records of the file share each value of the
    :data:`TF_COLUMNS` (0 where missing). Frequencies depend on the whole file, the other features on
    the record alone (:func:`prepare_record_features`, which a month may take from a cache)."""
    import numpy as np
    import pandas as pd

    out = features.copy(deep=False)  # copy on write: the columns are shared, not copied (0.5 GB at L)
    # how many records share a value: agreeing on a common trade name, a frequent manager's name or
    # an accountant's phone proves less than agreeing on a rare one (term-frequency adjustment).
    # Counted on the values' codes (a hash table, then one bincount): a groupby-transform of text
    # columns took 6 s a column at L.
    for col in TF_COLUMNS:
        codes, uniques = pd.factorize(out[col], use_na_sentinel=True)
        counts = np.bincount(codes[codes >= 0], minlength=max(len(uniques), 1))  # all missing: 0s
        out[f"{col}_freq"] = np.where(codes >= 0, counts[np.maximum(codes, 0)], 0).astype("int64")
    return out


def prepare_record_features(records: pd.DataFrame) -> pd.DataFrame:
    """The features of :func:`prepare_features` that depend on the record alone (each row is a
    function of the record's :data:`FEATURE_INPUTS`), i.e. all but the term frequencies."""
    import pandas as pd

    df = records.reindex(columns=list(COLUMNS), fill_value="").astype("str").fillna("")
    for col in ("ice", "rc_number", "phone"):
        df[col] = _digits_misread(df[col])
    # the slow normalisers run on worker processes while this one does the vectorised columns
    with map_unique_all({
        "names": (df["name"], _name_features),
        "rc": (df["rc_number"] + "\x1f" + df["rc_court"], _rc_key),
        "cin": (df["cin"], normalize_cin),
        "address": (df["address"], normalize_address),
        "rep": (df["legal_rep_name"], _rep_features),
        "legal_form": (df["legal_form"], _legal_form_of),
    }, fields={"names": _NAME_FIELDS, "rc": None, "cin": None, "address": None,
               "rep": _REP_FIELDS, "legal_form": None}) as normalized:
        ice = ice_series(df["ice"])
        # a number read by OCR or keyed from a scan: the letters that look like digits are those digits
        aff = (df["affiliation_no"].str.translate(_DIGIT_LOOKALIKES).str.replace(r"\D", "", regex=True)
               .str.lstrip("0"))
        cities = city_series(df["city"])
        phones = phone_series(df["phone"])
        emails = email_series(df["email"])
        # where the city is no known Moroccan city (a foreign or misspelt locality), its folded text
        raw_city = _map_unique(df["city"], fold, parallel=False).str.strip()
        # any personal id number, valid CIN or not (a foreign id, a number with a typo): compared,
        # never a veto; only a valid CIN is the strong key ``cin``
        pid = df["cin"].str.upper().str.replace(r"[^0-9A-Z]", "", regex=True)
        got = normalized()
    out = pd.DataFrame(index=df.index)
    out["name_clean"] = got["names.clean"]
    out["name_key"] = got["names.key"]
    out["name_script"] = got["names.script"]
    forms_from_column = got["legal_form"]
    out["legal_form"] = forms_from_column.where(forms_from_column.notna(), got["names.legal_form"])
    # a sole trader's shop sign is compared on its own (field ``sign``), the owner's name as a name:
    # ``Pressing NadyaOuazzani`` is ``Nadia Ouazzani``'s pressing. A company's trade name stays whole.
    societe = pd.Series(_arrow_contains(df["name"], _SOCIETE_NAMED), index=df.index)
    # a form said (in its column or the name) wins over the designation: registers write "Sté" before
    # a sole trader's name too
    legal_person = out["legal_form"].isin(_LEGAL_PERSON_FORMS) | (societe & out["legal_form"].isna())
    out["legal_person"] = legal_person.to_numpy(dtype=bool)
    # a representative who is, by name, the record itself (``K. Oualy``, represented by ``Mme Oualy
    # Kawtar``): a natural person written as her own representative, no company naming its manager
    # (asked only where it decides something: a legal person is a company, a natural person's form says so)
    rep = got["rep.rep"]
    has_rep = rep.fillna("") != ""
    asked = has_rep & ~legal_person & (out["legal_form"] != "EI")
    out["rep_self"] = False
    if asked.any():
        both = rep[asked] + "\x1f" + out["name_clean"][asked].fillna("") + "\x1f" + df["name"][asked]
        out.loc[asked, "rep_self"] = _map_unique(both, _represents_self, parallel=False).to_numpy(dtype=bool)
    out["rep_self"] = out["rep_self"].astype(bool)
    # (a manager named on a record whose form says a natural person is the trader himself)
    sole = ~legal_person.to_numpy() & (~has_rep | (out["legal_form"] == "EI") | out["rep_self"]).to_numpy()
    out["name_sign"] = pd.Series(None, index=df.index, dtype="object")
    out["name_whole"] = pd.Series(None, index=df.index, dtype="object")  # with its sign, where one is off
    signed = _map_unique(out["name_clean"][sole], owner_of_shop_sign, parallel=False)
    # a name in two parts, a trade and its owner (``Cabinet Médical Inara (Boutaleb Haddou)``)
    two_parts = sole & df["name"].str.contains(_TWO_PARTS, regex=True).fillna(False).to_numpy(dtype=bool)
    if two_parts.any():
        parted = _map_unique(df["name"][two_parts], owner_of_signed_part, parallel=False).dropna()
        signed.loc[parted.index] = parted
    signed = signed.dropna()
    if len(signed):
        at = signed.index
        out.loc[at, "name_whole"] = out.loc[at, "name_clean"]
        for k, col in enumerate(("name_sign", "name_clean", "name_key", "name_script")):
            out.loc[at, col] = [f[k] for f in signed]
    # A 13-14 digit ICE made valid by left-padding may be a lost leading zero (a spreadsheet) or a
    # lost digit (a typo) that happens to pass mod 97 - seen colliding with other companies' roots.
    # It is kept for the golden record but is no strong key and vetoes nothing.
    padded = ice["ice_padded"].to_numpy()
    out["ice"] = ice["ice"]
    # an ICE that fails its check is no identifier (no strong key, no veto), but the same 15 digits on
    # two records are evidence all the same (field ``ice``, level ``unchecked``)
    out["ice_unchecked"] = ice["ice_unchecked"]
    out["ice_root"] = ice["ice_root"].where(~padded, None)
    out["rc_key"] = got["rc"]
    # a CIN identifies a natural person: on a company's record it is its manager's (whose name
    # legal_rep compares), no key or veto of the company, and no natural-person debtor's CIN
    out["cin"] = got["cin"].where(~legal_person, None)
    out["aff"] = aff.where(aff.str.len() >= 3, None).astype("object")
    out["address"] = got["address"]
    out = out.join(cities)
    out = out.join(phones)
    out["email"] = emails
    # forms of the clean name (joined, core, initials, turned) and its transliteration-aware phonetic
    # keys (Qadiri/Kadiri, Slawi/Slaoui, Meryem/Mariam, Arabic script), worked out beside its
    # normalisation on the workers; a shop read as its owner's has the owner's name's
    for col in (*_FORM_FIELDS, *_PHON_FIELDS):
        out[col] = got[f"names.{col}"]
    if len(signed):
        owner = out.loc[signed.index, "name_clean"].fillna("")
        owners = map_unique_text(owner, _clean_name_features, (*_FORM_FIELDS, *_PHON_FIELDS))
        for col, values in owners.items():
            out.loc[signed.index, col] = values
    out["locality"] = out["city"].where(out["city"].notna(), raw_city.where(raw_city != "", None))
    out["id_number"] = pid.where((pid.str.len() >= 5) & ~legal_person, None).astype("object")
    # the manager's name, its script, phonetically (Meryem El Khatib = MariamElKhatib), its skeleton
    # (across scripts), and with the given name cut to its initial (A. Lahlu = Abderrazak Lahlou)
    for col in _REP_FIELDS:
        out[col] = got[f"rep.{col}"]
    for col in ("name_clean", "name_key", "name_flat", "name_core", "name_initial", "name_initial_last",
                "name_turned", "phon_key", "phon_skeleton", "phon_flat", "address", "rep", "rep_phon",
                "rep_phon_flat", "rep_skeleton", "rep_initial"):
        out[col] = out[col].where(out[col] != "", None)
    return text_columns(out)


def text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its object columns of text in pandas' Arrow-backed ``str`` dtype (missing: NaN).

    A million records' features as Python strings took about 1.8 GB, in Arrow 0.55 GB (the
    debtor master's peak at L); the few places that need Python strings (the distinct values a
    comparison scores, the names the clustering reads) take them from these columns when they do."""
    out = frame.copy(deep=False)
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].astype("str")
    return out


def _rc_key(packed: str) -> str | None:
    number, _, court = packed.partition("\x1f")
    rc = normalize_rc(number, court)
    return f"{rc.number}@{rc.court}" if rc.number and rc.court else None


def release_memory() -> None:
    """Give memory freed by the process back to the system: Arrow's pool keeps the buffers it freed
    (about 0.5 GB after the features file at L) and glibc's heap keeps the free space between the
    pages still in use (``malloc_trim``; 0.4 GB after the lake's reads and again after the
    resolution at L). Without them a phase's garbage stays counted in the process until it ends."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, looked up once (``find_library`` runs ``ldconfig``); None elsewhere
    (not Linux, or musl)."""
    import ctypes
    import ctypes.util

    libc = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    return getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None


# ---------------------------------------------------------------------------------- candidates


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes of a column, -1 where missing: equality tests in bulk."""
    import pandas as pd

    codes, _ = pd.factorize(values, use_na_sentinel=True)
    return cast("np.ndarray", codes)


def _block_order(key: np.ndarray, order_by: np.ndarray | None) -> np.ndarray:
    """The records of the blocks of ``key`` (>= 0), block by block, each block in ``order_by`` order
    (record position when None): the order whose windows give a block's pairs."""
    import numpy as np

    idx = np.flatnonzero(key >= 0)
    if len(idx) == 0:
        return idx
    # key, order and position packed in one integer and sorted (one sort of distinct integers, 4 times
    # faster than a lexsort of the two keys at L), unless the product would not fit in 63 bits
    by = order_by[idx].astype(np.int64) if order_by is not None else np.zeros(len(idx), dtype=np.int64)
    keys = key[idx].astype(np.int64)
    span_by, n = int(by.max()) + 1, len(key)
    if (int(keys.max()) + 1) * span_by * n < 2**63:
        return cast("np.ndarray", np.sort((keys * span_by + by) * n + idx) % n)
    return cast("np.ndarray", idx[np.lexsort((by, keys))])


def _neighbour_order(values: pd.Series) -> np.ndarray:
    """The records holding a value, sorted by it (ties by position): a sorted neighbourhood's order."""
    import numpy as np
    import pandas as pd

    idx = np.flatnonzero(values.notna().to_numpy())
    # rank of each value in code-point order, as integers: a fixed-width numpy string array of a
    # million names costs four bytes per character of the longest one
    ranks, _ = pd.factorize(values.to_numpy()[idx], sort=True)
    return cast("np.ndarray", idx[np.argsort(ranks, kind="stable")])


def _window_pairs(key: np.ndarray, order_by: np.ndarray | None, window: int) -> np.ndarray:
    """Pairs (i, j) of records sharing ``key`` (>= 0) within ``window`` positions once sorted.

    Small blocks give all their pairs; big ones a sorted neighbourhood (bounded work, no blow-up).
    """
    import numpy as np

    idx = _block_order(key, order_by)
    if len(idx) < 2:
        return np.empty((0, 2), dtype=np.int64)
    k = key[idx]
    chunks = []
    for step in range(1, window):
        same = k[:-step] == k[step:]
        if not same.any():
            break
        chunks.append(_ordered_pairs(idx[:-step][same], idx[step:][same]))
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(chunks)


def _neighbour_pairs(values: pd.Series, window: int) -> np.ndarray:
    """Pairs of records within ``window`` positions once sorted by ``values`` (missing left out)."""
    import numpy as np

    idx = _neighbour_order(values)
    chunks = [_ordered_pairs(idx[:-step], idx[step:]) for step in range(1, min(window, len(idx)))]
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(chunks)


def _ordered_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The pairs (a, b) as an (n, 2) array, each row (i, j) with i <= j: the smaller, then the larger (a
    sort along the rows sorts each row on its own, five times slower)."""
    import numpy as np

    return np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)


def _combine(*parts: pd.Series) -> np.ndarray:
    """Codes of a compound key; missing when any part is missing (integer arithmetic, no strings)."""
    import numpy as np

    codes = _codes(parts[0]).astype(np.int64)
    for p in parts[1:]:
        other = _codes(p).astype(np.int64)
        ok = (codes >= 0) & (other >= 0)
        packed = np.where(ok, codes * (int(other.max(initial=0)) + 1) + other, -1)
        codes = np.full(len(packed), -1, dtype=np.int64)
        if ok.any():
            _, inverse = np.unique(packed[ok], return_inverse=True)
            codes[ok] = inverse.ravel()
    return codes


def _narrow(codes: np.ndarray) -> np.ndarray:
    """Integer codes in 32 bits when they fit (-1 = missing kept)."""
    import numpy as np

    if len(codes) and int(codes.max()) >= np.iinfo(np.int32).max:
        return codes
    return codes.astype(np.int32)


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array (np.unique's hash path is many times slower on the tens
    of millions of packed pairs of a large file)."""
    import numpy as np

    if len(values) == 0:
        return values
    return values[np.r_[True, values[1:] != values[:-1]]]


def _blocking_keys(features: pd.DataFrame,
                   config: MatchConfig) -> tuple[np.ndarray, list[tuple[np.ndarray, int]]]:
    """The blocks of :func:`candidate_pairs`: the order records take inside a block, and each block's key
    codes (-1: not in it) and window."""
    import pandas as pd

    # each block's key on the threads (pandas' and numpy's hashing and sorting let the GIL go), those
    # of one column first while this thread takes the longest words of the names
    with ThreadPoolExecutor(max_workers=compare_threads()) as pool:
        # inside a big block, neighbours in alphabetical order of the clean name are the likely twins
        name_order = pool.submit(lambda: pd.factorize(features["name_clean"].fillna(""), sort=True)[0])
        single = {c: pool.submit(_codes, features[c])
                  for c in ("phone_number", "email", "name_key", "id_number", "phon_key", "phon_skeleton")}
        rep_here = pool.submit(_combine, features["rep"], features["locality"])
        addr_head = features["address"].str.slice(0, 14)
        addr_here = pool.submit(_combine, addr_head, features["locality"])
        longest = _longest_tokens(features["name_clean"])
        phon_longest = _longest_tokens(features["phon_key"])
        # (the first and the last word of the name with the locality were blocks too: 2.3 M of the 18.4 M
        # pairs at L, for 50 true links out of 125,000 that no other block found; benchmarks.md)
        keys = [
            (single["phone_number"], config.contact_window),
            (single["email"], config.contact_window),
            (single["name_key"], config.window),
            (pool.submit(_combine, longest, features["locality"]), config.window),
            (rep_here, config.manager_window),
            (pool.submit(_combine, longest, features["rep"]), config.window),  # moved to another city
            (addr_here, config.window),
            (single["id_number"], config.contact_window),  # any id number, valid or not
            (pool.submit(_combine, longest, addr_head), config.window),  # the street, the locality mistyped
            # transliterations: Qadiri/Kadiri, Slawi/Slaoui, a name in Arabic script and its Latin twin
            (single["phon_key"], config.window),
            (single["phon_skeleton"], config.window),
            (pool.submit(_combine, phon_longest, features["locality"]), config.window),
            # a sole trader's shop under its sign and brand, by its owner's (its representative's) name
            (pool.submit(_owner_skeletons, features), config.window),
        ]
        blocks = [(key.result(), window) for key, window in keys]
        return name_order.result(), blocks


def _owner_skeletons(features: pd.DataFrame) -> np.ndarray:
    """Key codes of the block that meets a sole trader's shop known by its sign and brand (``Café
    Souss``, represented by its owner) with its owner's other records: the owner's name's consonant
    skeleton for the shop, the name's for every other record; only the keys a shop holds (-1 elsewhere)."""
    import numpy as np

    shop = _owners_shops(features) & features["rep_skeleton"].notna().to_numpy()
    if not shop.any():  # no such shop (none in the project generator's files; an empty file)
        return np.full(len(shop), -1, dtype=np.int64)
    codes = _codes(features["phon_skeleton"].where(~shop, features["rep_skeleton"]))
    held = np.zeros(int(codes.max()) + 2, dtype=bool)
    held[codes[shop]] = True
    return np.where((codes >= 0) & held[codes], codes, -1)


def _owners_shops(features: pd.DataFrame) -> np.ndarray:
    """Per record, whether it is a sole trader's shop under its sign and brand whose representative is
    its owner (``rep_self``): ``Café Souss``, represented by Noureddine Alaoui, is also his."""
    owned = features["rep_self"].to_numpy(dtype=bool) & features["name_sign"].notna().to_numpy()
    return cast("np.ndarray", owned)


#: Columns of the sorted neighbourhoods across values: an id number mistyped in its last digits, a
#: name whose ending (or the second word) is misspelt.
_NEIGHBOUR_COLUMNS = ("id_number", "name_flat")


def candidate_pairs(features: pd.DataFrame, config: MatchConfig) -> np.ndarray:
    """Unique candidate pairs (i < j) from the blocking keys, as an (n, 2) int array (the pairs of
    some records only: :class:`BlockingIndex`)."""
    import numpy as np

    name_order, blocks = _blocking_keys(features, config)
    base = len(features) + 1

    def merged(keys: np.ndarray, part: np.ndarray) -> np.ndarray:
        # two sorted runs: the stable sort (timsort) merges them in linear time; the blocks' pairs are
        # never concatenated all at once
        return _distinct_sorted(np.sort(np.concatenate([keys, part]), kind="stable"))

    def block_pairs(k: int) -> np.ndarray:
        if k < len(blocks):
            key, w = blocks[k]
            return _packed(_window_pairs(key, name_order, w), base)
        # sorted neighbourhood across values: an id number mistyped in its last digits, a name whose
        # ending (or the second word) is misspelt
        column = _NEIGHBOUR_COLUMNS[k - len(blocks)]
        return _packed(_neighbour_pairs(features[column], config.neighbour_window), base)

    keys = np.empty(0, dtype=np.int64)
    # blocks on as many threads as cores (numpy's sorts let the GIL go), merged here in their order;
    # a block's pairs wait packed (8 bytes a pair: at L all blocks' pairs together take 210 MB)
    with ThreadPoolExecutor(max_workers=compare_threads()) as pool:
        for part in pool.map(block_pairs, range(len(blocks) + len(_NEIGHBOUR_COLUMNS))):
            keys = merged(keys, part)
    if len(keys) == 0:
        return np.empty((0, 2), dtype=np.int64)
    return _unpacked(keys, base)


def _packed(pairs: np.ndarray, base: int) -> np.ndarray:
    """Pairs (i, j) as one integer each, ``i * base + j``, sorted and distinct: half the memory of the
    (n, 2) pairs, and the union of the blocks is built from these, never from all blocks' pairs at once."""
    import numpy as np

    return _distinct_sorted(np.sort(pairs[:, 0].astype(np.int64) * base + pairs[:, 1]))


def _unpacked(keys: np.ndarray, base: int) -> np.ndarray:
    """Pairs packed as ``i * base + j`` back to an (n, 2) array, pairs of a record with itself left out;
    unpacked in place: no quotient and remainder temporaries beside the pairs (18 M pairs at L)."""
    import numpy as np

    out = np.empty((len(keys), 2), dtype=np.int64)
    np.floor_divide(keys, base, out=out[:, 0])
    np.remainder(keys, base, out=out[:, 1])
    same = out[:, 0] == out[:, 1]
    return out[~same] if same.any() else out


class BlockingIndex:
    """The blocks of :func:`candidate_pairs` sorted once (in the order of its windows): then the
    candidate pairs of any records of the file (:meth:`pairs`), the very pairs of the whole file with
    one of them on a side, at the cost of those records' neighbours. An incremental month asks for them
    in rounds; sorting every block of the whole file takes about 12 s at L."""

    def __init__(self, features: pd.DataFrame, config: MatchConfig):

        self.n = len(features)
        self._blocks: list[tuple[np.ndarray, np.ndarray | None, np.ndarray, int]] = []
        name_order, blocks = _blocking_keys(features, config)
        for key, window in blocks:
            idx = _block_order(key, name_order)
            self._add(idx, key[idx], window)
        for column in _NEIGHBOUR_COLUMNS:
            self._add(_neighbour_order(features[column]), None, config.neighbour_window)

    def _add(self, idx: np.ndarray, key: np.ndarray | None, window: int) -> None:
        import numpy as np

        # held through every round: positions, record numbers and key codes all fit in 32 bits (a
        # million records' 16 blocks took 0.38 GB in 64 bits)
        small = np.int32 if self.n < np.iinfo(np.int32).max else np.int64
        position = np.full(self.n, -1, dtype=small)
        position[idx] = np.arange(len(idx), dtype=small)
        self._blocks.append((idx.astype(small), None if key is None else _narrow(key), position, window))

    def pairs(self, focus: np.ndarray) -> np.ndarray:
        """Unique candidate pairs (i < j) with a side flagged in ``focus``, as an (n, 2) int array."""
        import numpy as np

        rows = np.flatnonzero(focus)
        base = self.n + 1
        found = [np.empty(0, dtype=np.int64)]
        for idx, key, position, window in self._blocks:
            at = position[rows]
            at = at[at >= 0]
            for step in range(1, window):
                for a, b in ((at, at + step), (at - step, at)):  # the neighbours after, then before
                    inside = (a >= 0) & (b < len(idx))
                    a, b = a[inside], b[inside]
                    if key is not None:  # within a block only
                        same = key[a] == key[b]
                        a, b = a[same], b[same]
                    i, j = idx[a].astype(np.int64), idx[b].astype(np.int64)
                    found.append(np.minimum(i, j) * base + np.maximum(i, j))
        return _unpacked(np.unique(np.concatenate(found)), base)


def _similarities(a: np.ndarray, b: np.ndarray, scorers: Sequence[Callable[..., float]]) -> np.ndarray:
    """Best of rapidfuzz scorers (0-100) over aligned object arrays, -1 where either side is missing.

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
            # rapidfuzz's own scorers run in C++; its distance module scores 0-1, fuzz 0-100
            scale = 100.0 if getattr(scorer, "__module__", "").startswith("rapidfuzz.distance") else 1.0
            best = np.maximum(best, scale * process.cpdist(left, right, scorer=scorer, workers=-1))
        out[present] = best
    return out


def _names_alike(a: str, b: str, pa: tuple[str, str, str] | None, pb: tuple[str, str, str] | None) -> float:
    """Token-set similarity of two clean names, or of their phonetic forms (``phonetic_key``: the
    sorted forms, the forms joined in order, the consonant skeleton) when that is higher: ``Meryem
    Rifai`` and ``Errifai Meriem``, ``Najat Chraibi`` and ``NejatChraibi`` are one name; so are a name
    with Arabic letters and one with the same consonants (``العلوي عيسى``, ``Alaoui Aissa``)."""
    from rapidfuzz import fuzz

    best = fuzz.token_set_ratio(a, b)
    if pa is not None and pb is not None and best < 100:
        best = max(best, fuzz.token_set_ratio(pa[0], pb[0]), fuzz.ratio(pa[1], pb[1]))
        if pa[2] and pa[2] == pb[2] and _ARABIC_RE.search(a + b) is not None:
            best = 100
    return float(best)


def _name_similarity(a: str, b: str) -> float:
    """Ordered ratio or token-sort ratio, the best: a typo in a glued word, or swapped words."""
    from rapidfuzz import fuzz

    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b))


# --------------------------------------------------------------------------- comparison levels

# Priors of the Fellegi-Sunter model (recouvra.fellegi_sunter): per level, how often the records of one
# entity (m) and of two entities (u) fall there. They only steer small files; on a file of a few
# thousand records or more the data's own estimates (EM for m, random pairs for u) dominate.
FS_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", ("differ", "weak", "partial", "phonetic", "close", "same_key", "exact"),
              (0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.4), (0.9, 0.09, 0.008, 0.0008, 0.0015, 0.0004, 0.0001)),
    FieldSpec("address", ("differ", "weak", "similar", "close", "exact"),
              (0.2, 0.05, 0.1, 0.15, 0.5), (0.95, 0.04, 0.008, 0.0015, 0.0005)),
    FieldSpec("locality", ("differ", "similar", "exact"), (0.15, 0.05, 0.8), (0.9, 0.02, 0.08)),
    FieldSpec("phone", ("differ", "exact"), (0.25, 0.75), (0.99995, 0.00005)),
    FieldSpec("email", ("differ", "exact"), (0.4, 0.6), (0.9999, 0.0001)),
    FieldSpec("legal_rep", ("differ", "similar", "close", "exact"), (0.05, 0.05, 0.2, 0.7),
              (0.98, 0.015, 0.004, 0.001)),
    FieldSpec("legal_form", ("differ", "exact"), (0.05, 0.95), (0.6, 0.4)),
    FieldSpec("id_number", ("differ", "one_edit", "exact"), (0.1, 0.1, 0.8), (0.99989, 0.0001, 0.00001)),
    # exact: one valid ICE; unchecked: the same digits failing the ICE's check on both records
    FieldSpec("ice", ("differ", "unchecked", "exact"), (0.1, 0.2, 0.7), (0.99999, 0.000005, 0.000005)),
    FieldSpec("rc", ("differ", "exact"), (0.3, 0.7), (0.9999, 0.0001)),
    FieldSpec("affiliation_no", ("differ", "exact"), (0.5, 0.5), (0.99999, 0.00001)),
    # a sole trader's shop sign (``Pressing``, ``Épicerie``), compared where both records carry one
    FieldSpec("sign", ("differ", "exact"), (0.1, 0.9), (0.9, 0.1)),
)
_FS_EXACT = {"name": 6, "phone": 1, "email": 1, "legal_rep": 3}  # exact levels with frequency adjustment
_MOVE_FIELDS = ("address", "locality", "phone", "rc")  # what a debtor who moves changes together
# fields whose rare values count for more (names: their frequencies are skewed, a random pair agrees
# on them far more often than on a phone or an e-mail, so the average u says little of a rare one)
_TF_RARE = frozenset({"name", "legal_rep"})
# a level below exact whose rare values count for more too (names: the same words, or a typo of a
# long name, ``same_key``), as splink's term frequencies on a fuzzy level; not the looser levels, where
# two invented trade names a letter apart (``Zitra``, ``Titra Boulangerie``) are two companies as often
_TF_NEAR = {"name": 5}
_SAME_NAME = 5  # name levels from here up: the same name (its words, or a typo of a long one) or exact
_TF_COLUMN = {"name": "name_clean", "phone": "phone_number", "email": "email", "legal_rep": "rep"}


@dataclass
class _Compared:
    """Comparison levels of aligned pairs, and similarities behind them.

    ``sims`` holds the legal representatives' similarity (the acceptance rules read it for every
    pair); the names' and addresses' are computed only when asked (``compare_pairs(..., evidence=True)``,
    for the evidence of the pairs that link): two float arrays as long as the candidates, 0.3 GB at L.
    ``same`` and ``differ`` (both sides present and equal, or present and different) are read from the
    columns' codes when asked, not held for every pair of every column (0.3 GB at L)."""

    pairs: np.ndarray
    levels: dict[str, np.ndarray]
    sims: dict[str, np.ndarray]
    columns: dict[str, _Column]

    def take(self, at: np.ndarray, *, columns: bool = True) -> _Compared:
        """The pairs at ``at`` alone, their levels and similarities; ``columns=False`` leaves the columns'
        codes out (``same``/``differ`` cannot be asked of the result)."""
        return _Compared(self.pairs[at], {f: v[at] for f, v in self.levels.items()},
                         {f: v[at] for f, v in self.sims.items()}, self.columns if columns else {})

    @property
    def same(self) -> _Agreement:
        return _Agreement(self.columns, self.pairs, differ=False)

    @property
    def differ(self) -> _Agreement:
        return _Agreement(self.columns, self.pairs, differ=True)


def _both_and_equal(codes: np.ndarray, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For pairs (``i``, ``j``) of a factorised column (-1 = missing): both sides present, and both
    present and equal."""
    ci, cj = codes[i], codes[j]
    both = (ci >= 0) & (cj >= 0)
    return both, both & (ci == cj)


#: Columns compared for equality that the acceptance rules read (``_Compared.same``, ``.differ``).
_AGREEMENT_COLUMNS = ("phone_number", "email", "city", "legal_form", "ice_root", "cin", "rc_key", "aff",
                      "ice")


class _Agreement(Mapping[str, "np.ndarray"]):
    """Per column, whether each pair's two values are both present and equal (or, ``differ``,
    both present and different), computed from the column's codes when read."""

    def __init__(self, columns: dict[str, _Column], pairs: np.ndarray, *, differ: bool):
        self.columns, self.pairs, self.differ = columns, pairs, differ

    def __getitem__(self, col: str) -> np.ndarray:
        import numpy as np

        if col not in _AGREEMENT_COLUMNS:
            raise KeyError(col)
        codes = self.columns[col].codes
        out = np.empty(len(self.pairs), dtype=bool)
        for a in range(0, len(self.pairs), COMPARE_CHUNK):  # temporaries of one chunk at a time
            chunk = self.pairs[a : a + COMPARE_CHUNK]
            both, equal = _both_and_equal(codes, chunk[:, 0], chunk[:, 1])
            out[a : a + len(chunk)] = both & ~equal if self.differ else equal
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(_AGREEMENT_COLUMNS)

    def __len__(self) -> int:
        return len(_AGREEMENT_COLUMNS)


class _Column:
    """A column factorised once: integer codes (-1 = missing) and, for a column compared by
    similarity, its distinct values (a column compared for equality needs its codes alone)."""

    def __init__(self, values: pd.Series, *, with_values: bool = True, sorted_words: bool = False):
        import numpy as np
        import pandas as pd

        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        # int32: 25 columns of a million records (a value's code fits: fewer values than records)
        self.codes = codes.astype(np.int32)
        # the distinct values as Python strings, once: a comparison takes those of the pairs it scores,
        # a chunk at a time (:func:`_pair_similarity`); Arrow text converted per chunk cost 10 % of
        # the comparison at L, held as strings it costs about 50 MB more
        self.uniques = np.asarray(uniques, dtype=object) if with_values else np.empty(0, dtype=object)
        # each distinct value with its words in order, for a column compared by token-sort ratio: that
        # ratio is the plain ratio of these forms (rapidfuzz splits on white space and sorts the words
        # in every call); sorting once per value rather than once per pair makes it 3 times faster
        self.sorted_words: np.ndarray | None = None
        # per record, for the address: whether it can stand for a house, whether it is written in
        # Arabic script (see :func:`_columns`)
        self.placed: np.ndarray = np.zeros(0, dtype=bool)
        self.arabic: np.ndarray = np.zeros(0, dtype=bool)
        # for a column whose value is a function of another's (a name's joined form, its phonetic key):
        # the code of each of the other's values here (-1: none), see :func:`_derived_codes`
        self.base_codes: np.ndarray | None = None
        # for a name or phonetic key, each value's words as bits (one of 64 per distinct word) and
        # whether a word comes twice in it, one more entry for a missing value (all bits, twice): see
        # :func:`_may_share_a_word`
        self.word_bits: np.ndarray | None = None
        self.repeats: np.ndarray | None = None
        # for a column scored by ratio or Jaro-Winkler: each value's letters counted (see :class:`_Bags`);
        # for a column derived from another: whether its values are the other's without their spaces
        self.bags: _Bags | None = None
        self.spaceless = False
        # only for words parted by single ASCII spaces (what the normalisers write): rapidfuzz's own
        # scorers split other white space (U+0085, U+00A0, leading, doubled) in ways of their own, and
        # a column holding any such value keeps them
        words = self.uniques.tolist() if sorted_words else []
        if words and not any(_ODD_SPACE.search(v) for v in words):
            self.sorted_words = np.asarray([" ".join(sorted(v.split(" "))) for v in words], dtype=object)


    @classmethod
    def of_codes(cls, codes: np.ndarray) -> _Column:
        """A column compared for equality, from codes factorised elsewhere (with another column's)."""
        import numpy as np

        col = cls.__new__(cls)
        col.codes, col.uniques, col.sorted_words = codes, np.empty(0, dtype=object), None
        col.base_codes = col.word_bits = col.repeats = col.bags = None
        col.spaceless = False
        col.placed = col.arabic = np.zeros(0, dtype=bool)
        return col


# white space other than one ASCII space between two words
_ODD_SPACE = re.compile(r"[^\S ]|  |^ | $")


def _distinct_value_pairs(col: _Column, i: np.ndarray,
                          j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct pairs of values of the record pairs ``(i, j)`` (both present), in either order:
    ``(inverse, left, right)``, each pair's index into them and their values' codes."""
    return _distinct_code_pairs(col.codes[i], col.codes[j], len(col.uniques) + 1)


def _distinct_code_pairs(ci: np.ndarray, cj: np.ndarray,
                         base: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_distinct_value_pairs` from the pairs' codes (``base``: more than the largest code)."""
    import numpy as np
    import pandas as pd

    # int64: the pair's key below is a product of two codes
    lo = np.minimum(ci, cj).astype(np.int64)
    hi = np.maximum(ci, cj).astype(np.int64)
    # the distinct pairs only, found by a hash table (np.unique sorted them, at twice the cost; the
    # order of the distinct pairs does not matter)
    inverse, uniq = pd.factorize(lo * base + hi)
    left, right = np.divmod(uniq, base)
    return inverse, left, right


_BAG_CHUNK = 65_536  # values counted, or pairs bounded, at once (their temporaries: 4 to 32 MB)
#: the letters of a class of their own in :class:`_Bags` (their place here is their class), the space last
_BAG_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789 "
_SPACE_CLASS = len(_BAG_LETTERS) - 1


class _Bags:
    """Each distinct value's letters counted in 64 classes (a to z, the ten digits, the space, the
    rest by their code point), and its length: a bound on how alike two values can be, worked out
    for many pairs at once in numpy.

    Two texts have at most ``common = sum(min(count_a, count_b))`` letters in common (each class's
    letters, fewer classes than letters only adds to the sum), so their Indel ratio
    (``fuzz.ratio``, of the words sorted too) is at most ``200 * common / (len_a + len_b)`` and their
    Jaro similarity at most ``(common / len_a + common / len_b + 1) / 3`` (its matching letters are
    common letters), Jaro-Winkler at most that plus 0.4 of what it lacks (four letters of prefix at
    0.1). A pair whose bound is under a caller's floor cannot reach it: it is not scored, which spares
    the scorer and the Python strings taken for it (difflib's ``quick_ratio``, for many pairs).
    Counts past 255 are kept at 255 and their values are never left out."""

    def __init__(self, values: np.ndarray):
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        ascii_class = np.full(128, len(_BAG_LETTERS), dtype=np.int64)  # any other ASCII: one class
        ascii_class[[ord(ch) for ch in _BAG_LETTERS]] = np.arange(len(_BAG_LETTERS))
        listed = values.tolist()
        self.counts = np.empty((len(listed), 64), dtype=np.uint8)
        self.lengths = np.empty(len(listed), dtype=np.int64)
        self.whole = np.empty(len(listed), dtype=bool)
        for a in range(0, len(listed), _BAG_CHUNK):  # the counts' temporaries a chunk at a time
            part = listed[a : a + _BAG_CHUNK]
            lengths = pc.utf8_length(pa.array(part, type=pa.string())).to_numpy(zero_copy_only=False)
            points = np.frombuffer("".join(part).encode("utf-32-le"), dtype="<u4")
            # other letters (Arabic, accented) share the 26 classes left by their code point
            klass = np.where(points < 128, ascii_class[np.minimum(points, 127)],
                             len(_BAG_LETTERS) + 1 + points % (63 - len(_BAG_LETTERS)))
            owner = np.repeat(np.arange(len(part), dtype=np.int64), lengths)
            counts = np.bincount(owner * 64 + klass, minlength=len(part) * 64).reshape(len(part), 64)
            self.counts[a : a + len(part)] = np.minimum(counts, 255)
            self.lengths[a : a + len(part)] = lengths
            self.whole[a : a + len(part)] = counts.max(axis=1, initial=0) <= 255  # none kept at 255
        self.spaces = np.ascontiguousarray(self.counts[:, _SPACE_CLASS])

    def reachable(self, left: np.ndarray, right: np.ndarray, scorers: Sequence[Callable[..., float]],
                  floor: float, *, spaceless: bool = False) -> np.ndarray:
        """Which pairs of values (codes ``left``, ``right``) may reach ``floor`` (0-100) by one of
        ``scorers``; every pair for a scorer this class cannot bound. ``spaceless``: the values with
        their spaces taken out are scored (a name's joined form, bounded on the name's counts)."""
        import numpy as np
        from rapidfuzz import fuzz

        if not all(scorer in _bounded_scorers() for scorer in scorers):
            return np.ones(len(left), dtype=bool)
        common = np.empty(len(left), dtype=np.int64)
        for at in range(0, len(left), _BAG_CHUNK):  # the pairs' counts (64 bytes a side) a part at a time
            # rows gathered by np.take (a copy of each row), not by indexing (numpy's indexing iterates
            # element by element: 3.6 times slower for these 64-byte rows); 64 counts of at most 255
            # sum in 16 bits
            a = np.take(self.counts, left[at : at + _BAG_CHUNK], axis=0)
            b = np.take(self.counts, right[at : at + _BAG_CHUNK], axis=0)
            common[at : at + len(a)] = np.minimum(a, b, out=a).sum(axis=1, dtype=np.uint16)
        la, lb = self.lengths[left], self.lengths[right]
        if spaceless:
            sa, sb = self.spaces[left], self.spaces[right]
            common -= np.minimum(sa, sb)
            la, lb = la - sa, lb - sb
        reach = ~(self.whole[left] & self.whole[right]) | (la == 0) | (lb == 0)
        slack = floor - 1e-3  # the scorers give float32: a score is within 1e-5 of its exact value
        for scorer in scorers:
            if scorer in (fuzz.ratio, fuzz.token_sort_ratio):
                reach |= 200.0 * common >= slack * (la + lb)
            else:  # Jaro-Winkler
                with np.errstate(divide="ignore", invalid="ignore"):
                    jaro = (common / la + common / lb + 1.0) / 3.0
                reach |= 100.0 * (0.6 * jaro + 0.4) >= slack
        return cast("np.ndarray", reach)


def _bounded_scorers() -> tuple[Callable[..., float], ...]:
    """The scorers :meth:`_Bags.reachable` bounds."""
    from rapidfuzz import fuzz
    from rapidfuzz.distance import JaroWinkler

    return fuzz.ratio, fuzz.token_sort_ratio, JaroWinkler.normalized_similarity


class _ValuePairs:
    """The record pairs ``(i, j)`` of a chunk on one factorised column: which hold two values, which the
    same one, and the distinct pairs of different values, found once (a hash table over the pairs) and
    scored by several scorers, on subsets of the pairs, and on forms of the values
    (:meth:`similarity`'s ``derived``): a name's ratio, its token-set ratio, its joined form and its
    phonetic key are four scorings of one set of distinct pairs, which were four hash tables."""

    def __init__(self, col: _Column, i: np.ndarray, j: np.ndarray):
        import numpy as np

        self.col, self.i, self.j = col, i, j
        ci, cj = col.codes[i], col.codes[j]
        self.both = (ci >= 0) & (cj >= 0)
        self.equal = self.both & (ci == cj)
        work = np.flatnonzero(self.both & ~self.equal)
        inverse, self.left, self.right = _distinct_code_pairs(ci[work], cj[work], len(col.uniques) + 1)
        # each pair's distinct value pair (-1: not two different values)
        self.slot = np.full(len(i), -1, dtype=np.int64)
        self.slot[work] = inverse

    def similarity(self, scorers: Sequence[Callable[..., float]], todo: np.ndarray | None = None, *,
                   derived: _Column | None = None, distance: bool = False,
                   floor: float | None = None) -> np.ndarray:
        """Best of rapidfuzz scorers (0-100) per pair, as :func:`_pair_similarity` gives it, of this
        column or of ``derived``, a column whose value is a function of this one's
        (:attr:`_Column.base_codes`): -1 where a side is missing or the pair is not in ``todo``, 100
        (0 for a ``distance``) for equal values; each distinct pair of values scored once.

        ``floor`` (0-100): the caller reads the scores only against bars at or above it, so a pair
        whose letters show it cannot reach it (:class:`_Bags`, on a column that counts them) may be
        given 0 unscored; every other score is exactly as without."""
        import numpy as np
        from rapidfuzz import fuzz, process

        if derived is None:
            col, both, equal = self.col, self.both, self.equal
        else:
            col = derived
            both, equal = _both_and_equal(derived.codes, self.i, self.j)
        out = np.full(len(self.i), -1.0)
        out[equal] = 0.0 if distance else 100.0
        # two different derived values come of two different values of this column
        work = both & ~equal if todo is None else both & ~equal & todo
        if not work.any():
            return out
        slots = self.slot[work]
        needed = np.zeros(len(self.left), dtype=bool)
        needed[slots] = True
        at = np.flatnonzero(needed)
        left, right = self.left[at], self.right[at]
        # the pairs whose letters alone keep every scorer under the floor are not scored: 0 (this
        # column's counts bound a derived column that is its values without their spaces)
        bags = self.col.bags if derived is None or derived.spaceless else None
        reach = None if bags is None or floor is None else \
            bags.reachable(left, right, scorers, floor, spaceless=derived is not None)
        if derived is not None:
            assert derived.base_codes is not None
            left, right = derived.base_codes[left], derived.base_codes[right]
        if reach is not None:
            at, left, right = at[reach], left[reach], right[reach]
        scores = np.zeros(len(self.left))
        plain: tuple[np.ndarray, np.ndarray] | None = None
        best = np.full(len(at), np.inf if distance else 0.0)
        for scorer in scorers:
            # rapidfuzz's distance module scores 0-1, fuzz 0-100
            scale = 100.0 if not distance and scorer.__module__.startswith("rapidfuzz.distance") else 1.0
            if scorer is fuzz.token_sort_ratio and col.sorted_words is not None:
                # the same score from the words sorted once per value (see :class:`_Column`)
                got = process.cpdist(col.sorted_words[left], col.sorted_words[right],
                                     scorer=fuzz.ratio, workers=-1)
            else:
                # (the texts as numpy's object arrays, which rapidfuzz reads as it reads lists: a
                # million pairs by fuzz.ratio took 0.40 s so, 0.43 s with a list made of each side)
                if plain is None:
                    plain = col.uniques[left], col.uniques[right]
                got = scale * process.cpdist(*plain, scorer=scorer, workers=-1)
            best = np.minimum(best, got) if distance else np.maximum(best, got)
        scores[at] = best
        out[work] = scores[slots]
        return out

    def derived(self, derived: _Column, scorers: Sequence[Callable[..., float]],
                todo: np.ndarray | None = None, *, floor: float | None = None) -> np.ndarray:
        """:meth:`similarity` of ``derived``, from this column's distinct pairs when its values are a
        function of this column's, else from its own."""
        if derived.base_codes is None:
            return _ValuePairs(derived, self.i, self.j).similarity(scorers, todo, floor=floor)
        return self.similarity(scorers, todo, derived=derived, floor=floor)


def _pair_similarity(
    col: _Column, i: np.ndarray, j: np.ndarray, scorers: Sequence[Callable[..., float]],
    todo: np.ndarray | None = None, *, distance: bool = False,
) -> np.ndarray:
    """Best of rapidfuzz scorers (0-100) per pair: -1 where a side is missing, 100 for equal values.

    Each distinct pair of distinct values is scored once (``process.cpdist``, C++, every core): the
    same two spellings met in many pairs cost one comparison. ``todo`` limits the work to some pairs
    (the others get -1); ``distance`` returns the smallest raw distance instead (0 when equal)."""
    return _ValuePairs(col, i, j).similarity(scorers, todo, distance=distance)


def _addresses_across_scripts(col: _Column, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Address level of pairs written in two scripts, from their :func:`address_skeleton`: exact (4)
    never; close (3) the same numbers and words; similar (2) one's within the other's (a quarter or
    a flat left out), or the same words and no number on either (a village, ``دوار إداوتنان`` and
    ``Douar Idaoutanane``: as written in one script they would be one text); weak (1) a number and a
    word in common; differ (0) otherwise."""
    import numpy as np

    inverse, left, right = _distinct_value_pairs(col, i, j)
    out = np.zeros(len(left), dtype=np.int8)
    for k, (a, b) in enumerate(zip(col.uniques[left].tolist(), col.uniques[right].tolist(), strict=True)):
        sa, sb = address_skeleton(a), address_skeleton(b)
        common = sa & sb
        numbers = sum(w.isdigit() for w in common)
        if sa == sb and sa and not numbers:
            out[k] = 2
            continue
        if not numbers or numbers == len(common):  # a number and a word, at least
            continue
        out[k] = 3 if sa == sb else 2 if common in (sa, sb) else 1
    return cast("np.ndarray", out[inverse])


# columns compared by similarity (their distinct values are kept) and for equality only (codes)
_SIMILARITY_COLUMNS = ("name_clean", "name_flat", "phon_key", "address", "rep", "rep_phon", "rep_phon_flat",
                       "locality", "id_number", "name_whole")
# similarity columns compared by token-sort ratio (their values' words are sorted once, see _Column)
_TOKEN_SORT_COLUMNS = ("name_clean", "address", "rep", "rep_phon")
_EQUALITY_COLUMNS = ("name_key", "name_core", "name_turned", "name_initial", "name_initial_last",
                     "phon_skeleton", "phon_flat", "name_sign", "rep_skeleton", "rep_initial", "phone_number",
                     "email", "city", "legal_form", "ice_root", "cin", "rc_key", "aff", "ice",
                     "ice_unchecked")
# text resolve no longer needs once the columns are factorised and the candidate pairs built (the
# acceptance rules still read cin, legal_form and rep; the similarity columns' values stay in codes)
_DROPPED_AFTER_CODES = ("name_key", "name_core", "name_turned", "name_initial", "name_initial_last",
                        "phon_key", "phon_skeleton", "phon_flat", "name_sign", "name_whole",
                        "rep_phon", "rep_phon_flat", "rep_skeleton", "rep_initial",
                        "phone", "phone_number", "email", "ice_root", "rc_key",
                        "aff", "ice", "ice_unchecked", "name_flat", "address", "id_number", "region",
                        "directorate", "phone_kind")


def _columns(features: pd.DataFrame, config: MatchConfig | None = None,
             oversized: Mapping[str, np.ndarray] | None = None) -> dict[str, _Column]:
    """The compared columns, factorised. An unchecked ICE, a CIN or an id number held by more than
    ``max_key_group`` records is a filler (``123456789012345``, ``X999999``), as a strong key would be:
    it counts for nothing, agreeing or differing (:data:`_PLACEHOLDER_COLUMNS`). ``oversized``: those of
    a larger file, flagged per record (:func:`oversized_key_groups`), for a part of it, which cannot
    count them itself."""
    import numpy as np
    import pandas as pd

    def column(c: str) -> _Column:
        if c in _SIMILARITY_COLUMNS:
            col = _Column(features[c], sorted_words=c in _TOKEN_SORT_COLUMNS)
            if c in _BAGGED_COLUMNS:
                col.bags = _Bags(col.uniques)
            if c in _WORDED_COLUMNS:
                col.word_bits, col.repeats = _word_bits(col.uniques)
            return col
        return _Column(features[c], with_values=False)

    # factorised on threads (Arrow's hashing lets the GIL go); a name's two initial forms together, so
    # that they share their codes: one record's first word may be the other's last
    initials = ("name_initial", "name_initial_last")
    names = [c for c in (*_SIMILARITY_COLUMNS, *_EQUALITY_COLUMNS) if c not in initials]
    with ThreadPoolExecutor(max_workers=compare_threads()) as pool:
        out = dict(zip(names, pool.map(column, names), strict=True))
    joint = _Column(pd.concat([features[c] for c in initials], ignore_index=True), with_values=False)
    for k, c in enumerate(initials):
        out[c] = _Column.of_codes(joint.codes[k * len(features) : (k + 1) * len(features)])
    address = out["address"]
    values = pd.Series(address.uniques, dtype="str")
    # an address that can stand for a house: three words at least, a number and a word among them
    address.placed = np.append(((values.str.count(" ") >= 2) & values.str.contains(r"[0-9]", regex=True)
                                & values.str.contains(r"[a-z]", regex=True)).to_numpy(dtype=bool), False)[
        address.codes]
    address.arabic = np.append(values.str.contains("[\u0600-\u06FF]", regex=True).to_numpy(dtype=bool),
                               False)[address.codes]
    for base, derived in _DERIVED_COLUMNS:
        out[derived].base_codes = _derived_codes(out[base], out[derived])
        out[derived].spaceless = _spaceless_of(out[base], out[derived])
    limit = (config or MatchConfig()).max_key_group
    for rule, c in _PLACEHOLDER_COLUMNS.items():
        held = oversized.get(rule) if oversized is not None else None
        col = out[c]
        col.codes[_held_by_more(col.codes, limit) if held is None else held] = -1
    return out


#: The compared columns whose values, held by more than ``max_key_group`` records, are placeholders
#: (:func:`_columns`), by the name :func:`oversized_key_groups` flags them under. A CIN is one person's:
#: fifty records under one are a form's default (``X999999``), which must not keep a debtor's record
#: from the record with the debtor's own CIN. An ICE root held by as many is a placeholder to the strong
#: keys too, but it still tells two companies apart: a bank's branches may be that many.
_PLACEHOLDER_COLUMNS = {"ice_unchecked": "ice_unchecked", "cin": "cin", "id_number": "id_number"}


#: (column, its function): a name's joined form and its phonetic key are its clean form's, a manager's
#: phonetic forms his name's; their pairs are the base column's pairs (:class:`_ValuePairs`)
_DERIVED_COLUMNS = (("name_clean", "name_flat"), ("name_clean", "phon_key"), ("rep", "rep_phon"),
                    ("rep", "rep_phon_flat"))


#: Columns whose scores below a floor are bounded by their letters (:class:`_Bags`)
_BAGGED_COLUMNS = ("name_clean", "address")


#: Columns compared by token-set ratio, whose words are known as bits (:func:`_may_share_a_word`)
_WORDED_COLUMNS = ("name_clean", "phon_key")


def _word_bits(values: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per distinct value, its words as bits (a word's bit: its code among all the values' words,
    modulo 64) and whether it holds a word twice, then the same for a missing value (every bit, and
    twice); ``None`` for values whose words are not parted by single ASCII spaces (rapidfuzz's
    scorers split other white space too)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    listed = values.tolist()
    if not listed or any(_ODD_SPACE.search(v) for v in listed):
        return None, None
    texts = pa.array(listed, type=pa.string())
    words = pc.split_pattern(texts, " ")
    parent = pc.list_parent_indices(words).to_numpy()
    codes, _ = pd.factorize(pd.array(pc.list_flatten(words), dtype="str"))
    bits = np.zeros(len(values) + 1, dtype=np.uint64)
    np.bitwise_or.at(bits, parent, np.left_shift(np.uint64(1), (codes % 64).astype(np.uint64)))
    bits[-1] = np.iinfo(np.uint64).max
    span = int(codes.max()) + 1
    held = np.sort(parent.astype(np.int64) * span + codes)
    repeats = np.zeros(len(values) + 1, dtype=bool)
    repeats[held[1:][held[1:] == held[:-1]] // span] = True
    repeats[-1] = True
    return bits, repeats


def _may_share_a_word(col: _Column, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Per pair, whether its two values may have a word in common or one of them a word twice
    (``False``: surely neither). Two names with neither have a token-set ratio equal to their
    token-sort ratio (rapidfuzz's set decomposition then compares the two sets' words sorted, which
    are all the words), so a pair whose token-sort ratio is already known below a bar need not be
    scored by token set to know that it stays below it."""
    import numpy as np

    if col.word_bits is None or col.repeats is None:
        return np.ones(len(i), dtype=bool)
    ci, cj = col.codes[i], col.codes[j]  # -1, a missing value: the last entry
    shared = (col.word_bits[ci] & col.word_bits[cj]) != 0
    return cast("np.ndarray", shared | col.repeats[ci] | col.repeats[cj])


def _derived_codes(base: _Column, derived: _Column) -> np.ndarray | None:
    """Each of ``base``'s values' code in ``derived`` (-1: none) when ``derived``'s value is a function
    of ``base``'s on every record (a record without a base value has none), else ``None``."""
    import numpy as np

    of_base = np.full(len(base.uniques) + 1, -1, dtype=np.int32)  # the last: a missing base value
    of_base[base.codes] = derived.codes
    return of_base[:-1] if np.array_equal(of_base[base.codes], derived.codes) and of_base[-1] == -1 else None


def _spaceless_of(base: _Column, derived: _Column) -> bool:
    """Whether each of ``base``'s values that has one in ``derived`` (:attr:`_Column.base_codes`) has
    there itself without its spaces (a name's joined form): then a bound on ``base``'s letters, the
    spaces left out, bounds ``derived``'s scores (:meth:`_Bags.reachable`)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if derived.base_codes is None:
        return False
    has = np.flatnonzero(derived.base_codes >= 0)
    joined = pc.replace_substring(pa.array(base.uniques[has].tolist(), type=pa.string()), " ", "")
    theirs = pa.array(derived.uniques[derived.base_codes[has]].tolist(), type=pa.string())
    return pc.all(pc.equal(joined, theirs)).as_py() is not False


# pairs compared at once: the temporary arrays of one chunk (codes, masks, similarities, distinct
# value pairs) stay in the tens of megabytes whatever the number of candidate pairs
COMPARE_CHUNK = 500_000


def compare_pairs(
    features: pd.DataFrame, pairs: np.ndarray, columns: dict[str, _Column] | None = None, *,
    evidence: bool = False,
) -> _Compared:
    """Comparison level of every field for each pair (``-1`` = a side is missing, 0 = disagree).
    ``evidence``: keep the names' and addresses' similarities too (see :class:`_Compared`).

    Pairs are compared in chunks of :data:`COMPARE_CHUNK`: each pair's levels depend on that pair
    alone, so the result is the same as in one go, with bounded temporary memory."""
    import numpy as np

    cols = columns or _columns(features)
    scripts = features["name_script"].to_numpy()
    latin = np.isin(scripts, ("latin", "mixed"))
    arabic = scripts == "arabic"
    mixed = scripts == "mixed"
    rep_scripts = _codes(features["rep_script"])
    if len(pairs) <= COMPARE_CHUNK:
        return _compare_chunk(cols, latin, arabic, mixed, rep_scripts, pairs, evidence)
    # the result arrays are allocated once, by the first chunk done (their fields and types are its), and
    # filled chunk by chunk (no concatenation: that would hold every chunk and the joined copy at once)
    groups = ("levels", "sims")
    out: dict[str, dict[str, np.ndarray]] = {}
    allocating = threading.Lock()

    def fill(a: int) -> None:
        part = _compare_chunk(cols, latin, arabic, mixed, rep_scripts, pairs[a : a + COMPARE_CHUNK], evidence)
        with allocating:
            if not out:
                out.update({g: {k: np.empty(len(pairs), dtype=v.dtype) for k, v in getattr(part, g).items()}
                            for g in groups})
        for g in groups:
            for k, v in getattr(part, g).items():
                out[g][k][a : a + len(v)] = v

    # chunks on as many threads as cores: numpy's sorts and takes and rapidfuzz's C++ let the GIL go,
    # and each thread writes its own slice of the results (the same arrays as in one thread)
    with ThreadPoolExecutor(max_workers=compare_threads()) as pool:
        for _ in pool.map(fill, range(0, len(pairs), COMPARE_CHUNK)):
            pass
    return _Compared(pairs, out["levels"], out["sims"], cols)


def compare_threads() -> int:
    """Threads building the blocks and comparing candidate pairs: ``RECOUVRA_COMPARE_THREADS``, else
    the cores (at most 4)."""
    return max(1, int(os.environ.get("RECOUVRA_COMPARE_THREADS") or min(os.cpu_count() or 1, 4)))


def _compare_chunk(
    cols: dict[str, _Column], latin: np.ndarray, arabic: np.ndarray, mixed: np.ndarray,
    rep_scripts: np.ndarray, pairs: np.ndarray, evidence: bool = False,
) -> _Compared:
    import numpy as np
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import OSA, JaroWinkler

    # (contiguous: the two columns of the pairs are read as indices some fifty times)
    i, j = np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])
    same_script = (latin[i] & latin[j]) | (arabic[i] & arabic[j])
    levels: dict[str, np.ndarray] = {}
    sims: dict[str, np.ndarray] = {}

    def codes_of(col: str) -> tuple[np.ndarray, np.ndarray]:
        return _both_and_equal(cols[col].codes, i, j)

    # names: a typo (ratio), swapped given and family names (token sort), joined names (no spaces),
    # a missing middle name or an initial (token set); transliteration variants are folded beforehand
    names = _ValuePairs(cols["name_clean"], i, j)
    both_name, name_exact = names.both, names.equal.copy()
    _, key_equal = codes_of("name_key")
    # the same letters turned: the same words in another order, joined or parted elsewhere
    _, turned_equal = codes_of("name_turned")
    key_equal |= turned_equal
    # (a score is read against its bars only, but for the evidence's: under the lowest, a score may
    # be left at 0, see _Bags)
    lowest = None if evidence else 70.0
    name_close = names.similarity((fuzz.ratio, fuzz.token_sort_ratio), floor=lowest)
    flat = names.derived(cols["name_flat"], (fuzz.ratio,), name_close < 95, floor=lowest)
    name_close = np.maximum(name_close, flat)
    # one record read as a sole trader with a shop sign, the other not (a company whose trade name
    # begins with the word, a record without its legal form and manager): their whole names compare too
    signed = cols["name_whole"].codes
    one_signed = np.flatnonzero(both_name & ((signed[i] >= 0) != (signed[j] >= 0)))
    if len(one_signed):
        clean = cols["name_clean"]
        a, b = i[one_signed], j[one_signed]
        a, b = np.where(signed[a] >= 0, a, b), np.where(signed[a] >= 0, b, a)  # a: the signed side
        whole = cols["name_whole"].uniques[signed[a]].tolist()
        other = clean.uniques[clean.codes[b]].tolist()
        ratio = process.cpdist(whole, other, scorer=fuzz.ratio, workers=-1)
        name_exact[one_signed] |= ratio == 100  # the ratio is 100 for the same text only
        best = np.maximum(ratio, process.cpdist(whole, other, scorer=fuzz.token_sort_ratio, workers=-1))
        name_close[one_signed] = np.maximum(name_close[one_signed], best)
    _, core_equal = codes_of("name_core")
    name_close = np.where(core_equal, np.maximum(name_close, 88.0), name_close)
    # (a token-set ratio of 90 where the token-sort ratio is below 88 needs a word in common or a word
    # twice: the others' token set is not scored, their level comes of their Jaro-Winkler alone)
    unclose = name_close < 88
    name_set = np.maximum(
        names.similarity((JaroWinkler.normalized_similarity,), unclose, floor=90.0),
        names.similarity((fuzz.token_set_ratio,), unclose & _may_share_a_word(cols["name_clean"], i, j)))
    # a given name cut to its initial, first or last ("a bouhlal" = "bouhlal abderrazak")
    first, last = cols["name_initial"].codes, cols["name_initial_last"].codes
    _, initial_equal = codes_of("name_initial")
    initial_equal |= ((first[i] >= 0) & (first[i] == last[j])) | ((last[i] >= 0) & (last[i] == first[j]))
    # the same name in another transliteration (same phonetic forms, or the same words joined), or
    # across scripts the same consonants; a name inside the other, phonetically: partial
    _, phon_equal = codes_of("phon_key")
    _, phon_flat_equal = codes_of("phon_flat")
    _, skeleton_equal = codes_of("phon_skeleton")
    # (a name with Arabic letters, wholly or in part: ``pharmacie الامل``, its trade read in French, and
    # ``Pharmacie Amal``, are the same consonants too)
    written_arabic = mixed[i] | mixed[j] | arabic[i] | arabic[j]
    phonetic = ((same_script & (phon_equal | phon_flat_equal))
                | (both_name & (~same_script | written_arabic) & skeleton_equal))
    # (the token-set ratio of two keys without a word in common or a word twice is their token-sort
    # ratio, a cheaper scorer, but for its last bits: where that is near the bar, the token set decides)
    phon_asked = same_script & unclose
    phon_shared = _may_share_a_word(cols["phon_key"], i, j)
    phon_sort = names.derived(cols["phon_key"], (fuzz.token_sort_ratio,), phon_asked & ~phon_shared)
    phon_set_asked = phon_shared | (phon_sort >= 94)
    phon_set = np.where(phon_set_asked,
                        names.derived(cols["phon_key"], (fuzz.token_set_ratio,), phon_asked & phon_set_asked),
                        phon_sort)
    lv = np.select(
        [~both_name | ~(same_script | skeleton_equal), name_exact, key_equal | (name_close >= 95),
         name_close >= 88, phonetic, (name_set >= 90) | initial_equal | (phon_set >= 95), name_close >= 70],
        [-1, 6, 5, 4, 3, 2, 1], 0)
    levels["name"] = lv
    if evidence:
        sims["name"] = name_close
    addresses = _ValuePairs(cols["address"], i, j)
    addr = addresses.similarity((fuzz.token_sort_ratio,), floor=None if evidence else 50.0)
    both_addr, addr_exact = addresses.both, addresses.equal
    # one address within the other: the same house written with or without its building, flat or
    # district (``av allal fassi 231`` / ``231 av allal fassi hay attakadoum``), when the shorter holds a
    # house number and a street (three words at least): close. Its words sorted are in the other's
    # sorted, so their token-sort ratio is at least 2a / (a + b) (a, b: the lengths): asked from 50, the
    # shorter a third of the other at least (the most of the pairs, which differ, are not asked)
    placed = cols["address"].placed
    addr_within = addresses.similarity((fuzz.token_set_ratio,),
                                       (addr >= 50) & (addr < 92) & placed[i] & placed[j]) == 100
    levels["address"] = np.select(
        [~both_addr, addr_exact, (addr >= 92) | addr_within, addr >= 80, addr >= 60], [-1, 4, 3, 2, 1], 0)
    # an address in Arabic script and one in Latin letters: compared on their numbers and skeletons
    arabic_address = cols["address"].arabic
    across = np.flatnonzero(both_addr & (arabic_address[i] != arabic_address[j]))
    if len(across):
        levels["address"][across] = _addresses_across_scripts(cols["address"], i[across], j[across])
        addr[across] = np.choose(levels["address"][across], (0.0, 60.0, 80.0, 92.0, 100.0))
    if evidence:
        sims["address"] = addr
    loc = _pair_similarity(cols["locality"], i, j, (fuzz.ratio,))
    both_loc, loc_exact = codes_of("locality")
    levels["locality"] = np.select([~both_loc, loc_exact, loc >= 85], [-1, 2, 1], 0)
    for fname, col in (("phone", "phone_number"), ("email", "email"), ("legal_form", "legal_form"),
                       ("rc", "rc_key"), ("affiliation_no", "aff"), ("sign", "name_sign")):
        both, eq = codes_of(col)
        levels[fname] = np.select([eq, both & ~eq], [1, 0], -1)
    both_ice, ice_exact = codes_of("ice")
    _, ice_unchecked = codes_of("ice_unchecked")
    levels["ice"] = np.select([ice_exact, ice_unchecked, both_ice & ~ice_exact], [2, 1, 0], -1)
    reps = _ValuePairs(cols["rep"], i, j)
    rep = reps.similarity((fuzz.token_sort_ratio,))
    both_rep, rep_exact = reps.both, reps.equal
    # transliterations and joined names (phonetic forms), an initial for the given name (counts as 80)
    rep_same_script = rep_scripts[i] == rep_scripts[j]
    rep = np.maximum(rep, reps.derived(cols["rep_phon"], (fuzz.token_sort_ratio,),
                                       rep_same_script & (rep >= 0) & (rep < 92)))
    rep = np.maximum(rep, reps.derived(cols["rep_phon_flat"], (fuzz.ratio,),
                                       rep_same_script & (rep >= 0) & (rep < 92)))
    _, rep_initial_equal = codes_of("rep_initial")
    rep = np.where(rep_same_script & rep_initial_equal, np.maximum(rep, 80.0), rep)
    # the same consonants in two scripts (يوسف التازي, Youssef Tazi): close
    _, rep_skeleton_equal = codes_of("rep_skeleton")
    rep_across = both_rep & ~rep_same_script & rep_skeleton_equal
    rep = np.where(rep_across, 92.0, rep)
    rep_comparable = both_rep & (rep_same_script | rep_across)
    levels["legal_rep"] = np.select([~rep_comparable, rep_exact, rep >= 92, rep >= 80], [-1, 3, 2, 1], 0)
    sims["legal_rep"] = rep
    # OSA: a swap of two neighbouring digits counts as one edit
    id_dist = _pair_similarity(cols["id_number"], i, j, (OSA.distance,), distance=True)
    both_id, id_exact = codes_of("id_number")
    levels["id_number"] = np.select([~both_id, id_exact, (id_dist >= 0) & (id_dist <= 1)], [-1, 2, 1], 0)
    levels = {k: v.astype(np.int8) for k, v in levels.items()}
    return _Compared(pairs, levels, sims, cols)


def _random_pairs(n: int, count: int, seed: int = 1) -> np.ndarray:
    """Pairs of distinct records drawn at random (all pairs for a small file), i < j."""
    import numpy as np

    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    if n * (n - 1) // 2 <= count:
        i, j = np.triu_indices(n, k=1)
        return np.stack([i, j], axis=1).astype(np.int64)
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, size=count)
    b = rng.integers(0, n - 1, size=count)
    b = np.where(b >= a, b + 1, b)
    return _ordered_pairs(a, b)


def _sessions(c: _Compared) -> dict[str, tuple[np.ndarray, frozenset[str]]]:
    """Training sessions of the model's EM, as splink's blocking rules: pairs agreeing on a name, an
    id number, a phone, an e-mail, an address; the fields a session selects on are not trained in it."""
    lv = c.levels
    return {
        "name": (lv["name"] == 6, frozenset({"name"})),
        "id_number": (lv["id_number"] == 2, frozenset({"id_number"})),
        "phone": (lv["phone"] == 1, frozenset({"phone"})),
        "email": (lv["email"] == 1, frozenset({"email"})),
        "address": (lv["address"] >= 3, frozenset({"address", "locality"})),
    }


#: The identifiers whose agreement labels a candidate pair one entity for training (a valid ICE root,
#: a valid CIN), and the compared fields they decide, whose ``m`` those pairs cannot tell.
_LABELLING = {"ice_root": "ice", "cin": "id_number"}


def _labelled(compared: _Compared, columns: dict[str, _Column], config: MatchConfig,
              ) -> tuple[np.ndarray, frozenset[str]]:
    """The candidate pairs known to be one entity by the file's own identifiers: the same valid ICE
    root or CIN, a key no more than ``max_key_group`` records hold (a larger group is a placeholder).
    The model's ``m`` is counted on them (as splink's ``estimate_m_from_label_column``) where there are
    enough: EM alone, on candidates that namesakes crowd, put a debtor's records in different cities
    64 % of the time at M (they are 17 %)."""
    import numpy as np

    pairs = compared.pairs
    known = np.zeros(len(pairs), dtype=bool)
    for col in _LABELLING:
        placeholder = _held_by_more(columns[col].codes, config.max_key_group)
        known |= np.asarray(compared.same[col]) & ~placeholder[pairs[:, 0]]
    return known, frozenset(_LABELLING.values())


@dataclass
class _Scored:
    pairs: np.ndarray
    score: np.ndarray  # log2-odds that the pair is one entity (prior of the candidate set included)
    compared: _Compared
    model: FSModel
    freq: dict[str, np.ndarray]  # records holding each value, per field with a frequency adjustment
    population: int = 0  # records of the whole file (term frequencies are shares of it); 0: len(freq)
    # per field with a frequency adjustment, per record: how many records of its strong-key cluster
    # (one debtor by ICE, RC, CIN or affiliation number) hold its value, itself included (see
    # :func:`_known_holders`); none: every record its own debtor
    known: dict[str, np.ndarray] | None = None

    def field_weight(self, spec: FieldSpec, at: np.ndarray | slice | None = None) -> np.ndarray:
        """Match weight ``log2(m/u)`` of one field, for every pair or for the pairs at ``at``.

        Per-field weights are not kept for all pairs (11 float arrays as long as the candidates): the
        score sums them as they come, and the evidence asks again for the few pairs that link."""
        import numpy as np

        levels = self.compared.levels[spec.name]
        i, j = self.pairs[:, 0], self.pairs[:, 1]
        if at is not None:
            levels, i, j = levels[at], i[at], j[at]
        tf_u = None
        if spec.name in _FS_EXACT:
            f = self.freq[spec.name]
            n = max(self.population or len(f), 1)
            common = np.maximum(f[i], f[j])
            if self.known is not None:
                # a value's other holders: records the identifiers already made one debtor with one of
                # the pair hold it as that debtor, not as another who happens to share it
                k = self.known[spec.name]
                same_debtor = np.maximum(np.maximum(k[i], k[j]) - 1, 0)
                common = np.where(levels == _FS_EXACT[spec.name], common - same_debtor, common)
            # from three records on, a common value proves less than the average agreement
            tf_u = np.where(common >= 3, common / n, 0.0)
            # names and managers, both ways: a value held by f records has u = f/n (as splink's term
            # frequencies) also when that is below the average u, and 1/n when only this pair holds it
            # (the chance that a record of another debtor shares it); this keeps the score of a rare
            # name from falling as the file grows (the prior falls as 1/n too)
            rare_u = None
            if spec.name in _TF_RARE:
                rare_u = np.where(common >= 2, np.maximum(common - 1, 1) / n, 0.0)
            w = self.model.field_weights(spec.name, levels, tf_u, _FS_EXACT[spec.name], rare_u)
            near = _TF_NEAR.get(spec.name)
            if near is not None and (at_near := np.flatnonzero(levels == near)).size:  # its pairs only
                # the more common of the two spellings, or of the name they sound as (``MhammedBelkadi``
                # is held by one record, ``Mohammed Belkadi`` by a dozen namesakes)
                sound = self.freq[f"{spec.name}_sound"]
                held = np.maximum(np.maximum(common[at_near], sound[i[at_near]]),
                                  np.maximum(sound[j[at_near]], 1))
                w[at_near] = self._rare_near(spec.name, near, held / n)
            return w
        return self.model.field_weights(spec.name, levels, tf_u, _FS_EXACT.get(spec.name))

    def _rare_near(self, name: str, near: int, share: np.ndarray) -> np.ndarray:
        """The weight of pairs at level ``near`` (below exact) adjusted for rare values, as splink's
        term frequencies on a fuzzy level: u = the share of records holding the more common of the two
        values or of the name they sound as (``share``) times the level's u over the exact level's u (how
        much more often two random records fall at this level than agree exactly), where that is below
        the level's u.

        Two spellings of one rare name (``Bouregreg Maériaux`` and ``Bouregreg Matériaux``, each held
        by one record) prove about as much as the same rare name written twice; the level's average u
        is that of the common names, which namesakes share."""
        import numpy as np

        m, u = self.model.m[name], self.model.u[name]
        exact = _FS_EXACT[name]
        rare_u = np.minimum(u[near], share * (u[near] / u[exact]))
        return cast("np.ndarray", np.log2(m[near] / rare_u))

    def weights_at(self, at: np.ndarray) -> dict[str, np.ndarray]:
        """Each field's match weight for the pairs at ``at`` (positions in ``pairs``)."""
        return {spec.name: self.field_weight(spec, at) for spec in FS_FIELDS}

    def take(self, at: np.ndarray) -> _Scored:
        """The pairs at ``at`` alone (their levels, similarities and scores; the columns' codes are
        not kept: ``same``/``differ`` cannot be asked of the result)."""
        return _Scored(self.pairs[at], self.score[at], self.compared.take(at, columns=False), self.model,
                       self.freq, self.population, self.known)


#: How candidate pairs are compared: :func:`compare_pairs`, or a cache of its results
#: (:meth:`recouvra.match_cache.MatchCache.compare`), which must give the same answer.
PairComparer: TypeAlias = "Callable[[pd.DataFrame, np.ndarray, dict[str, _Column]], _Compared]"


def score_pairs(features: pd.DataFrame, pairs: np.ndarray, config: MatchConfig,
                model: FSModel | None = None, columns: dict[str, _Column] | None = None,
                compare: PairComparer | None = None, population: int | None = None,
                known: dict[str, np.ndarray] | None = None) -> tuple[_Scored, FSModel]:
    """Match weight of each candidate pair under a Fellegi-Sunter model trained on this very file
    (u from random pairs, m by EM on the candidates), unless a trained ``model`` is given.
    ``compare``: how the candidate pairs are compared (default :func:`compare_pairs`);
    ``population``: records of the whole file when ``features`` are a part of it (its frequencies)."""
    import numpy as np

    from recouvra.fellegi_sunter import fit

    columns = columns or _columns(features, config)
    compared = (compare or compare_pairs)(features, pairs, columns)
    if model is None:
        rnd = compare_pairs(features, _random_pairs(len(features), config.random_pairs), columns)
        n = len(features)
        model = fit(compared.levels, rnd.levels, FS_FIELDS, sessions=_sessions(compared),
                    labelled=_labelled(compared, columns, config), all_pairs=n * (n - 1) // 2)
        model.namesakes_mail_share = namesakes_mail_share(compared)
        del rnd
    freq = {name: features[f"{col}_freq"].to_numpy() for name, col in _TF_COLUMN.items()}
    freq["name_sound"] = features["phon_flat_freq"].to_numpy()  # records whose name sounds the same
    scored = _Scored(pairs, np.empty(0), compared, model, freq, population or 0, known)
    total = np.full(len(pairs), model.prior_weight(config.prior_among_candidates))

    # in chunks: each field's weight needs a few temporary arrays as long as the pairs
    def weigh(a: int) -> None:
        at = slice(a, a + COMPARE_CHUNK)
        part = total[at]
        # a debtor who moves changes address, city, phone and RC number at once: their disagreements
        # are one event, not four independent pieces of evidence, so only the strongest of them counts
        neg_sum: np.ndarray | None = None
        neg_min: np.ndarray | None = None
        for spec in FS_FIELDS:
            w = scored.field_weight(spec, at)
            part += w
            if spec.name in _MOVE_FIELDS:
                neg = np.minimum(w, 0.0)
                # summed in _MOVE_FIELDS order, as a stack summed over its first axis would be
                neg_sum = neg.copy() if neg_sum is None else np.add(neg_sum, neg, out=neg_sum)
                neg_min = neg if neg_min is None else np.minimum(neg_min, neg, out=neg_min)
        if neg_sum is not None and neg_min is not None:
            total[at] = part - neg_sum + neg_min

    # the chunks on the comparison's threads (numpy's arithmetic lets the GIL go), each writing its own
    # slice of the scores: the same sums as in one thread
    with ThreadPoolExecutor(max_workers=compare_threads()) as pool:
        for _ in pool.map(weigh, range(0, len(pairs), COMPARE_CHUNK)):
            pass
    scored.score = total
    return scored, model


def namesakes_mail_share(compared: _Compared, z: float = 1.96) -> float:
    """How often two records of one name (name level :data:`_SAME_NAME` or closer) that two valid,
    different ICE roots or CINs keep apart, both with an e-mail, hold the same one: the upper bound of
    the Wilson interval of that share (``z``: 95 %, about 3.8 / n when none do). The file's own labels
    of two entities, as its identifiers give labels of one (``_labelled``): where namesakes share the
    mailbox made from their name (``abdelazizalaoui@gmail.com``), a shared e-mail says little of one
    name; where they never do, it says what a phone does. 1.0 when no such pair has e-mails."""
    import math

    levels = compared.levels
    apart = (compared.differ["ice_root"] | compared.differ["cin"]) & (levels["name"] >= _SAME_NAME) \
        & (levels["email"] >= 0)
    seen = int(apart.sum())
    if seen == 0:
        return 1.0
    share = int((apart & (levels["email"] >= 1)).sum()) / seen
    z2 = z * z
    centre = share + z2 / (2 * seen)
    spread = z * math.sqrt(share * (1 - share) / seen + z2 / (4 * seen * seen))
    return min(1.0, (centre + spread) / (1 + z2 / seen))


def _fuzzy_accept(s: _Scored, features: pd.DataFrame, config: MatchConfig) -> np.ndarray:
    """Which scored pairs pass: match weight at or above the threshold, and no identifier conflict.

    The gates below are asked of the pairs above the threshold alone (about 1 % of the candidates at
    L): a pair under it passes nothing whatever they say."""
    import numpy as np

    c = s.compared
    ok = s.score >= config.accept_score
    # names written in two scripts cannot be compared: such a pair needs more of the other evidence
    name_missing = c.levels["name"] < 0
    ok &= ~name_missing | (s.score >= config.accept_score + config.no_name_margin)
    above = np.flatnonzero(ok)
    out = np.zeros(len(ok), dtype=bool)
    if len(above):
        out[above] = _gates_pass(c.take(above), s.model, features, config)
    return out


def _gates_pass(c: _Compared, model: FSModel, features: pd.DataFrame, config: MatchConfig) -> np.ndarray:
    """Which pairs of ``c``, each above the threshold, no identifier or gate of :func:`_fuzzy_accept`
    keeps apart."""
    import pandas as pd

    i, j = c.pairs[:, 0], c.pairs[:, 1]
    # a company rarely changes legal form: SA against SARL under one name is a sister company
    forms = pd.factorize(features["legal_form"].replace(_FORM_FAMILY))[0]  # -1: no form
    forms_apart = (forms[i] >= 0) & (forms[j] >= 0) & (forms[i] != forms[j])
    veto = c.differ["ice_root"] | c.differ["cin"] | forms_apart
    # a CIN marks a natural person: it cannot be the same debtor as a company, cooperative or association
    cin = features["cin"].notna().to_numpy()
    legal_person = features["legal_person"].to_numpy(dtype=bool)
    veto |= (cin[i] & legal_person[j]) | (cin[j] & legal_person[i])
    # A company is its name and its registration: sister companies share premises, phone and manager
    # (and often the first word of their name), so between legal persons a link that no identifier
    # (ICE, RC, affiliation, id number) supports needs names that are close, not merely overlapping,
    # and managers who do not differ; names in two scripts need the same e-mail. Persons keep no such
    # gate: a given name may be missing or changed while the id number and address agree.
    # a record with a legal representative is a company's, unless its legal-form column says a natural
    # person's (a sole trader written as his own representative)
    managed = _managed(features)
    company = legal_person | managed
    legal = company[i] | company[j]
    id_agree = (c.levels["ice"] >= 1) | c.same["rc_key"] | c.same["aff"] | (c.levels["id_number"] == 2)
    names_apart = (c.levels["name"] >= 0) & (c.levels["name"] < config.company_name_level)
    reps_apart = (c.levels["legal_rep"] >= 0) & (c.sims["legal_rep"] < config.rep_veto_below)
    scripts_apart = (c.levels["name"] < 0) & ~c.same["email"]
    # a trade name and the mailbox made from it are shared by namesakes: a company also needs its
    # premises, its phone or its manager to agree
    support = (c.levels["address"] >= 3) | c.same["phone_number"] | (c.levels["legal_rep"] >= 2)
    # ... or its mailbox, in a file whose namesakes do not share theirs
    if model.namesakes_mail_share < config.mail_support_below:
        support |= c.same["email"]
    # ... unless one record is too sparse to hold them (a field agent's return, a tax extract: a name and
    # a town): a company's name is its own (the register refuses a name already taken), so one name (its
    # words, or a typo of a long one) in one locality, with nothing of one record contradicting the
    # other (no address less than similar, no phone, mailbox, manager or number that differs), is one
    # company
    contradicted = ((c.levels["address"] == 0) | (c.levels["address"] == 1) | (c.levels["phone"] == 0)
                    | (c.levels["email"] == 0) | (c.levels["legal_rep"] == 0) | (c.levels["rc"] == 0)
                    | (c.levels["affiliation_no"] == 0) | (c.levels["ice"] == 0))
    support |= (c.levels["name"] >= _SAME_NAME) & (c.levels["locality"] >= 1) & ~contradicted
    gated = legal & ~id_agree
    names_apart &= ~_typo_twins(features["name_clean"], c.pairs, gated & names_apart)
    reps_apart &= ~_family_name_within(features["rep"], c.pairs, gated & reps_apart)
    veto |= gated & (names_apart | reps_apart | scripts_apart | ~support)
    # two natural persons whose names share nothing (no word, no initial, no sound) are two people who
    # share an accountant's address, phone and mailbox, or a family's, unless an identifier agrees
    strangers = ~legal & (c.levels["name"] == 0) & ~(id_agree | (c.levels["id_number"] >= 1))
    # (a sign and one word: a brand, ``Ferme Al Karama``; a sign and a person's name is that person's)
    brand = (c.columns["name_sign"].codes >= 0) & _one_word(features["name_clean"])
    strangers &= ~(brand[i] | brand[j])
    veto |= strangers & ~_word_in_common(features["name_clean"], c.pairs, strangers)
    # a company written without its form, holding its manager's CIN, and the manager, by name, as a
    # natural person: two debtors
    asked = ~veto & (managed[i] | managed[j]) & (c.levels["id_number"] == 2)
    veto |= _manager_is_other(features, c.pairs, asked & managed[i]) \
        | _manager_is_other(features, c.pairs[:, ::-1], asked & managed[j])
    # two names each numbered, their numbers not the same: sister entities (``Syndic Résidence Miramar
    # I`` and ``II``, ``Al Inbiaat 1`` and ``2``, ``Ecole Nour 2`` and ``3``), not one written twice
    # (its texts read only where both names hold a number: millions of pairs pass at L)
    names = features["name_clean"]
    numbered = names.str.contains(_NUMBERED_NAME, regex=True).fillna(False).to_numpy(dtype=bool)
    veto |= _pairs_whose(names, c.pairs, ~veto & numbered[i] & numbered[j], _numbered_apart)
    if config.veto_on_rc:
        veto |= c.differ["rc_key"]
    return cast("np.ndarray", ~veto)


#: the roman numerals a name is numbered with (a residence's, a school's: ``Miramar II``); ``i`` and ``v``
#: only as the name's last word (elsewhere an initial)
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9", "x": "10"}


#: a clean name holding a number (:func:`_name_numbers`), as a pattern RE2 reads (Arrow's strings)
_NUMBERED_NAME = "[0-9]|(?:^| )(?:" + "|".join(_ROMAN) + ")(?: |$)| [iv]$"


def _name_numbers(clean: str) -> frozenset[str]:
    """The numbers a clean name holds: its words of digits and its roman numerals."""
    words = clean.split()
    out = {w.lstrip("0") or "0" for w in words if w.isdigit()}
    out |= {_ROMAN[w] for w in words if w in _ROMAN}
    if len(words) > 1 and words[-1] in ("i", "v"):
        out.add("1" if words[-1] == "i" else "5")
    return frozenset(out)


def _numbered_apart(a: str, b: str) -> bool:
    """Both names hold numbers (:func:`_name_numbers`), not the same ones."""
    na, nb = _name_numbers(a), _name_numbers(b)
    return bool(na) and bool(nb) and na != nb


def _manager_is_other(features: pd.DataFrame, pairs: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Pairs (of ``where``) whose first record's manager is, by name, the second record (token-sort
    ≥ 80 or the same phonetic words): a company and its manager."""
    import numpy as np

    out = np.zeros(len(pairs), dtype=bool)
    at = np.flatnonzero(where)
    reps = np.asarray(features["rep"].take(pairs[at, 0]), dtype=object)
    names = np.asarray(features["name_clean"].take(pairs[at, 1]), dtype=object)
    for k, rep, name in zip(at.tolist(), reps, names, strict=True):
        if isinstance(rep, str) and isinstance(name, str):
            out[k] = _token_sort(rep, name) >= 80 or _phonetic_words(rep) == _phonetic_words(name)
    return out


def _one_word(names: pd.Series) -> np.ndarray:
    """Per record, whether its name is one word (a sign's brand, ``Garage Moulouya``'s ``moulouya``)."""
    return cast("np.ndarray", ~names.fillna(" ").str.contains(" ", regex=False).to_numpy(dtype=bool))


def _managed(features: pd.DataFrame) -> np.ndarray:
    """Per record, whether it names a manager as a company's record does: a legal representative who
    is not, by name, the record itself (``rep_self``), on a record whose legal form is not a natural
    person's (EI: a sole trader written as his own representative)."""
    return cast("np.ndarray", (features["rep"].notna() & (features["legal_form"] != "EI")
                               & ~features["rep_self"].astype(bool)).to_numpy(dtype=bool))


def _represents_self(packed: str) -> bool:
    """``rep\x1fclean name\x1fraw name``: the representative is the record itself
    (:func:`_self_represented`), or the owner of the trade it names: any representative of a name that
    begins with a shop sign (``Pharmacie Ennakhil`` represented by ``Mbarek Abarkane``: a trade with no
    company's form said is a sole trader's, who represents it), or the owner's part of a name in two
    parts (``Fiduciaire Centrale (Bouaissa Yacine)`` by ``Bouaissa Yassine``)."""
    rep, clean, raw = packed.split("\x1f")
    if owner_of_shop_sign(clean) is not None:
        return True
    owned = [clean]
    if re.search(_TWO_PARTS, raw):  # either part (``Fiduciaire Al Amane (Berrada Younes)``)
        owned.extend(normalize_company_name(part).clean for part in name_parts(raw))
    return any(name and _self_represented(f"{rep}\x1f{name}") for name in owned)


def _self_represented(rep_and_name: str) -> bool:
    """``rep\x1fname``: every word of the name (initials aside) a word of the representative's,
    phonetically (``K. Oualy`` / ``Mme Oualy Kawtar``, ``Dr Najjar Hafid`` / ``Najjar Hafid``), or one
    letter apart from one, a word of four letters or more (``Berkany Abdelaziz`` / ``Berkani Abdelazize``)."""
    from rapidfuzz.distance import Levenshtein

    rep, name = rep_and_name.split("\x1f")
    words = {w for w in _phonetic_words(normalize_person_name(name)) if len(w) > 1}  # titles aside
    theirs = _phonetic_words(rep)
    return bool(words) and all(
        w in theirs or (len(w) >= 4 and any(Levenshtein.distance(w, r, score_cutoff=1) <= 1 for r in theirs))
        for w in words)


def _pairs_whose(values: pd.Series, pairs: np.ndarray, where: np.ndarray,
                 test: Callable[[str, str], bool]) -> np.ndarray:
    """Pairs (of ``where``) whose two values are present and pass ``test``: the acceptance rules' checks
    of a few pairs' texts, which read the Python strings of these pairs only, not of the whole column
    (a million records at L)."""
    import numpy as np

    out = np.zeros(len(pairs), dtype=bool)
    at = np.flatnonzero(where)
    left = np.asarray(values.take(pairs[at, 0]), dtype=object)
    right = np.asarray(values.take(pairs[at, 1]), dtype=object)
    for k, a, b in zip(at.tolist(), left, right, strict=True):
        if isinstance(a, str) and isinstance(b, str):
            out[k] = test(a, b)
    return out


def _typo_twins(names: pd.Series, pairs: np.ndarray, where: np.ndarray, floor: float = 75.0) -> np.ndarray:
    """Pairs (of ``where``) whose two names have the same words, each with a typo at most: as many
    words, in the same order, each pair of words at least ``floor`` alike (``Mesolu Transport`` and
    ``eMsolu Trnasport``), not a word of one missing or another in the other (``Mesolu Transport``
    and ``Mesolu Immobilier``, sister companies)."""
    from rapidfuzz import fuzz

    def twins(a: str, b: str) -> bool:
        wa, wb = a.split(), b.split()
        return len(wa) == len(wb) and all(len(x) >= 3 and fuzz.ratio(x, y) >= floor
                                          for x, y in zip(wa, wb, strict=True))

    return _pairs_whose(names, pairs, where, twins)


def _phonetic_words(name: str) -> set[str]:
    """A name's words as they sound (``phonetic_key``'s)."""
    return set(phonetic_key(name)[0].split())


def _word_in_common(names: pd.Series, pairs: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Pairs (of ``where``) whose two names have a word in common, phonetically."""

    def common(a: str, b: str) -> bool:
        return bool(_phonetic_words(a) & _phonetic_words(b))

    return _pairs_whose(names, pairs, where, common)


def _family_name_within(reps: pd.Series, pairs: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Pairs (of ``where``) where every word of one manager's name is, phonetically, a word of the
    other's: the given name left out, or written as a title (``M. Slawi`` for ``Mohammed Slaoui``).
    Not a level of the score (namesakes share a family name as often), but such managers do not
    differ."""

    def within(a: str, b: str) -> bool:
        wa, wb = _phonetic_words(a), _phonetic_words(b)
        return bool(wa) and bool(wb) and (wa <= wb or wb <= wa)

    return _pairs_whose(reps, pairs, where, within)


def _fields_text(s: _Scored, k: int, weights: dict[str, np.ndarray], sims: dict[str, np.ndarray]) -> str:
    """The evidence of one link (pair ``k`` of the linking pairs ``s``): each compared field's level,
    similarity and match weight (``weights[field][k]``, from :meth:`_Scored.weights_at`; ``sims[field][k]``,
    from ``compare_pairs(..., evidence=True)`` of the linking pairs)."""
    left, right = s.pairs[k, 0], s.pairs[k, 1]

    def of_pair(per_record: np.ndarray) -> int:  # the larger of the pair's two records' counts
        return max(int(per_record[left]), int(per_record[right]))

    parts = []
    for spec in FS_FIELDS:
        lv = int(s.compared.levels[spec.name][k])
        if lv < 0:
            continue
        label = spec.labels[lv]
        sim = sims.get(spec.name)
        with_sim = sim is not None and sim[k] >= 0 and label != "exact"
        shown = f"{label}({sim[k]:.0f})" if with_sim and sim is not None else label
        parts.append(f"{spec.name}={shown}:{weights[spec.name][k]:+.1f}")
        if spec.name in _FS_EXACT and lv in (_FS_EXACT[spec.name], _TF_NEAR.get(spec.name)):
            # the term-frequency factor behind that weight: how many records of the file hold the value
            parts.append(f"{spec.name}_held_by={of_pair(s.freq[spec.name])}")
            if s.known is not None and lv == _FS_EXACT[spec.name]:
                # ... of which this many are one debtor's records by its identifiers (counted once)
                one = of_pair(s.known[spec.name])
                if one > 1:
                    parts.append(f"{spec.name}_one_debtor_holds={one}")
            if lv == _TF_NEAR.get(spec.name):  # and of the name the two spellings sound as
                parts.append(f"{spec.name}_sound_held_by={of_pair(s.freq[f'{spec.name}_sound'])}")
    return ",".join(parts)


# ---------------------------------------------------------------------------------- clustering


class _Clusters:
    """Union-find whose clusters remember their strong identifiers and a representative name."""

    def __init__(self, features: pd.DataFrame, veto_columns: Sequence[str],
                 codes: Mapping[str, np.ndarray] | None = None):
        """``veto_columns``: identifiers two clusters may not both hold with none in common (a
        :meth:`conflict`); ``codes``: identifiers' codes per record (-1 = none) to remember instead of
        the features' (a placeholder none), or besides the veto columns, for :meth:`settled_apart`."""
        n = len(features)
        self.veto_columns = tuple(veto_columns)
        self.parent = list(range(n))
        self.size = [1] * n
        # each record's strong identifiers as integer codes (-1 = none); a cluster's own set of them
        # is kept only once it has absorbed another cluster (a dict of sets per record held about
        # 0.4 GB at a million records, for the few that ever merge)
        given = dict(codes or {})
        self.codes = {col: _codes(features[col]) for col in veto_columns if col not in given} | given
        self.keys: dict[int, dict[str, set[int]]] = {}
        # each record's name and the phonetic forms of it, read one at a time from their Arrow
        # columns (as lists of Python strings and tuples they held about 0.3 GB at a million records)
        self._names = _Texts(features["name_clean"])
        self._phon = tuple(_Texts(features[c]) for c in ("phon_key", "phon_flat", "phon_skeleton"))
        # a sole trader's shop known by its sign and brand (``Café Souss``) is also its owner's, its
        # representative (``rep_self``): his name is the record's other name
        owner = _owners_shops(features)
        self._owner = _Texts(features["rep"].where(owner, None))
        self._owner_phon = tuple(_Texts(features[c].where(owner, None))
                                 for c in ("rep_phon", "rep_phon_flat", "rep_skeleton"))
        # a sole trader's record named by its shop and its owner (``Magasin Al Wahda (Ismail Belkadi)``)
        # is named by its shop too: its whole name, the sign's part with the owner's
        self._whole = _Texts(features["name_whole"])
        self._has_whole = features["name_whole"].notna().to_numpy(dtype=bool)  # read only where one is
        # a cluster whose root record has no name shows the name of another of its records
        self._shown: dict[int, int] = {}

    def record_name(self, x: int) -> str | None:
        return self._names[x]

    def record_phon(self, x: int) -> tuple[str, str, str] | None:
        """The phonetic forms of record ``x``'s name (sorted, joined, skeleton), None when one is missing."""
        return self._forms(self._phon, x)

    @staticmethod
    def _forms(columns: tuple[_Texts, ...], x: int) -> tuple[str, str, str] | None:
        k, f, s = (c[x] for c in columns)
        return (k, f, s or "") if k is not None and f is not None else None

    def record_names(self, x: int) -> list[tuple[str, tuple[str, str, str] | None]]:
        """Record ``x``'s names with their phonetic forms: its own, and its owner's where it is a sole
        trader's shop under its sign and brand (none when the record has no name)."""
        name = self.record_name(x)
        if name is None:
            return []
        out = [(name, self.record_phon(x))]
        owner = self._owner[x]
        if owner is not None:
            out.append((owner, self._forms(self._owner_phon, x)))
        if self._has_whole[x]:
            whole = self._whole[x]
            if whole is not None and whole != name:
                out.append((whole, None))
        return out

    def alike(self, a: int, b: int) -> float:
        """The best :func:`_names_alike` of records ``a``'s and ``b``'s names (100 when one has none)."""
        pairs = [(x, y) for x in self.record_names(a) for y in self.record_names(b)]
        if not pairs:
            return 100.0
        return max(_names_alike(na, nb, pa, pb) for (na, pa), (nb, pb) in pairs)

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def _keys(self, root: int) -> dict[str, set[int]]:
        """The strong identifiers of the cluster of ``root``, per column."""
        kept = self.keys.get(root)
        if kept is not None:
            return kept
        return {col: {int(c[root])} for col, c in self.codes.items() if c[root] >= 0}

    def conflict(self, ra: int, rb: int) -> bool:
        ka, kb = self._keys(ra), self._keys(rb)
        if not ka or not kb:
            return False
        return any(col in kb and not (ka[col] & kb[col]) for col in ka if col in self.veto_columns)

    def settled_apart(self, ra: int, rb: int, col: str) -> bool:
        """Both clusters are of several records, each holding one value of ``col``, and the two values
        differ: each cluster's records agree on an identifier the other's do not share."""
        if self.size[ra] < 2 or self.size[rb] < 2:
            return False
        va, vb = self._keys(ra).get(col), self._keys(rb).get(col)
        return va is not None and vb is not None and len(va) == 1 and len(vb) == 1 and va != vb

    def names_agree(self, ra: int, rb: int, floor: float) -> bool:
        return self.alike(self._shown.get(ra, ra), self._shown.get(rb, rb)) >= floor

    def union(self, ra: int, rb: int) -> None:
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        shown_b = self._shown.pop(rb, rb)
        if self.record_name(self._shown.get(ra, ra)) is None:
            self._shown[ra] = shown_b
        kb = self._keys(rb)
        self.keys.pop(rb, None)
        if kb:
            ka = self.keys.get(ra)
            if ka is None:
                ka = self.keys[ra] = self._keys(ra)
            for col, vals in kb.items():
                ka.setdefault(col, set()).update(vals)


class _Texts:
    """A text column read one value at a time (``str``, or None where missing) without turning the
    whole column into Python strings."""

    def __init__(self, values: pd.Series):
        import pyarrow as pa

        array = pa.Array.from_pandas(values)  # NaN and None: null
        self._array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array

    def __getitem__(self, x: int) -> str | None:
        return cast("str | None", self._array[x].as_py())


def _token_sort(a: str, b: str) -> float:
    from rapidfuzz import fuzz

    return float(fuzz.token_sort_ratio(a, b))


def _acronym_of(short: str, long: str) -> bool:
    """Clean name ``short`` is one word made of the initials of ``long``'s words, with or without an S
    for the Société the clean name left out."""
    words = long.split(" ")
    if " " in short or len(words) < 2 or not 2 <= len(short) <= 8 or not short.isalpha():
        return False
    initials = "".join(w[0] for w in words)
    return short in (initials, "s" + initials)


def _names_differ(clusters: _Clusters, rule: str, a: int, b: int, floor: float) -> bool:
    """Records ``a`` and ``b`` both named, their names less alike than ``floor`` (each name read once),
    and neither the other's initials (:func:`_acronym_of`). RC numbers are only unique per court and often
    mistyped: the ordered or sorted ratio decides there; elsewhere the token-set or phonetic similarity
    (:func:`_names_alike`)."""
    na, nb = clusters.record_name(a), clusters.record_name(b)
    if na is None or nb is None or _acronym_of(na, nb) or _acronym_of(nb, na):
        return False
    if rule == "rc_court":
        return _name_similarity(na, nb) < floor
    return clusters.alike(a, b) < floor


#: The features column each strong rule groups records by.
STRONG_COLUMNS = {"ice_root": "ice_root", "rc_court": "rc_key", "cin": "cin", "affiliation_no": "aff"}


def oversized_key_groups(features: pd.DataFrame, config: MatchConfig) -> dict[str, np.ndarray]:
    """Per strong rule, and for the unchecked ICE and the id number (``ice_unchecked``, ``id_number``), a
    flag per record whose key is shared by more than ``max_key_group`` records (such keys link nothing,
    count for nothing): what a part of a file must be told of the whole file's groups."""
    return {rule: _held_by_more(_codes(features[column]), config.max_key_group)
            for rule, column in {**STRONG_COLUMNS, **_PLACEHOLDER_COLUMNS}.items()}


def _identifier_codes(features: pd.DataFrame, config: MatchConfig,
                      oversized: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """The codes (-1 = none) of the ICE, RC key, CIN and affiliation number, a placeholder held by more
    than ``max_key_group`` records none: it tells two debtors nothing. ``oversized``: those of the whole
    file, for a part of it (:func:`oversized_key_groups`; the same ICE is the same root)."""
    out = {}
    for col, rule in (("ice", "ice_root"), ("rc_key", "rc_court"), ("cin", "cin"), ("aff", "affiliation_no")):
        codes = _codes(features[col])
        codes[_held_by_more(codes, config.max_key_group)] = -1
        if oversized is not None:
            codes[oversized[rule]] = -1
        out[col] = codes
    return out


def _held_by_more(codes: np.ndarray, limit: int) -> np.ndarray:
    """Per record, whether its key (a code; -1 = none) is held by more than ``limit`` records."""
    import numpy as np

    valid = codes >= 0
    counts = np.bincount(codes[valid], minlength=1)
    return cast("np.ndarray", valid & (counts[np.maximum(codes, 0)] > limit))


def _strong_edges(
    features: pd.DataFrame, config: MatchConfig, ignored: dict[str, int],
    oversized: dict[str, np.ndarray] | None = None,
) -> Iterator[tuple[str, np.ndarray]]:
    """Star edges (first record of the group, each other record) for each strong key, in trust order.

    ``oversized``: records whose key is too common in a larger file (:func:`oversized_key_groups`)."""
    import numpy as np

    for rule in STRONG_RULES:
        codes = _codes(features[STRONG_COLUMNS[rule]])
        if oversized is not None:
            codes = np.where(oversized[rule], -1, codes)
        valid = codes >= 0
        if not valid.any():
            continue
        counts = np.bincount(codes[valid])
        too_big = counts > config.max_key_group
        if too_big.any():
            ignored[rule] = int(too_big.sum())
            codes = np.where(valid & too_big[np.maximum(codes, 0)], -1, codes)
            valid = codes >= 0
            if not valid.any():  # every group of the key too big: no edge (was an IndexError)
                continue
        idx = np.flatnonzero(valid)
        idx = idx[np.argsort(codes[idx], kind="stable")]
        c = codes[idx]
        starts = np.r_[True, c[1:] != c[:-1]]
        head = idx[np.maximum.accumulate(np.where(starts, np.arange(len(idx)), 0))]
        edges = np.stack([head, idx], axis=1)[~starts]
        yield rule, edges


@dataclass
class _Evidence:
    """The merges of a resolution as they are made: records' positions, rule, score and fields."""

    left: list[int] = field(default_factory=list)
    right: list[int] = field(default_factory=list)
    rule: list[str] = field(default_factory=list)
    score: list[float] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)

    def add(self, a: int, b: int, rule: str, score: float, fields: str) -> None:
        self.left.append(a)
        self.right.append(b)
        self.rule.append(rule)
        self.score.append(score)
        self.fields.append(fields)


class _StrongSupport:
    """What lifts a strong key's name check, named for the evidence: a second identifier agreeing (the
    ICE, RC, CIN or affiliation number besides the edge's own) is an employer renamed, not a manager's
    CIN or a mistyped number; an ICE's, the same phone or e-mail, or addresses or managers alike; a
    CIN's, a sole trader known by his shop. Reads its columns when first asked (a few edges)."""

    def __init__(self, features: pd.DataFrame, config: MatchConfig, id_codes: dict[str, np.ndarray]):
        self.features, self.config, self.id_codes = features, config, id_codes
        self._contacts: dict[str, np.ndarray] = {}
        self._texts: dict[str, _Texts] = {}
        self._shops: np.ndarray | None = None
        self._reps: np.ndarray | None = None
        self._places: np.ndarray | None = None
        self._traders: tuple[np.ndarray, np.ndarray] | None = None

    def why(self, rule: str, a: int, b: int) -> str | None:
        """Why records ``a`` and ``b`` join on ``rule`` though their names differ, or None."""
        return (self._second_identifier(rule, a, b)
                or (self._ice_support(a, b) if rule in ("ice_root", "affiliation_no") else None)
                or (self._cin_support(a, b) if rule == "cin" else None)
                or ("trader_of_the_shop" if rule != "cin" and self._trader_and_his_shop(a, b) else None))

    def _trader_and_his_shop(self, a: int, b: int) -> bool:
        """One record is a sole trader's (its legal form EI, or its name a shop's sign) whose
        representative is, by name, the other record, a natural person's (no company's form):
        ``Alimentation Générale Anfa``, EI, represented by ``Hamzah Benmoussa``, and ``HAMZA BENMOUSSA``
        under one ICE. A sole trader has no legal personality of his own: his shop's ICE is his. (Under
        one CIN the same pair is a company with its manager's CIN unless its form says EI: the CIN's
        rule keeps its own checks.)"""
        import numpy as np

        if self._traders is None:  # per record, read once when first asked
            f = self.features
            _, shops, _ = self._people()
            sole = (f["legal_form"] == "EI").to_numpy(dtype=bool) | (shops > 0)
            self._traders = (sole & f["rep"].notna().to_numpy(dtype=bool),
                             f["legal_person"].to_numpy(dtype=bool))
        traders, legal = self._traders
        pair = np.array([[a, b], [b, a]])  # as company_and_its_manager: each record the shop in turn
        asked = traders[pair[:, 0]] & ~legal[pair[:, 1]]
        return bool(asked.any() and _manager_is_other(self.features, pair, asked).any())

    def company_and_its_manager(self, a: int, b: int) -> bool:
        """One record names a manager (:func:`_managed`) who is, by name, the other record: a company
        written without its form, carrying its manager's CIN, and the manager as a natural person."""
        import numpy as np

        reps, _, _ = self._people()
        pair = np.array([[a, b], [b, a]])
        return bool(_manager_is_other(self.features, pair, reps[pair[:, 0]]).any())

    def _cin_support(self, a: int, b: int) -> str | None:
        """Two natural persons' records under one CIN: a sole trader known by his shop, or, one of them
        said a natural person's (its legal form) and neither naming a manager, two names with a word in
        common (``Office Notarial Tazi``, EI, and ``Tazi Fetiha``: the family name, the given name left
        out on one). A company written without its form, with its manager's CIN, names its manager or
        says no natural person."""
        if self._shop_sign_of_a_person(a, b):
            return "shop_sign"
        f = self.features
        reps, _, _ = self._people()
        said = (f["legal_form"].iat[a], f["legal_form"].iat[b])
        if not reps[a] and not reps[b] and "EI" in said:
            na, nb = f["name_clean"].iat[a], f["name_clean"].iat[b]
            if isinstance(na, str) and isinstance(nb, str) and _phonetic_words(na) & _phonetic_words(nb):
                return "word_in_common"
        return None

    def _second_identifier(self, rule: str, a: int, b: int) -> str | None:
        own = "ice" if rule == "ice_root" else STRONG_COLUMNS[rule]  # _identifier_codes' name of it
        return next((f"same_{col}" for col, c in self.id_codes.items()
                     if col != own and c[a] >= 0 and c[a] == c[b]), None)

    def _shop_sign_of_a_person(self, a: int, b: int) -> bool:
        """One record is named by a shop sign and one word (``Garage Moulouya``, ``Teleboutique
        Yasmine``: its brand, not an owner's name), or by a shop sign and more in the same city as the
        other (``Epicerie Dar Salam``, Bouskoura), and neither names a manager: a sole trader known by
        his shop, whose CIN the other record, under his own name, holds too."""
        reps, shops, places = self._people()
        if reps[a] or reps[b]:
            return False
        same_place = places[a] >= 0 and places[a] == places[b]
        return bool(max(shops[a], shops[b]) == 2 or (shops[a] or shops[b]) and same_place)

    def _people(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per record, read once when first asked: whether it names a manager (:func:`_managed`), its
        shop sign (0 none, 1 a sign, 2 a sign and one word) and its locality's code."""
        import numpy as np

        if self._shops is None or self._reps is None or self._places is None:
            f = self.features
            self._reps = _managed(f)
            signed = f["name_sign"].notna().to_numpy()
            self._shops = signed.astype(np.int8) + (signed & _one_word(f["name_clean"]))
            self._places = _codes(f["locality"])
        return self._reps, self._shops, self._places

    def _ice_support(self, a: int, b: int) -> str | None:
        """Besides their ICE, records ``a`` and ``b`` have the same phone number or e-mail, or addresses
        or managers alike."""
        if not self._contacts:
            self._contacts = {c: _codes(self.features[c]) for c in ("phone_number", "email")}
            self._texts = {c: _Texts(self.features[c]) for c in ("address", "rep")}
        for col, c in self._contacts.items():
            if c[a] >= 0 and c[a] == c[b]:
                return f"same_{col}"
        alike = self.config.ice_support_similarity
        for col, texts in self._texts.items():
            ta, tb = texts[a], texts[b]
            if ta is not None and tb is not None and _token_sort(ta, tb) >= alike:
                return f"{col}_alike"
        return None


def _join_strong_keys(features: pd.DataFrame, config: MatchConfig, clusters: _Clusters,
                      support: _StrongSupport, oversized: dict[str, np.ndarray] | None,
                      ignored: dict[str, int], evidence: _Evidence) -> int:
    """Join ``clusters`` along the strong keys' edges, in trust order, each join's evidence added to
    ``evidence``. Returns how many edges were vetoed."""
    vetoed = 0
    for rule, edges in _strong_edges(features, config, ignored, oversized):
        # RC numbers are only unique per court and often mistyped: the names must look alike too. An
        # ICE is the company's whatever its name (renamed, a trade name for a company name, a shop
        # sign for its owner's name) but is keyed on another company's record now and then: two
        # records that share an ICE and nothing else, their names not a word alike, stay apart
        floor = (config.rc_name_floor if rule == "rc_court"
                 else config.ice_name_floor if rule == "ice_root" else config.strong_name_floor)
        for a, b in edges.tolist():
            ra, rb = clusters.find(a), clusters.find(b)
            if ra == rb:
                continue
            if clusters.conflict(ra, rb) or rule == "cin" and support.company_and_its_manager(a, b):
                vetoed += 1
                continue
            lifted = None
            if _names_differ(clusters, rule, a, b, floor):
                lifted = support.why(rule, a, b)
                if lifted is None:
                    vetoed += 1
                    continue
            clusters.union(ra, rb)
            evidence.add(a, b, rule, 1.0, rule if lifted is None else f"{rule},names_differ_but={lifted}")
    return vetoed


def resolve(
    records: pd.DataFrame,
    config: MatchConfig | None = None,
    *,
    features: pd.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
    keep_features: bool = False,
    model: FSModel | None = None,
    compare: PairComparer | None = None,
    candidates: np.ndarray | None = None,
    oversized: dict[str, np.ndarray] | None = None,
    population: int | None = None,
) -> Resolution:
    """Cluster records into entities: ``entity_id`` = ``'E'`` + the smallest record_id of the cluster.

    Deterministic: the same records (in any order) give the same ids and the same evidence.
    ``keep_features`` returns the normalised columns survivorship reads (``Resolution.features``).
    ``model``: a stored Fellegi-Sunter model to score with (none: one is trained on these records);
    ``compare``: how candidate pairs are compared (see :func:`score_pairs`).

    A part of a larger file (the incremental debtor master) is resolved as the whole file would
    resolve it with ``features`` computed on the whole file (its term frequencies), ``candidates``
    (pairs of row positions of ``records``: the whole file's candidate pairs within the part, from
    :meth:`BlockingIndex.pairs`) and ``oversized`` (:func:`oversized_key_groups` of the
    whole file, rows of ``records``) and ``population`` (the whole file's records).
    """
    import numpy as np
    import pandas as pd

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
        # this function's copy is the one it thins out below (the columns it no longer needs once
        # factorised): a caller that handed its only reference over lets their text go
        del features
    # the record ids in record_id order, as Arrow text (a list of a million Python strings was 70 MB
    # held through the whole resolution)
    sorted_ids = recs["record_id"].astype("str").reset_index(drop=True)
    n = len(recs)
    del recs  # the features hold what matching needs; the caller keeps the records
    sorted_oversized = None if oversized is None else {r: v[order] for r, v in oversized.items()}
    # a second identifier agreeing (the ICE, RC, CIN or affiliation number besides a strong edge's own)
    # is an employer renamed, not a manager's CIN or a mistyped number: no name check
    id_codes = _identifier_codes(feats, config, sorted_oversized)
    # (a CIN fifty records hold is a placeholder: it vetoes nothing, see _PLACEHOLDER_COLUMNS)
    clusters = _Clusters(feats, ("ice_root", "cin", "rc_key") if config.veto_on_rc else ("ice_root", "cin"),
                         codes={"aff": id_codes["aff"], "cin": id_codes["cin"]})
    ev = _Evidence()
    vetoed = 0
    ignored: dict[str, int] = {}

    step("strong keys")
    # the blocks are built on a thread while this one joins the strong keys: the joins are a Python loop
    # on one core, the blocks' sorts and hash tables let the GIL go (neither changes the features)
    with ThreadPoolExecutor(max_workers=1) as background:
        blocking = background.submit(candidate_pairs, feats, config) if candidates is None else None
        vetoed += _join_strong_keys(feats, config, clusters, _StrongSupport(feats, config, id_codes),
                                    sorted_oversized, ignored, ev)
        step("candidate pairs")
        if blocking is not None:
            pairs = blocking.result()
    if candidates is not None:  # in the caller's row order: to sorted positions, i < j, distinct, in order
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        given = np.sort(rank[np.asarray(candidates, dtype=np.int64).reshape(-1, 2)], axis=1)
        given = given[given[:, 0] != given[:, 1]]
        pairs = np.unique(given[:, 0] * (n + 1) + given[:, 1])
        pairs = np.stack([pairs // (n + 1), pairs % (n + 1)], axis=1)
    release_memory()  # the blocking keys' texts and temporaries (0.4 GB at L)
    # pairs the strong keys already joined need no score
    strong_root = np.fromiter((clusters.find(x) for x in range(n)), dtype=np.int64, count=n)
    step(f"score {len(pairs):,} pairs")
    # the model learns from every candidate pair (those the strong keys joined are good examples of
    # one entity's records) but only pairs still apart can link anything new
    columns = _columns(feats, config, sorted_oversized)
    kept = feats[list(GOLDEN_FEATURES)] if keep_features else None
    feats = feats.drop(columns=[c for c in _DROPPED_AFTER_CODES if c in feats.columns])
    release_memory()  # the dropped columns' text and the blocking's temporaries
    if candidates is not None and model is None:
        raise ValueError("a part of a file is scored with a given model: it cannot train one")
    scored, model = score_pairs(feats, pairs, config, model=model, columns=columns, compare=compare,
                                population=population, known=_known_holders(strong_root, columns))
    apart = _apart(strong_root, pairs)
    accept = _fuzzy_accept(scored, feats, config) & apart
    vetoed += int(((scored.score >= config.accept_score) & apart & ~accept).sum()) if len(pairs) else 0
    keep = np.flatnonzero(accept)
    # strongest evidence first, ties broken by record position: deterministic
    keep = keep[np.lexsort((pairs[keep, 1], pairs[keep, 0], -scored.score[keep]))]
    keep_weights = scored.weights_at(keep)
    keep_sims = compare_pairs(feats, pairs[keep], columns, evidence=True).sims  # the evidence's
    # the clustering reads the linking pairs alone: every candidate pair's levels, scores and codes go
    # before it (about 0.6 GB for the 18 M pairs of a first month at L, the build's peak with them held)
    linking = scored.take(keep)
    del scored, pairs, apart, accept, columns, strong_root, feats
    release_memory()
    step("cluster")
    for at in range(len(keep)):
        a, b = int(linking.pairs[at, 0]), int(linking.pairs[at, 1])
        ra, rb = clusters.find(a), clusters.find(b)
        if ra == rb:
            continue
        # a link just above the threshold must not chain two clusters whose names differ; a link with
        # overwhelming evidence (id number, address and locality agreeing) may: a given name changed
        weak = linking.score[at] < config.accept_score + config.cluster_name_margin
        names_apart = weak and not clusters.names_agree(ra, rb, config.cluster_name_similarity)
        # nor two clusters each settled under its own affiliation number, their names not the same: an
        # employer re-affiliated holds several numbers (one per record, or one per database it was
        # keyed in, under one name), but two groups of records, one number each, under near names
        # are a group's companies (Normar Agro, Normar Agro Sud: one phone, one manager), which a weak
        # link does not make one
        affs_apart = (weak and linking.compared.levels["name"][at] < _SAME_NAME
                      and clusters.settled_apart(ra, rb, "aff"))
        if clusters.conflict(ra, rb) or names_apart or affs_apart:
            vetoed += 1
            continue
        clusters.union(ra, rb)
        ev.add(a, b, "fuzzy", round(float(linking.score[at]), 2),
               _fields_text(linking, at, keep_weights, keep_sims))

    roots = np.array([clusters.find(x) for x in range(n)], dtype=np.int64)
    # smallest position per root = smallest record_id, since records are sorted by record_id
    first = np.full(n, n, dtype=np.int64)
    np.minimum.at(first, roots, np.arange(n))
    back = np.empty(n, dtype=np.int64)  # each record's position in record_id order
    back[order] = np.arange(n)
    entity_sorted = "E" + sorted_ids.take(first[roots])
    assignments = pd.DataFrame(
        {"record_id": records["record_id"].astype("str").to_numpy(),
         "entity_id": entity_sorted.to_numpy()[back]}
    )

    evidence = pd.DataFrame(
        {
            "left_record_id": _texts_at(sorted_ids, ev.left),
            "right_record_id": _texts_at(sorted_ids, ev.right),
            "rule": ev.rule,
            "score": ev.score,
            "matched_fields": ev.fields,
        },
        columns=list(EVIDENCE_COLUMNS),
    ).astype(_EVIDENCE_DTYPES)  # an empty one too (a file, or a part of one, with no merge)
    if kept is not None:  # back to the caller's record order and index
        kept = kept.iloc[back].set_axis(records.index)
    return Resolution(assignments, evidence, vetoed, ignored, model, kept)


def _known_holders(roots: np.ndarray, columns: dict[str, _Column]) -> dict[str, np.ndarray]:
    """Per field with a frequency adjustment, per record: how many records of its cluster (``roots``)
    hold its value, itself included (0 where it has none)."""
    import numpy as np
    import pandas as pd

    out = {}
    for name, col in _TF_COLUMN.items():
        codes = columns[col].codes
        held = np.zeros(len(codes), dtype=np.int64)
        present = np.flatnonzero(codes >= 0)
        groups, _ = pd.factorize(roots[present].astype(np.int64) * (len(codes) + 1) + codes[present])
        held[present] = np.bincount(groups)[groups]
        out[name] = held
    return out


def _apart(roots: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Pairs whose two records have different ``roots``, a chunk at a time (the roots of both sides of
    every pair at once were two int64 arrays as long as the candidates: 0.3 GB at L)."""
    import numpy as np

    out = np.empty(len(pairs), dtype=bool)
    for lo in range(0, len(pairs), COMPARE_CHUNK):
        part = pairs[lo:lo + COMPARE_CHUNK]
        out[lo:lo + COMPARE_CHUNK] = roots[part[:, 0]] != roots[part[:, 1]]
    return out


def _texts_at(values: pd.Series, positions: list[int]) -> np.ndarray:
    """The texts at ``positions`` of ``values`` (an Arrow text column), as an object array."""
    import numpy as np

    return cast("np.ndarray", values.take(np.asarray(positions, dtype=np.int64)).to_numpy())


# -------------------------------------------------------------------------------- survivorship

GOLDEN_FIELDS = (
    "name", "legal_form", "ice", "rc_number", "rc_court", "cin", "address", "city", "region",
    "directorate", "phone", "email", "legal_rep_name",
)
#: The columns of :func:`prepare_features` that survivorship reads.
GOLDEN_FEATURES = ("name_clean", "legal_form", "ice", "rc_key", "cin", "address", "city", "region",
                   "directorate", "phone", "email", "rep")


def build_golden_records(
    records: pd.DataFrame,
    assignments: pd.DataFrame,
    *,
    recency_column: str | None = None,
    features: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One golden record per entity, with the source record of each field (``<field>_source``).

    ``features``: the records' normalised features (:func:`prepare_features`, at least the columns
    ``GOLDEN_FEATURES``, same index as ``records``), e.g. ``Resolution.features`` of the resolution that
    gave ``assignments``; computed here when not given.

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
    import pandas as pd

    # given the features, only the raw texts published as they were typed are read from the records
    # (a copy of every column was 0.3 GB at L)
    raw = COLUMNS if features is None else ("record_id", "name", "address", "legal_rep_name")
    wanted = list(dict.fromkeys([*raw, *([recency_column] if recency_column else [])]))
    recs = records.reindex(columns=wanted, fill_value="").astype("str").fillna("")
    feats = prepare_features(recs) if features is None else features
    ent = recs[["record_id"]].merge(assignments[["record_id", "entity_id"]].astype("str"), on="record_id",
                                    how="left")
    base = pd.DataFrame({"entity_id": ent["entity_id"].to_numpy(), "record_id": recs["record_id"].to_numpy()})
    if recency_column:
        base["recency"] = recs[recency_column].to_numpy()
    # an RC number and its court compete only where both normalise (rc_key "<number>@<court>"; a
    # number is [A-Z0-9/] only), so they are read back from the key instead of normalised again
    rc_parts = feats["rc_key"].astype("str").str.extract(r"^([^@]*)@(.*)$")  # two columns, even all missing
    rc_number = pd.Series(rc_parts[0].to_numpy(dtype=object), dtype="object")
    rc_court = pd.Series(rc_parts[1].to_numpy(dtype=object), dtype="object")
    cities = feats[["city", "region", "directorate"]]
    candidates: dict[str, tuple[pd.Series, pd.Series]] = {
        # field: (value to publish, normalised value used to vote)
        "name": (recs["name"], feats["name_clean"]),
        "legal_form": (feats["legal_form"], feats["legal_form"]),
        "ice": (feats["ice"], feats["ice"]),
        "rc_number": (rc_number, feats["rc_key"]),
        "rc_court": (rc_court, feats["rc_key"]),
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
        # an entity with one candidate for the field takes it: only the others are ranked (most
        # entities are one record, so the ranking below sorts a fraction of the rows)
        contested = frame["entity_id"].duplicated(keep=False).to_numpy()
        alone = frame.loc[~contested, ["entity_id", "value", "record_id"]]
        frame = frame[contested]
        frame["votes"] = frame.groupby(["entity_id", "vote"])["record_id"].transform("size")
        # among spellings of the winning value, the one typed most often (case aside) beats a typo
        frame["raw"] = frame["value"].astype("str").str.strip().str.casefold()
        frame["raw_votes"] = frame.groupby(["entity_id", "raw"])["record_id"].transform("size")
        frame["length"] = frame["value"].astype("str").str.len()
        recency = ["recency"] if recency_column else []
        sort_cols = ["entity_id", "votes", "raw_votes", *recency, "length", "record_id"]
        ascending = [True, False, False] + [False] * len(recency) + [False, True]
        best = frame.sort_values(sort_cols, ascending=ascending).drop_duplicates("entity_id")
        picked = pd.concat([alone, best[["entity_id", "value", "record_id"]]]).set_index("entity_id")
        # each column in Arrow text as soon as it is made (26 columns of a million Python strings
        # were the debtor master's peak at L)
        golden[name] = golden["entity_id"].map(picked["value"]).astype("str")
        golden[f"{name}_source"] = golden["entity_id"].map(picked["record_id"]).astype("str")
    city_info = [canonical_city(c) if isinstance(c, str) else None for c in golden["city"]]
    golden["region"] = [i.region if i else None for i in city_info]
    golden["directorate"] = [i.directorate if i else None for i in city_info]
    golden["region_source"] = golden["city_source"]
    golden["directorate_source"] = golden["city_source"]
    ordered = ["entity_id"]
    for f in GOLDEN_FIELDS:
        ordered += [f, f"{f}_source"]
    # text in Arrow-backed columns (missing: NaN): as Python strings, 26 columns of a million
    # entities held about 1 GB at L through the rest of the build
    return text_columns(golden[ordered])


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
    model_path: Path | None = None,
) -> DedupeReport:
    """Read debtor records, resolve entities, write ``record_id;entity_id`` for every input record.

    Output is CSV (``;``) or Parquet when ``output_path`` ends in ``.parquet``; the evidence table
    (left_record_id, right_record_id, rule, score, matched_fields) and the trained model (field, level,
    label, m, u, weight) are written when asked. Progress goes
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
    if model_path is not None and resolution.model is not None:
        import pandas as pd

        _write_table(pd.DataFrame(resolution.model.as_table()), Path(model_path))
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
        namesakes_mail_share=(round(resolution.model.namesakes_mail_share, 6)
                              if resolution.model is not None else None),
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
