"""Hostile agency return files driven through the ingestion the ``returns_ingest`` DAG runs.

Shared by ``tests/unit/ingest/test_hostile.py`` (the bulk, over an agency account that is a local
folder) and ``tests/integration/test_ingest_hostile_sftp.py`` (a subset over the embedded SFTP server),
loaded by path (the tests folder is not a package).

Three parts, written without the code under test (no ``recouvra`` parser, quoting or name rule is used
to build a file or to say what it holds):

* **plans** (:func:`stories`, hypothesis): what is hostile about each file an agency uploads in a
  story of two ingestion runs: its name (path-like, look-alike, over-long, reused), its encoding, its
  header, its rows (ragged, blank, multi-line, huge cells, formula payloads, wrong values), a syntax
  fault, a sidecar, an oversize body, a re-send of an earlier file. Each plan carries a seed from
  which :func:`build` writes the bytes deterministically, so shrinking works on the plan;
* **the oracle** (:func:`expect`): from what the generator wrote, the physical line of every record
  the contract counts, and the file-level outcome the contract's order gives (DUPLICATE, F001, F007,
  F005, F004, F002, F008, F003, F006, or judged on its rows), given what the agency sent before;
* **the run** (:func:`run_story`): the agency's uploads (under ``.part``, then renamed, as the contract
  says, or straight under the name), then exactly the calls the DAG's tasks make (``fetch_inbox`` ->
  ``ingest_fetched`` -> ``deliver_acks`` -> ``record_deliveries``), then every invariant: each file
  that landed in ``inbox/`` acknowledged exactly once and moved, no acknowledgement replaced, ack
  counts = registry = record tables and quarantine, every record in exactly one class, formula
  payloads verbatim in the warehouse and guarded in the rejects files.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import posixpath
import random
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from recouvra.ingest import deliver_acks, fetch_inbox, ingest_fetched, record_deliveries, spool_dir
from recouvra.sftp.client import PublishedPackage, RemoteFile, Transferred
from recouvra.warehouse import Warehouse

#: Uploads per story: one fresh agency, two ingestion runs.
FILES_PER_STORY = 25
#: RECOUVRA_HOSTILE_SHRINK=0 reports the first failing story as generated (shrinking a story re-runs it
#: many times over: minutes).
PHASES = tuple(p for p in Phase if p is not Phase.shrink or os.environ.get("RECOUVRA_HOSTILE_SHRINK") != "0")


def stories_for(files: int) -> int:
    """How many stories make about ``files`` uploads (at least one)."""
    return max(1, files // FILES_PER_STORY)


def story_settings(files: int) -> settings:
    """The hypothesis settings of every hostile run: derandomized (CI tests the same stories), no
    deadline, no example database, ``stories_for(files)`` examples."""
    return settings(max_examples=stories_for(files), derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), phases=PHASES)

AS_OF = dt.date(2026, 11, 25)
T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
START, END, RECALLED_ON = dt.date(2026, 11, 1), dt.date(2027, 4, 30), dt.date(2026, 11, 20)
BUILT = dt.datetime(2026, 11, 1, 6, 0)
CAP = 50 * 1024 * 1024  # the contract's largest file (written here, not imported: the oracle's own)
ZEROS = "0" * 64
OTHER_AGENCY, OTHER_DOSSIER = "AG02", "D00AG02-000002"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

# The contract's return types, written out again (columns in the contract's order; required first).
COLUMNS: dict[str, tuple[str, ...]] = {
    "ACTIONS": ("dossier_id", "action_id", "action_date", "action_type", "outcome", "promise_amount",
                "promise_date", "comment"),
    "CONTACTS": ("dossier_id", "update_id", "field", "value", "observed_date", "evidence"),
    "PAYMENTS": ("dossier_id", "payment_id", "payment_date", "amount", "channel", "receipt_ref"),
    "PLANS": ("dossier_id", "plan_id", "request_date", "installments", "first_due_date", "total_amount",
              "status"),
    "CLOSURES": ("dossier_id", "closure_id", "closure_date", "reason", "comment"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "ACTIONS": COLUMNS["ACTIONS"][:5], "CONTACTS": COLUMNS["CONTACTS"][:5],
    "PAYMENTS": COLUMNS["PAYMENTS"][:5], "PLANS": COLUMNS["PLANS"], "CLOSURES": COLUMNS["CLOSURES"][:4],
}
ID_COLUMN = {"ACTIONS": "action_id", "CONTACTS": "update_id", "PAYMENTS": "payment_id", "PLANS": "plan_id",
             "CLOSURES": "closure_id"}
#: Record table of each type and its text columns (stored exactly as the cell was sent).
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "ACTIONS": ("core.agency_action", ("dossier_id", "action_id", "action_type", "outcome", "comment")),
    "CONTACTS": ("core.agency_contact_update", ("dossier_id", "update_id", "field", "value", "evidence")),
    "PAYMENTS": ("core.agency_payment", ("dossier_id", "payment_id", "channel", "receipt_ref")),
    "PLANS": ("core.agency_plan", ("dossier_id", "plan_id", "status")),
    "CLOSURES": ("core.agency_closure", ("dossier_id", "closure_id", "reason", "comment")),
}
TYPES = tuple(COLUMNS)

# --------------------------------------------------------------------------------------------- plans
#: What a plan draws from, the benign choice first (hypothesis shrinks towards it) and weighted by
#: repeating it: about half the files are well named, four in five readable, and so on, so that a
#: quarter of them reach their rows and every file-level and row-level outcome comes up.
HOSTILE_NAMES = (
    "other_agency", "bad_date", "seq_00", "upper_ext", "lower_agency", "unknown_type", "homoglyph",
    "fullwidth_digit", "zero_width", "rtl_override", "nbsp", "trailing_dot", "trailing_space",
    "leading_space", "tab_in_name", "newline_in_name", "part_suffix", "part_upper", "double_csv",
    "txt_csv", "csv_txt", "no_ext", "sha256_ext", "ack_json_ext", "dot_slash", "dot_dot", "absolute",
    "sub_folder", "processed_folder", "inbox_inbox", "backslash_dot_dot", "backslash_folder",
    "drive_letter", "formula_name", "dash_name", "acks", "processed", "dots_only", "arabic", "over_long",
    "over_long_multibyte", "over_long_direct", "nul_in_name", "not_utf8",
)
NAME_KINDS = ("valid",) * 56 + HOSTILE_NAMES
ENCODINGS = ("utf-8",) * 30 + ("utf-8-bom",) * 4 + (
    "latin-1", "cp1252", "utf-16", "utf-16-le", "invalid_byte", "truncated_multibyte", "double_bom",
    "mac_roman",
)
HEADERS = ("proper",) * 30 + ("extra_unknown",) * 4 + (
    "missing_required", "duplicate_column", "duplicate_unknown", "unknown_only", "empty_name_column",
    "case_changed", "padded_name", "blank_first_line", "empty_file", "header_only", "header_blank_lines",
    "other_type", "no_header",
)
SYNTAX = (None,) * 40 + ("bare_cr", "unterminated", "after_quote", "quote_in_unquoted", "nul")
HUGE = (None,) * 40 + ("cell_1001", "cell_64k", "id_1001", "cell_1m")
SIDECARS = (None,) * 30 + ("good", "good_named", "good_upper") * 2 + (
    "bad_digest", "names_other", "garbage", "not_utf8", "huge")
RESENDS = (None,) * 14 + ("same_bytes_other_name", "same_name_other_bytes", "same_name_same_bytes",
                          "same_records_new_file", "same_stem_no_ext", "case_twin")
#: How often a row's cell is one the contract accepts: clean files (every row valid, ids unique: the
#: file is ACCEPTED unless it repeats what came before), mild ones, hostile ones.
LEVELS = ("clean",) * 3 + ("mild",) * 2 + ("hostile",) * 2
P_VALID = {"clean": 1.0, "mild": 0.95, "hostile": 0.8}
#: Names the local folder transport cannot carry (the fund reads a local folder's names as text).
SFTP_ONLY_NAME_KINDS = frozenset({"not_utf8"})


@dataclass(frozen=True)
class FilePlan:
    """What is hostile about one upload; ``seed`` fixes the rest (cells, line ends, lengths)."""

    rtype: str
    name_kind: str
    level: str
    encoding: str
    header: str
    rows: int
    syntax: str | None
    huge: str | None
    sidecar: str | None
    oversize: bool
    resend: str | None
    resend_of: int
    run: int
    seed: int


def file_plans(*, sftp: bool = False) -> st.SearchStrategy[FilePlan]:
    names = NAME_KINDS if sftp else tuple(k for k in NAME_KINDS if k not in SFTP_ONLY_NAME_KINDS)
    return st.builds(
        FilePlan,
        rtype=st.sampled_from(TYPES),
        name_kind=st.sampled_from(names),
        level=st.sampled_from(LEVELS),
        encoding=st.sampled_from(ENCODINGS),
        header=st.sampled_from(HEADERS),
        rows=st.one_of(st.integers(0, 12), st.integers(0, 12), st.integers(0, 12), st.integers(13, 150)),
        syntax=st.sampled_from(SYNTAX),
        huge=st.sampled_from(HUGE),
        sidecar=st.sampled_from(SIDECARS),
        oversize=st.integers(0, 59).map(lambda k: k == 59),  # shrinks to False
        resend=st.sampled_from(RESENDS),
        resend_of=st.integers(0, 1_000),
        run=st.integers(0, 1),
        seed=st.integers(0, 2**31 - 1),
    )


def coverage_story(*, sftp: bool = False) -> list[FilePlan]:
    """One story, written by hand, that reaches every file-level code and every status whatever the
    generated stories reach: hypothesis draws some of its integers from the constants of the local
    modules loaded (``hypothesis.internal.conjecture.providers``), so the same derandomized run draws
    other stories when the whole suite has imported more modules first, and a 1-in-60 draw such as
    ``oversize`` may come up in none of them. Run as an explicit example before the generated ones."""
    base = FilePlan(rtype=TYPES[0], name_kind="valid", level="clean", encoding="utf-8", header="proper",
                    rows=3, syntax=None, huge=None, sidecar=None, oversize=False, resend=None,
                    resend_of=0, run=0, seed=0)
    twists: list[dict[str, Any]] = [
        {},  # ACCEPTED
        {"level": "hostile", "rows": 60},  # PARTIAL
        {"name_kind": "other_agency"},  # F001
        {"encoding": "invalid_byte"},  # F002
        {"header": "missing_required"},  # F003
        {"sidecar": "bad_digest"},  # F004
        {"oversize": True},  # F005
        {"header": "header_only"},  # F006
        {"syntax": "unterminated"},  # F008
        {"run": 1, "resend": "same_bytes_other_name", "resend_of": 0},  # DUPLICATE
        {"run": 1, "resend": "same_name_other_bytes", "resend_of": 1},  # F007
        {"name_kind": "sub_folder"},  # refused: no such folder
    ]
    if sftp:
        twists.append({"name_kind": "not_utf8"})  # a name the server holds as bytes only
    plans = [replace(base, rtype=TYPES[k % len(TYPES)], seed=1000 + k, **t) for k, t in enumerate(twists)]
    plans += [replace(base, rtype=TYPES[k % len(TYPES)], seed=2000 + k, run=k % 2)
              for k in range(FILES_PER_STORY - len(plans))]
    return plans


def stories(files: int, *, sftp: bool = False) -> st.SearchStrategy[list[FilePlan]]:
    """One agency's uploads over two ingestion runs: ``files`` plans."""
    return st.lists(file_plans(sftp=sftp), min_size=files, max_size=files)


