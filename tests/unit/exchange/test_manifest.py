"""Package manifests (recouvra.exchange.manifest): the exact bytes of a known manifest, render then
parse gives the same object, a manifest that is not the contract's is refused, and a tampered package
or manifest fails verification; the fund's own packages read back on the agency's side."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from recouvra.exchange.errors import ManifestError
from recouvra.exchange.manifest import Manifest, ManifestEntry, file_sha256, read_manifest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.unit]

DIGEST = "ab" * 32
KNOWN = Manifest(
    "AG01", 1, "2026-11-01T06:00:00Z",
    (ManifestEntry("CNSS_ASSIGN_AG01_202611_01.csv", DIGEST, 125, "8412345.67"),
     ManifestEntry("CNSS_DETAIL_AG01_202611_01.csv", DIGEST, 700, "8412345.67")),
    month="2026-11",
)
KNOWN_BYTES = (
    '{\n'
    '  "spec": "agency-exchange/1",\n'
    '  "agency": "AG01",\n'
    '  "month": "2026-11",\n'
    '  "seq": 1,\n'
    '  "generated_at": "2026-11-01T06:00:00Z",\n'
    '  "files": [\n'
    '    {\n'
    '      "name": "CNSS_ASSIGN_AG01_202611_01.csv",\n'
    f'      "sha256": "{DIGEST}",\n'
    '      "rows": 125,\n'
    '      "control_total": "8412345.67"\n'
    '    },\n'
    '    {\n'
    '      "name": "CNSS_DETAIL_AG01_202611_01.csv",\n'
    f'      "sha256": "{DIGEST}",\n'
    '      "rows": 700,\n'
    '      "control_total": "8412345.67"\n'
    '    }\n'
    '  ]\n'
    '}\n'
).encode()
PAYMENTS = Manifest(
    "AG02", 3, "2026-12-03T05:00:00Z",
    (ManifestEntry("CNSS_PAYMENTS_AG02_20261203_03.csv", DIGEST, 2, "-120.50"),), date="2026-12-03",
)


def test_known_manifest_is_byte_exact() -> None:
    assert KNOWN.render() == KNOWN_BYTES


def test_payments_manifest_names_its_day() -> None:
    doc = json.loads(PAYMENTS.render())
    assert list(doc) == ["spec", "agency", "date", "seq", "generated_at", "files"]
    assert doc["date"] == "2026-12-03" and doc["files"][0]["control_total"] == "-120.50"


@pytest.mark.parametrize("manifest", [KNOWN, PAYMENTS], ids=["month", "date"])
def test_render_then_parse_gives_the_same_manifest(manifest: Manifest) -> None:
    assert Manifest.parse(manifest.render()) == manifest


def test_unknown_keys_are_ignored() -> None:
    doc = json.loads(KNOWN_BYTES)
    doc["note"] = "added by a later minor version"
    doc["files"][0]["size"] = 1
    assert Manifest.parse(json.dumps(doc).encode()) == KNOWN


def _mutated(change: Any) -> bytes:
    doc = json.loads(KNOWN_BYTES)
    change(doc)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(("change", "why"), [
    (lambda d: d.update(spec="agency-exchange/2"), "spec"),
    (lambda d: d.pop("agency"), "agency"),
    (lambda d: d.update(agency="ag01"), "agency"),
    (lambda d: d.update(month="2026-13"), "month"),
    (lambda d: d.update(date="2026-11-01"), "either a month or a date"),
    (lambda d: d.pop("month"), "either a month or a date"),
    (lambda d: d.update(seq=0), "seq"),
    (lambda d: d.update(seq=True), "seq"),
    (lambda d: d.update(seq="1"), "seq"),
    (lambda d: d.update(generated_at="2026-11-01 06:00:00"), "generated_at"),
    (lambda d: d.update(files=[]), "files"),
    (lambda d: d["files"][0].update(sha256="ab"), "sha256"),
    (lambda d: d["files"][0].update(rows=-1), "rows"),
    (lambda d: d["files"][0].update(control_total="8412345.6"), "control_total"),
    (lambda d: d["files"][0].update(name="../etc/passwd"), "name"),
    (lambda d: d["files"][1].update(name=d["files"][0]["name"]), "twice"),
])
def test_a_manifest_not_the_contracts_is_refused(change: Any, why: str) -> None:
    with pytest.raises(ManifestError, match=why):
        Manifest.parse(_mutated(change), name="m.manifest.json")


@pytest.mark.parametrize("data", [b"", b"[]", b"\xff{}", b'{"spec": "agency-exchange/1"'])
def test_not_json_objects_are_refused(data: bytes) -> None:
    with pytest.raises(ManifestError):
        Manifest.parse(data)


def _package(folder: Path) -> tuple[Path, list[Path]]:
    files = []
    contents = (("CNSS_ASSIGN_AG01_202611_01.csv", "a\n1\n"), ("CNSS_DETAIL_AG01_202611_01.csv", "d\n"))
    for name, text in contents:
        (folder / name).write_text(text, encoding="utf-8")
        files.append(folder / name)
    manifest = Manifest("AG01", 1, "2026-11-01T06:00:00Z", tuple(
        ManifestEntry(f.name, hashlib.sha256(f.read_bytes()).hexdigest(), 1, "0.00") for f in files
    ), month="2026-11")
    path = folder / "CNSS_ASSIGN_AG01_202611_01.manifest.json"
    path.write_bytes(manifest.render())
    return path, files


def test_a_complete_package_verifies(tmp_path: Path) -> None:
    path, files = _package(tmp_path)
    manifest = read_manifest(path)
    assert manifest.check_files(files, exactly=True) == tuple(files)
    assert manifest.check_files(reversed(files)) == tuple(files)  # in the manifest's order
    assert file_sha256(files[0]) == hashlib.sha256(files[0].read_bytes()).hexdigest()


def test_a_tampered_file_fails_verification(tmp_path: Path) -> None:
    path, files = _package(tmp_path)
    files[1].write_text("d\nchanged\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="sha256 of CNSS_DETAIL_AG01_202611_01.csv is"):
        read_manifest(path).check_files(files)


def test_a_tampered_manifest_fails_verification(tmp_path: Path) -> None:
    path, files = _package(tmp_path)
    manifest = read_manifest(path)
    forged = replace(manifest, files=(replace(manifest.files[0], sha256="0" * 64), manifest.files[1]))
    path.write_bytes(forged.render())
    with pytest.raises(ManifestError, match="manifest says 0000"):
        read_manifest(path).check_files(files)
    path.write_bytes(path.read_bytes().replace(b'"rows": 1', b'"rows": "1"', 1))
    with pytest.raises(ManifestError, match="rows"):
        read_manifest(path)


def test_missing_or_unlisted_files_fail_verification(tmp_path: Path) -> None:
    path, files = _package(tmp_path)
    manifest = read_manifest(path)
    with pytest.raises(ManifestError, match="is missing"):
        manifest.check_files(files[:1])
    extra = tmp_path / "extra.csv"
    extra.write_text("x", encoding="utf-8")
    manifest.check_files([*files, extra])  # an outbox holds other files too
    with pytest.raises(ManifestError, match="but the package holds"):
        manifest.check_files([*files, extra], exactly=True)
    with pytest.raises(ManifestError, match="cannot be read"):
        read_manifest(tmp_path / "absent.manifest.json")


def test_the_funds_package_reads_back_on_the_agencys_side(tmp_path: Path) -> None:
    from recouvra.publication import PaymentNoticeRow, write_payments_file

    row = PaymentNoticeRow("D202611-000001", 7, dt.date(2026, 11, 20), Decimal("1500.00"),
                           dt.date(2026, 6, 1), "PAYMENT")
    pkg = write_payments_file(tmp_path, "AG01", dt.date(2026, 12, 3), 1, [row],
                              now=dt.datetime(2026, 12, 3, 5, 0, tzinfo=dt.UTC))
    assert pkg.manifest is not None
    manifest = read_manifest(tmp_path / "AG01" / pkg.manifest.name)
    assert manifest == Manifest("AG01", 1, "2026-12-03T05:00:00Z", (ManifestEntry(
        "CNSS_PAYMENTS_AG01_20261203_01.csv", pkg.files[0].sha256, 1, "1500.00"),), date="2026-12-03")
    assert manifest.render() == (tmp_path / "AG01" / pkg.manifest.name).read_bytes()
    assert [p.name for p in manifest.check_files([tmp_path / "AG01" / pkg.files[0].name])] == [
        "CNSS_PAYMENTS_AG01_20261203_01.csv"
    ]
