"""A source that lives (``recouvra seed --advance-to``): what one month brings, every changed row
stamped inside the month, idempotent and deterministic re-runs, month by month equal to all at once,
crash safety, and the incremental extraction taking exactly the month's rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from recouvra import cli
from recouvra.config import SeedAdvance, Settings, load_settings
from recouvra.errors import ConfigError
from recouvra.extract import extract_table, publish
from recouvra.lake import TABLES as LAKE_TABLES
from recouvra.standins.generator import advance as adv
from recouvra.standins.generator import seed_source
from recouvra.standins.generator.advance import ADVANCE_ID_BASE, advance_source
from recouvra.standins.generator.ledger import surcharge_centimes
from recouvra.standins.generator.seed import TABLES, TRUTH_FILE
from recouvra.standins.simulator.model import LEDGER_ID_BASE

N = 300
SEED = 5
NOV = ("2026-11-01 00:00:00", "2026-12-01 00:00:00")  # the first advanced month, (low, high]


@pytest.fixture(scope="module")
def settings() -> Settings:
    """The shipped configuration with a busier month, so that 300 employers see every kind of event."""
    base = load_settings()
    busy = SeedAdvance(new_employers_per_1000=Decimal(40), new_affiliation_share=Decimal("0.5"),
                       address_changes_per_1000=Decimal(30), phone_changes_per_1000=Decimal(30),
                       ceased_per_1000=Decimal(15), liquidation_per_1000=Decimal(10),
                       payment_share=Decimal("0.2"))
    # the history these tests were written on ends with October 2026, whatever the shipped default
    seed = base.seed.model_copy(update={"advance": busy, "end_month": "2026-10"})
    return base.model_copy(update={"seed": seed})


@pytest.fixture(scope="module")
def seeded(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seed for the module (source.db and truth/ in the returned folder), copied by each test."""
    d = tmp_path_factory.mktemp("seed")
    seed_source(settings, scale=N, seed=SEED, url=f"sqlite:///{d / 'source.db'}", truth_dir=d / "truth",
                progress=False)
    return d


def _copy(seeded: Path, to: Path) -> tuple[str, Path]:
    """A private copy of the seeded source: (url, truth dir)."""
    to.mkdir(parents=True, exist_ok=True)
    shutil.copy(seeded / "source.db", to / "source.db")
    shutil.copytree(seeded / "truth", to / "truth")
    return f"sqlite:///{to / 'source.db'}", to / "truth"


