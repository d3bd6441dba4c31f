"""One validated configuration for the whole pipeline.

Loaded from ``config/recouvra.yaml`` (or the file named by ``RECOUVRA_CONFIG``) and overridden by
environment variables ``RECOUVRA__<SECTION>__<KEY>`` (nested keys joined by ``__``). A bad value fails
at start with :class:`ConfigError`, which names the key and the reason.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from recouvra.errors import ConfigError
from recouvra.exchange.spec import EVIDENCE_TYPES, MAX_COMMISSION_CAP, MAX_COMMISSION_RATE, ObjectionRules

ENV_PREFIX = "RECOUVRA__"
CONFIG_ENV = "RECOUVRA_CONFIG"
HOME_ENV = "RECOUVRA_HOME"
_SOURCE_ROOT = Path(__file__).resolve().parents[2]
#: A plain ``pip install .`` ships ``config/`` inside the package as ``recouvra/_config``.
PACKAGED_CONFIG_DIR = Path(__file__).resolve().parent / "_config"


def config_dir() -> Path:
    """The folder of the default configuration files: the checkout's ``config/``, else the packaged copy."""
    source = _SOURCE_ROOT / "config"
    return source if (source / "recouvra.yaml").is_file() else PACKAGED_CONFIG_DIR


def project_root(environ: Mapping[str, str] | None = None) -> Path:
    """Where relative paths (``data/...``) resolve when the configuration does not say: the source
    checkout, or for an installed package ``$RECOUVRA_HOME`` (else the current directory)."""
    environ = os.environ if environ is None else environ
    if environ.get(HOME_ENV):
        return Path(environ[HOME_ENV]).resolve()
    if (_SOURCE_ROOT / "config" / "recouvra.yaml").is_file():
        return _SOURCE_ROOT
    return Path.cwd()


PROJECT_ROOT = project_root({})
DEFAULT_CONFIG = config_dir() / "recouvra.yaml"

REGIONS: tuple[str, ...] = (
    "Tanger-Tétouan-Al Hoceïma",
    "L'Oriental",
    "Fès-Meknès",
    "Rabat-Salé-Kénitra",
    "Béni Mellal-Khénifra",
    "Casablanca-Settat",
    "Marrakech-Safi",
    "Drâa-Tafilalet",
    "Souss-Massa",
    "Guelmim-Oued Noun",
    "Laâyoune-Sakia El Hamra",
    "Dakhla-Oued Ed-Dahab",
)

