"""What a simulated agency reads from its outbox (recouvra.standins.simulator.outbox)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace
from decimal import Decimal

import pytest

from recouvra.exchange.manifest import Manifest, ManifestEntry
from recouvra.standins.simulator.outbox import read_outbox

pytestmark = [pytest.mark.unit]

START, END = dt.date(2026, 11, 1), dt.date(2027, 4, 30)


def test_read_outbox_ignores_part_files_and_bad_manifests(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from recouvra.standins.return_samples import SampleDossier, write_assignment_csv

    (tmp_path / "CNSS_ASSIGN_AG01_202611_01.csv.part").write_text("partial", encoding="utf-8")
    assign = write_assignment_csv(
        tmp_path, "AG01", "2026-11", [SampleDossier("D202611-000001", Decimal("6000.00"), START, END)]
    )
    manifest = tmp_path / "CNSS_ASSIGN_AG01_202611_01.manifest.json"
    wrong_digest = Manifest("AG01", 1, "2026-11-01T06:00:00Z",
                            (ManifestEntry(assign.name, "0" * 64, 1, "6000.00"),), month="2026-11")
    manifest.write_bytes(wrong_digest.render())
    content = read_outbox("AG01", tmp_path)
    assert content.dossiers == {} and "sha256" in content.problems[0]
    # a manifest that is not the contract's (no spec, agency, month, ...) is set aside as well
    manifest.write_text(json.dumps({"files": [{"name": assign.name, "sha256": "00"}]}), encoding="utf-8")
    content = read_outbox("AG01", tmp_path)
    assert content.dossiers == {} and "spec" in content.problems[0]
    # the same package with the right digest is read
    manifest.write_bytes(replace(wrong_digest, files=(
        ManifestEntry(assign.name, hashlib.sha256(assign.read_bytes()).hexdigest(), 1, "6000.00"),)).render())
    assert list(read_outbox("AG01", tmp_path).dossiers) == ["D202611-000001"]


def test_a_top_up_package_adds_its_dossiers_to_the_months(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A month's _01 (its selection) and _02 (its top-up) are both read: the agency works the two."""
    from recouvra.standins.return_samples import SampleDossier, write_assignment_csv

    top_up_day = dt.date(2026, 11, 16)
    for seq, dossier, start in ((1, "D202611-000001", START), (2, "D202611-000005", top_up_day)):
        assign = write_assignment_csv(tmp_path, "AG01", "2026-11", [SampleDossier(dossier, Decimal("6000.00"),
                                                                                  start, END)], seq=seq)
        (tmp_path / f"CNSS_ASSIGN_AG01_202611_{seq:02d}.manifest.json").write_bytes(Manifest(
            "AG01", seq, "2026-11-16T06:00:00Z",
            (ManifestEntry(assign.name, hashlib.sha256(assign.read_bytes()).hexdigest(), 1, "6000.00"),),
            month="2026-11").render())
    content = read_outbox("AG01", tmp_path)
    assert sorted(content.dossiers) == ["D202611-000001", "D202611-000005"]
    assert content.dossiers["D202611-000005"].assignment_start == top_up_day
    assert content.packages == ["CNSS_ASSIGN_AG01_202611_01.manifest.json",
                                "CNSS_ASSIGN_AG01_202611_02.manifest.json"]


def test_a_supplementary_detail_file_adds_months_to_a_held_dossier(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """CNSS_ADDED (issue 17.3): the added months join the dossier's (its total grows); an unknown file of
    the outbox is ignored, never a failure."""
    from recouvra.publication import DetailRow, write_added_file
    from recouvra.standins.return_samples import SampleDossier, write_assignment_csv

    assign = write_assignment_csv(tmp_path, "AG01", "2026-11",
                                  [SampleDossier("D202611-000001", Decimal("6000.00"), START, END)])
    (tmp_path / "CNSS_ASSIGN_AG01_202611_01.manifest.json").write_bytes(Manifest(
        "AG01", 1, "2026-11-01T06:00:00Z",
        (ManifestEntry(assign.name, hashlib.sha256(assign.read_bytes()).hexdigest(), 1, "6000.00"),),
        month="2026-11").render())
    before = read_outbox("AG01", tmp_path).dossiers["D202611-000001"]
    pkg = write_added_file(tmp_path / "built", "AG01", dt.date(2026, 12, 1), 1, [
        DetailRow("D202611-000001", dt.date(2026, 11, 1), "PRINCIPAL", Decimal("3000.00")),
        DetailRow("D202611-000001", dt.date(2026, 11, 1), "SURCHARGE", Decimal("300.00")),
        DetailRow("D202611-000999", dt.date(2026, 11, 1), "PRINCIPAL", Decimal("10.00")),
    ])
    for f in pkg.all_files:
        (tmp_path / f.name).write_bytes((tmp_path / "built" / "AG01" / f.name).read_bytes())
    (tmp_path / "CNSS_SOMETHINGNEW_AG01_20261201_01.csv").write_text("x;y\n1;2\n", encoding="utf-8")
    content = read_outbox("AG01", tmp_path)
    after = content.dossiers["D202611-000001"]
    assert after.total_due == before.total_due + Decimal("3300.00")
    assert dict(after.periods)["2026-11"] == Decimal("3300.00")
    assert content.packages[-1] == "CNSS_ADDED_AG01_20261201_01.manifest.json"
    assert content.problems == ["AG01: CNSS_ADDED_AG01_20261201_01.manifest.json adds to D202611-000999, "
                                "a dossier never received"]


def test_recall_notices_open_to_an_objection_are_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A notice row with a deadline is open to an objection; a row without one (the date already moved)
    or of a dossier the agency does not hold is not."""
    from recouvra.publication import RecallNoticeRow, write_recall_notice_file
    from recouvra.standins.return_samples import SampleDossier, write_assignment_csv

    outbox = tmp_path / "AG01"
    outbox.mkdir()
    assign = write_assignment_csv(outbox, "AG01", "2026-11", [
        SampleDossier(f"D202611-00000{n}", Decimal("6000.00"), START, END) for n in (1, 2)])
    (outbox / "CNSS_ASSIGN_AG01_202611_01.manifest.json").write_bytes(Manifest(
        "AG01", 1, "2026-11-01T06:00:00Z",
        (ManifestEntry(assign.name, hashlib.sha256(assign.read_bytes()).hexdigest(), 2, "12000.00"),),
        month="2026-11").render())
    write_recall_notice_file(tmp_path, "AG01", dt.date(2027, 4, 1), 1, [
        RecallNoticeRow("D202611-000001", "EXPIRED", END, END, Decimal("5000.00")),
        RecallNoticeRow("D202611-000002", "EXPIRED", dt.date(2027, 5, 20), None, Decimal("6000.00")),
        RecallNoticeRow("D202611-000009", "EXPIRED", END, END, Decimal("6000.00")),
    ])
    content = read_outbox("AG01", outbox)
    assert content.notices.recall_notices == {
        "D202611-000001": (dt.date(2027, 4, 1), END, END, Decimal("5000.00"))}