# ------------------------------------------------------------------------------------------- build
@dataclass
class Record:
    """One row written: the physical line it starts on, its text (no line end), its cells as written,
    its cells by column (None when ragged), and whether it is a blank line (not a record)."""

    line: int
    text: str
    values: list[str]
    cells: dict[str, str] | None
    blank: bool = False


@dataclass
class Hostile:
    """A file as the agency uploads it, with what the generator knows about it."""

    plan: FilePlan
    upload: bytes  # path the agency's client sends, relative to its home (``inbox/<name>`` usually)
    name_kind: str  # what its name is (an earlier file's, for a re-send under the same name)
    data: bytes  # the bytes uploaded (the first ``len(data)`` bytes when ``size`` is larger)
    size: int
    direct: bool  # uploaded straight under its name, without ``.part``
    sidecar: bytes | None
    kinds: frozenset[str]
    text: str | None  # the text before encoding
    header: tuple[str, ...] | None  # the header line's cells as written (None: no header line)
    rows: list[Record]  # every physical row after the header line (records and blank lines)
    first_blank: bool  # line 1 is blank
    syntax_fault: bool
    double_bom: bool  # two BOMs before the header: a reader drops only the first
    name_type: str | None  # the return type the name gives (None: none)
    name_ok: bool  # well formed and names the receiving agency


def _hex(n: int) -> str:
    return f"{n:064x}"


def dossier_id(agency: str, k: int) -> str:
    """The k-th dossier of ``agency`` (``D<agency, 6 characters>-<k, 6 digits>``)."""
    return f"D{agency[-6:]:0>6}-{k:06d}"


def _pick(rng: random.Random, valid: list[str], hostile: list[str], p_valid: float = 0.8) -> str:
    return rng.choice(valid) if rng.random() < p_valid else rng.choice(hostile)


FORMULAS = ["\nleading line feed", "=1+1", "=HYPERLINK(\"http://x.example/?\"&A1,\"clic\")", "+212 6 00",
            "-2+3", "@SUM(A1:A9)",
            "\t=cmd|' /C calc'!A0", "\rcarriage", "=cmd|' /C calc'!A0", "-", "+", "@", "="]
TEXTS = ["ok", "Le gérant a dit \"demain\"", "two\nlines", "a;b;c", "المسير لا يجيب", " padded ", "",
         "   ", "x" * 40, "quote \" inside", "crlf\r\ninside", "tab\tinside", "émoji 🙂", "\u202eevil"]


EVENT_DATES = ("action_date", "observed_date", "payment_date", "request_date", "closure_date")
CODES = {"action_type": ["CALL", "SMS", "EMAIL", "LETTER", "VISIT", "FORMAL_NOTICE", "ASSET_SEARCH"],
         "outcome": ["RIGHT_PARTY_CONTACT", "NO_ANSWER", "PROMISE_TO_PAY", "REFUSAL", "DISPUTE"],
         "channel": ["BANK_TRANSFER", "CHEQUE", "FUND_COUNTER", "ONLINE"],
         "status": ["REQUESTED", "SIGNED"],
         "reason": ["PAID_IN_FULL", "INSOLVENT", "CEASED_NO_ASSETS", "UNREACHABLE", "DISPUTED", "OTHER"],
         "field": ["ADDRESS", "CITY", "PHONE", "EMAIL", "LEGAL_REP", "ACTIVITY_STATUS", "ASSET"]}
CONTACT_VALUES = {"PHONE": ["06 12 34 56 78", "+212612345678", "0522-12-34-56", "00212 6 61 23 45 67"],
                  "EMAIL": ["gerant@atlas.ma", "x.y@example.com"],
                  "ACTIVITY_STATUS": ["ACTIVE", "CEASED", "LIQUIDATION", "UNKNOWN"],
                  "CITY": ["Casablanca", "Rabat", "=Fès"], "ADDRESS": ["12 Rue Ibn Battouta", "=1+1"],
                  "LEGAL_REP": ["Karim Benali", "@Karim"], "ASSET": ["villa", "-terrain"]}