Rate = Annotated[Decimal, Field(ge=0, le=1)]
Money = Annotated[Decimal, Field(ge=0, decimal_places=2)]
Share = Annotated[Decimal, Field(ge=0, le=1)]
# The contract's ceilings (recouvra.exchange.spec): a value above them fails at start, naming the key.
CommissionRate = Annotated[Decimal, Field(ge=0, le=MAX_COMMISSION_RATE)]
CommissionCap = Annotated[Decimal, Field(ge=0, decimal_places=2, le=MAX_COMMISSION_CAP)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Eligibility(_Model):
    exclude_legal_proceeding: bool = True
    exclude_honoured_plan: bool = True
    exclude_insolvent_or_liquidation: bool = True
    exclude_ceased_no_assets: bool = True
    exclude_disputed: bool = True
    exclude_already_placed: bool = True
    recall_cooling_off_months: int = Field(6, ge=0, le=60)
    # Re-placement (docs/selection.md): a debtor returned unresolved is placed again with another agency,
    # as tier 2 then 3; 1 switches re-placement off (such a debtor is then never placed again).
    max_placement_tier: int = Field(3, ge=1, le=9)
    fresh_max_age_months: int = Field(6, ge=1, le=60)
    title_limit_years: int = Field(4, ge=1, le=30)
    title_near_limit_days: int = Field(120, ge=0, le=3650)
    title_near_limit_rule: Literal["exclude", "prioritise"] = "exclude"


#: The kinds of money a contribution month owes, as ``programme.imputation_order`` names them, and the
#: ``kind`` each has in the warehouse (``core.dossier_period``, ``core.attribution_kind``).
IMPUTATION_KINDS: dict[str, str] = {
    "principal": "PRINCIPAL", "surcharges": "SURCHARGE", "penalties": "PENALTY",
}
#: Assumption (docs/reconciliation.md "Recovered by kind"): the reference material
#: (shared/reference/domain.md, "Surcharges, penalties, fees") states no imputation order for the fund, so
#: a payment settles a month's principal first, then its surcharges, then its penalties.
DEFAULT_IMPUTATION_ORDER: tuple[str, str, str] = ("principal", "surcharges", "penalties")


class Programme(_Model):
    dossiers_per_month: int = Field(500, ge=1, le=100_000)
    assignment_window_months: int = Field(6, ge=1, le=24)
    minimum_total_due: Money = Decimal("5000.00")
    default_commission_cap: CommissionCap = MAX_COMMISSION_CAP
    max_commission_rate: CommissionRate = MAX_COMMISSION_RATE
    eligibility: Eligibility = Eligibility()
    # In which order a payment settles the kinds a month owes (recovered by kind): an assumption, see
    # DEFAULT_IMPUTATION_ORDER.
    imputation_order: tuple[str, str, str] = DEFAULT_IMPUTATION_ORDER

    @field_validator("imputation_order", mode="before")
    @classmethod
    def _imputation_order_is_a_permutation(cls, value: Any) -> Any:
        if isinstance(value, str):  # an environment override: "surcharges,principal,penalties"
            value = [v.strip() for v in value.split(",")]
        kinds = sorted(IMPUTATION_KINDS)
        if not isinstance(value, list | tuple) or sorted(str(v) for v in value) != kinds:
            raise ValueError(
                f"must name each of {', '.join(kinds)} exactly once, in the order a payment settles "
                "them"
            )
        return tuple(str(v) for v in value)


class FeeRule(_Model):
    """One row of an agency's fee schedule (``agencies[].fee_schedule``): from ``valid_from``, a dossier
    of ``segment`` (any when absent) whose debt is between ``min_age_months`` and ``max_age_months``
    old (inclusive; no upper bound when absent) is assigned at ``rate``. The age of the debt is the age
    of the dossier's oldest unpaid month at selection, in whole months."""

    valid_from: dt.date
    segment: Literal["FRESH", "UNPAID_TITLE"] | None = None
    min_age_months: int = Field(0, ge=0, le=600)
    max_age_months: int | None = Field(None, ge=0, le=600)
    rate: CommissionRate

    @model_validator(mode="after")
    def _ages_in_order(self) -> FeeRule:
        if self.max_age_months is not None and self.max_age_months < self.min_age_months:
            raise ValueError(
                f"max_age_months {self.max_age_months} is below min_age_months {self.min_age_months}"
            )
        return self

    def matches(self, segment: str, age_months: int) -> bool:
        """True when this rule covers a dossier of ``segment`` whose debt is ``age_months`` old."""
        if self.segment is not None and self.segment != segment:
            return False
        return self.min_age_months <= age_months and (
            self.max_age_months is None or age_months <= self.max_age_months
        )

    def describe(self) -> str:
        """The rule in words, as statements show it (``commission_basis``)."""
        what = self.segment or "any segment"
        if self.max_age_months is None:
            age = f"debt {self.min_age_months}+ months old"
        else:
            age = f"debt {self.min_age_months}-{self.max_age_months} months old"
        return f"fee schedule of {self.valid_from.isoformat()}: {what}, {age}"


class Fee(BaseModel):
    """The rate a dossier is assigned at and why (``basis``: the fee rule in words, or the flat rate)."""

    model_config = ConfigDict(frozen=True)

    rate: Decimal
    basis: str


FLAT_RATE_BASIS = "agency's flat rate"


class Agency(_Model):
    """An agency under contract. ``retired_on``: the first day it no longer works for the fund. From that
    day it is given no new dossier (a selection whose month starts on or after it leaves it out, its
    capacity included), and the first lifecycle refresh on or after it recalls every dossier it holds
    (``FUND_DECISION``); it stays configured, connection included, so that its recall files go out and
    its last returns are read (docs/runbook.md, "Add or retire an agency")."""

    code: str = Field(pattern=r"^[A-Z0-9]{2,16}$")
    name: str = Field(min_length=1)
    regions: list[str] = Field(min_length=1)
    monthly_capacity: int = Field(ge=1)
    commission_rate: Rate
    commission_cap: Money | None = None
    sftp_conn_id: str = Field(pattern=r"^[a-z0-9_]+$")
    retired_on: dt.date | None = None
    fee_schedule: list[FeeRule] = Field(default_factory=list)

    def fee_for(self, segment: str, age_months: int | None, day: dt.date) -> Fee:
        """The rate of a dossier of ``segment`` whose debt is ``age_months`` old, assigned on ``day``.

        The schedule in force on ``day`` is the set of rules sharing the latest ``valid_from`` on or
        before it (a new ``valid_from`` replaces the whole schedule); its first rule that matches, in
        the order configured, gives the rate. No schedule in force, or no rule matching: the agency's
        flat ``commission_rate``. A dossier keeps the rate it was assigned with."""
        dates = [r.valid_from for r in self.fee_schedule if r.valid_from <= day]
        if dates:
            in_force = max(dates)
            age = 0 if age_months is None else max(0, age_months)
            for rule in self.fee_schedule:
                if rule.valid_from == in_force and rule.matches(segment, age):
                    return Fee(rate=rule.rate, basis=rule.describe())
        return Fee(rate=self.commission_rate, basis=FLAT_RATE_BASIS)

    def retired_by(self, day: dt.date) -> bool:
        """True when the agency is retired on ``day`` (``retired_on`` is that day or earlier)."""
        return self.retired_on is not None and self.retired_on <= day

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, regions: list[str]) -> list[str]:
        unknown = [r for r in regions if r not in REGIONS]
        if unknown:
            raise ValueError(f"unknown region(s) {unknown}; expected one of {list(REGIONS)}")
        if len(set(regions)) != len(regions):
            raise ValueError("a region is listed twice")
        return regions


