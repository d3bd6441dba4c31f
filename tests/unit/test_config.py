"""The configuration model: the shipped file is valid, bad values fail naming key and reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from recouvra.config import DEFAULT_CONFIG, load_settings
from recouvra.errors import ConfigError


def _write(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    mutate(raw)
    cfg_dir = tmp_path / "config"
    cfg_dir.mkdir(exist_ok=True)
    path = cfg_dir / "recouvra.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_shipped_configuration_is_valid() -> None:
    s = load_settings(DEFAULT_CONFIG, environ={})
    assert s.programme.dossiers_per_month == 500
    assert s.programme.assignment_window_months == 6
    assert len(s.agencies) >= 4
    assert all(a.commission_rate <= Decimal("0.03") for a in s.agencies)
    assert s.commission_cap(s.agency("AG01")) == Decimal("30000.00")
    assert s.commission_cap(s.agency("AG04")) == Decimal("25000.00")
    # Money stays Decimal from the file on: no binary float anywhere.
    assert isinstance(s.programme.minimum_total_due, Decimal)


def test_surcharge_rates_are_effective_dated() -> None:
    s = load_settings(DEFAULT_CONFIG, environ={})
    assert s.rates.surcharge_on(dt.date(2025, 6, 30)).further_month == Decimal("0.01")
    assert s.rates.surcharge_on(dt.date(2025, 7, 1)).further_month == Decimal("0.005")
    assert s.rates.surcharge_on(dt.date(2025, 7, 1)).first_month == Decimal("0.03")
    with pytest.raises(LookupError):
        s.rates.surcharge_on(dt.date(1990, 1, 1))


def test_contribution_rates_follow_their_branch_history() -> None:
    s = load_settings(DEFAULT_CONFIG, environ={})
    amo_2021 = {r.branch: r for r in s.rates.contributions_on(dt.date(2021, 6, 1))}["amo"]
    amo_2024 = {r.branch: r for r in s.rates.contributions_on(dt.date(2024, 1, 1))}["amo"]
    assert (amo_2021.employer, amo_2024.employer) == (Decimal("0.0200"), Decimal("0.0226"))
    branches = {r.branch for r in s.rates.contributions_on(dt.date(2024, 1, 1))}
    assert branches == {
        "short_term", "pension", "family_allowances", "amo", "amo_solidarity", "vocational_training"
    }


def test_relative_paths_resolve_against_the_project_root(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda raw: None)
    s = load_settings(path, environ={})
    assert s.source_url == f"sqlite:///{tmp_path.as_posix()}/data/source.db"
    assert s.warehouse_url == f"duckdb:///{tmp_path.as_posix()}/data/warehouse.duckdb"
    assert s.path(s.storage.lake_dir) == tmp_path / "data" / "lake"


def test_environment_overrides_nested_keys() -> None:
    env = {
        "RECOUVRA__PROGRAMME__DOSSIERS_PER_MONTH": "400",
        "RECOUVRA__PROGRAMME__MINIMUM_TOTAL_DUE": "1234.50",
        "RECOUVRA__STORAGE__WAREHOUSE_URL": "postgresql+psycopg://u@db:5432/wh",
    }
    s = load_settings(DEFAULT_CONFIG, environ=env)
    assert s.programme.dossiers_per_month == 400
    assert s.programme.minimum_total_due == Decimal("1234.50")
    assert s.warehouse_url == "postgresql+psycopg://u@db:5432/wh"


@pytest.mark.parametrize(
    ("mutate", "key", "reason"),
    [
        (lambda r: r["programme"].update(dossiers_per_month=0), "programme.dossiers_per_month",
         "greater than or equal to 1"),
        (lambda r: r["agencies"][0].update(commission_rate="1.5"), "agencies.0.commission_rate",
         "less than or equal to 1"),
        (lambda r: r["agencies"][0].update(commission_rate="0.05"), "agencies",
         "AG01 commission_rate 0.05 is above programme.max_commission_rate 0.03"),
        (lambda r: r["agencies"][0].update(regions=[]), "agencies.0.regions", "at least 1"),
        (lambda r: r["agencies"][0].update(regions=["Atlantis"]), "agencies.0.regions",
         "unknown region"),
        (lambda r: r["agencies"][1].update(code="AG01"), "agencies", "listed twice"),
        (lambda r: r["programme"].update(dossiers_per_month=5000), "agencies",
         "total monthly_capacity 675 is below programme.dossiers_per_month 5000"),
        (lambda r: r["agencies"][0].update(commission_cap="40000.00"), "agencies",
         "AG01 commission_cap"),
        (lambda r: r["storage"].update(source_url="data/source.db"), "storage.source_url",
         "not a database URL"),
        (lambda r: r["rates"]["surcharges"].reverse(), "rates", "strictly increasing"),
        (lambda r: r["programme"].update(typo_key=1), "programme.typo_key", "Extra inputs"),
    ],
)
def test_bad_values_fail_naming_key_and_reason(tmp_path: Path, mutate, key: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, mutate)
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    text = str(err.value)
    assert key in text
    assert reason in text
    assert str(path) in text


def test_commission_rate_above_programme_maximum_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda r: r["agencies"][0].update(commission_rate="0.035"))
    with pytest.raises(ConfigError, match=r"AG01 commission_rate 0.035 is above"):
        load_settings(path, environ={})


def test_bad_environment_override_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"programme.dossiers_per_month"):
        load_settings(DEFAULT_CONFIG, environ={"RECOUVRA__PROGRAMME__DOSSIERS_PER_MONTH": "many"})


def test_missing_and_unreadable_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.yaml", environ={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("programme: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(bad, environ={})


@pytest.mark.parametrize(("env", "key", "reason"), [
    ({"RECOUVRA__PROGRAMME__MAX_COMMISSION_RATE": "0.5"}, "programme.max_commission_rate",
     "less than or equal to 0.03"),
    ({"RECOUVRA__PROGRAMME__DEFAULT_COMMISSION_CAP": "50000.00"}, "programme.default_commission_cap",
     "less than or equal to 30000.00"),
])
def test_the_contracts_ceilings_cannot_be_lifted(env: dict[str, str], key: str, reason: str) -> None:
    # 3 % and 30,000 DH are the programme's terms: configuration may lower them, never raise them.
    with pytest.raises(ConfigError) as err:
        load_settings(DEFAULT_CONFIG, environ=env)
    assert key in str(err.value) and reason in str(err.value)


def test_the_ceilings_can_be_lowered() -> None:
    s = load_settings(DEFAULT_CONFIG, environ={"RECOUVRA__PROGRAMME__DEFAULT_COMMISSION_CAP": "20000.00",
                                                "RECOUVRA__AGENCIES__AG04__COMMISSION_CAP": "15000.00",
                                                "RECOUVRA__AGENCIES__AG01__COMMISSION_RATE": "0.025"})
    assert s.programme.default_commission_cap == Decimal("20000.00")
    assert s.commission_cap(s.agency("AG04")) == Decimal("15000.00")
    assert s.agency("AG01").commission_rate == Decimal("0.025")


def test_one_agency_is_overridden_by_code_or_index_without_restating_the_list() -> None:
    s = load_settings(DEFAULT_CONFIG, environ={"RECOUVRA__AGENCIES__AG02__MONTHLY_CAPACITY": "90",
                                                "RECOUVRA__AGENCIES__0__NAME": "Recouvrement Atlas"})
    base = load_settings(DEFAULT_CONFIG, environ={})
    assert s.agency("AG02").monthly_capacity == 90
    assert s.agencies[0].name == "Recouvrement Atlas"
    assert [a.code for a in s.agencies] == [a.code for a in base.agencies]  # nothing else changed
    assert s.agency("AG03") == base.agency("AG03")
    # an override still meets every rule: a rate above the ceiling names the agency
    with pytest.raises(ConfigError, match="AG02 commission_rate 0.04 is above"):
        load_settings(DEFAULT_CONFIG, environ={"RECOUVRA__AGENCIES__AG02__COMMISSION_RATE": "0.04"})
    with pytest.raises(ConfigError, match=r"agencies.ag09: no such item to override .*AG01"):
        load_settings(DEFAULT_CONFIG, environ={"RECOUVRA__AGENCIES__AG09__COMMISSION_RATE": "0.02"})


def test_a_retired_agency_keeps_its_place_but_not_its_capacity(tmp_path: Path) -> None:
    """agencies[].retired_on: the agency stays configured (its connection too) and takes new dossiers
    until the day before; the programme must be met by the agencies never retired."""
    def retire(raw: dict) -> None:  # type: ignore[type-arg]
        raw["agencies"][3]["retired_on"] = "2027-01-01"  # AG04, 150 a month; the others give 525

    s = load_settings(_write(tmp_path, retire), environ={})
    assert s.agency("AG04").retired_on == dt.date(2027, 1, 1)
    assert [a.code for a in s.agencies_on(dt.date(2026, 12, 1))] == ["AG01", "AG02", "AG03", "AG04"]
    assert [a.code for a in s.agencies_on(dt.date(2027, 1, 1))] == ["AG01", "AG02", "AG03"]
    # The environment retires one agency by its code, as any other field.
    env = {"RECOUVRA__AGENCIES__AG02__RETIRED_ON": "2027-02-01"}
    assert load_settings(DEFAULT_CONFIG, environ=env).agency("AG02").retired_on == dt.date(2027, 2, 1)

    def too_much(raw: dict) -> None:  # type: ignore[type-arg]
        raw["agencies"][0]["retired_on"] = "2027-01-01"  # AG01's 200 gone: 475 left for 500

    with pytest.raises(ConfigError, match=r"total monthly_capacity 475 of the agencies not retired "
                                          r"\(AG01 retired_on 2027-01-01 left out\) is below "
                                          r"programme.dossiers_per_month 500"):
        load_settings(_write(tmp_path, too_much), environ={})

    def to_one(raw: dict) -> None:  # type: ignore[type-arg]
        raw["programme"]["dossiers_per_month"] = 150
        for a in raw["agencies"][1:]:
            a["retired_on"] = "2027-01-01"

    with pytest.raises(ConfigError, match="max_share 0.50 for 1 agencies not retired cannot cover the month"):
        load_settings(_write(tmp_path, to_one), environ={})

    def not_a_date(raw: dict) -> None:  # type: ignore[type-arg]
        raw["agencies"][3]["retired_on"] = "2027-13-01"

    with pytest.raises(ConfigError, match=r"agencies\.3\.retired_on"):
        load_settings(_write(tmp_path, not_a_date), environ={})


def _schedule(*rules: dict[str, object]) -> list[dict[str, object]]:
    return [dict(r) for r in rules]


FEES = _schedule(
    {"valid_from": "2026-08-01", "segment": "FRESH", "rate": "0.02"},
    {"valid_from": "2026-08-01", "segment": "UNPAID_TITLE", "max_age_months": 24, "rate": "0.025"},
    {"valid_from": "2026-08-01", "min_age_months": 12, "rate": "0.029"},
    {"valid_from": "2027-01-01", "rate": "0.01"},
)


@pytest.mark.parametrize(("segment", "age", "day", "rate", "basis"), [
    # Before any schedule: the flat rate.
    ("FRESH", 3, dt.date(2026, 7, 1), "0.03", "agency's flat rate"),
    # The schedule of 2026-08-01: first matching rule in the configured order.
    ("FRESH", 3, dt.date(2026, 8, 1), "0.02", "fee schedule of 2026-08-01: FRESH, debt 0+ months old"),
    ("FRESH", 30, dt.date(2026, 9, 1), "0.02", "fee schedule of 2026-08-01: FRESH, debt 0+ months old"),
    ("UNPAID_TITLE", 24, dt.date(2026, 9, 1), "0.025",
     "fee schedule of 2026-08-01: UNPAID_TITLE, debt 0-24 months old"),
    ("UNPAID_TITLE", 25, dt.date(2026, 9, 1), "0.029",
     "fee schedule of 2026-08-01: any segment, debt 12+ months old"),
    # No age known (no unpaid month dated): counted as 0 months old.
    ("UNPAID_TITLE", None, dt.date(2026, 9, 1), "0.025",
     "fee schedule of 2026-08-01: UNPAID_TITLE, debt 0-24 months old"),
    # The schedule of 2027-01-01 replaces the whole earlier one.
    ("FRESH", 3, dt.date(2027, 1, 1), "0.01", "fee schedule of 2027-01-01: any segment, debt 0+ months old"),
])
def test_fee_schedule_gives_the_rate_in_force_by_segment_and_age(
    tmp_path: Path, segment: str, age: int | None, day: dt.date, rate: str, basis: str,
) -> None:
    path = _write(tmp_path, lambda r: r["agencies"][0].update(commission_rate="0.03", fee_schedule=FEES))
    fee = load_settings(path, environ={}).agency("AG01").fee_for(segment, age, day)
    assert (fee.rate, fee.basis) == (Decimal(rate), basis)


def test_a_schedule_with_no_matching_rule_falls_back_to_the_flat_rate(tmp_path: Path) -> None:
    rules = _schedule({"valid_from": "2026-08-01", "segment": "FRESH", "max_age_months": 6, "rate": "0.02"})
    path = _write(tmp_path, lambda r: r["agencies"][0].update(commission_rate="0.03", fee_schedule=rules))
    ag01 = load_settings(path, environ={}).agency("AG01")
    assert ag01.fee_for("FRESH", 7, dt.date(2026, 9, 1)).rate == Decimal("0.03")
    assert ag01.fee_for("UNPAID_TITLE", 2, dt.date(2026, 9, 1)).basis == "agency's flat rate"


@pytest.mark.parametrize(("rule", "reason"), [
    ({"valid_from": "2026-08-01", "rate": "0.035"},
     r"agencies.1.fee_schedule.0.rate: Input should be less than or equal to 0.03"),
    ({"valid_from": "2026-08-01", "rate": "0.02", "min_age_months": 12, "max_age_months": 6},
     "max_age_months 6 is below min_age_months 12"),
    ({"valid_from": "2026-08-01", "rate": "0.02", "segment": "OLD"}, "segment"),
    ({"valid_from": "August", "rate": "0.02"}, "valid_from"),
    ({"valid_from": "2026-08-01", "rate": "0.02", "tier": 2}, "tier"),
])
def test_bad_fee_rules_fail_at_start_naming_the_key(
    tmp_path: Path, rule: dict[str, object], reason: str,
) -> None:
    path = _write(tmp_path, lambda r: r["agencies"][1].update(fee_schedule=[rule]))
    with pytest.raises(ConfigError, match=reason):
        load_settings(path, environ={})


def test_a_fee_rule_above_a_lowered_programme_maximum_is_refused(tmp_path: Path) -> None:
    def lower(raw: dict[str, Any]) -> None:
        raw["programme"]["max_commission_rate"] = "0.028"
        for a in raw["agencies"]:
            a["commission_rate"] = "0.025"
            a.pop("fee_schedule", None)
        raw["agencies"][1]["fee_schedule"] = [{"valid_from": "2026-08-01", "rate": "0.029"}]

    with pytest.raises(ConfigError, match=r"AG02 fee_schedule\[0\] rate 0.029 is above programme\.max_comm"):
        load_settings(_write(tmp_path, lower), environ={})