def _value(rng: random.Random, column: str, rtype: str, agency: str, record_id: str,
           cells: dict[str, str], p: float) -> str:
    """A cell for ``column``: one the contract accepts with probability ``p``, else a hostile one.
    ``cells``: the row's cells so far, in the contract's column order (field before value)."""
    own = [dossier_id(agency, k) for k in (1, 2, 3)]
    if column == "dossier_id":  # the third is recalled on 2026-11-20: not for clean rows
        return _pick(rng, own[:2] if p == 1.0 else own,
                     [OTHER_DOSSIER, dossier_id(agency, 99), "", " ", "=D1", " " + own[0],
                      own[0].lower(), "D" + "9" * 1200], p)
    if column == ID_COLUMN[rtype]:
        return _pick(rng, [record_id], ["", " ", "=1+1", "@id", "+1", "-1", "\tR1", "R1 ", "r1", "R#1",
                                        "R;1", "R\n1", "R\"1"], p)
    if column in EVENT_DATES:
        day = START + dt.timedelta(days=rng.randrange(0, (AS_OF - START).days + 1))
        return _pick(rng, [day.isoformat()], ["2026-12-30", "2026-10-01", "2026-02-30", "25/11/2026", "",
                                              " 2026-11-10", "2026-11-10 ", "2026-11-21", "=TODAY()",
                                              "2026-1-5", "２０２６-11-10"], p)
    if column in ("promise_date", "first_due_date"):
        return _pick(rng, ["2026-12-15", "2027-01-31", "2026-11-20"], ["2026-13-01", "soon", "", "=NOW()"], p)
    if column in ("amount", "promise_amount", "total_amount"):
        return _pick(rng, ["10.00", "1500.5", "99.99", "250", "0.01"],
                     ["0", "-5", "1,50", "1e3", "99999999999999999999", "", "=1+1", "1 500.00", "12.345",
                      "+10", "١٠", "7000.00"], p)
    if column == "installments":
        return _pick(rng, ["2", "12", "36", "0002"], ["1", "37", "abc", "", "2.5", "-3"], p)
    if column in CODES:
        bad = CODES[column][0]
        hostile = [bad.lower(), f" {bad}", f"{bad} ", "", "=" + bad, "NOPE", "@" + bad]
        return _pick(rng, CODES[column], hostile, p)
    if column == "value":
        valid = CONTACT_VALUES.get(cells.get("field", ""), ["text"])
        return _pick(rng, valid, ["0612", "=HYPERLINK(\"x\")", "bad@", "+33 1 23 45 67 89", "FOO", "",
                                  "06 12 34 56 78 x", *FORMULAS], p)
    # free text (comment, evidence, receipt_ref, unknown columns): formula payloads are free text too
    return _pick(rng, TEXTS + FORMULAS, ["x" * 1001, "ملاحظة" * 200], p)


def _quote(cell: str, rng: random.Random) -> str:
    """RFC 4180: quoted when it must be (``;``, quote, CR, LF, padding), sometimes when it need not."""
    needs = any(c in cell for c in ';"\r\n') or cell != cell.strip(" \t")
    if needs or rng.random() < 0.05:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _huge(kind: str, rng: random.Random) -> str:
    size = {"cell_1001": 1001, "cell_64k": 65_536, "id_1001": 1001, "cell_1m": 1_048_576}[kind]
    return rng.choice(["x", "é", "=", "ت"]) + "y" * (size - 1)


def _header(plan: FilePlan, rng: random.Random) -> tuple[list[str] | None, list[str]]:
    """(header cells as written, or None for no header line; the columns the data rows follow)."""
    rtype = plan.rtype
    optional = [c for c in COLUMNS[rtype] if c not in REQUIRED[rtype]]
    columns = list(REQUIRED[rtype]) + [c for c in optional if rng.random() < 0.7]
    rng.shuffle(columns)
    kind = plan.header
    if kind == "extra_unknown":
        columns.insert(rng.randrange(len(columns) + 1), rng.choice(["note", "=x", "Comment", "ملاحظة"]))
    elif kind == "missing_required":
        columns.remove(rng.choice(REQUIRED[rtype]))
    elif kind == "duplicate_column":
        columns.insert(rng.randrange(len(columns) + 1), rng.choice(columns))
    elif kind == "duplicate_unknown":
        columns += ["note", "note"]
    elif kind == "unknown_only":
        columns = ["a", "b", "c"]
    elif kind == "empty_name_column":
        columns.append("")
    elif kind == "case_changed":
        i = rng.randrange(len(columns))
        columns[i] = columns[i].upper()
    elif kind == "padded_name":
        i = rng.randrange(len(columns))
        columns[i] = " " + columns[i]
    elif kind == "other_type":
        columns = list(COLUMNS[rng.choice([t for t in TYPES if t != rtype])])
    elif kind == "no_header":
        return None, columns
    return columns, columns


#: Names the agency gives a file, from a well-formed one (``g``), all of them refused (F001) when they
#: land in ``inbox/``: case, look-alike characters, extensions, paths, spreadsheet formulas.
_LOOK_ALIKES: dict[str, Callable[[str, str, str], str]] = {  # (good name, agency, type) -> name
    "upper_ext": lambda g, a, t: g[:-4] + ".CSV",
    "lower_agency": lambda g, a, t: g.replace(a, a.lower(), 1),
    "unknown_type": lambda g, a, t: g.replace(t, "NOTES", 1),
    "homoglyph": lambda g, a, t: g.replace("A", "\u0410", 1) if "A" in g else "\u0410" + g,  # Cyrillic A
    "fullwidth_digit": lambda g, a, t: g.replace("1", "\uff11", 1),
    "zero_width": lambda g, a, t: g.replace("_", "_\u200b", 1),
    "rtl_override": lambda g, a, t: g[:-4] + "\u202evsc.csv",
    "nbsp": lambda g, a, t: g.replace("_", "\u00a0", 1),
    "trailing_dot": lambda g, a, t: g + ".",
    "trailing_space": lambda g, a, t: g + " ",
    "leading_space": lambda g, a, t: " " + g,
    "tab_in_name": lambda g, a, t: g.replace("_", "\t", 1),
    "newline_in_name": lambda g, a, t: g + "\n",
    "part_upper": lambda g, a, t: g + ".PART",
    "double_csv": lambda g, a, t: g + ".csv",
    "txt_csv": lambda g, a, t: g[:-4] + ".txt.csv",
    "csv_txt": lambda g, a, t: g + ".txt",
    "no_ext": lambda g, a, t: g[:-4],
    "ack_json_ext": lambda g, a, t: g[:-4] + ".ack.json",
    "backslash_dot_dot": lambda g, a, t: "..\\" + g,
    "backslash_folder": lambda g, a, t: "inbox\\" + g,
    "drive_letter": lambda g, a, t: "C:\\inbox\\" + g,
    "dash_name": lambda g, a, t: "-rf " + g,
    "arabic": lambda g, a, t: g.replace(t, "دفعات", 1),
    "dots_only": lambda g, a, t: "...",
    "bad_date": lambda g, a, t: f"{g[:len(a) + len(t) + 2]}20261131{g[len(a) + len(t) + 10:]}",
    "seq_00": lambda g, a, t: g[:-6] + "00.csv",
    "acks": lambda g, a, t: "acks",  # the name of the spool's acknowledgements folder
    "part_suffix": lambda g, a, t: g + ".part",  # a reader ignores .part: never received
    "sha256_ext": lambda g, a, t: g + ".sha256",  # a sidecar: read with its file, never received as one
    "nul_in_name": lambda g, a, t: g.replace("_", "\x00", 1),  # refused by any file system
}
#: Paths rather than names (the server resolves them inside the home): where the upload goes.
_PATHS: dict[str, Callable[[str], str]] = {
    "dot_slash": lambda g: "inbox/./" + g,  # lands in inbox/ under the good name: received as such
    "dot_dot": lambda g: "inbox/../" + g,
    "absolute": lambda g: "/" + g,
    "sub_folder": lambda g: "inbox/sub/" + g,  # no such folder: refused
    "processed_folder": lambda g: "inbox/processed/" + g,
    "inbox_inbox": lambda g: "inbox/inbox/" + g,
    "processed": lambda g: "inbox/processed",  # a folder of that name is there: refused
}