class KindWeights(_Model):
    """How much of each kind of open amount the score counts as recoverable (selection.kind_weights):
    principal is paid first and is rarely remitted; surcharges and penalties are often remitted."""

    principal: Share = Decimal("1.0")
    surcharge: Share = Decimal("0.6")
    penalty: Share = Decimal("0.3")


class LikelihoodPrior(_Model):
    """Prior coefficients of the logistic likelihood of recovery (docs/selection.md): the linear
    predictor is ``intercept + sum(coefficient * feature)``, features scaled as documented there."""

    intercept: float = Field(-2.0, ge=-20, le=20)
    payments_12m: float = Field(1.5, ge=-20, le=20)      # x = min(payments in 12 months, 12) / 12
    broken_plans: float = Field(-0.4, ge=-20, le=20)     # x = min(broken plans, 3)
    age_years: float = Field(-0.35, ge=-20, le=20)       # x = min(age of oldest unpaid month, 60) / 12
    reversals: float = Field(-0.3, ge=-20, le=20)        # x = min(reversed payments, 3)
    contact: float = Field(1.0, ge=-20, le=20)           # x = (valid phone + email + address) / 3
    ceased: float = Field(-0.8, ge=-20, le=20)           # x = 1 when activity_status is CEASED
    suspended: float = Field(-0.5, ge=-20, le=20)        # x = 1 when SUSPENDED
    unknown_activity: float = Field(-0.5, ge=-20, le=20)  # x = 1 when UNKNOWN
    insolvent: float = Field(-1.5, ge=-20, le=20)        # x = 1 when INSOLVENT or LIQUIDATION


class Calibration(_Model):
    """When and how past dossiers' results replace the prior likelihood."""

    min_results_months: int = Field(3, ge=1, le=60)       # placement months with results needed
    results_horizon_months: int = Field(3, ge=1, le=24)   # recoveries counted within this horizon
    min_dossiers: int = Field(200, ge=10)                 # and at least this many dossiers
    prior_strength: float = Field(10.0, ge=0, le=1e6)     # ridge pull towards the prior coefficients


