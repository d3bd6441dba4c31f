"""The money side of one chunk: declarations, receivables (principal, surcharge, penalty lines), titles,
ledger payments and reversals, payment plans, legal proceedings and disputes.

Everything is vectorised over the rows of the chunk. Money is integer centimes (int64) end to end;
rates are turned into integer parts per million once, so that every amount is an exact integer
computation rounded half up: no binary float ever touches an amount.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from recouvra.errors import ConfigError
from recouvra.standins.generator.timeline import (
    NULL_DAY,
    Timeline,
    day_of_month,
    month_index,
    month_of_day,
    month_start,
    month_start_days,
)

if TYPE_CHECKING:
    from recouvra.config import Rates
    from recouvra.standins.generator.identity import EmployerChunk

PPM = 1_000_000
TABLE_YEARS = 12  # rate tables cover this many years before the end month (old arrears are younger)

# Behaviour shares of late periods and their payment (docs/synthetic-data.md).
DEBTOR_RUN_P = 0.09  # unpaid run at the end of a debtor's history: 1 + geometric(p) months
SCATTERED_LATE_DEBTOR = 0.20
SCATTERED_LATE_SETTLED = 0.40
RUN_PARTIAL_SHARE = 0.25
SPLIT_PAYMENT_SHARE = 0.20
CHANNELS = ("BANK_TRANSFER", "CHEQUE", "FUND_COUNTER", "ONLINE")
CHANNEL_P = (0.40, 0.25, 0.15, 0.20)
REVERSAL_P = (0.006, 0.05, 0.0, 0.002)  # bounced cheques mostly: about 1.5% of payments
TITLE_SHARE = 0.75  # of debtors whose oldest unpaid month is due more than 120 days before as-of
FORMAL_DEMAND_SHARE = 0.60
OLD_FORMAL_DEMAND_SHARE = 0.70
PLAN_SHARE = 0.10
PLAN_STATUS_P = (0.27, 0.20, 0.53)  # ACTIVE, HONOURED, BROKEN (53% not honoured, Le360 2019)
FORCED_RECOVERY_SHARE = 0.06  # of titles with a formal demand
DISPUTE_SHARE = 0.04


def _ppm(value: Decimal) -> int:
    scaled = value * PPM
    if scaled != scaled.to_integral_value():
        raise ConfigError(f"rate {value} has more than 6 decimals; the generator needs parts per million")
    return int(scaled)


def _centimes(value: Decimal) -> int:
    return int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))


def _round_div(numer: np.ndarray, denom: int) -> np.ndarray:
    """Integer division rounded half up, for non-negative numerators."""
    return (numer + denom // 2) // denom


@dataclass
class RateTables:
    """The effective-dated rates of the configuration, as integer arrays indexed by month.

    ``branch_ppm[b, t]`` is branch b's employer plus employee rate in force on the first of month
    ``first_month + t`` and ``branch_ceiling[b, t]`` its monthly salary ceiling in centimes (-1: none).
    ``surcharge_first[t]`` and ``surcharge_further[t]`` are the rates of a month of lateness that starts
    in month t (on the day after the due day), and ``further_cum`` their running sum.
    """

    first_month: int
    branch_ppm: np.ndarray
    branch_ceiling: np.ndarray
    surcharge_first: np.ndarray
    surcharge_further: np.ndarray
    further_cum: np.ndarray
    fee_ppm: np.ndarray
    fine_per_employee: np.ndarray
    fine_cap: np.ndarray

    @classmethod
    def build(cls, rates: Rates, timeline: Timeline) -> RateTables:
        first_month = timeline.end_month - 12 * TABLE_YEARS
        months = range(first_month, timeline.end_month + 3)
        branches = list(dict.fromkeys(r.branch for r in rates.contributions))
        ppm = np.zeros((len(branches), len(months)), dtype=np.int64)
        ceiling = np.full((len(branches), len(months)), -1, dtype=np.int64)
        first = np.zeros(len(months), dtype=np.int64)
        further = np.zeros(len(months), dtype=np.int64)
        fee = np.zeros(len(months), dtype=np.int64)
        fine = np.zeros(len(months), dtype=np.int64)
        cap = np.zeros(len(months), dtype=np.int64)
        for t, m in enumerate(months):
            day1 = month_start(m)
            for row in rates.contributions_on(day1):
                b = branches.index(row.branch)
                ppm[b, t] = _ppm(row.employer) + _ppm(row.employee)
                ceiling[b, t] = -1 if row.ceiling is None else _centimes(row.ceiling)
            lateness_start = day1 + dt.timedelta(days=timeline.due_day)  # the day after the due day
            try:
                s = rates.surcharge_on(lateness_start)
                first[t], further[t] = _ppm(s.first_month), _ppm(s.further_month)
                p = rates.penalty_on(day1)
                fee[t] = _ppm(p.formal_demand_fee)
                fine[t], cap[t] = _centimes(p.damancom_fine_per_employee), _centimes(p.damancom_fine_cap)
            except LookupError:  # no rate in force yet that far back: nothing accrues
                pass
        return cls(first_month, ppm, ceiling, first, further, np.cumsum(further), fee, fine, cap)

    def principal(self, periods: np.ndarray, headcount: np.ndarray, payroll: np.ndarray) -> np.ndarray:
        """Contributions due for a month: every branch's rate times the declared payroll, the payroll
        being capped per employee (headcount × min(average salary, ceiling)) on branches with a ceiling."""
        t = periods - self.first_month
        avg = payroll // np.maximum(headcount, 1)
        numer = np.zeros(len(periods), dtype=np.int64)
        for b in range(self.branch_ppm.shape[0]):
            ceil = self.branch_ceiling[b, t]
            base = np.where(ceil < 0, payroll, headcount * np.minimum(avg, np.where(ceil < 0, 0, ceil)))
            numer += self.branch_ppm[b, t] * base
        return _round_div(numer, PPM)

    def surcharge_ppm(self, periods: np.ndarray, end_days: np.ndarray, due_day: int) -> np.ndarray:
        """Cumulative surcharge rate (ppm) of a period unpaid from its due date to ``end_days``: the
        first-month rate, then the further-month rate in force at the start of each further month of
        lateness. A month of lateness starts the day after the due day and counts once started."""
        d = periods + 1  # month of the due date
        n = month_of_day(end_days) - d + (day_of_month(end_days) > due_day)
        n = np.maximum(n, 0)
        td = d - self.first_month
        last = np.clip(td + n - 1, 0, len(self.further_cum) - 1)
        rate = self.surcharge_first[td] + self.further_cum[last] - self.further_cum[td]
        return np.where(n > 0, rate, 0)


def surcharge_centimes(
    rates: Rates, period: str, principal_centimes: int, end: dt.date, due_day: int = 10
) -> int:
    """Surcharge of one period, computed the slow, obvious way (used by tests as a reference): 3% for
    the first month late, then the further-month rate in force at the start of each further month."""
    y, m = map(int, period.split("-"))
    due = dt.date(y + (m == 12), m % 12 + 1, due_day)
    total = Decimal(0)
    k = 0
    while True:
        mi = month_index(due.year, due.month) + k
        start = dt.date(mi // 12, mi % 12 + 1, due_day) + dt.timedelta(days=1)
        if start > end:
            break
        row = rates.surcharge_on(start)
        total += row.first_month if k == 0 else row.further_month
        k += 1
    return int((principal_centimes * total).to_integral_value(rounding=ROUND_HALF_UP))


def _explode(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of sizes ``counts``: the group of each row and the row's position in its group."""
    group = np.repeat(np.arange(len(counts)), counts)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return group, np.arange(int(counts.sum())) - np.repeat(starts, counts)