def _name(plan: FilePlan, agency: str, rng: random.Random) -> tuple[bytes, str | None, bool, bool]:
    """(upload path, the type the name gives, whether the name is well formed for ``agency``, direct)."""
    day = dt.date(2026, 11, 1) + dt.timedelta(days=rng.randrange(0, 60))
    rtype = plan.rtype if rng.random() < 0.9 else rng.choice(TYPES)  # a name may lie about its content
    good = f"{agency}_{rtype}_{day:%Y%m%d}_{rng.randrange(1, 100):02d}.csv"
    kind = plan.name_kind
    direct = rng.random() < 0.1  # straight under its name, without .part (the contract asks for .part)
    if kind == "valid":
        return f"inbox/{good}".encode(), rtype, True, direct
    if kind == "other_agency":
        return f"inbox/{good.replace(agency, OTHER_AGENCY, 1)}".encode(), rtype, False, direct
    if kind == "formula_name":
        formula = rng.choice(['=HYPERLINK("x") ', "@SUM(A1) ", "+cmd ", "-2+3 "])
        return f"inbox/{formula}{good}".encode(), None, False, direct
    if kind in _LOOK_ALIKES:
        return f"inbox/{_LOOK_ALIKES[kind](good, agency, rtype)}".encode(), None, False, direct
    if kind in _PATHS:
        ok = kind == "dot_slash"
        return _PATHS[kind](good).encode(), rtype if ok else None, ok, direct
    if kind.startswith("over_long"):  # 236 to 300 bytes: some fit a file name, some do not
        if kind == "over_long_multibyte":  # two bytes a character
            return f"inbox/{agency}_{'ت' * rng.choice([110, 118, 121, 122, 124, 126, 130])}.csv".encode(), \
                None, False, direct
        length = rng.choice([236, 240, 244, 245, 246, 248, 250, 251, 253, 255, 256, 300])
        stem = f"{agency}{'X' * length}_{rtype}_{day:%Y%m%d}_01"
        return f"inbox/{stem[: length - 4]}.csv".encode(), None, False, kind == "over_long_direct"
    if kind == "not_utf8":  # bytes no text holds (SFTP only: names are bytes on the wire)
        return b"inbox/" + good[:-4].encode() + rng.choice([b"\xe9", b"\xff\xfe", b"\xc3"]) + b".csv", \
            None, False, direct
    raise AssertionError(kind)