class Recalls(_Model):
    """Recall notices and objections (docs/agency-exchange.md "Recall notices and objections").

    A dossier whose window ends within ``notice_days`` after a lifecycle refresh gets a notice at that
    refresh (0: no notices, every recall immediate as before); objections are received up to
    ``objection_close_days`` before the intended recall date; the rules of :class:`ObjectionRules`."""

    notice_days: int = Field(31, ge=0, le=366)
    objection_close_days: int = Field(0, ge=0, le=60)
    accepted_evidence: list[Literal["PROMISE", "PLAN_IN_SIGNATURE", "PAYMENT_ANNOUNCED"]] = Field(
        default_factory=lambda: sorted(EVIDENCE_TYPES))  # type: ignore[arg-type]
    min_amount_share: Share = Decimal("0.10")
    max_extension_days: int = Field(45, ge=0, le=366)
    margin_days: int = Field(7, ge=0, le=60)

    @model_validator(mode="after")
    def _deadline_after_notice(self) -> Recalls:
        if self.notice_days and self.objection_close_days >= self.notice_days:
            raise ValueError(f"recalls: objection_close_days {self.objection_close_days} leaves no day to "
                             f"object within notice_days {self.notice_days}")
        return self

    def rules(self) -> ObjectionRules:
        """The judge's rules (the plain kernel type)."""
        return ObjectionRules(frozenset(self.accepted_evidence), self.min_amount_share,
                              self.max_extension_days, self.margin_days)


class Selection(_Model):
    kind_weights: KindWeights = KindWeights()
    likelihood: LikelihoodPrior = LikelihoodPrior()
    calibration: Calibration = Calibration()


class Performance(_Model):
    """Shares of the monthly dossiers among agencies: capacity-weighted, then shifted towards the
    agencies that recover more once enough months of results exist (champion/challenger)."""

    rule: Literal["capacity", "recovery_rate"] = "recovery_rate"
    min_results_months: int = Field(3, ge=1, le=60)
    results_horizon_months: int = Field(3, ge=1, le=24)
    min_share: Share = Decimal("0.10")
    max_share: Share = Decimal("0.50")

    @model_validator(mode="after")
    def _bounds(self) -> Performance:
        if self.min_share > self.max_share:
            raise ValueError(
                f"allocation.performance: min_share {self.min_share} is above max_share {self.max_share}"
            )
        return self


class Allocation(_Model):
    seed: int = Field(42, ge=0)                           # the split is deterministic for a seed
    score_bands: int = Field(4, ge=1, le=20)              # strata: region x segment x score band
    balance_tolerance: Share = Decimal("0.10")            # agency means within 10% of the month's
    max_draws: int = Field(200, ge=1, le=10_000)          # re-randomisations to meet the balance
    unserved_region: Literal["warn", "fail"] = "warn"     # eligible debtors in a region no agency serves
    performance: Performance = Performance()


class ContributionRate(_Model):
    branch: str = Field(pattern=r"^[a-z_]+$")
    valid_from: dt.date
    employer: Rate
    employee: Rate
    ceiling: Money | None = None  # monthly salary ceiling per employee, None = no ceiling


class SurchargeRate(_Model):
    valid_from: dt.date
    first_month: Rate
    further_month: Rate


class PenaltyRate(_Model):
    valid_from: dt.date
    formal_demand_fee: Rate
    damancom_fine_per_employee: Money
    damancom_fine_cap: Money


def _effective(rows: list[Any], on: dt.date) -> Any:
    """The row in force on a date: the latest ``valid_from`` not after it."""
    current = None
    for row in rows:  # rows are sorted by valid_from (checked at load)
        if row.valid_from <= on:
            current = row
    if current is None:
        raise LookupError(f"no rate in force on {on.isoformat()}")
    return current


