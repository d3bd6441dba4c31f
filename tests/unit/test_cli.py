"""The `recouvra` command line: the stable contracts (dedupe, config check) end to end."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from recouvra.cli import main

HEADER = ("record_id;affiliation_no;name;legal_form;ice;rc_number;rc_court;cin;address;city;phone;"
          "email;legal_rep_name")


def test_dedupe_writes_an_entity_for_every_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        "1;1000132;Ste Atlas Transport SARL;SARL;001561191000066;12345;Casablanca;;12 Bd Zerktouni;"
        "Casablanca;0612345678;contact@atlas.ma;Mohammed Alaoui",
        "2;1000999;STE ATLAS TRANSPORT;SARL;001561191000066;;;;12 Boulevard Zerktouni;Casa;+212612345678;;"
        "Mohamed Alaoui",
        "3;1000555;Atlas Transport Services SARL;SARL;002136093000040;999;Tanger;;5 Rue Fes;Tanger;"
        "0539123456;info@ats.ma;Karim Bennani",
        "4;1000777;;;;;;;;;;;",
    ]
    src = tmp_path / "in.csv"
    src.write_text("\ufeff" + HEADER + "\r\n" + "\r\n".join(rows) + "\r\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["dedupe", "--input", str(src), "--output", str(out), "--quiet"]) == 0
    with out.open(encoding="utf-8") as f:
        got = {r["record_id"]: r["entity_id"] for r in csv.DictReader(f, delimiter=";")}
    assert set(got) == {"1", "2", "3", "4"}
    assert got["1"] == got["2"]  # same ICE: one legal entity
    assert len({got["1"], got["3"], got["4"]}) == 3  # another ICE root, an empty record: apart
    assert '"merges": 1' in capsys.readouterr().err


def test_dedupe_without_record_id_is_a_clear_error(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text("name;city\nAtlas;Fes\n", encoding="utf-8")
    assert main(["dedupe", "--input", str(src), "--output", str(tmp_path / "o.csv"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "in.csv" in err and "record_id" in err


def test_config_check_reports_a_bad_override(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RECOUVRA__PROGRAMME__DOSSIERS_PER_MONTH", "5000")
    assert main(["config", "check"]) == 2
    assert "below programme.dossiers_per_month 5000" in capsys.readouterr().err


def test_seed_takes_a_number_of_employers_as_its_scale(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # `make demo SCALE=60000` (a trimmed M): the scale may be any number of employers.
    url = f"sqlite:///{tmp_path / 'source.db'}"
    truth = str(tmp_path / "truth")
    assert main(["seed", "--scale", "120", "--url", url, "--truth-dir", truth, "--quiet"]) == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "source.db") as con:
        assert con.execute("SELECT count(*) FROM employers").fetchone()[0] == 120


@pytest.mark.parametrize("scale", ["XL", "0", "-5"])
def test_seed_refuses_a_scale_that_is_not_one(scale: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["seed", "--scale", scale])
    assert exited.value.code == 2
    assert "argument --scale: scale " + scale in capsys.readouterr().err.replace("'", "")


def test_config_check_names_the_retired_agencies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import yaml

    from recouvra.config import DEFAULT_CONFIG

    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["agencies"][3]["retired_on"] = "2027-01-01"  # AG04
    path = tmp_path / "config" / "recouvra.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert main(["--config", str(path), "config", "check"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["agencies"] == ["AG01", "AG02", "AG03", "AG04"]
    assert out["retired_agencies"] == {"AG04": "2027-01-01"}
    assert out["monthly_capacity_not_retired"] == 525
    # Retiring one more leaves too little for 500 a month: refused, with the figures.
    raw["agencies"][0]["retired_on"] = "2027-01-01"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert main(["--config", str(path), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert ("total monthly_capacity 325 of the agencies not retired (AG01 retired_on 2027-01-01, AG04 "
            "retired_on 2027-01-01 left out) is below programme.dossiers_per_month 500") in err