def _encode(text: str, encoding: str, rng: random.Random) -> bytes:
    if encoding == "utf-8":
        return text.encode()
    if encoding == "utf-8-bom":
        return "\ufeff".encode() + text.encode()
    if encoding == "double_bom":
        return "\ufeff\ufeff".encode() + text.encode()
    if encoding in ("latin-1", "cp1252", "mac_roman"):
        return text.encode(encoding, errors="replace")
    if encoding in ("utf-16", "utf-16-le"):
        return text.encode(encoding)
    data = text.encode()
    at = rng.randrange(len(data) + 1)
    if encoding == "invalid_byte":
        return data[:at] + rng.choice([b"\xff", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80"]) + data[at:]
    if encoding == "truncated_multibyte":
        return data + "é".encode()[:1]
    raise AssertionError(encoding)


def _lossless(text: str, encoding: str) -> str:
    """The encoding a plan asked for, unless it would change the text (a legacy code page that cannot
    write a character): then UTF-16, which the contract refuses anyway."""
    if encoding in ("latin-1", "cp1252", "mac_roman"):
        try:
            text.encode(encoding)
        except UnicodeEncodeError:
            return "utf-16"
    return encoding


@dataclass
class _Written:
    """A file's text as the generator wrote it, before any fault or encoding."""

    text: str
    header: list[str] | None
    rows: list[Record]
    first_blank: bool = False
    header_quoted_first: bool = False  # a second BOM before a quote would be a syntax fault
    syntax_fault: bool = False


def _row(plan: FilePlan, agency: str, rng: random.Random, i: int, columns: list[str],
         kinds: set[str]) -> tuple[list[str], bool]:
    """The cells of data row ``i`` as written, and whether the row is ragged (another cell count)."""
    known = COLUMNS[plan.rtype]
    ids = [f"{plan.rtype[:3]}-{k}" for k in range(1, 7)]  # a few: E008, E011 and duplicates
    record_id = f"{plan.rtype[:3]}-{plan.seed}-{i}" if plan.level == "clean" else rng.choice(ids)
    cells: dict[str, str] = {}
    for c in sorted(columns, key=lambda c: known.index(c) if c in known else len(known)):
        cells[c] = _value(rng, c, plan.rtype, agency, record_id, cells, P_VALID[plan.level])
    if plan.level == "clean" and cells.get("outcome") == "PROMISE_TO_PAY" and not (
            {"promise_amount", "promise_date"} <= set(columns)):
        cells["outcome"] = "NO_ANSWER"  # the promise it needs is not in this file's columns
    if plan.huge and i == 0:
        target = ID_COLUMN[plan.rtype] if plan.huge == "id_1001" else rng.choice(columns)
        if target in cells:
            cells[target] = _huge(plan.huge, rng)
            kinds.add(f"huge:{plan.huge}")
    values = [cells[c] for c in columns]
    ragged = plan.level != "clean" and rng.random() < 0.1
    if ragged:
        if rng.random() < 0.5 and len(values) > 1:
            del values[rng.randrange(1, len(values)):]
        else:
            values += ["extra"] * rng.randrange(1, 4)
        kinds.add("ragged")
    if any(v[:1] in FORMULA_STARTS for v in values if v):
        kinds.add("formula")
    if any("\n" in v for v in values):
        kinds.add("multi_line_cell")
    return values, ragged


def _write_text(plan: FilePlan, agency: str, rng: random.Random, kinds: set[str]) -> _Written:
    """The header line and the rows the plan asks for, with the physical line each row starts on."""
    header, columns = _header(plan, rng)
    out = _Written("", header, [])
    parts: list[str] = []
    line = 1
    if plan.header == "empty_file":
        out.header = None
    elif plan.header == "blank_first_line":
        parts.append(rng.choice(["", " ", "\t"]) + "\n")
        line, out.first_blank, out.header = 2, True, None
    elif header is not None:
        written = [_quote(c, rng) for c in header]
        out.header_quoted_first = bool(written) and written[0].startswith('"')
        parts.append(";".join(written) + rng.choice(["\n", "\r\n"]))
        line = 2
    n_rows = 0 if plan.header in ("empty_file", "header_only", "header_blank_lines") else plan.rows
    trailing_blanks = rng.randrange(1, 4) if plan.header == "header_blank_lines" else 0
    for i in range(n_rows + trailing_blanks):
        if i >= n_rows or rng.random() < 0.08:  # a blank line: counted as a line, not a record
            blank = rng.choice(["", " ", "\t\t"])
            out.rows.append(Record(line, blank, [blank], None, blank=True))
            parts.append(blank + rng.choice(["\n", "\r\n"]))
            line += 1
            if i >= n_rows:
                continue
        values, ragged = _row(plan, agency, rng, i, columns, kinds)
        quoted = [_quote(v, rng) for v in values]
        if ";".join(quoted).strip(" \t") == "":  # it would read as a blank line: quote its first cell
            quoted[0] = '"' + values[0].replace('"', '""') + '"'
        text = ";".join(quoted)
        by_column = None if ragged else dict(zip(columns, values, strict=True))
        out.rows.append(Record(line, text, values, by_column))
        end = "" if i == n_rows - 1 and rng.random() < 0.2 else rng.choice(["\n", "\r\n", "\n"])
        parts.append(text + end)
        line += text.count("\n") + (1 if end else 0)
    out.text = "".join(parts)
    return out


def _fault(plan: FilePlan, written: _Written, rng: random.Random, kinds: set[str]) -> None:
    """A line RFC 4180 does not allow, after the others (or a NUL anywhere): F008 for the whole file."""
    if not plan.syntax:
        return
    kinds.add(f"syntax:{plan.syntax}")
    written.syntax_fault = True
    text = written.text
    if plan.syntax == "nul":
        at = rng.randrange(len(text) + 1)
        written.text = text[:at] + "\x00" + text[at:]
        return
    tail = "" if not text or text.endswith("\n") else "\n"
    written.text = text + tail + {"bare_cr": "a\rb;c", "unterminated": '"never closed;x',
                                  "after_quote": '"a"b;c', "quote_in_unquoted": 'a"b;c'}[plan.syntax]


def build(plan: FilePlan, agency: str, earlier: list[Hostile]) -> Hostile:
    """The upload ``plan`` describes, for ``agency``; ``earlier``: the story's uploads before it."""
    rng = random.Random(plan.seed)
    kinds = {f"name:{plan.name_kind}", f"header:{plan.header}", f"type:{plan.rtype}"}
    upload, name_type, name_ok, direct = _name(plan, agency, rng)
    name_kind = plan.name_kind
    source = earlier[plan.resend_of % len(earlier)] if plan.resend and earlier else None
    if source is not None and plan.resend in ("same_bytes_other_name", "same_name_same_bytes"):
        kinds = {f"resend:{plan.resend}", f"type:{plan.rtype}"}
        if plan.resend == "same_name_same_bytes":
            upload, name_type, name_ok, name_kind = source.upload, source.name_type, source.name_ok, \
                source.name_kind
        else:
            kinds.add(f"name:{plan.name_kind}")
        return replace(source, plan=plan, upload=upload, name_kind=name_kind, direct=direct, sidecar=None,
                       kinds=frozenset(kinds), name_type=name_type, name_ok=name_ok)
    if source is not None and plan.resend == "same_name_other_bytes":
        kinds.add(f"resend:{plan.resend}")
        upload, name_type, name_ok, name_kind = source.upload, source.name_type, source.name_ok, \
            source.name_kind
    elif source is not None and plan.resend in ("same_stem_no_ext", "case_twin") and source.name_ok:
        # a look-alike of an earlier name: its stem (X after X.csv: the answers are numbered), its case
        kinds.add(f"resend:{plan.resend}")
        upload = source.upload[:-4] if plan.resend == "same_stem_no_ext" else source.upload[:-4] + b".CSV"
        name_type, name_ok, name_kind = None, False, plan.resend
    if source is not None and plan.resend == "same_records_new_file" and source.text is not None:
        # the same records in another file (a line end more): duplicates of what was accepted
        kinds.add("resend:same_records_new_file")
        written = _Written(source.text + "\n", list(source.header) if source.header is not None else None,
                           list(source.rows), source.first_blank, source.text.startswith('"'),
                           source.syntax_fault)
    else:
        written = _write_text(plan, agency, rng, kinds)
    _fault(plan, written, rng, kinds)
    encoding = _lossless(written.text, plan.encoding)
    if encoding == "double_bom" and (written.header is None or written.header_quoted_first
                                     or written.first_blank):
        encoding = "utf-8-bom"  # a second BOM before a quote or a blank line 1 is another story
    kinds.add(f"encoding:{encoding}")
    data = _encode(written.text, encoding, rng)
    size = len(data)
    if plan.oversize:
        kinds.add("oversize")
        size = CAP + 1 + rng.randrange(0, 4096)
    sidecar = _sidecar(plan.sidecar, data, upload, rng)
    if sidecar is not None:
        kinds.add(f"sidecar:{plan.sidecar}")
    return Hostile(plan, upload, name_kind, data, size, direct, sidecar, frozenset(kinds), written.text,
                   tuple(written.header) if written.header is not None else None, written.rows,
                   written.first_blank, written.syntax_fault, encoding == "double_bom", name_type, name_ok)


def _sidecar(kind: str | None, data: bytes, upload: bytes, rng: random.Random) -> bytes | None:
    digest = hashlib.sha256(data).hexdigest()
    name = posixpath.basename(upload)
    if kind is None:
        return None
    if kind == "good":
        return digest.encode() + rng.choice([b"", b"\n", b"\r\n"])
    if kind == "good_named":
        return digest.encode() + b"  " + name + b"\n"
    if kind == "good_upper":
        return digest.upper().encode() + b" *" + name + b"\n"
    if kind == "bad_digest":
        return _hex(int(digest, 16) ^ 1).encode() + b"\n"
    if kind == "names_other":
        return digest.encode() + b"  other.csv\n"
    if kind == "garbage":
        return rng.choice([b"", b"\n\n", b"not a digest\n", b"=1+1\n", b"\x00" * 10])
    if kind == "not_utf8":
        return digest.encode() + b"  \xff\xfe.csv\n"
    if kind == "huge":
        return digest.encode() + b"\n" + b"#" * 5000
    raise AssertionError(kind)


# ------------------------------------------------------------------------------------------ oracle
@dataclass
class History:
    """What the fund was sent before, as the contract's memory needs it (one agency)."""

    judged: set[str] = field(default_factory=set)  # sha256 of files judged on their rows
    first_sha: dict[str, str] = field(default_factory=dict)  # name -> sha256 of its first file (not F001)


@dataclass(frozen=True)
class Expected:
    status: str | None  # "DUPLICATE", or None (any status but DUPLICATE)
    code: str | None  # the file-level error, or None
    lines: tuple[int, ...]  # every record the contract counts, by its first physical line
    countable: bool


def _good_sidecar(sidecar: bytes, data: bytes, name: str) -> bool:
    digest = hashlib.sha256(data).hexdigest()
    encoded = name.encode()
    return sidecar in {digest.encode() + end for end in (b"", b"\n", b"\r\n")} | {
        digest.encode() + b"  " + encoded + b"\n", digest.upper().encode() + b" *" + encoded + b"\n"}


def _line1(h: Hostile) -> tuple[str, ...] | None:
    """The cells of physical line 1 as a reader sees them, or None when line 1 is blank or absent."""
    if h.first_blank:
        return None
    if h.header is not None:
        cells = list(h.header)
    elif h.rows and h.rows[0].line == 1 and not h.rows[0].blank:
        cells = list(h.rows[0].values)
    else:
        return None
    if h.double_bom:
        cells[0] = "\ufeff" + cells[0]  # a reader drops one BOM, not two
    return tuple(cells)


def expect(h: Hostile, name: str, sidecar: bytes | None, history: History, *, on_disk: bytes,
           size: int) -> Expected:
    """What the contract says of ``h`` received as ``name`` (its bytes ``on_disk``, ``size`` on the
    account), with ``sidecar`` beside it, after ``history``."""
    unread = size > CAP
    sha = ZEROS if unread else hashlib.sha256(on_disk).hexdigest()
    name_type, name_ok = h.name_type, h.name_ok
    try:
        text: str | None = None if unread else on_disk.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    countable = text is not None and "\x00" not in text and not h.syntax_fault
    lines: tuple[int, ...] = ()
    if countable:
        line1 = _line1(h)
        records = [r.line for r in h.rows if not r.blank]
        if line1 is not None:
            known = set(COLUMNS[name_type]) if name_type else set()
            recognised = name_type is None or any(c in known for c in line1)
            if h.header is not None and not recognised:
                records = [1, *records]  # no header after all: line 1 is a record too
            elif h.header is None and recognised:
                records = records[1:]  # the first row reads as a header
        lines = tuple(records)
    if not unread and sha in history.judged:
        return Expected("DUPLICATE", None, lines, countable)
    earlier = history.first_sha.get(name) if name_ok else None
    if not name_ok:
        code: str | None = "F001"
    elif earlier is not None and earlier != sha and (not unread or earlier != ZEROS):
        code = "F007"
    elif unread:
        code = "F005"
    elif sidecar is not None and not _good_sidecar(sidecar, on_disk, name):
        code = "F004"
    elif text is None:
        code = "F002"
    elif not countable:
        code = "F008"
    else:
        code = _structure_code(h, name_type)
    return Expected(None, code, () if unread else lines, countable)


def _structure_code(h: Hostile, name_type: str | None) -> str | None:
    """F003 / F006 of a readable file, or None when it is judged on its rows."""
    assert name_type is not None
    line1 = _line1(h)
    if line1 is None or len(set(line1)) != len(line1):
        return "F003"
    if not any(c in COLUMNS[name_type] for c in line1) or any(c not in line1 for c in REQUIRED[name_type]):
        return "F003"
    after = h.rows if h.header is not None else h.rows[1:]
    if not any(not r.blank for r in after):
        return "F006"
    return None


def remember(history: History, name: str, sha: str, code: str | None) -> None:
    """What the fund remembers of a registered file (the warehouse's memory, as the contract says)."""
    if code is None:
        history.judged.add(sha)
    if code != "F001":
        history.first_sha.setdefault(name, sha)


# ---------------------------------------------------------------------------------------- transport
class Transport(Protocol):
    """An agency account: the agency's uploads, and the fund's client for steps A and C."""

    home: Path

    def put(self, h: Hostile) -> bool: ...

    def fund(self) -> Any: ...  # a context manager giving an SftpClient


class LocalAccount:
    """An agency's account as a local folder: the agency's uploads land as on the embedded server
    (paths resolved inside the home, ``..`` and absolute paths included), and the fund's client is the
    SftpClient interface over the same folder."""

    def __init__(self, home: Path) -> None:
        self.home = home
        for folder in ("outbox/acks", "inbox/processed"):
            (home / folder).mkdir(parents=True, exist_ok=True)

    def _target(self, upload: bytes) -> Path | None:
        if b"\x00" in upload:
            return None  # no file name holds a NUL: refused
        try:
            path = upload.decode()
        except UnicodeDecodeError:
            return None
        inside = posixpath.normpath(posixpath.join("/", path))
        if inside == "/":
            return None
        return self.home / inside.lstrip("/")

    def put(self, h: Hostile) -> bool:
        target = self._target(h.upload)
        if target is None:
            return False
        ok = _write(target, h.data, h.size, h.direct)
        if ok and h.sidecar is not None:
            _write(target.with_name(target.name + ".sha256"), h.sidecar, len(h.sidecar), True)
        return ok

    def fund(self) -> Any:
        return _Just(FolderClient(self.home))


def _write(target: Path, data: bytes, size: int, direct: bool) -> bool:
    """Write as an agency's client does: under ``.part`` then renamed (or straight); False when refused."""
    part = target if direct else target.with_name(target.name + ".part")
    try:
        with part.open("wb") as fh:
            fh.write(data)
            if size > len(data):
                fh.truncate(size)  # sparse: the listing shows the size, nobody reads it
        if not direct:
            os.replace(part, target)
    except OSError:
        return False
    return True


class SftpAccount:
    """An agency's account on the embedded SFTP server: the agency uploads with its own key through
    paramiko (names sent as bytes, as any client may: the server decides what lands where, and refuses
    what it refuses), the fund logs in with ``server.params(agency)``. Use as a context manager."""

    def __init__(self, server: Any, agency: str) -> None:
        self.server = server
        self.agency = agency
        self.home = Path(server.account(agency).home)
        self._transport: Any = None
        self._sftp: Any = None

    def __enter__(self) -> SftpAccount:
        import paramiko

        account = self.server.account(self.agency)
        self._transport = paramiko.Transport((self.server.host, self.server.port))
        self._transport.connect(username=account.username,
                                pkey=paramiko.Ed25519Key.from_private_key_file(str(account.key_file)))
        self._sftp = paramiko.SFTPClient.from_transport(self._transport)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._transport is not None:
            self._transport.close()

    def _send(self, path: bytes, data: bytes, size: int, direct: bool) -> bool:
        import paramiko

        part = path if direct else path + b".part"
        try:
            with self._sftp.open(part, "wb") as fh:
                fh.write(data)
                if size > len(data):
                    fh.truncate(size)  # past 50 MiB the server refuses it and removes the file
            if not direct:
                self._sftp.posix_rename(part, path)
        except (OSError, paramiko.SSHException):
            return False
        return True

    def put(self, h: Hostile) -> bool:
        landed = self._send(h.upload, h.data, h.size, h.direct)
        if landed and h.sidecar is not None:
            self._send(h.upload + b".sha256", h.sidecar, len(h.sidecar), True)
        return landed

    def fund(self) -> Any:
        from recouvra.sftp.client import connect

        return connect(self.server.params(self.agency))


class _Just:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __enter__(self) -> Any:
        return self.value

    def __exit__(self, *exc: object) -> None:
        return None


class FolderClient:
    """The fund's :class:`~recouvra.sftp.client.SftpClient` over a local folder (the account's home)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def list_ready(self, remote_dir: str) -> list[RemoteFile]:
        out = []
        for entry in os.scandir(self.root / remote_dir):
            if entry.is_file(follow_symlinks=False) and not entry.name.endswith(".part"):
                st_ = entry.stat(follow_symlinks=False)
                path = f"{remote_dir}/{entry.name}"
                out.append(RemoteFile(entry.name, path, st_.st_size, int(st_.st_mtime)))
        return sorted(out, key=lambda f: f.name)

    def download(self, remote_path: str, local_path: Path) -> Transferred:
        local_path = Path(local_path)
        local_path.parent.mkdir(parents=True, exist_ok=True)
        data = (self.root / remote_path).read_bytes()
        local_path.write_bytes(data)
        return Transferred(str(local_path), len(data), hashlib.sha256(data).hexdigest())

    def upload_atomic(self, local_path: Path, remote_path: str) -> Transferred:
        data = Path(local_path).read_bytes()
        target = self.root / remote_path
        part = target.with_name(target.name + ".part")
        part.write_bytes(data)
        os.replace(part, target)
        return Transferred(remote_path, len(data), hashlib.sha256(data).hexdigest())

    def write_text_atomic(self, remote_path: str, text: str) -> Transferred:
        raise NotImplementedError("not used by the ingestion")

    def publish_package(self, files: Any, manifest: Path, remote_dir: str = "outbox") -> PublishedPackage:
        raise NotImplementedError("not used by the ingestion")

    def move(self, remote_src: str, remote_dst: str, replace: bool = False) -> None:
        if not replace and (self.root / remote_dst).exists():
            raise FileExistsError(remote_dst)
        os.rename(self.root / remote_src, self.root / remote_dst)

    def remove(self, remote_path: str) -> None:
        (self.root / remote_path).unlink()


# ---------------------------------------------------------------------------------------- the world
def seed_agency(wh: Warehouse, agency: str, first_debtor: int) -> None:
    """Three debtors, a published dossier each for ``agency`` (the third recalled on 2026-11-20); debtor
    ids from ``first_debtor``."""
    for k in range(3):
        debtor = first_debtor + k
        values = [debtor, f"9{debtor:08d}", f"Debtor {debtor} SARL", "12 Rue Ibn Battouta", "Casablanca",
                  "Casablanca-Settat", "+212522123456", "contact@atlas.ma", "Karim Benali"]
        wh.execute(
            "INSERT INTO core.dim_debtor (debtor_id, primary_affiliation_no, legal_name, is_natural_person, "
            "address, city, region, phone_1, email, legal_rep_name, activity_status, affiliations_count, "
            "status, created_at, updated_at) VALUES (?, ?, ?, false, ?, ?, ?, ?, ?, ?, 'ACTIVE', 1, "
            "'ACTIVE', ?, ?)", [*values, BUILT, BUILT])
        wh.execute(
            "INSERT INTO core.debtor_history (debtor_id, valid_from, valid_to, is_current, "
            "primary_affiliation_no, legal_name, is_natural_person, address, city, region, phone_1, email, "
            "legal_rep_name, activity_status, change_source, change_ref) VALUES (?, ?, NULL, true, ?, ?, "
            "false, ?, ?, ?, ?, ?, ?, 'ACTIVE', 'SOURCE', '2026-11-01')", [debtor, BUILT, *values[1:]])
    for k, total in enumerate(("10000.00", "5000.00", "8000.00"), start=1):
        _dossier(wh, dossier_id(agency, k), first_debtor + k - 1, agency, total)
    wh.execute("INSERT INTO core.dossier_recall VALUES (?, ?, 'FUND_DECISION', 8000, ?, NULL, ?)",
               [dossier_id(agency, 3), RECALLED_ON, BUILT, RECALLED_ON])


def _dossier(wh: Warehouse, dossier_id: str, debtor: int, agency: str, total: str) -> None:
    wh.execute(
        "INSERT INTO core.dossier (dossier_id, assignment_month, debtor_id, affiliation_no, agency_code, "
        "segment, assignment_start, assignment_end, commission_rate, commission_cap, periods_count, "
        "oldest_period, newest_period, principal_due, surcharges_due, penalties_due, total_due, status, "
        "status_date, created_at) VALUES (?, DATE '2026-11-01', ?, ?, ?, 'FRESH', ?, ?, 0.03, 30000, 1, "
        "DATE '2026-01-01', DATE '2026-01-01', ?, 0, 0, ?, 'PUBLISHED', DATE '2026-11-01', ?)",
        [dossier_id, debtor, f"9{debtor:08d}", agency, START, END, Decimal(total), Decimal(total), BUILT])


def seed_world(wh: Warehouse) -> None:
    """The other agency's dossier (E002 for everyone else); debtor ids from 1 (agencies from 100)."""
    seed_agency(wh, OTHER_AGENCY, 1)  # OTHER_DOSSIER is its second


# --------------------------------------------------------------------------------------- the tally
@dataclass
class Tally:
    """What the runs did, for the figures in docs/benchmarks.md."""

    generated: Counter[str] = field(default_factory=Counter)  # files by kind
    uploads: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # uploads never in inbox/, by why
    received: int = 0
    acked: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)  # received, accepted, rejected, duplicate
    row_codes: Counter[str] = field(default_factory=Counter)
    runs: int = 0
    stories: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"stories": self.stories, "runs": self.runs, "uploads": self.uploads,
                "received": self.received, "acked": self.acked, "rows": dict(self.rows),
                "statuses": dict(sorted(self.statuses.items())),
                "file_codes": dict(sorted(self.codes.items())),
                "row_codes": dict(sorted(self.row_codes.items())),
                "refused": dict(sorted(self.refused.items())),
                "generated_by_kind": dict(sorted(self.generated.items()))}