class Rates(_Model):
    contributions: list[ContributionRate] = Field(min_length=1)
    surcharges: list[SurchargeRate] = Field(min_length=1)
    penalties: list[PenaltyRate] = Field(min_length=1)

    @model_validator(mode="after")
    def _sorted_and_unique(self) -> Rates:
        for name in ("surcharges", "penalties"):
            dates = [r.valid_from for r in getattr(self, name)]
            if dates != sorted(dates) or len(set(dates)) != len(dates):
                raise ValueError(f"{name}: valid_from dates must be strictly increasing")
        seen: dict[str, dt.date] = {}
        for row in self.contributions:
            if row.branch in seen and row.valid_from <= seen[row.branch]:
                raise ValueError(f"contributions: branch {row.branch} valid_from dates must increase")
            seen[row.branch] = row.valid_from
        return self

    def contributions_on(self, on: dt.date) -> list[ContributionRate]:
        """Every branch's rate in force on a date."""
        branches = dict.fromkeys(r.branch for r in self.contributions)
        out = []
        for branch in branches:
            rows = [r for r in self.contributions if r.branch == branch and r.valid_from <= on]
            if rows:
                out.append(rows[-1])
        return out

    def surcharge_on(self, on: dt.date) -> SurchargeRate:
        return cast("SurchargeRate", _effective(self.surcharges, on))

    def penalty_on(self, on: dt.date) -> PenaltyRate:
        return cast("PenaltyRate", _effective(self.penalties, on))


_LOCAL_URL = re.compile(r"^(sqlite|duckdb)(\+\w+)?:///(?!/)(.+)$")


class Storage(_Model):
    source_url: str = "sqlite:///data/source.db"
    source_conn_id: str = "recouvra_source"
    warehouse_url: str = "duckdb:///data/warehouse.duckdb"
    warehouse_conn_id: str = "recouvra_warehouse"
    lake_dir: Path = Path("data/lake")
    truth_dir: Path = Path("data/truth")
    reports_dir: Path = Path("data/reports")
    #: kpi_load's export of the BI views for notebooks (embedded DuckDB warehouse only; docs/kpi.md).
    bi_dir: Path = Path("data/bi")
    sftp_root: Path = Path("data/sftp")
    #: The debtor master's features and pair comparisons by content (recouvra.match_cache): a month
    #: normalizes and compares only the employers that changed. Deleting it costs one full month.
    match_cache_dir: Path = Path("data/match_cache")

    @field_validator("source_url", "warehouse_url")
    @classmethod
    def _url_shape(cls, url: str) -> str:
        if not re.match(r"^[a-z][a-z0-9+]*://", url):
            raise ValueError(f"not a database URL: {url!r} (expected e.g. sqlite:///data/source.db)")
        return url


class DebtorMaster(_Model):
    """How the debtor master is built (docs/entity-resolution.md "Incremental months")."""

    #: Train the Fellegi-Sunter model again on this month's portfolio (and store it) instead of scoring
    #: with the stored one; ``recouvra master build --retrain`` does it for one build.
    retrain: bool = False
    #: Normalize and compare every record and pair, the match cache unread (it is written afresh);
    #: ``recouvra master build --full`` does it for one build. The result is the same.
    full_rebuild: bool = False


class Reconciliation(_Model):
    """How collections are reconciled (docs/reconciliation.md "Only what changed")."""

    #: Reconcile every dossier over the whole ledger the rules can concern, instead of only the groups
    #: of dossiers whose inputs changed since the last run. The result is the same.
    full_rebuild: bool = False


class SeedAdvance(_Model):
    """What one month of the synthetic source's life brings (``recouvra seed --advance-to``,
    docs/synthetic-data.md). Shares are per month; ``*_per_1000`` are per 1,000 active employers."""

    late_share_compliant: Share = Decimal("0.02")      # compliant employers unpaid at a due date
    late_share_settled_late: Share = Decimal("0.15")   # employers who paid late before and settled
    late_share_debtor: Share = Decimal("0.50")         # debtors: most of their months stay unpaid
    payment_share: Share = Decimal("0.08")             # debtors at large with an open balance who pay
    late_payer_payment_share: Share = Decimal("0.45")  # other employers owing: settle their oldest month
    settle_share: Share = Decimal("0.70")              # of those payments: the oldest month in full
    new_employers_per_1000: Decimal = Field(Decimal("4"), ge=0, le=100)
    new_affiliation_share: Share = Decimal("0.15")     # of new employers: an existing entity again
    address_changes_per_1000: Decimal = Field(Decimal("6"), ge=0, le=100)
    phone_changes_per_1000: Decimal = Field(Decimal("5"), ge=0, le=100)
    ceased_per_1000: Decimal = Field(Decimal("3"), ge=0, le=100)
    liquidation_per_1000: Decimal = Field(Decimal("0.5"), ge=0, le=100)


