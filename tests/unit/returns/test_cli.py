"""``recouvra returns check`` end to end, with assignment and recall files in the contract's format."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from recouvra.cli import main
from recouvra.standins.return_samples import (
    SampleDossier,
    return_csv,
    write_assignment_csv,
)

PAYMENTS = ["dossier_id", "payment_id", "payment_date", "amount", "channel", "receipt_ref"]


def _payments(folder: Path, rows: list[list[str]], name: str = "AG01_PAYMENTS_20261125_01.csv") -> Path:
    path = folder / name
    path.write_bytes(return_csv(PAYMENTS, rows))
    return path


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["returns", "check", *argv])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_check_prints_the_ack_and_the_rejects(
    tmp_path: Path, fund_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _payments(tmp_path, [
        ["D202611-000001", "P1", "2026-11-10", "1500.00", "BANK_TRANSFER", "R1"],
        ["D202611-000002", "P2", "2026-11-21", "100.00", "CHEQUE", ""],  # after the recall
        ["D202611-000101", "P3", "2026-11-10", "100.00", "CHEQUE", ""],  # AG02's dossier
        ["D202611-000999", "P4", "2026-11-10", "100.00", "CHEQUE", ""],  # unknown
    ])
    code, out = _check(
        capsys, str(path), "--agency", "AG01", "--assignment", str(fund_files["ag01"]),
        "--assignment", str(fund_files["ag02"]), "--recall", str(fund_files["recall"]),
        "--as-of", "2026-11-25",
    )
    assert code == 0
    assert out["status"] == "PARTIAL"
    counts = (out["rows_received"], out["rows_accepted"], out["rows_rejected"], out["rows_duplicate"])
    assert counts == (4, 1, 3, 0)
    assert [(r["line_no"], r["record_id"], r["reason_code"]) for r in out["rejects"]] == [
        (3, "P2", "E003"), (4, "P3", "E002"), (5, "P4", "E001"),
    ]
    assert out["file"] == path.name and out["spec"] == "agency-exchange/1"
    assert out["file_errors"] == [] and out["warnings"] == []
    assert set(out["rejects"][0]) == {"line_no", "record_id", "reason_code", "detail"}


def test_without_the_other_agencys_assignment_its_dossier_is_unknown(
    tmp_path: Path, fund_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _payments(tmp_path, [["D202611-000101", "P3", "2026-11-10", "100.00", "CHEQUE", ""]])
    code, out = _check(capsys, str(path), "--agency", "AG01", "--assignment", str(fund_files["ag01"]),
                       "--as-of", "2026-11-25")
    assert code == 0 and out["rejects"][0]["reason_code"] == "E001"


def test_a_rejected_file_still_exits_zero(
    tmp_path: Path, fund_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "AG01_PAYMENTS_20261125_01.csv"
    path.write_bytes(b"dossier_id;payment_id\n")
    code, out = _check(capsys, str(path), "--agency", "AG01", "--assignment", str(fund_files["ag01"]))
    assert code == 0
    assert out["status"] == "REJECTED" and out["file_errors"][0]["code"] == "F003"


def test_sidecar_is_checked(
    tmp_path: Path, fund_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = _payments(tmp_path, [["D202611-000001", "P1", "2026-11-10", "1.00", "ONLINE", ""]])
    (tmp_path / (path.name + ".sha256")).write_text("0" * 64 + "  " + path.name + "\n")
    code, out = _check(capsys, str(path), "--agency", "AG01", "--assignment", str(fund_files["ag01"]),
                       "--as-of", "2026-11-25")
    assert code == 0 and out["file_errors"][0]["code"] == "F004" and out["rows_rejected"] == 1


def test_default_day_is_today_in_casablanca(
    tmp_path: Path, fund_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    today = dt.datetime.now(ZoneInfo("Africa/Casablanca")).date()
    tomorrow = today + dt.timedelta(days=1)
    wide = write_assignment_csv(tmp_path, "AG01", "2026-01", [
        SampleDossier("DW", Decimal("100.00"), today - dt.timedelta(days=30), today + dt.timedelta(days=30)),
    ])
    path = _payments(tmp_path, [
        ["DW", "P1", today.isoformat(), "1", "ONLINE", ""],
        ["DW", "P2", tomorrow.isoformat(), "1", "ONLINE", ""],
    ])
    code, out = _check(capsys, str(path), "--agency", "AG01", "--assignment", str(wide))
    assert code == 0
    assert [(r["line_no"], r["reason_code"]) for r in out["rejects"]] == [(3, "E004")]


@pytest.mark.parametrize(
    "argv",
    [
        ["missing.csv", "--agency", "AG01", "--assignment", "{ag01}"],
        ["{file}", "--agency", "AG01", "--assignment", "missing/CNSS_ASSIGN_AG01_202611_01.csv"],
        ["{file}", "--agency", "AG01", "--assignment", "{file}"],  # not an assignment file name
        ["{file}", "--agency", "AG01", "--assignment", "{ag01}", "--recall", "{ag01}"],
    ],
)
def test_usage_errors_exit_non_zero(
    tmp_path: Path, fund_files: dict[str, Path], capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    path = _payments(tmp_path, [["D202611-000001", "P1", "2026-11-10", "1.00", "ONLINE", ""]])
    args = [a.format(file=path, ag01=fund_files["ag01"]) for a in argv]
    assert main(["returns", "check", *args]) != 0
    captured = capsys.readouterr()
    assert captured.out == "" and "error" in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["{file}", "--assignment", "{ag01}"],  # --agency is required
        ["{file}", "--agency", "AG01"],  # so is --assignment
        ["{file}", "--agency", "AG01", "--assignment", "{ag01}", "--as-of", "25/11/2026"],
        ["{file}", "--agency", "ag01", "--assignment", "{ag01}"],
    ],
)
def test_bad_arguments_exit_2(
    tmp_path: Path, fund_files: dict[str, Path], capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    path = _payments(tmp_path, [["D202611-000001", "P1", "2026-11-10", "1.00", "ONLINE", ""]])
    with pytest.raises(SystemExit) as info:
        main(["returns", "check", *[a.format(file=path, ag01=fund_files["ag01"]) for a in argv]])
    assert info.value.code == 2
    capsys.readouterr()


def test_subprocess_end_to_end(tmp_path: Path, fund_files: dict[str, Path]) -> None:
    path = _payments(tmp_path, [
        ["D202611-000001", "P1", "2026-11-10", "1500.00", "BANK_TRANSFER", "R1"],
        ["D202611-000001", "P1", "2026-11-10", "1500.00", "BANK_TRANSFER", "R1"],
    ])
    done = subprocess.run(
        [sys.executable, "-m", "recouvra.cli", "returns", "check", str(path), "--agency", "AG01",
         "--assignment", str(fund_files["ag01"]), "--assignment", str(fund_files["ag02"]),
         "--as-of", "2026-11-25"],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["status"] == "PARTIAL" and out["rejects"][0]["reason_code"] == "E008"
    missing = subprocess.run(
        [sys.executable, "-m", "recouvra.cli", "returns", "check", str(tmp_path / "nope.csv"), "--agency",
         "AG01", "--assignment", str(fund_files["ag01"])],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert missing.returncode != 0 and missing.stdout == ""


def test_check_judges_objections_against_the_recall_notices_given(
    tmp_path: Path, fund_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """An agency checks its OBJECTIONS file against the notice file it received: in time and with enough
    evidence it is accepted; for a dossier the notice does not list, E013."""
    from recouvra.publication import RecallNoticeRow, write_recall_notice_file

    end = dt.date(2027, 4, 30)
    notice = write_recall_notice_file(tmp_path / "outbox", "AG01", dt.date(2027, 4, 1), 1, [
        RecallNoticeRow("D202611-000001", "EXPIRED", end, end, Decimal("12500.40"))]).files[0]
    path = tmp_path / "AG01_OBJECTIONS_20270410_01.csv"
    path.write_bytes(return_csv(
        ["dossier_id", "objection_id", "objection_date", "evidence_type", "evidence_ref", "evidence_amount",
         "evidence_date", "comment"],
        [["D202611-000001", "OB1", "2027-04-10", "PROMISE", "", "2000.00", "2027-05-10", ""],
         ["D202611-000002", "OB2", "2027-04-10", "PROMISE", "", "500.00", "2027-05-10", ""]]))
    code, out = _check(capsys, str(path), "--agency", "AG01", "--assignment", str(fund_files["ag01"]),
                       "--notice", notice.path, "--as-of", "2027-04-10")
    assert code == 0 and out["status"] == "PARTIAL"
    assert [(r["line_no"], r["record_id"], r["reason_code"]) for r in out["rejects"]] == [(3, "OB2", "E013")]