# ------------------------------------------------------------------------------------------ the run
class Clock:
    """The fund's clock: one second on at each reading (fetch reads it once per file)."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


def _received_names(home: Path) -> dict[bytes, tuple[int, bytes]]:
    """Files that landed in ``inbox/`` and that the contract calls received: regular files, not
    ``.part`` (being written) nor ``.sha256`` (a sidecar, read with its file); raw name -> (size, head)."""
    out = {}
    for entry in os.scandir(os.fsencode(home / "inbox")):
        if entry.is_file(follow_symlinks=False) and not entry.name.endswith((b".part", b".sha256")):
            size = entry.stat(follow_symlinks=False).st_size
            with open(entry.path, "rb") as fh:
                head = fh.read(CAP + 1) if size <= CAP else b""
            out[entry.name] = (size, head)
    return out


def display_name(raw: bytes) -> str:
    """The name of an inbox file as the fund reads it: UTF-8, or with its undecodable bytes as ``\\xNN``."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


def _rejects_rows(text: str) -> list[list[str]]:
    """The rows of a rejects file, read by the standard library's reader (not the fund's own)."""
    csv.field_size_limit(2**31 - 1)  # a record id is echoed as received, a megabyte if it was one
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"', strict=True))


def _unguard(cell: str) -> str:
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS else cell