class Seed(_Model):
    history_months: int = Field(24, ge=6, le=120)
    end_month: str = Field("2026-06", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    debtor_share: Share = Decimal("0.40")
    duplicate_entity_share: Share = Decimal("0.10")
    missing_ice_share: Share = Decimal("0.30")
    malformed_ice_share: Share = Decimal("0.03")
    missing_rc_share: Share = Decimal("0.20")
    missing_phone_share: Share = Decimal("0.15")
    missing_email_share: Share = Decimal("0.35")
    name_variant_share: Share = Decimal("0.60")
    address_variant_share: Share = Decimal("0.50")
    city_variant_share: Share = Decimal("0.30")
    natural_person_share: Share = Decimal("0.12")
    advance: SeedAdvance = SeedAdvance()


class AgencyBehaviour(_Model):
    """How one simulated agency works its dossiers (``recouvra simulate-agencies``, docs/simulator.md).

    Shares are probabilities: per dossier (contact, promise, plan, data update), per promise (pay),
    per reported payment (ledger fates, receipt reference) or per row and file (malformed).
    """

    contact_rate: Share = Decimal("0.60")        # dossiers whose debtor is ever reached
    promise_rate: Share = Decimal("0.45")        # reached debtors who promise to pay (or ask a plan)
    pay_rate: Share = Decimal("0.70")            # promises and plan installments actually paid
    plan_rate: Share = Decimal("0.30")           # of promisers: a payment plan instead of a lump sum
    speed: float = Field(1.0, gt=0, le=5)        # 1 = an action about every 10 days; 2 = twice as often
    data_update_rate: Share = Decimal("0.35")    # dossiers with new contact data (phone, address, ...)
    malformed_share: Share = Decimal("0.03")     # rows sent malformed (each rejected with an E-code)
    malformed_file_share: Share = Decimal("0.05")  # files sent broken (F-codes, identical re-send)
    correction_rate: Share = Decimal("0.80")     # files with rejected rows re-sent corrected (new SEQ)
    sidecar_share: Share = Decimal("0.50")       # files sent with a .sha256 sidecar
    receipt_ref_share: Share = Decimal("0.60")   # reported payments carrying the fund's receipt number
    ledger_missing_share: Share = Decimal("0.05")  # reported payments the fund's ledger never receives
    reversal_share: Share = Decimal("0.03")      # payments reversed later in the ledger (bounced cheque)
    wrong_amount_share: Share = Decimal("0.04")  # payments reported with a lower amount than the ledger's
    wrong_date_share: Share = Decimal("0.06")    # payments reported 1 to 8 days off the ledger's date
    payment_ref_share: Share = Decimal("0.50")   # payments whose debtor quotes the dossier's payment_ref
    payment_ref_typo_share: Share = Decimal("0.05")  # of those, quoted with one digit wrong (invalid)
    send_weekday: int = Field(4, ge=0, le=6)     # day the weekly return files are sent (0 Monday)
    crlf: bool = False                           # write \r\n line ends (the contract accepts both)


class Simulator(_Model):
    """The agency simulator of the demo and the tests: a seed and each agency's behaviour.

    Behaviours are keyed by agency code; a configured agency without one gets the defaults, and one
    for an agency not configured is never used (the simulator only plays configured agencies).
    """

    seed: int = Field(2026, ge=0)
    agencies: dict[str, AgencyBehaviour] = Field(default_factory=dict)

    def behaviour(self, agency: str) -> AgencyBehaviour:
        """The agency's behaviour; the defaults of :class:`AgencyBehaviour` when it has none."""
        return self.agencies.get(agency, AgencyBehaviour())


class Settings(_Model):
    programme: Programme = Programme()
    agencies: list[Agency] = Field(min_length=1)
    rates: Rates
    storage: Storage = Storage()
    debtor_master: DebtorMaster = DebtorMaster()
    reconciliation: Reconciliation = Reconciliation()
    seed: Seed = Seed()
    selection: Selection = Selection()
    allocation: Allocation = Allocation()
    simulator: Simulator = Simulator()
    recalls: Recalls = Recalls()
    # Where relative paths resolve; set by load_settings, not by the file.
    root: Path = Field(default=PROJECT_ROOT, exclude=True)

    @model_validator(mode="after")
    def _programme_can_be_met(self) -> Settings:
        codes = [a.code for a in self.agencies]
        if len(set(codes)) != len(codes):
            raise ValueError("agencies: an agency code is listed twice")
        conns = [a.sftp_conn_id for a in self.agencies]
        if len(set(conns)) != len(conns):
            raise ValueError("agencies: two agencies share an sftp_conn_id")
        # The programme must be met once every retirement has taken effect: by the agencies never retired.
        staying = [a for a in self.agencies if a.retired_on is None]
        retired = [f"{a.code} retired_on {a.retired_on.isoformat()}" for a in self.agencies
                   if a.retired_on is not None]
        capacity = sum(a.monthly_capacity for a in staying)
        if capacity < self.programme.dossiers_per_month:
            of = f" of the agencies not retired ({', '.join(retired)} left out)" if retired else ""
            raise ValueError(
                f"agencies: total monthly_capacity {capacity}{of} is below "
                f"programme.dossiers_per_month {self.programme.dossiers_per_month}"
            )
        perf = self.allocation.performance
        n, n_staying = len(self.agencies), len(staying)
        if perf.min_share * n > 1:  # the most agencies a month can have: all, before any retirement
            raise ValueError(
                f"allocation.performance: min_share {perf.min_share} for {n} agencies adds up to more "
                "than the whole month"
            )
        if perf.max_share * n_staying < 1:  # the fewest: those never retired
            of = " not retired" if retired else ""
            raise ValueError(
                f"allocation.performance: max_share {perf.max_share} for {n_staying} agencies{of} cannot "
                "cover the month"
            )
        if not self.programme.eligibility.exclude_already_placed:
            raise ValueError(
                "programme.eligibility.exclude_already_placed: must be true, a debtor is never placed "
                "twice (one open dossier per debtor)"
            )
        for a in self.agencies:
            if a.commission_rate > self.programme.max_commission_rate:
                raise ValueError(
                    f"agencies: {a.code} commission_rate {a.commission_rate} is above "
                    f"programme.max_commission_rate {self.programme.max_commission_rate}"
                )
            for i, rule in enumerate(a.fee_schedule):
                if rule.rate > self.programme.max_commission_rate:
                    raise ValueError(
                        f"agencies: {a.code} fee_schedule[{i}] rate {rule.rate} is above "
                        f"programme.max_commission_rate {self.programme.max_commission_rate}"
                    )
            if a.commission_cap is not None and a.commission_cap > self.programme.default_commission_cap:
                raise ValueError(
                    f"agencies: {a.code} commission_cap {a.commission_cap} is above the contract's "
                    f"{self.programme.default_commission_cap}"
                )
        return self

    def agencies_on(self, day: dt.date) -> list[Agency]:
        """The agencies that take new dossiers on ``day``: the configured ones not retired by then."""
        return [a for a in self.agencies if not a.retired_by(day)]

    def agency(self, code: str) -> Agency:
        for a in self.agencies:
            if a.code == code:
                return a
        raise KeyError(f"unknown agency {code!r}; configured: {[a.code for a in self.agencies]}")

    def commission_cap(self, agency: Agency) -> Decimal:
        return agency.commission_cap if agency.commission_cap is not None else (
            self.programme.default_commission_cap
        )

    def path(self, p: Path) -> Path:
        """A configured path, resolved against the project root when relative."""
        return p if p.is_absolute() else (self.root / p)

    def resolve_url(self, url: str) -> str:
        """A database URL with a relative SQLite/DuckDB file path made absolute against the root."""
        m = _LOCAL_URL.match(url)
        if not m or m.group(3).startswith(":memory:"):
            return url
        return f"{m.group(1)}{m.group(2) or ''}:///{(self.root / m.group(3)).as_posix()}"

    @cached_property
    def source_url(self) -> str:
        return self.resolve_url(self.storage.source_url)

    @cached_property
    def warehouse_url(self) -> str:
        return self.resolve_url(self.storage.warehouse_url)


def redact_url(url: str) -> str:
    """A database URL fit for logs and screens: any password replaced by ``***``."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a SQLAlchemy URL: show nothing of it that could be secret
        return url.split("://", 1)[0] + "://…"


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """``RECOUVRA__A__B=v`` as ``{"a": {"b": v}}``; values are read as YAML scalars or lists."""
    out: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        parts = [p.lower() for p in key[len(ENV_PREFIX):].split("__") if p]
        if not parts:
            continue
        try:
            value = yaml.safe_load(raw) if raw.strip() else raw
        except yaml.YAMLError:
            value = raw
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = raw  # keep the digits as written: Decimal fields must not pass through float
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return out


def _merge(base: dict[str, Any], over: Mapping[str, Any], where: str = "") -> dict[str, Any]:
    merged = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(merged.get(k), dict):
            merged[k] = _merge(merged[k], v, f"{where}{k}.")
        elif isinstance(v, Mapping) and isinstance(merged.get(k), list):
            merged[k] = _merge_items(merged[k], v, f"{where}{k}")
        else:
            merged[k] = v
    return merged


def _merge_items(items: list[Any], over: Mapping[str, Any], where: str) -> list[Any]:
    """Override fields of some items of a list (``RECOUVRA__AGENCIES__AG01__COMMISSION_RATE`` or
    ``RECOUVRA__AGENCIES__0__...``: by the item's code or its index) without restating the list."""
    out = list(items)
    for key, fields in over.items():
        if key.isdigit() and int(key) < len(out):
            index = int(key)
        else:
            index = next((i for i, item in enumerate(out) if isinstance(item, Mapping)
                          and str(item.get("code", "")).lower() == key.lower()), -1)
        if index < 0 or not isinstance(fields, Mapping) or not isinstance(out[index], dict):
            codes = [str(item.get("code")) for item in out if isinstance(item, Mapping)]
            raise ConfigError(f"{where}.{key}: no such item to override (give an index below {len(out)} "
                              f"or a code among {codes}, then a field: {ENV_PREFIX}"
                              f"{where.upper().replace('.', '__')}__<ITEM>__<FIELD>)")
        out[index] = _merge(out[index], fields, f"{where}.{key}.")
    return out


def _describe(err: ValidationError, source: str) -> str:
    lines = []
    for e in err.errors():
        msg = e["msg"].removeprefix("Value error, ")
        if e["loc"]:
            key = ".".join(str(p) for p in e["loc"])
            lines.append(f"{key}: {msg} (got {e.get('input')!r})"[:400])
        else:  # cross-field rules: the message starts with the key it concerns
            lines.append(msg)
    return f"invalid configuration in {source}:\n  " + "\n  ".join(lines)


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read, merge and validate the configuration; raise :class:`ConfigError` naming key and reason."""
    environ = os.environ if environ is None else environ
    cfg_path = Path(path or environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    try:
        raw = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found: {cfg_path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"configuration file {cfg_path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"configuration file {cfg_path} must hold a mapping at top level")
    merged = _merge(raw, _env_overrides(environ))
    # A checkout's config/<file> resolves against the checkout; the packaged default against the home.
    packaged = cfg_path.resolve().parent == PACKAGED_CONFIG_DIR
    root = project_root(environ) if packaged or environ.get(HOME_ENV) else cfg_path.resolve().parent.parent
    try:
        return Settings.model_validate({**merged, "root": root})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, str(cfg_path))) from None