def _group_min(keys: np.ndarray, values: np.ndarray, size: int, empty: int) -> np.ndarray:
    out = np.full(size, empty, dtype=np.int64)
    np.minimum.at(out, keys, values)
    return out


Table = dict[str, Any]


def generate_ledger(
    rng: np.random.Generator, emp: EmployerChunk, tables: RateTables, timeline: Timeline, chunk_index: int,
) -> dict[str, Table]:
    """All money tables of a chunk, as column lists keyed by table then column name."""
    tl = timeline
    n = emp.n
    aff = np.array(emp.columns["affiliation_no"], dtype=object)
    end_m, start_m, as_of = tl.end_month, tl.start_month, tl.as_of_day
    id_base = chunk_index * 100_000_000 + 1  # ids start at 1

    # ----------------------------------------------------------------------------- declarations
    delinquent = emp.behaviour > 0
    lo = np.maximum(emp.active_from, np.where(delinquent, start_m, end_m - 5))
    hi = np.minimum(emp.active_to, end_m)
    counts = np.maximum(hi - lo + 1, 0)
    d_rec, d_pos = _explode(counts)
    d_m = lo[d_rec] + d_pos
    nd = len(d_rec)
    d_head = np.maximum(1, np.round(emp.headcount[d_rec] * rng.lognormal(0.0, 0.08, nd))).astype(np.int64)
    d_payroll = (d_head * emp.salary_centimes[d_rec] * rng.uniform(0.97, 1.03, nd)).astype(np.int64)
    d_counter = emp.counter_declarant[d_rec] & (rng.random(nd) < 0.7)
    d_declared = month_start_days(d_m + 1) + rng.integers(0, 14, nd) + np.where(
        delinquent[d_rec] & (rng.random(nd) < 0.2), rng.integers(10, 60, nd), 0)
    d_declared = np.minimum(d_declared, as_of)
    declarations: Table = {
        "declaration_id": (id_base + np.arange(nd)).tolist(),
        "affiliation_no": aff[d_rec].tolist(),
        "period": tl.periods(d_m),
        "headcount": d_head.tolist(),
        "payroll_centimes": d_payroll.tolist(),
        "declared_on": tl.dates(d_declared),
        "channel": np.where(d_counter, "COUNTER", "DAMANCOM").astype(object).tolist(),
        "updated_at": tl.timestamps(d_declared, rng.integers(28_800, 72_000, nd)),
    }

    # ----------------------------------------------------------------------------- late periods
    last_due = np.minimum(hi, end_m - 1)
    run_len = rng.geometric(DEBTOR_RUN_P, n)
    pos = last_due[d_rec] - d_m
    due_ok = pos >= 0
    in_run = due_ok & (emp.behaviour[d_rec] == 2) & (pos < run_len[d_rec])
    scatter_p = np.where(emp.behaviour[d_rec] == 2, SCATTERED_LATE_DEBTOR,
                         np.where(emp.behaviour[d_rec] == 1, SCATTERED_LATE_SETTLED, 0.0))
    scattered = due_ok & ~in_run & (rng.random(nd) < scatter_p)
    late = in_run | scattered
    u = rng.random(nd)
    # 0 settled (paid in full, late), 1 partially paid, 2 unpaid
    d_status = np.where(in_run, np.where((pos == 0) | (u >= RUN_PARTIAL_SHARE), 2, 1),
                        np.where(emp.behaviour[d_rec] == 2,
                                 np.where(u < 0.92, 0, np.where(u < 0.96, 1, 2)), 0))
    # old arrears: months before the window, no declaration kept in the source, under an old title
    o_rec, o_pos = _explode(emp.old_arrears_len)
    o_m = emp.old_arrears_end[o_rec] - (emp.old_arrears_len[o_rec] - 1) + o_pos
    no = len(o_rec)
    li = np.flatnonzero(late)
    rec = np.concatenate((d_rec[li], o_rec))
    per = np.concatenate((d_m[li], o_m))
    head = np.concatenate((d_head[li], emp.headcount[o_rec]))
    payroll = np.concatenate((d_payroll[li], emp.headcount[o_rec] * emp.salary_centimes[o_rec]))
    counter = np.concatenate((d_counter[li], np.zeros(no, dtype=bool)))
    status = np.concatenate((d_status[li], np.where(rng.random(no) < 0.8, 2, 1)))
    is_old = np.concatenate((np.zeros(len(li), dtype=bool), np.ones(no, dtype=bool)))
    nl = len(rec)
    due = tl.due_days(per)
    principal = tables.principal(per, head, payroll)
    tp = per + 1 - tables.first_month
    fine = np.where(counter, np.minimum(tables.fine_per_employee[tp] * head, tables.fine_cap[tp]), 0)

    # ------------------------------------------------------------------------------- payments
    lateness = (rng.geometric(0.45, nl) - 1) * 30 + rng.integers(0, 30, nl)
    pay_day = np.where(status == 0, np.minimum(due + 1 + lateness, as_of),
                       due + 1 + (rng.random(nl) * np.maximum(as_of - due - 1, 1)).astype(np.int64))
    sur_pay = _round_div(principal * tables.surcharge_ppm(per, pay_day, tl.due_day), PPM)
    sur_asof = _round_div(principal * tables.surcharge_ppm(per, np.full(nl, as_of), tl.due_day), PPM)
    n_pay = np.where(status == 0, np.where(rng.random(nl) < SPLIT_PAYMENT_SHARE, 2, 1),
                     np.where(status == 1, 1, 0))
    p_row, p_pos = _explode(n_pay)
    npay = len(p_row)
    settle_total = principal + sur_pay + fine
    partial_amt = np.maximum(1, ((principal + sur_asof + fine) * rng.uniform(0.1, 0.9, nl)).astype(np.int64))
    first_part = (settle_total * rng.uniform(0.3, 0.7, nl)).astype(np.int64)
    second_part = settle_total - first_part
    p_amount = np.where(status[p_row] == 1, partial_amt[p_row],
                        np.where(n_pay[p_row] == 1, settle_total[p_row],
                                 np.where(p_pos == 0, first_part[p_row], second_part[p_row])))
    early = due + 1 + (rng.random(nl) * np.maximum(pay_day - due - 1, 0)).astype(np.int64)
    p_day = np.where((n_pay[p_row] == 2) & (p_pos == 0), early[p_row], pay_day[p_row])
    p_channel = rng.choice(len(CHANNELS), size=npay, p=CHANNEL_P)
    p_reversed = rng.random(npay) < np.array(REVERSAL_P)[p_channel]
    reversed_amt = np.zeros(nl, dtype=np.int64)
    np.add.at(reversed_amt, p_row, np.where(p_reversed, p_amount, 0))
    paid = np.zeros(nl, dtype=np.int64)
    np.add.at(paid, p_row, p_amount)
    net = paid - reversed_amt
    # a reversed settlement leaves the month unpaid (or partly): its surcharge runs to the as-of date
    settled = (status == 0) & (reversed_amt == 0)
    final_status = np.where(settled, 0, np.where(net > 0, 1, 2))
    surcharge = np.where(settled, sur_pay, sur_asof)
    sur_end = np.where(settled, pay_day, as_of)

    # --------------------------------------------------------------------------------- titles
    open_row = (final_status > 0) & ~is_old
    big = np.iinfo(np.int64).max
    d0 = _group_min(rec[open_row], due[open_row], n, big)
    eligible = (d0 < as_of - 120) & (rng.random(n) < TITLE_SHARE)
    span = np.clip(as_of - d0 - 100, 1, 270)
    issued = np.where(eligible, d0 + 90 + (rng.random(n) * span).astype(np.int64), NULL_DAY)
    notified = np.where(eligible, issued + rng.integers(7, 60, n), NULL_DAY)
    notified = np.where(notified >= as_of, NULL_DAY, notified)
    formal = np.where((notified != NULL_DAY) & (rng.random(n) < FORMAL_DEMAND_SHARE),
                      notified + rng.integers(50, 120, n), NULL_DAY)
    formal = np.where(formal > as_of, NULL_DAY, formal)
    has_old = emp.old_arrears_len > 0
    o_notified = emp.old_notified_day
    o_issued = np.where(has_old, o_notified - rng.integers(7, 60, n), NULL_DAY)
    o_formal = np.where(has_old & (rng.random(n) < OLD_FORMAL_DEMAND_SHARE),
                        o_notified + rng.integers(50, 120, n), NULL_DAY)
    # title index: recent titles 0..n-1 by record, old titles n..2n-1, then compacted
    t_rec = np.concatenate((np.arange(n), np.arange(n)))
    t_issued = np.concatenate((issued, o_issued))
    t_notified = np.concatenate((notified, np.where(has_old, o_notified, NULL_DAY)))
    t_formal = np.concatenate((formal, o_formal))
    row_title = np.where(is_old, rec + n,
                         np.where(open_row & (issued[rec] != NULL_DAY) & (due <= issued[rec] - 30), rec, -1))
    keep = np.flatnonzero(t_issued != NULL_DAY)
    remap = np.full(2 * n, -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    row_title = np.where(row_title >= 0, remap[np.maximum(row_title, 0)], -1)
    nt = len(keep)
    t_rec, t_issued, t_notified, t_formal = t_rec[keep], t_issued[keep], t_notified[keep], t_formal[keep]
    title_ids = np.array([f"T{chunk_index:04d}{k:06d}" for k in range(nt)], dtype=object)

    row_formal = np.where(row_title >= 0, t_formal[np.maximum(row_title, 0)], NULL_DAY)
    fee_t = month_of_day(np.where(row_formal == NULL_DAY, as_of, row_formal)) - tables.first_month
    fee = np.where(row_formal != NULL_DAY,
                   _round_div((principal + surcharge) * tables.fee_ppm[fee_t], PPM), 0)

    # ----------------------------------------------------------------------------- receivables
    # lines: 0 principal, 1 surcharge, 2 Damancom fine, 3 formal-demand fee; grouped by period
    line_amount = np.stack((principal, surcharge, fine, fee))
    present = line_amount > 0
    present[0] = True
    l_kind, l_row = np.nonzero(present)
    order = np.lexsort((l_kind, l_row))
    l_kind, l_row = l_kind[order], l_row[order]
    nr = len(l_row)
    l_amount = line_amount[l_kind, l_row]
    # established a few days after the due date, and at the latest when it is paid
    est_principal = np.maximum(np.minimum(due + 1 + rng.integers(0, 15, nl), sur_end), due + 1)
    l_est = np.select([l_kind == 1, l_kind == 3], [sur_end[l_row], row_formal[l_row]], est_principal[l_row])
    l_title = row_title[l_row]
    l_upd = np.where(l_title >= 0, np.maximum(l_est, t_issued[np.maximum(l_title, 0)]), l_est)
    title_amount = np.zeros(nt, dtype=np.int64)
    np.add.at(title_amount, l_title[l_title >= 0], l_amount[l_title >= 0])
    receivables: Table = {
        "receivable_id": (id_base + np.arange(nr)).tolist(),
        "affiliation_no": aff[rec[l_row]].tolist(),
        "period": tl.periods(per[l_row]),
        "kind": np.array(["PRINCIPAL", "SURCHARGE", "PENALTY", "PENALTY"], dtype=object)[l_kind].tolist(),
        "basis": np.array(["CONTRIBUTIONS", "LATE_PAYMENT", "DAMANCOM_FINE", "FORMAL_DEMAND_FEE"],
                          dtype=object)[l_kind].tolist(),
        "amount_centimes": l_amount.tolist(),
        "established_on": tl.dates(l_est),
        "title_id": [title_ids[t] if t >= 0 else None for t in l_title.tolist()],
        "updated_at": tl.timestamps(np.minimum(l_upd, as_of), rng.integers(0, 86400, nr)),
    }
    t_partial = np.zeros(nt, dtype=bool)
    tr = row_title >= 0
    t_partial[row_title[tr & (final_status == 1)]] = True
    t_status = np.where(t_partial, "PARTIALLY_PAID", np.where(t_notified != NULL_DAY, "NOTIFIED", "ISSUED"))
    t_upd = np.maximum.reduce([t_issued, t_notified, t_formal])
    titles: Table = {
        "title_id": title_ids.tolist(),
        "affiliation_no": aff[t_rec].tolist(),
        "issued_on": tl.dates(t_issued),
        "notified_on": tl.dates(t_notified),
        "formal_demand_on": tl.dates(t_formal),
        "amount_centimes": title_amount.tolist(),
        "status": t_status.astype(object).tolist(),
        "updated_at": tl.timestamps(t_upd, rng.integers(28_800, 64_800, nt)),
    }

    # ------------------------------------------------------------------------ ledger payments
    order = np.lexsort((p_day, p_row))
    p_row, p_day, p_amount, p_channel, p_reversed = (
        p_row[order], p_day[order], p_amount[order], p_channel[order], p_reversed[order])
    pay_ids = id_base + np.arange(npay)
    r_idx = np.flatnonzero(p_reversed)
    nrev = len(r_idx)
    r_day = np.minimum(p_day[r_idx] + rng.integers(3, 21, nrev), as_of)
    all_row = np.concatenate((p_row, p_row[r_idx]))
    all_day = np.concatenate((p_day, r_day))
    all_ids = np.concatenate((pay_ids, id_base + npay + np.arange(nrev)))
    all_amount = np.concatenate((p_amount, -p_amount[r_idx]))
    all_kind = np.concatenate((np.zeros(npay, dtype=np.int64), np.ones(nrev, dtype=np.int64)))
    all_rev = np.concatenate((np.full(npay, -1, dtype=np.int64), pay_ids[r_idx]))
    all_channel = np.concatenate((p_channel, p_channel[r_idx]))
    recorded = np.minimum(all_day + rng.integers(0, 3, len(all_day)), as_of)
    rec_secs = rng.integers(28_800, 72_000, len(all_day))
    recorded_ts = tl.timestamps(recorded, rec_secs)
    day_txt = [str(d) for d in tl.dates(all_day)]
    ledger_payments: Table = {
        "payment_id": all_ids.tolist(),
        "receipt_no": [f"Q{d[:4]}{d[5:7]}-{i % 100_000_000_000:011d}"
                       for d, i in zip(day_txt, all_ids.tolist(), strict=True)],
        "affiliation_no": aff[rec[all_row]].tolist(),
        "payment_date": day_txt,
        "amount_centimes": all_amount.tolist(),
        "settles_period": tl.periods(per[all_row]),
        "kind": np.where(all_kind == 1, "REVERSAL", "PAYMENT").astype(object).tolist(),
        "reverses_payment_id": [None if r < 0 else r for r in all_rev.tolist()],
        "channel": np.array(CHANNELS, dtype=object)[all_channel].tolist(),
        "recorded_at": recorded_ts,
        "updated_at": recorded_ts,
    }

    # ------------------------------------------------------------------------- payment plans
    due_final = principal + surcharge + fine + fee
    unpaid_left = np.zeros(n, dtype=np.int64)
    np.add.at(unpaid_left, rec[open_row], (due_final - np.maximum(net, 0))[open_row])
    cand = (unpaid_left > 0) & (emp.behaviour == 2) & (rng.random(n) < PLAN_SHARE)
    pr = np.flatnonzero(cand)
    npl = len(pr)
    inst = rng.integers(3, 25, npl)
    pst = rng.choice(3, size=npl, p=PLAN_STATUS_P)  # 0 ACTIVE, 1 HONOURED, 2 BROKEN
    signed = np.select(
        [pst == 1, pst == 2],
        [as_of - inst * 30 - rng.integers(5, 120, npl), as_of - rng.integers(65, 540, npl)],
        as_of - (rng.random(npl) * (inst * 30 - 10)).astype(np.int64) - 5,
    )
    signed = np.maximum(signed, np.minimum(d0[pr], as_of - 5) + 15)
    signed = np.minimum(signed, as_of - 1)
    pst = np.where((pst == 1) & (signed + inst * 30 > as_of), 0, pst)
    pst = np.where((pst == 2) & (signed + 60 > as_of), 0, pst)
    total = np.maximum(inst, (unpaid_left[pr] * rng.uniform(0.5, 1.0, npl)).astype(np.int64))
    i_plan, i_pos = _explode(inst)
    ni = len(i_plan)
    i_seq = i_pos + 1
    i_due = signed[i_plan] + 30 * i_seq
    base_amt = total // inst
    i_amount = np.where(i_seq == inst[i_plan], total[i_plan] - base_amt[i_plan] * (inst[i_plan] - 1),
                        base_amt[i_plan])
    past_count = np.clip((as_of - signed) // 30, 0, inst)
    kept = np.where(pst == 2, (rng.random(npl) * np.maximum(past_count - 1, 0)).astype(np.int64),
                    past_count)
    i_paid = np.where(i_seq <= kept[i_plan], i_due - rng.integers(0, 6, ni), NULL_DAY)
    i_paid = np.where(i_paid > as_of, as_of, i_paid)
    plan_ids = np.array([f"P{chunk_index:04d}{k:06d}" for k in range(npl)], dtype=object)
    last_paid = np.full(npl, NULL_DAY, dtype=np.int64)
    np.maximum.at(last_paid, i_plan, i_paid)
    plan_upd = np.where(pst == 2, signed + (kept + 1) * 30 + 30, np.maximum(last_paid, signed))
    payment_plans: Table = {
        "plan_id": plan_ids.tolist(),
        "affiliation_no": aff[pr].tolist(),
        "signed_on": tl.dates(signed),
        "installments": inst.tolist(),
        "total_centimes": total.tolist(),
        "status": np.array(["ACTIVE", "HONOURED", "BROKEN"], dtype=object)[pst].tolist(),
        "updated_at": tl.timestamps(np.minimum(plan_upd, as_of), rng.integers(28_800, 64_800, npl)),
    }
    plan_installments: Table = {
        "plan_id": plan_ids[i_plan].tolist(),
        "seq": i_seq.tolist(),
        "due_date": tl.dates(i_due),
        "amount_centimes": i_amount.tolist(),
        "paid_on": tl.dates(i_paid),
        "updated_at": tl.timestamps(np.minimum(np.where(i_paid == NULL_DAY, signed[i_plan], i_paid), as_of),
                                    rng.integers(28_800, 64_800, ni)),
    }

    # -------------------------------------------------------------- legal proceedings, disputes
    reg_day = emp.registered_day
    insolv = np.flatnonzero(emp.status >= 3)
    ft = np.flatnonzero((t_formal != NULL_DAY) & (rng.random(nt) < FORCED_RECOVERY_SHARE))
    fr_open = t_formal[ft] + rng.integers(20, 200, len(ft))
    ft, fr_open = ft[fr_open <= as_of], fr_open[fr_open <= as_of]
    lp_rec = np.concatenate((insolv, t_rec[ft]))
    lp_kind = np.concatenate((np.where(emp.status[insolv] == 3, "LIQUIDATION", "RECEIVERSHIP"),
                              np.full(len(ft), "FORCED_RECOVERY")))
    lp_open = np.concatenate((np.maximum(as_of - rng.integers(30, 700, len(insolv)), reg_day[insolv] + 30),
                              fr_open))
    lp_open = np.minimum(lp_open, as_of)
    nlp = len(lp_rec)
    lp_close = np.where(rng.random(nlp) < 0.12, lp_open + rng.integers(60, 400, nlp), NULL_DAY)
    lp_close = np.where(lp_close > as_of, NULL_DAY, lp_close)
    legal_proceedings: Table = {
        "proceeding_id": [f"LP{chunk_index:04d}{k:06d}" for k in range(nlp)],
        "affiliation_no": aff[lp_rec].tolist(),
        "kind": lp_kind.astype(object).tolist(),
        "opened_on": tl.dates(lp_open),
        "closed_on": tl.dates(lp_close),
        "updated_at": tl.timestamps(np.maximum(lp_open, lp_close), rng.integers(28_800, 64_800, nlp)),
    }
    # one disputed month per disputing debtor: its oldest open month
    open_idx = np.flatnonzero(open_row)
    first_open = np.full(n, -1, dtype=np.int64)
    first_open[rec[open_idx[::-1]]] = open_idx[::-1]  # lowest row index wins (rows are in month order)
    dr = np.flatnonzero((first_open >= 0) & (rng.random(n) < DISPUTE_SHARE))
    nds = len(dr)
    drow = first_open[dr]
    ds_open = np.minimum(due[drow] + rng.integers(10, 120, nds), as_of)
    ds_state = rng.choice(3, size=nds, p=(0.5, 0.3, 0.2))
    ds_res = np.where(ds_state > 0, ds_open + rng.integers(15, 180, nds), NULL_DAY)
    ds_state = np.where(ds_res > as_of, 0, ds_state)
    ds_res = np.where(ds_res > as_of, NULL_DAY, ds_res)
    disputes: Table = {
        "dispute_id": [f"DS{chunk_index:04d}{k:06d}" for k in range(nds)],
        "affiliation_no": aff[rec[drow]].tolist(),
        "period": tl.periods(per[drow]),
        "opened_on": tl.dates(ds_open),
        "resolved_on": tl.dates(ds_res),
        "status": np.array(["OPEN", "UPHELD", "CANCELLED"], dtype=object)[ds_state].tolist(),
        "updated_at": tl.timestamps(np.maximum(ds_open, ds_res), rng.integers(28_800, 64_800, nds)),
    }
    return {
        "declarations": declarations,
        "titles": titles,
        "receivables": receivables,
        "ledger_payments": ledger_payments,
        "payment_plans": payment_plans,
        "plan_installments": plan_installments,
        "legal_proceedings": legal_proceedings,
        "disputes": disputes,
    }