def _inbox_name(upload: bytes) -> bytes | None:
    """The name under which an upload lands in ``inbox/`` (the server resolves ``.``, ``..`` and ``/``
    inside the home), or None when it lands elsewhere."""
    path = posixpath.normpath(posixpath.join(b"/", upload))
    return posixpath.basename(path) if posixpath.dirname(path) == b"/inbox" else None


def run_story(wh: Warehouse, plans: list[FilePlan], transport: Transport, agency: str, spool: Path,
              clock: Clock, tally: Tally) -> None:
    """Two ingestion runs of one agency's hostile uploads, every invariant checked after each run."""
    built: list[Hostile] = []
    for plan in plans:
        built.append(build(plan, agency, built))
    history = History()
    tally.stories += 1
    for run in (0, 1):
        holders: dict[bytes, Hostile] = {}
        for h in (h for h in built if h.plan.run == run):
            tally.uploads += 1
            tally.generated.update(h.kinds)
            if transport.put(h):
                name = _inbox_name(h.upload)
                if name is not None:
                    holders[name] = h  # the last upload under a name is the file the fund finds
            else:  # by why: its size (the SFTP server's 50 MiB cap), else its name
                tally.refused["oversize" if h.size > CAP else h.name_kind] += 1
        _one_run(wh, transport, agency, spool, f"run{tally.runs}", clock, tally, holders, history)
        tally.runs += 1


