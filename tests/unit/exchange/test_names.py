"""Every file name of the contract, built and parsed by recouvra.exchange.names: the exact names of
agency-exchange/1 both ways, and each parser reading back what the builders write."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from recouvra.exchange.errors import FileNameError
from recouvra.exchange.names import (
    ASSIGN_NAME_RE,
    NAME_MAX_BYTES,
    PART_SUFFIX,
    RECALL_NAME_RE,
    Outgoing,
    OutgoingName,
    ReturnFileName,
    ack_name,
    added_names,
    assignment_names,
    commission_names,
    file_stem,
    fit_name,
    parse_outgoing_name,
    parse_return_name,
    payments_names,
    recall_name,
    rejects_name,
    return_name,
    sidecar_name,
    stem_names,
)

pytestmark = [pytest.mark.unit]

NOV = dt.date(2026, 11, 1)
DAY = dt.date(2026, 12, 3)


def test_outgoing_names_are_the_contracts() -> None:
    assert assignment_names("AG01", NOV, 1) == (
        "CNSS_ASSIGN_AG01_202611_01.csv", "CNSS_DETAIL_AG01_202611_01.csv",
        "CNSS_ASSIGN_AG01_202611_01.manifest.json",
    )
    assert assignment_names("AG01", dt.date(2026, 11, 30), 12)[0] == "CNSS_ASSIGN_AG01_202611_12.csv"
    assert recall_name("AG02", DAY, 1) == "CNSS_RECALL_AG02_20261203_01.csv"
    assert payments_names("AG01", DAY, 3) == (
        "CNSS_PAYMENTS_AG01_20261203_03.csv", "CNSS_PAYMENTS_AG01_20261203_03.manifest.json"
    )
    assert commission_names("AG01", NOV) == (
        "CNSS_COMMISSION_AG01_202611.csv", "CNSS_COMMISSION_AG01_202611.manifest.json"
    )


def test_outgoing_names_parse_back() -> None:
    built = [
        *assignment_names("AG01", NOV, 1), recall_name("AG01", DAY, 2), *payments_names("AG01", DAY, 3),
        *commission_names("AG01", NOV),
    ]
    assert [parse_outgoing_name(n) for n in built] == [
        OutgoingName(Outgoing.ASSIGN, "AG01", "202611", 1, False),
        OutgoingName(Outgoing.DETAIL, "AG01", "202611", 1, False),
        OutgoingName(Outgoing.ASSIGN, "AG01", "202611", 1, True),
        OutgoingName(Outgoing.RECALL, "AG01", "20261203", 2, False),
        OutgoingName(Outgoing.PAYMENTS, "AG01", "20261203", 3, False),
        OutgoingName(Outgoing.PAYMENTS, "AG01", "20261203", 3, True),
        OutgoingName(Outgoing.COMMISSION, "AG01", "202611", None, False),
        OutgoingName(Outgoing.COMMISSION, "AG01", "202611", None, True),
    ]
    assert ASSIGN_NAME_RE.fullmatch(built[0]) and RECALL_NAME_RE.fullmatch(built[3])


@pytest.mark.parametrize("name", [
    "CNSS_ASSIGN_AG01_202611_01.csv.part",  # not complete
    "CNSS_DETAIL_AG01_202611_01.manifest.json",  # a detail file is listed by its assignment's manifest
    "CNSS_RECALL_AG01_20261203_01.manifest.json",  # recall files have no manifest
    "CNSS_RECALL_AG01_202612_01.csv",  # a recall is named by its day
    "CNSS_ASSIGN_AG01_20261101_01.csv",  # an assignment by its month
    "CNSS_COMMISSION_AG01_202611_01.csv",  # a statement's name has no SEQ
    "CNSS_PAYMENTS_AG01_20261203.csv",  # a payments file's has one
    "CNSS_ASSIGN_ag01_202611_01.csv",  # agency code in upper case
    "CNSS_OTHER_AG01_202611_01.csv",
    "AG01_PAYMENTS_20261125_01.csv",  # a return file, not the fund's
])
def test_other_names_are_not_outgoing(name: str) -> None:
    assert parse_outgoing_name(name) is None


@pytest.mark.parametrize(("agency", "seq"), [("ag01", 1), ("AG_1", 1), ("", 1), ("AG01", 0), ("AG01", 100)])
def test_bad_parts_make_no_name(agency: str, seq: int) -> None:
    with pytest.raises(FileNameError):
        assignment_names(agency, NOV, seq)
    with pytest.raises(ValueError):  # a FileNameError is a ValueError
        payments_names(agency, DAY, seq)


def test_return_names_round_trip() -> None:
    name = return_name("AG01", "PAYMENTS", dt.date(2026, 11, 25), 1)
    assert name == "AG01_PAYMENTS_20261125_01.csv"
    assert parse_return_name(name) == ReturnFileName("AG01", "PAYMENTS", dt.date(2026, 11, 25), 1)
    with pytest.raises(FileNameError, match="not one of"):
        return_name("AG01", "PAYMENT", dt.date(2026, 11, 25), 1)


@pytest.mark.parametrize(("name", "why"), [
    ("AG01_PAYMENTS_20261125_00.csv", "SEQ 00"),
    ("AG01_PAYMENTS_20261131_01.csv", "not a real date"),
    ("AG01_PAYMENT_20261125_01.csv", "not one of"),
    ("ag01_PAYMENTS_20261125_01.csv", "does not follow"),
    ("AG01_PAYMENTS_20261125_1.csv", "does not follow"),
])
def test_malformed_return_names_say_why(name: str, why: str) -> None:
    with pytest.raises(FileNameError, match=why):
        parse_return_name(name)


def test_answer_and_sidecar_names() -> None:
    name = "AG01_PAYMENTS_20261125_01.csv"
    assert file_stem(name) == "AG01_PAYMENTS_20261125_01"
    assert ack_name(name) == "AG01_PAYMENTS_20261125_01.ack.json"
    assert rejects_name(name) == "AG01_PAYMENTS_20261125_01.rejects.csv"
    assert sidecar_name(name) == "AG01_PAYMENTS_20261125_01.csv.sha256"
    # a name without .csv (rejected as F001) is acknowledged under its whole name
    assert ack_name("notes.txt") == "notes.txt.ack.json"


def test_a_later_file_of_the_same_stem_gets_a_numbered_answer_no_contract_name_can_take() -> None:
    name = "AG01_PAYMENTS_20261125_01.csv"
    assert (ack_name(name, 1), rejects_name(name, 1)) == (
        "AG01_PAYMENTS_20261125_01.ack.json", "AG01_PAYMENTS_20261125_01.rejects.csv")
    assert (ack_name(name, 2), rejects_name(name, 2)) == (
        "AG01_PAYMENTS_20261125_01.ack.2.json", "AG01_PAYMENTS_20261125_01.rejects.2.csv")
    assert ack_name("AG01_PAYMENTS_20261125_01", 12) == "AG01_PAYMENTS_20261125_01.ack.12.json"
    # No file name, however odd, has a numbered answer as its contract name (those end in .ack.json).
    for odd in ("AG01_PAYMENTS_20261125_01.ack.2.json", "AG01_PAYMENTS_20261125_01.2", "x.ack.2"):
        assert ack_name(odd) not in {ack_name(name, n) for n in range(2, 50)}
        assert rejects_name(odd) not in {rejects_name(name, n) for n in range(2, 50)}
    with pytest.raises(ValueError, match="acknowledgement number 0"):
        ack_name(name, 0)


@pytest.mark.parametrize("length", [236, 238, 240, 245, 250, 255])
@pytest.mark.parametrize("number", [1, 2, 17])
@pytest.mark.parametrize("char", ["X", "ت"])
def test_the_answer_to_a_very_long_name_fits_in_a_file_name_with_room_for_part(
    length: int, number: int, char: str
) -> None:
    """A file may be named with up to 255 bytes; its answer, written under .part first, must fit too.
    When <stem>.rejects.<n>.csv.part would not, the stem is cut and marked with its digest, the same
    way for the acknowledgement and the rejects file (one prefix), so that two long names never share
    an answer."""
    name = ("AG01_" + char * length).encode()[: length - 4].decode("utf-8", "ignore") + ".csv"
    twin = name[:-5] + ("Y" if name[-5] != "Y" else "Z") + ".csv"  # differs in its last character only
    for answer in (ack_name(name, number), rejects_name(name, number)):
        assert len((answer + PART_SUFFIX).encode()) <= NAME_MAX_BYTES, (len(name.encode()), answer)
    assert ack_name(name, number) != ack_name(twin, number)
    assert rejects_name(name, number) != rejects_name(twin, number)
    head = ack_name(name, number).removesuffix(".ack.json" if number == 1 else f".ack.{number}.json")
    assert rejects_name(name, number) == head + (".rejects.csv" if number == 1 else f".rejects.{number}.csv")
    if len((file_stem(name) + ".rejects.99.csv.part").encode()) <= NAME_MAX_BYTES:
        assert head == file_stem(name)  # names that fit keep the contract's answer


def test_fit_name_keeps_what_fits_and_marks_what_it_cuts() -> None:
    assert fit_name("a.csv", ".20261125T093000Z") == "a.csv.20261125T093000Z"
    long = "é" * 127 + ".csv"  # 258 bytes
    fitted = fit_name(long, ".20261125T093000Z", room=7)
    assert len(fitted.encode()) <= NAME_MAX_BYTES - 7 and fitted.endswith(".20261125T093000Z")
    assert fitted.startswith("é" * 50) and "~" in fitted
    assert fitted != fit_name("é" * 126 + "e.csv", ".20261125T093000Z", room=7)


def test_the_names_that_share_a_stem() -> None:
    assert stem_names("AG01_PAYMENTS_20261125_01") == (
        "AG01_PAYMENTS_20261125_01.csv", "AG01_PAYMENTS_20261125_01")
    assert stem_names("x.csv") == ("x.csv.csv",)  # "x.csv" itself has the stem "x"
    for stem in ("AG01_PAYMENTS_20261125_01", "x.csv", "notes.txt"):
        assert {file_stem(n) for n in stem_names(stem)} == {stem}


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("AG01_PAYMENTS_20261125_01.csv", ReturnFileName("AG01", "PAYMENTS", dt.date(2026, 11, 25), 1)),
        ("X9_CLOSURES_20240229_99.csv", ReturnFileName("X9", "CLOSURES", dt.date(2024, 2, 29), 99)),
    ],
)
def test_parse_return_name(name: str, parts: ReturnFileName) -> None:
    assert parse_return_name(name) == parts


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("ag01_PAYMENTS_20261125_01.csv", "does not follow"),
        ("AG01_PAYMENTS_20261125_1.csv", "does not follow"),
        ("AG01_PAYMENTS_2026112_01.csv", "does not follow"),
        ("AG01_PAYMENTS_20261125_01.CSV", "does not follow"),
        ("AG01_PAYMENTS_20261125_01.csv.part", "does not follow"),
        ("AG-01_PAYMENTS_20261125_01.csv", "does not follow"),
        ("AG01_INVOICES_20261125_01.csv", "'INVOICES' in the name is not one of ACTIONS, CONTACTS"),
        ("AG01_PAYMENTS_20230229_01.csv", "'20230229' in the file name is not a real date"),
        ("AG01_PAYMENTS_20261325_01.csv", "not a real date"),
        ("AG01_PAYMENTS_20261125_00.csv", "SEQ 00"),
    ],
)
def test_parse_return_name_says_why_a_name_is_refused(name: str, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        parse_return_name(name)


@pytest.mark.parametrize(
    ("pattern", "name", "groups"),
    [
        (ASSIGN_NAME_RE, "CNSS_ASSIGN_AG01_202611_01.csv",
         {"agency": "AG01", "month": "202611", "seq": "01"}),
        (RECALL_NAME_RE, "CNSS_RECALL_AG02_20261120_03.csv",
         {"agency": "AG02", "date": "20261120", "seq": "03"}),
        (ASSIGN_NAME_RE, "CNSS_ASSIGN_AG01_202611_01.manifest.json", None),
        (RECALL_NAME_RE, "CNSS_RECALL_AG02_202611_03.csv", None),
    ],
)
def test_fund_file_names(pattern: re.Pattern[str], name: str, groups: dict[str, str] | None) -> None:
    m = pattern.fullmatch(name)
    assert (m.groupdict() if m else None) == groups


def test_the_supplementary_detail_file_is_named_by_its_day() -> None:
    """CNSS_ADDED (issue 17.3, an addition to agency-exchange/1): a day label, a SEQ and a manifest."""
    data, manifest = added_names("AG01", DAY, 1)
    assert data == "CNSS_ADDED_AG01_20261203_01.csv"
    assert manifest == "CNSS_ADDED_AG01_20261203_01.manifest.json"
    assert parse_outgoing_name(data) == OutgoingName(Outgoing.ADDED, "AG01", "20261203", 1, False)
    assert parse_outgoing_name(manifest) == OutgoingName(Outgoing.ADDED, "AG01", "20261203", 1, True)
    assert parse_outgoing_name("CNSS_ADDED_AG01_202612_01.csv") is None  # a month is not its label