def _rows(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _digests(url: str, truth: Path) -> dict[str, str]:
    out = {}
    for table in TABLES:
        h = hashlib.sha256()
        for row in sorted(_rows(url, f"SELECT * FROM {table}"), key=repr):
            h.update(repr(row).encode())
        out[table] = h.hexdigest()
    out["truth"] = hashlib.sha256(
        pd.read_parquet(truth / TRUTH_FILE).sort_values("affiliation_no").to_csv(index=False).encode()
    ).hexdigest()
    return out


def _in_nov(stamp: str) -> bool:
    return NOV[0] < stamp <= NOV[1]


# ------------------------------------------------------------------------------- what a month brings


def test_one_month_brings_declarations_claims_payments_employers_and_changes(
    settings: Settings, seeded: Path, tmp_path: Path
) -> None:
    url, truth_dir = _copy(seeded, tmp_path / "a")
    before = {t: set(_rows(url, f"SELECT * FROM {t}")) for t in TABLES}
    report = advance_source(settings, "2026-11", url=url, truth_dir=truth_dir)
    assert [m.month for m in report.months] == ["2026-11"]
    month = report.months[0]

    # declarations of the month by the active employers, each stamped in the month
    decl = _rows(url, "SELECT affiliation_no, declared_on, updated_at FROM declarations "
                      "WHERE period = '2026-11'")
    assert len(decl) == month.inserted["declarations"] > 0.6 * N
    assert all(d[1].startswith("2026-11") and _in_nov(d[2]) for d in decl)
    ceased = {r[0] for r in _rows(url, "SELECT affiliation_no FROM employers WHERE status <> 'ACTIVE'")}
    assert not ceased & {d[0] for d in decl}, "an employer that is not active declared"

    # fresh claims: period 2026-10 fell due on 2026-11-10; unpaid declarations became receivables
    fresh = _rows(url, "SELECT kind, amount_centimes, established_on, receivable_id FROM receivables "
                       "WHERE period = '2026-10'")
    assert {f[0] for f in fresh} >= {"PRINCIPAL", "SURCHARGE"}
    assert all(f[1] > 0 and "2026-11-11" <= f[2] <= "2026-11-30" for f in fresh)
    assert all(ADVANCE_ID_BASE <= f[3] < LEDGER_ID_BASE for f in fresh)
    principal = {r[0]: r[1] for r in _rows(
        url, "SELECT affiliation_no, amount_centimes FROM receivables WHERE period = '2026-10' "
             "AND kind = 'PRINCIPAL'")}
    for aff, amount in _rows(url, "SELECT affiliation_no, amount_centimes FROM receivables "
                                  "WHERE period = '2026-10' AND kind = 'SURCHARGE'"):
        # one started month of lateness (from 2026-11-11): the first-month rate, 3%
        assert amount == surcharge_centimes(settings.rates, "2026-10", principal[aff], dt.date(2026, 11, 30))
        assert amount == round(principal[aff] * Decimal("0.03"))

    # payments by debtors, in the month, never more than what the period owes
    pays = _rows(url, "SELECT payment_id, payment_date, recorded_at, amount_centimes FROM ledger_payments "
                      "WHERE payment_id >= ?", (ADVANCE_ID_BASE,))
    assert len(pays) == month.inserted["ledger_payments"] > 0
    assert all(p[0] < LEDGER_ID_BASE and p[1].startswith("2026-11") and _in_nov(p[2]) and p[3] > 0
               for p in pays)
    over = _rows(url, """
        SELECT r.affiliation_no, r.period FROM (SELECT affiliation_no, period, SUM(amount_centimes) AS due
                                                FROM receivables GROUP BY 1, 2) r
        JOIN (SELECT affiliation_no, settles_period, SUM(amount_centimes) AS paid FROM ledger_payments
              GROUP BY 1, 2) p ON p.affiliation_no = r.affiliation_no AND p.settles_period = r.period
        WHERE p.paid > r.due""")
    assert over == []

    # surcharges accrued on periods still unpaid: exactly the rate schedule to 2026-11-30
    accrued = _rows(url, """
        SELECT s.period, s.amount_centimes, p.amount_centimes FROM receivables s
        JOIN receivables p ON p.affiliation_no = s.affiliation_no AND p.period = s.period
                          AND p.kind = 'PRINCIPAL'
        WHERE s.kind = 'SURCHARGE' AND s.updated_at > ? AND s.period < '2026-10' AND s.period >= '2024-11'
          AND NOT EXISTS (SELECT 1 FROM ledger_payments l WHERE l.affiliation_no = s.affiliation_no
                          AND l.settles_period = s.period)""", (NOV[0],))
    assert len(accrued) > 20
    for period, amount, princ in accrued:
        assert amount == surcharge_centimes(settings.rates, period, princ, dt.date(2026, 11, 30)), period

    # new employers, one at least a new affiliation of an entity the seed already had
    truth = pd.read_parquet(truth_dir / TRUTH_FILE)
    seeded_truth = pd.read_parquet(seeded / "truth" / TRUTH_FILE)
    new = truth[~truth["affiliation_no"].isin(seeded_truth["affiliation_no"])]
    assert len(new) == month.inserted["employers"] > 0
    again = new[new["entity_id"].isin(seeded_truth["entity_id"])]
    assert len(again) >= 1 and (again["role"] > 0).all() and (again["dup_kind"] != "NONE").all()
    sizes = truth.groupby("entity_id")["affiliation_no"].transform("size")
    assert (truth["set_size"] == sizes).all()
    employers = {r[0]: r for r in _rows(url, "SELECT affiliation_no, registered_on, status FROM employers")}
    assert set(new["affiliation_no"]) <= set(employers)
    assert all(employers[a][1].startswith("2026-11") and employers[a][2] == "ACTIVE"
               for a in new["affiliation_no"])

    # changes of address, phone and status of existing employers
    old = {r[0]: r for r in before["employers"]}
    now = {r[0]: r for r in _rows(url, "SELECT * FROM employers")}
    changed = [a for a in old if now[a] != old[a]]
    assert any(now[a][8] != old[a][8] for a in changed), "no address changed"
    assert any(now[a][10] != old[a][10] for a in changed), "no phone changed"
    assert {now[a][15] for a in changed} >= {"CEASED", "LIQUIDATION"}
    assert len(changed) == month.updated["employers"]
    liquidations = _rows(url, "SELECT opened_on FROM legal_proceedings WHERE proceeding_id LIKE 'LPA%'")
    assert len(liquidations) == sum(now[a][15] == "LIQUIDATION" and old[a][15] == "ACTIVE" for a in old) > 0

    # every row the month inserted or changed, and only those, is stamped inside the month
    for table in TABLES:
        after = set(_rows(url, f"SELECT * FROM {table}"))
        stamp = [c[1] for c in _rows(url, f"PRAGMA table_info({table})")].index("updated_at")
        fresh_rows = after - before[table]
        assert all(_in_nov(r[stamp]) for r in fresh_rows), table
        assert all(not _in_nov(r[stamp]) for r in after & before[table]), table
        assert len(fresh_rows) == month.changed(table), table


def test_titles_follow_the_surcharges_they_carry(settings: Settings, seeded: Path, tmp_path: Path) -> None:
    url, truth_dir = _copy(seeded, tmp_path / "a")
    advance_source(settings, "2026-12", url=url, truth_dir=truth_dir)
    mismatched = _rows(url, """
        SELECT t.title_id FROM titles t
        JOIN (SELECT title_id, SUM(amount_centimes) AS total FROM receivables
              WHERE title_id IS NOT NULL GROUP BY title_id) r ON r.title_id = t.title_id
        WHERE t.amount_centimes <> r.total""")
    assert mismatched == []
    assert _rows(url, "SELECT COUNT(*) FROM titles WHERE updated_at > ?", (NOV[0],))[0][0] > 0


# ------------------------------------------------------------------- idempotent, deterministic, safe


def test_advancing_again_to_a_month_reached_changes_nothing(
    settings: Settings, seeded: Path, tmp_path: Path
) -> None:
    url, truth_dir = _copy(seeded, tmp_path / "a")
    first = advance_source(settings, "2026-12", url=url, truth_dir=truth_dir)
    assert [m.month for m in first.months] == ["2026-11", "2026-12"]
    digests = _digests(url, truth_dir)
    for month in ("2026-12", "2026-11", "2026-10"):
        again = advance_source(settings, month, url=url, truth_dir=truth_dir)
        assert again.skipped and "nothing to advance" in again.summary()
    assert _digests(url, truth_dir) == digests
    assert _rows(url, "SELECT month FROM source_clock ORDER BY month") == [("2026-11",), ("2026-12",)]


def test_sources_seeded_and_advanced_alike_are_equal_row_for_row(
    settings: Settings, seeded: Path, tmp_path: Path
) -> None:
    url_a, truth_a = _copy(seeded, tmp_path / "a")
    db_b = tmp_path / "b" / "source.db"
    seed_source(settings, scale=N, seed=SEED, url=f"sqlite:///{db_b}", truth_dir=tmp_path / "b" / "truth",
                progress=False)
    advance_source(settings, "2026-12", url=url_a, truth_dir=truth_a)
    advance_source(settings, "2026-12", url=f"sqlite:///{db_b}", truth_dir=tmp_path / "b" / "truth")
    assert _digests(url_a, truth_a) == _digests(f"sqlite:///{db_b}", tmp_path / "b" / "truth")


def test_two_months_at_once_equal_one_then_the_other(
    settings: Settings, seeded: Path, tmp_path: Path
) -> None:
    url_a, truth_a = _copy(seeded, tmp_path / "a")
    url_b, truth_b = _copy(seeded, tmp_path / "b")
    advance_source(settings, "2027-01", url=url_a, truth_dir=truth_a)
    for month in ("2026-11", "2026-12", "2027-01"):
        advance_source(settings, month, url=url_b, truth_dir=truth_b)
    assert _digests(url_a, truth_a) == _digests(url_b, truth_b)


def test_what_the_simulator_wrote_does_not_change_the_draws(
    settings: Settings, seeded: Path, tmp_path: Path
) -> None:
    url_a, truth_a = _copy(seeded, tmp_path / "a")
    url_b, truth_b = _copy(seeded, tmp_path / "b")
    # an agency-collected payment settling a debtor's open period, as simulate-agencies writes one
    aff, period, due = _rows(url_b, "SELECT affiliation_no, period, SUM(amount_centimes) FROM receivables "
                                    "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1")[0]
    conn = sqlite3.connect(tmp_path / "b" / "source.db")
    with conn:
        conn.execute("INSERT INTO ledger_payments VALUES (?, 'Q202611-S1', ?, '2026-11-05', ?, ?, 'PAYMENT', "
                     "NULL, 'BANK_TRANSFER', NULL, '2026-11-05 10:00:00', '2026-11-05 10:00:00')",
                     (LEDGER_ID_BASE + 1, aff, due, period))
    conn.close()
    advance_source(settings, "2026-12", url=url_a, truth_dir=truth_a)
    advance_source(settings, "2026-12", url=url_b, truth_dir=truth_b)
    conn = sqlite3.connect(tmp_path / "b" / "source.db")
    with conn:
        conn.execute("DELETE FROM ledger_payments WHERE payment_id = ?", (LEDGER_ID_BASE + 1,))
    conn.close()
    assert _digests(url_a, truth_a) == _digests(url_b, truth_b)


def test_a_killed_month_leaves_the_previous_state_and_runs_again(
    settings: Settings, seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url_a, truth_a = _copy(seeded, tmp_path / "a")
    url_b, truth_b = _copy(seeded, tmp_path / "b")
    advance_source(settings, "2026-11", url=url_b, truth_dir=truth_b)
    after_nov = _digests(url_b, truth_b)
    real_write = adv._write_truth

    def killed(*args: Any) -> Any:  # the month's rows are written, its truth too; the commit never comes
        real_write(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(adv, "_write_truth", killed)
    with pytest.raises(KeyboardInterrupt):
        advance_source(settings, "2026-12", url=url_b, truth_dir=truth_b)
    monkeypatch.setattr(adv, "_write_truth", real_write)
    now = _digests(url_b, truth_b)
    assert {t: now[t] for t in TABLES} == {t: after_nov[t] for t in TABLES}
    assert _rows(url_b, "SELECT month FROM source_clock") == [("2026-11",)]
    advance_source(settings, "2026-12", url=url_b, truth_dir=truth_b)
    advance_source(settings, "2026-12", url=url_a, truth_dir=truth_a)
    assert _digests(url_a, truth_a) == _digests(url_b, truth_b)


def test_a_re_seed_starts_the_clock_again(settings: Settings, seeded: Path, tmp_path: Path) -> None:
    url, truth_dir = _copy(seeded, tmp_path / "a")
    advance_source(settings, "2026-11", url=url, truth_dir=truth_dir)
    seed_source(settings, scale=N, seed=SEED, url=url, truth_dir=truth_dir, progress=False, force=True)
    assert _digests(url, truth_dir) == _digests(*_copy(seeded, tmp_path / "b"))
    report = advance_source(settings, "2026-11", url=url, truth_dir=truth_dir)
    assert [m.month for m in report.months] == ["2026-11"]


def test_bad_months_are_refused(settings: Settings, seeded: Path, tmp_path: Path) -> None:
    url, truth_dir = _copy(seeded, tmp_path / "a")
    for bad in ("2026-13", "2026/11", "november"):
        with pytest.raises(ConfigError, match="YYYY-MM"):
            advance_source(settings, bad, url=url, truth_dir=truth_dir)
    with pytest.raises(ConfigError, match="at most"):
        advance_source(settings, "2040-01", url=url, truth_dir=truth_dir)
    with pytest.raises(ConfigError, match="no finished seed"):
        advance_source(settings, "2026-11", url=f"sqlite:///{tmp_path / 'empty.db'}", truth_dir=truth_dir)


# ---------------------------------------------------------------------------------- extraction


def test_the_incremental_extraction_takes_exactly_the_months_changes(
    settings: Settings, seeded: Path, tmp_path: Path
) -> None:
    url, truth_dir = _copy(seeded, tmp_path / "a")
    lake = tmp_path / "lake"
    for table in LAKE_TABLES:  # the seed, as the extraction of 2026-11-01 took it (a full load)
        publish(lake, extract_table(url, lake, table, dt.date(2026, 11, 1), dt.datetime(2026, 11, 1), "r1"))
    report = advance_source(settings, "2026-11", url=url, truth_dir=truth_dir)
    month = report.months[0]
    taken = {t: extract_table(url, lake, t, dt.date(2026, 12, 1), dt.datetime(2026, 12, 1), "r2")
             for t in LAKE_TABLES}
    assert {t: s.low for t, s in taken.items()} == dict.fromkeys(LAKE_TABLES, "2026-11-01 00:00:00.000000")
    assert {t: s.rows for t, s in taken.items()} == {t: month.changed(t) for t in LAKE_TABLES}
    assert all(taken[t].rows > 0 for t in ("employers", "declarations", "receivables", "ledger_payments"))


def test_the_seed_command_advances(settings: Settings, seeded: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOUVRA__SEED__END_MONTH", "2026-10")  # the history of the seeded fixture
    url, truth_dir = _copy(seeded, tmp_path / "a")
    args = ["seed", "--scale", str(N), "--seed", str(SEED), "--url", url, "--truth-dir", str(truth_dir),
            "--quiet", "--advance-to", "2026-12"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "already seeded" in out and "advanced" in out and "2026-11:" in out and "2026-12:" in out
    assert _rows(url, "SELECT month FROM source_clock ORDER BY month") == [("2026-11",), ("2026-12",)]
    assert cli.main(args) == 0
    assert "nothing to advance" in capsys.readouterr().out


def test_advance_alone_never_reseeds_at_the_default_scale(seeded: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`seed --advance-to` without --scale on a source of another size advances it as seeded: before,
    the default scale S re-seeded a 300-employer (or an M) source from scratch first."""
    monkeypatch.setenv("RECOUVRA__SEED__END_MONTH", "2026-10")  # the history of the seeded fixture
    url, truth_dir = _copy(seeded, tmp_path / "a")
    before = _rows(url, "SELECT count(*) FROM employers")[0][0]
    args = ["seed", "--url", url, "--truth-dir", str(truth_dir), "--quiet", "--advance-to", "2026-11"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "seeded" not in out.split("advanced")[0], out
    assert _rows(url, "SELECT n_employers FROM seed_runs") == [(N,)]
    assert before <= _rows(url, "SELECT count(*) FROM employers")[0][0] < 5_000
    assert _rows(url, "SELECT month FROM source_clock ORDER BY month") == [("2026-11",)]


def test_advancing_a_seed_of_another_history_window_is_refused_and_seeding_again_redraws_it(
    settings: Settings, seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """The seeded fixture's history ends with October 2026; the shipped configuration's with June 2026.
    Advancing it under the shipped window would draw months it already holds: refused, naming both
    windows; `recouvra seed` then re-seeds (the seed kept only when its window is the configured one)."""
    url, truth_dir = _copy(seeded, tmp_path / "a")
    june = settings.model_copy(update={"seed": settings.seed.model_copy(update={"end_month": "2026-06"})})
    with pytest.raises(ConfigError, match=r"seeded with history .*2026-10.* configuration states .*2026-06"):
        advance_source(june, "2026-07", url=url, truth_dir=truth_dir)
    assert _rows(url, "SELECT max(period) FROM declarations") == [("2026-10",)]  # nothing drawn
    report = seed_source(june, scale=N, seed=SEED, url=url, truth_dir=truth_dir, progress=False)
    assert not report.skipped
    assert _rows(url, "SELECT max(period) FROM declarations") == [("2026-06",)]
    again = seed_source(june, scale=N, seed=SEED, url=url, truth_dir=truth_dir, progress=False)
    assert again.skipped