def _one_run(wh: Warehouse, transport: Transport, agency: str, spool_root: Path, run: str, clock: Clock,
             tally: Tally, holders: dict[bytes, Hostile], history: History) -> None:
    home = transport.home
    on_disk = _received_names(home)
    acks_folder = home / "outbox" / "acks"
    acks_before = _snapshot(acks_folder)
    processed_before = _snapshot(home / "inbox" / "processed")
    last_id = wh.query("SELECT coalesce(max(return_file_id), 0) FROM core.return_file")[0][0]

    # The DAG's tasks, in order: fetch_inbox (A), ingest (B), deliver_acks (C), record_acks (D).
    with transport.fund() as client:
        fetched = fetch_inbox(client, agency, spool_dir(spool_root, agency, run), clock=clock)
    groups = ingest_fetched(wh, [fetched], AS_OF)
    items = [i for g in groups for i in g["items"]]
    with transport.fund() as client:
        delivered = deliver_acks(client, agency, items) if items else []
    record_deliveries(wh, [delivered])

    errors = [f"{i['file_name']!r}: {i['error']}" for i in items if i.get("error")]
    assert not errors, "files not ingested (a crash on one file is a bug):\n" + "\n".join(errors)
    names = {display_name(raw): raw for raw in on_disk}
    assert len(names) == len(on_disk), "two inbox files read under one name"
    assert sorted(i["file_name"] for i in items) == sorted(names), "files fetched != files in inbox/"
    assert all(d["delivered"] and d["moved_to"] for d in delivered), delivered
    left = _received_names(home)
    assert not left, f"files left in inbox/ after the run: {sorted(left)}"
    processed_after = _snapshot(home / "inbox" / "processed")
    for name, digest in processed_before.items():
        assert processed_after.get(name) == digest, f"processed file {name!r} replaced or removed"
    sidecars = {i["file_name"]: i.get("sidecar_remote") for i in items}
    published = {d["file_name"]: {f["file_type"]: f["file_name"] for f in d["published"]} for d in delivered}
    moved = {d["file_name"]: posixpath.basename(d["moved_to"]) for d in delivered}

    rows = wh.query(
        "SELECT return_file_id, file_name, file_type, sha256, status, rows_received, rows_accepted, "
        "rows_rejected, rows_duplicate, file_error_code, ack_file_name, delivered_at FROM core.return_file "
        "WHERE agency_code = ? AND return_file_id > ? ORDER BY return_file_id", [agency, last_id])
    assert sorted(r[1] for r in rows) == sorted(names), "registry rows != files received"
    tally.received += len(names)
    file_ids = [r[0] for r in rows]
    accepted = _accepted_rows(wh, file_ids)
    quarantined: dict[int, dict[int, tuple[str | None, str, str]]] = {}
    for fid, line_no, record_id, code, raw_line in (wh.query(
            "SELECT return_file_id, line_no, record_id, reason_code, raw_line FROM core.return_reject "
            "WHERE return_file_id >= ?", [min(file_ids)]) if file_ids else []):
        quarantined.setdefault(fid, {})[line_no] = (record_id, code, raw_line)
    ack_names = [r[10] for r in rows]
    assert len(set(ack_names)) == len(ack_names), "two files answered under one acknowledgement"
    acks_after = _snapshot(acks_folder)
    for name, digest in acks_before.items():
        assert acks_after.get(name) == digest, f"acknowledgement {name!r} replaced or removed"

    for (fid, name, ftype, sha, status, received, n_acc, n_rej, n_dup, code, ack_name, delivered_at) in rows:
        raw = names[name]
        size, head = on_disk[raw]
        h = holders[raw]
        assert size == h.size, f"{name!r}: {size} bytes in inbox/, {h.size} uploaded"
        sidecar = None
        if sidecars[name]:
            side = home / "inbox" / "processed" / (moved[name] + ".sha256")
            sidecar = side.read_bytes() if side.stat().st_size <= 4096 else b"<larger than 4 KiB>"
        exp = expect(h, name, sidecar, history, on_disk=head, size=size)
        context = f"{name!r} {sorted(h.kinds)}: {status} {code} {received}/{n_acc}/{n_rej}/{n_dup}"
        assert ack_name not in acks_before, f"{context}: its acknowledgement name was taken"
        assert published[name].get("ACK") == ack_name, context
        ack = json.loads((acks_folder / ack_name).read_text(encoding="utf-8"))
        assert (ack["file"], ack["sha256"], ack["status"], ack["rows_received"], ack["rows_accepted"],
                ack["rows_rejected"], ack["rows_duplicate"]) == (
            name, sha, status, received, n_acc, n_rej, n_dup), context
        assert [e["code"] for e in ack["file_errors"]] == ([code] if code else []), context
        assert received == n_acc + n_rej + n_dup, context
        assert delivered_at is not None, context
        assert sha == (ZEROS if size > CAP else hashlib.sha256(head).hexdigest()), context
        # the oracle: status and file error in the contract's order, every record counted
        if exp.status == "DUPLICATE":
            assert (status, code, n_dup, received) == ("DUPLICATE", None, len(exp.lines), len(exp.lines)), \
                f"{context}: expected DUPLICATE of {len(exp.lines)}"
        else:
            assert status != "DUPLICATE" and code == exp.code, f"{context}: expected {exp.code}"
            assert received == len(exp.lines), f"{context}: expected lines {exp.lines}"
        lines = set(exp.lines)
        table_rows = accepted.get(fid, {})
        quarantine = quarantined.get(fid, {})
        assert len(table_rows) == n_acc, f"{context}: {len(table_rows)} rows in the record table"
        if status == "DUPLICATE":  # nothing of it is loaded: the same bytes were, before
            assert not quarantine and not table_rows, context
        elif code is None:
            assert len(quarantine) == n_rej, f"{context}: {len(quarantine)} rows in core.return_reject"
            assert not set(table_rows) & set(quarantine), context
            assert set(table_rows) | set(quarantine) <= lines, context
            _check_verbatim(h, ftype, table_rows, quarantine, context)
        else:
            assert not quarantine and not table_rows and n_rej == received, context
        rejects = published[name].get("REJECTS")
        assert (rejects is not None) == (n_rej > 0), context
        if rejects is not None:
            table = _rejects_rows((acks_folder / rejects).read_bytes().decode("utf-8"))
            assert table[0] == ["line_no", "record_id", "reason_code", "detail"], context
            body = table[1:]
            assert len(body) == n_rej, context
            for cells in body:
                for cell in cells:
                    assert cell[:1] not in FORMULA_STARTS, f"{context}: unguarded cell {cell[:40]!r}"
            got = [int(c[0]) for c in body]
            if code is None:
                assert got == sorted(quarantine), context
                for c in body:
                    stored, reason, _ = quarantine[int(c[0])]
                    assert (_unguard(c[1]), c[2]) == (stored or "", reason), context
                    tally.row_codes[reason] += 1
            else:
                assert got == sorted(lines) and all(c[2] == code for c in body), context
        remember(history, name, sha, code)
        tally.acked += 1
        tally.statuses[status] += 1
        tally.codes[code or "none"] += 1
        tally.rows.update({"received": received, "accepted": n_acc, "rejected": n_rej, "duplicate": n_dup})
    # every acknowledgement and rejects file uploaded is in core.publication_log
    logged = wh.query("SELECT count(*) FROM core.publication_log WHERE agency_code = ?", [agency])[0][0]
    assert logged == len(acks_after), f"{logged} publication_log rows for {len(acks_after)} files in acks/"


def _accepted_rows(wh: Warehouse, file_ids: list[int]) -> dict[int, dict[int, tuple[Any, ...]]]:
    out: dict[int, dict[int, tuple[Any, ...]]] = {}
    if not file_ids:
        return out
    for table, columns in TABLES.values():
        for fid, line_no, *values in wh.query(
                f"SELECT return_file_id, line_no, {', '.join(columns)} FROM {table} "
                "WHERE return_file_id >= ?",
                [min(file_ids)]):
            out.setdefault(fid, {})[line_no] = tuple(values)
    return out


def _present(cell: str) -> bool:
    return bool(cell) and not cell.isspace()


def _check_verbatim(h: Hostile, ftype: str, table_rows: dict[int, tuple[Any, ...]],
                    quarantine: dict[int, tuple[str | None, str, str]], context: str) -> None:
    """Accepted records hold every text cell exactly as sent (formula payloads included); rejected
    records are kept as their physical lines, verbatim."""
    by_line = {r.line: r for r in h.rows if not r.blank}
    _, columns = TABLES[ftype]
    header = set(_line1(h) or ())  # as read: a second BOM makes the first column another (unknown) one
    for line, values in table_rows.items():
        record = by_line[line]
        assert record.cells is not None, f"{context}: a ragged row was accepted (line {line})"
        for column, value in zip(columns, values, strict=True):
            cell = record.cells.get(column, "") if column in header else ""
            assert value == (cell if _present(cell) else None), f"{context}: line {line} {column}"
    for line, (_, _, raw_line) in quarantine.items():
        assert raw_line == by_line[line].text, f"{context}: line {line} not kept verbatim"


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def agencies() -> Iterator[str]:
    """A fresh agency code per story (its memory starts empty): H0001, H0002, ..."""
    n = 0
    while True:
        n += 1
        yield f"H{n:04d}"
