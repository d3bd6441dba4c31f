"""From plans to return files: which records a simulated agency sends on each of its sending days,
the payments' ledger rows, and the rows and files it gets wrong on purpose.

:func:`emit_agency` is pure (no I/O): given the agency's dossiers, what the fund told it (recalls,
payments notices), its :class:`AgencyState` and ``until``, it returns the files to upload, the ledger
rows the fund receives, and the new state. Records already sent are never sent again (except as
an intended duplicate or a correction), so a second run with the same ``until`` sends nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from recouvra.exchange.csvparse import format_rows
from recouvra.exchange.names import return_name
from recouvra.exchange.spec import RETURN_TYPES
from recouvra.standins.simulator.behaviour import plan_dossier
from recouvra.standins.simulator.model import (
    CENT,
    LEDGER_ID_BASE,
    RETURN_TYPE_ORDER,
    DossierFacts,
    DossierPlan,
    LedgerRow,
    Notices,
    OutgoingFile,
    ReturnEvent,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from recouvra.config import AgencyBehaviour

ROW_FAULTS: tuple[str, ...] = ("E010", "E007", "E004", "E005", "E006", "E012", "E001", "E003", "E009", "E008")
FILE_FAULTS: tuple[str, ...] = ("F008", "F003", "F004", "F002", "F001", "F006", "DUPLICATE")
#: File faults after which the agency sends the corrected file under the next SEQ.
CORRECTED_FILE_FAULTS = frozenset({"F008", "F003", "F004", "F002", "F001"})
_AMOUNT_COLUMNS: tuple[str, ...] = ("amount", "total_amount", "promise_amount")
_UNKNOWN_CODES = {
    "action_type": "PHONE_CALL",
    "outcome": "PAYE",
    "field": "TELEPHONE",
    "channel": "VIREMENT",
    "status": "APPROVED",
    "reason": "PAYE_TOTALEMENT",
    "evidence_type": "VIREMENT_ANNONCE",
}


@dataclass
class AgencyState:
    """What a simulated agency remembers between runs (a small JSON file, see :mod:`.state`)."""

    agency: str
    seed: int
    until: dt.date | None = None
    sent: dict[str, list[str]] = field(default_factory=dict)  # record ids sent, by type
    seq: dict[str, int] = field(default_factory=dict)  # last SEQ by "<TYPE>_<YYYYMMDD>"
    reported: dict[str, str] = field(default_factory=dict)  # "<dossier>|<period>" -> amount paid through us
    pending_ledger: list[dict[str, Any]] = field(default_factory=list)  # rows recorded after `until`
    files: dict[str, str] = field(default_factory=dict)  # name -> sha256 of every file sent
    acks: dict[str, str] = field(default_factory=dict)  # ack file -> status read
    lost: list[str] = field(default_factory=list)  # ids only ever sent malformed (never corrected)
    _index: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index = {k: set(v) for k, v in self.sent.items()}

    def was_sent(self, record_type: str, record_id: str) -> bool:
        return record_id in self._index.get(record_type, set())

    def mark_sent(self, record_type: str, record_id: str) -> None:
        if not self.was_sent(record_type, record_id):
            self.sent.setdefault(record_type, []).append(record_id)
            self._index.setdefault(record_type, set()).add(record_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "seed": self.seed,
            "until": self.until.isoformat() if self.until else None,
            "sent": self.sent,
            "seq": self.seq,
            "reported": self.reported,
            "pending_ledger": self.pending_ledger,
            "files": self.files,
            "acks": self.acks,
            "lost": self.lost,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AgencyState:
        until = d.get("until")
        return cls(
            agency=str(d["agency"]),
            seed=int(d["seed"]),
            until=dt.date.fromisoformat(until) if until else None,
            sent={k: list(v) for k, v in dict(d.get("sent", {})).items()},
            seq={k: int(v) for k, v in dict(d.get("seq", {})).items()},
            reported=dict(d.get("reported", {})),
            pending_ledger=list(d.get("pending_ledger", [])),
            files=dict(d.get("files", {})),
            acks=dict(d.get("acks", {})),
            lost=list(d.get("lost", [])),
        )


@dataclass
class EmitResult:
    """One agency's output of a run: files to upload in order, ledger rows due by ``until``, counts."""

    files: list[OutgoingFile] = field(default_factory=list)
    ledger: list[LedgerRow] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)  # valid records sent, by type
    sending_days: list[dt.date] = field(default_factory=list)
    profiles: dict[str, int] = field(default_factory=dict)


def sending_days(start: dt.date, until: dt.date, weekday: int) -> list[dt.date]:
    """The agency's sending days (one weekday) from ``start`` to ``until``, both included."""
    first = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
    out = []
    day = first
    while day <= until:
        out.append(day)
        day += dt.timedelta(days=7)
    return out


def ledger_ids(facts: DossierFacts, seq_in_dossier: int) -> tuple[int, int]:
    """(payment id, reversal id) of a dossier's n-th reported payment: unique, far above the generator's."""
    base = LEDGER_ID_BASE + facts.number * 1000 + seq_in_dossier
    return base, base + 500


def receipt_no(payment_id: int, on: dt.date) -> str:
    """The fund's receipt number of a simulator ledger entry (24 characters, like ``Q202611-...``)."""
    return f"Q{on:%Y%m}-S{payment_id - LEDGER_ID_BASE:015d}"


def settle_payment(
    event: ReturnEvent, facts: DossierFacts, notices: Notices, reported: dict[str, str], send_day: dt.date
) -> tuple[ReturnEvent, list[LedgerRow]] | None:
    """The payment as sent (amount capped by what the month still owes) and its ledger rows.

    None when the month is already paid (by the fund's notices or earlier payments): the debtor does
    not pay twice. The reported amount is never above the ledger's, so never above what is owed.
    """
    pay = event.payment
    assert pay is not None
    key = f"{facts.dossier_id}|{pay.period}"
    due = dict(facts.periods).get(pay.period, Decimal(0))
    owed = (
        due - notices.paid.get((facts.dossier_id, pay.period), Decimal(0)) - Decimal(reported.get(key, "0"))
    )
    amount = min(pay.amount, owed).quantize(CENT)
    if amount <= 0:
        return None
    reported[key] = str(Decimal(reported.get(key, "0")) + amount)
    shown = amount - pay.amount_shortfall if pay.amount_shortfall < amount else amount
    latest = min(send_day, facts.assignment_end, facts.recall_date or facts.assignment_end)
    shown_day = min(max(pay.paid_on + dt.timedelta(days=pay.date_shift_days), facts.assignment_start), latest)
    pid, rid = ledger_ids(facts, event.seq_in_dossier)
    receipt = receipt_no(pid, pay.paid_on)
    cells = (
        ("dossier_id", facts.dossier_id),
        ("payment_id", event.record_id),
        ("payment_date", shown_day.isoformat()),
        ("amount", f"{shown:.2f}"),
        ("channel", pay.channel),
        ("receipt_ref", receipt if pay.with_receipt else ""),
    )
    rows: list[LedgerRow] = []
    if pay.fate != "MISSING":
        centimes = int(amount * 100)
        recorded = dt.datetime.combine(
            pay.paid_on + dt.timedelta(days=pay.recorded_delay_days), dt.time()
        ) + (dt.timedelta(seconds=pay.recorded_second))
        rows.append(
            LedgerRow(
                pid,
                receipt,
                facts.affiliation_no,
                pay.paid_on,
                centimes,
                pay.period,
                "PAYMENT",
                None,
                pay.channel,
                recorded,
                pay.quoted_ref or None,
            )
        )
        if pay.fate == "REVERSED":
            back = pay.paid_on + dt.timedelta(days=pay.reversal_days)
            rows.append(
                LedgerRow(
                    rid,
                    receipt_no(rid, back),
                    facts.affiliation_no,
                    back,
                    -centimes,
                    pay.period,
                    "REVERSAL",
                    pid,
                    pay.channel,
                    dt.datetime.combine(back, dt.time()) + dt.timedelta(seconds=pay.recorded_second),
                )
            )
    return replace(event, cells=cells), rows


def _stop_day(facts: DossierFacts, notices: Notices) -> dt.date:
    """The last day the agency works the dossier: its window end, its recall, the day the fund saw it paid."""
    last = facts.assignment_end
    if facts.recall_date is not None:
        last = min(last, facts.recall_date)
    if facts.dossier_id in notices.fully_paid_on:
        last = min(last, notices.fully_paid_on[facts.dossier_id])
    return last


def _paid_closure(facts: DossierFacts, notices: Notices) -> ReturnEvent | None:
    """A PAID_IN_FULL closure when the fund's notices show the debtor paid everything by other means."""
    day = notices.fully_paid_on.get(facts.dossier_id)
    if day is None or day < facts.assignment_start or day > _stop_day(facts, notices):
        return None
    rid = f"CLO-{facts.dossier_id.replace('-', '')}-F01"
    cells = (
        ("dossier_id", facts.dossier_id),
        ("closure_id", rid),
        ("closure_date", day.isoformat()),
        ("reason", "PAID_IN_FULL"),
        ("comment", "Paiement reçu directement par la CNSS"),
    )
    return ReturnEvent("CLOSURES", rid, day, facts.dossier_id, cells)


#: Evidence an agency about to collect gives, by the debtor's profile (the others do not object).
_EVIDENCE_BY_PROFILE = {"promiser": "PROMISE", "plan": "PLAN_IN_SIGNATURE"}


def objection_event(plan: DossierPlan, facts: DossierFacts, notices: Notices) -> ReturnEvent | None:
    """An objection to the dossier's recall notice when the agency is about to collect: a debtor who
    pays by promises (evidence ``PROMISE``) or whose plan is being signed (``PLAN_IN_SIGNATURE``), still
    owing, objects two days after the notice (by its deadline), for a quarter of what was owed at the
    notice, expected two weeks after the intended recall date (docs/simulator.md)."""
    notice = notices.recall_notices.get(facts.dossier_id)
    kind = _EVIDENCE_BY_PROFILE.get(plan.profile)
    if notice is None or kind is None or notice[3] <= 0:
        return None
    told_on, intended, deadline, owed = notice
    day = min(told_on + dt.timedelta(days=2), deadline)
    if day > _stop_day(facts, notices):
        return None
    rid = f"OBJ-{facts.dossier_id.replace('-', '')}-01"
    amount = max((owed / 4).quantize(Decimal("0.01")), Decimal("0.01"))
    cells = (
        ("dossier_id", facts.dossier_id),
        ("objection_id", rid),
        ("objection_date", day.isoformat()),
        ("evidence_type", kind),
        ("evidence_ref", f"{kind[:3]}-{facts.dossier_id[-6:]}"),
        ("evidence_amount", f"{amount:.2f}"),
        ("evidence_date", (intended + dt.timedelta(days=14)).isoformat()),
        ("comment", "Engagement de règlement" if kind == "PROMISE" else "Plan en cours de signature"),
    )
    return ReturnEvent("OBJECTIONS", rid, day, facts.dossier_id, cells)


# --------------------------------------------------------------------------------- malformation
def _row(rtype: str, event: ReturnEvent) -> list[str]:
    cells = dict(event.cells)
    return [cells.get(c, "") for c in RETURN_TYPES[rtype].column_names]


def _row_faults(rtype: str, cells: list[str]) -> list[str]:
    """The row faults that apply to a row of this type (each makes the judge reject the row)."""
    cols = RETURN_TYPES[rtype].column_names
    values = dict(zip(cols, cells, strict=True))
    faults = ["E010", "E007", "E004", "E006", "E001", "E003", "E008"]
    if any(values.get(c) for c in ("amount", "total_amount", "promise_amount")):
        faults += ["E005", "E009"]
    if rtype == "PLANS" or (rtype == "CONTACTS" and values["field"] in ("PHONE", "EMAIL")):
        faults.append("E012")
    return faults


def malform_row(
    rtype: str, cells: list[str], fault: str, facts: DossierFacts, rng: random.Random
) -> list[list[str]]:
    """The row(s) that replace a good row to produce ``fault`` (E008 adds a second row, same id)."""
    t = RETURN_TYPES[rtype]
    cols = t.column_names
    out = list(cells)
    idx = {c: i for i, c in enumerate(cols)}
    event_col = next(c.name for c in t.columns if c.kind.value == "event_date")
    if fault == "E010":
        return [out + ["hors format"]] if rng.random() < 0.5 else [out[:-1]]
    if fault == "E007":
        choices = [c for c in t.required if c not in ("dossier_id", t.id_column)]
        out[idx[rng.choice(choices)]] = ""
    elif fault == "E004":
        day = dt.date.fromisoformat(out[idx[event_col]])
        out[idx[event_col]] = rng.choice(
            (
                day.strftime("%d/%m/%Y"),
                f"{day.year}-13-{day.day:02d}",
                f"{day.year}-02-30",
                day.strftime("%Y%m%d"),
            )
        )
    elif fault == "E005":
        col = next(c for c in _AMOUNT_COLUMNS if c in idx and out[idx[c]])
        value = Decimal(out[idx[col]])
        out[idx[col]] = rng.choice(
            (f"{value:,.2f}".replace(",", " ").replace(".", ","), f"{value:.3f}", f"{value:.2f} MAD", "0.00")
        )
    elif fault == "E006":
        col = next(c.name for c in t.columns if c.kind.value == "code")
        out[idx[col]] = _UNKNOWN_CODES[col]
    elif fault == "E012":
        if rtype == "PLANS":
            out[idx["installments"]] = rng.choice(("48", "1", "six"))
        elif out[idx["field"]] == "PHONE":
            out[idx["value"]] = rng.choice(("06 12 34", "0022 5 55", "inconnu"))
        else:
            out[idx["value"]] = rng.choice(("contact@@societe.ma", "gerant at gmail.com"))
    elif fault == "E001":
        out[idx["dossier_id"]] = facts.dossier_id[:-1] + "X" if rng.random() < 0.5 else "D209912-999999"
    elif fault == "E003":
        out[idx[event_col]] = (facts.assignment_start - dt.timedelta(days=rng.randint(3, 40))).isoformat()
    elif fault == "E009":
        col = next(c for c in _AMOUNT_COLUMNS if c in idx and out[idx[c]])
        out[idx[col]] = f"{facts.total_due + Decimal(rng.randint(100, 5000)):.2f}"
    elif fault == "E008":
        dup = list(out)
        text_cols = [c.name for c in t.columns if c.kind.value == "text"]
        if text_cols:
            dup[idx[text_cols[0]]] = (dup[idx[text_cols[0]]] + " (doublon)").strip()
        return [out, dup]  # without a text column the copy is identical: still E008 within a file
    return [out]


def _csv(rtype: str, rows: list[list[str]], crlf: bool, header: list[str] | None = None) -> bytes:
    head = header or list(RETURN_TYPES[rtype].column_names)
    return format_rows([head, *rows], line_end="\r\n" if crlf else "\n").encode("utf-8")


def _sidecar(name: str, data: bytes) -> bytes:
    return f"{hashlib.sha256(data).hexdigest()}  {name}\n".encode("ascii")


# ------------------------------------------------------------------------------------- emission
class _Namer:
    """Return-file names with the next free SEQ per type and day (state and remote names both count)."""

    def __init__(self, agency: str, state: AgencyState, taken: Collection[str]) -> None:
        self.agency = agency
        self.state = state
        self.taken = set(taken) | set(state.files)

    def next(self, rtype: str, day: dt.date) -> str:
        key = f"{rtype}_{day:%Y%m%d}"
        seq = self.state.seq.get(key, 0) + 1
        while True:
            if seq > 99:
                raise ValueError(f"{self.agency}: more than 99 {rtype} files on {day}")
            name = return_name(self.agency, rtype, day, seq)
            if name not in self.taken:
                break
            seq += 1
        self.state.seq[key] = seq
        self.taken.add(name)
        return name


def emit_agency(
    agency: str,
    dossiers: Mapping[str, DossierFacts],
    notices: Notices,
    state: AgencyState,
    behaviour: AgencyBehaviour,
    until: dt.date,
    *,
    taken_names: Collection[str] = (),
) -> EmitResult:
    """Build every return file the agency sends on its sending days up to ``until`` (see module doc).

    ``state`` is updated in place (records sent, SEQs, payments reported, ledger rows pending).
    """
    result = EmitResult()
    mine = {k: v for k, v in dossiers.items() if v.agency == agency}
    if not mine:
        return result
    seed = state.seed
    plans: dict[str, DossierPlan] = {k: plan_dossier(f, behaviour, seed) for k, f in sorted(mine.items())}
    for plan in plans.values():
        result.profiles[plan.profile] = result.profiles.get(plan.profile, 0) + 1
    start = (
        state.until + dt.timedelta(days=1) if state.until else min(f.assignment_start for f in mine.values())
    )
    days = sending_days(start, until, behaviour.send_weekday)
    result.sending_days = days
    namer = _Namer(agency, state, taken_names)
    crlf = behaviour.crlf

    for send_day in days:
        by_type: dict[str, list[tuple[ReturnEvent, DossierFacts]]] = {t: [] for t in RETURN_TYPE_ORDER}
        for dossier_id, plan in plans.items():
            facts = mine[dossier_id]
            for event in _events_due(plan, facts, notices, state, send_day):
                by_type[event.record_type].append((event, facts))
        for rtype in RETURN_TYPE_ORDER:
            items = sorted(by_type[rtype], key=lambda x: (x[0].dossier_id, x[0].day, x[0].record_id))
            if not items:
                continue
            rng = random.Random(f"recouvra-simulator|{seed}|{agency}|{send_day}|{rtype}")
            result.files.extend(
                _files_for(agency, rtype, send_day, items, plans, mine, state, behaviour, namer, rng, crlf)
            )
            for event, _ in items:
                state.mark_sent(rtype, event.record_id)
            result.records[rtype] = result.records.get(rtype, 0) + len(items)

    result.ledger.extend(_ledger_due(state, until))
    state.until = until
    for f in result.files:
        state.files[f.name] = hashlib.sha256(f.data).hexdigest()
    return result


def _events_due(
    plan: DossierPlan, facts: DossierFacts, notices: Notices, state: AgencyState, send_day: dt.date
) -> list[ReturnEvent]:
    """The dossier's records the agency sends on ``send_day``: not sent yet, none after it stopped.

    Payments are settled as they are sent (marked sent even when nothing is left to pay) and their
    ledger rows join ``state.pending_ledger``.
    """
    stop = _stop_day(facts, notices)
    extra = _paid_closure(facts, notices)
    if extra is not None and any(
        e.record_type == "CLOSURES" and state.was_sent("CLOSURES", e.record_id) for e in plan.events
    ):
        extra = None  # closed already: one closure per dossier
    due: list[ReturnEvent] = []
    objection = objection_event(plan, facts, notices)
    for event in (*plan.events, *((extra,) if extra else ()), *((objection,) if objection else ())):
        if event.day > send_day or state.was_sent(event.record_type, event.record_id):
            continue
        if event.day > stop or (
            event.record_type == "CLOSURES" and extra and event is not extra and extra.day <= send_day
        ):
            continue  # after a recall or once paid: the agency stops; one closure only
        if event.record_type == "PAYMENTS":
            settled = settle_payment(event, facts, notices, state.reported, send_day)
            state.mark_sent("PAYMENTS", event.record_id)
            if settled is None:
                continue
            event, rows = settled
            state.pending_ledger.extend(r.as_dict() for r in rows)
        due.append(event)
    return due


def _ledger_due(state: AgencyState, until: dt.date) -> list[LedgerRow]:
    """Pending ledger rows recorded by ``until`` (removed from the state); later ones keep waiting.

    Reads ``state.until`` as the previous run's end: call it before moving that on.
    """
    floor = dt.datetime.combine(state.until + dt.timedelta(days=1), dt.time()) if state.until else None
    waiting = []
    due: list[LedgerRow] = []
    for d in state.pending_ledger:
        row = LedgerRow.from_dict(d)
        if row.recorded_at.date() > until:
            waiting.append(d)
            continue
        if floor is not None and row.recorded_at < floor:
            # recorded before the previous run's end: stamp it after, or the incremental extract misses it
            row = replace(row, recorded_at=dt.datetime.combine(floor.date(), row.recorded_at.time()))
        due.append(row)
    state.pending_ledger = waiting
    return due


def _e011_candidates(
    rtype: str,
    plans: Mapping[str, DossierPlan],
    facts: Mapping[str, DossierFacts],
    state: AgencyState,
    send_day: dt.date,
) -> list[tuple[ReturnEvent, DossierFacts]]:
    """ACTIONS already sent whose id a careless agent could reuse with other content (E011)."""
    if rtype != "ACTIONS":
        return []
    lost = set(state.lost)
    out = []
    for dossier_id, plan in plans.items():
        f = facts[dossier_id]
        for e in plan.events:
            if (
                e.record_type == "ACTIONS"
                and e.day <= send_day - dt.timedelta(days=7)
                and state.was_sent("ACTIONS", e.record_id)
                and e.record_id not in lost
                and e.day <= (f.recall_date or e.day)
            ):
                out.append((e, f))
    return out


def _files_for(
    agency: str,
    rtype: str,
    send_day: dt.date,
    items: list[tuple[ReturnEvent, DossierFacts]],
    plans: Mapping[str, DossierPlan],
    facts: Mapping[str, DossierFacts],
    state: AgencyState,
    b: AgencyBehaviour,
    namer: _Namer,
    rng: random.Random,
    crlf: bool,
) -> list[OutgoingFile]:
    """The file(s) of one type and sending day: the file as sent, and any correction or duplicate."""
    good = [_row(rtype, e) for e, _ in items]
    share = float(b.malformed_share)
    sent_rows, codes, spoilt = _spoil_rows(rtype, good, items, share, rng)
    if rtype == "ACTIONS" and rng.random() < share * 2:
        candidates = _e011_candidates(rtype, plans, facts, state, send_day)
        if candidates:
            event, _ = rng.choice(sorted(candidates, key=lambda x: x[0].record_id))
            changed = _row(rtype, event)
            changed[-1] = (changed[-1] + " - résultat corrigé").strip(" -")
            sent_rows.append(changed)
            codes.append("E011")
    if not sent_rows:
        return []
    files: list[OutgoingFile] = []
    data = _csv(rtype, sent_rows, crlf)
    intent = "ROWS_MALFORMED" if codes else "VALID"
    file_fault = rng.choice(FILE_FAULTS) if rng.random() < float(b.malformed_file_share) else None
    with_sidecar = rng.random() < float(b.sidecar_share)

    def out(
        name: str,
        payload: bytes,
        why: str,
        sidecar: bytes | None = None,
        n: int = len(sent_rows),
        bad: int = len(codes),
        bad_codes: tuple[str, ...] = tuple(codes),
    ) -> OutgoingFile:
        return OutgoingFile(name, payload, rtype, send_day, why, sidecar, n, bad, bad_codes)

    if file_fault is None or file_fault in ("F006", "DUPLICATE"):
        name = namer.next(rtype, send_day)
        files.append(out(name, data, intent, _sidecar(name, data) if with_sidecar else None))
        if file_fault == "DUPLICATE":
            files.append(out(namer.next(rtype, send_day), data, "DUPLICATE"))
        elif file_fault == "F006":
            files.append(
                out(namer.next(rtype, send_day), _csv(rtype, [], crlf), "F006", n=0, bad=0, bad_codes=())
            )
    else:
        name, broken, sidecar = _faulty_file(
            agency, rtype, send_day, sent_rows, data, file_fault, crlf, with_sidecar, namer
        )
        files.append(out(name, broken, file_fault, sidecar, bad=len(sent_rows)))
        # the agency reads the ack and sends the file again, repaired, under the next SEQ
        fixed = _csv(rtype, sent_rows, crlf)
        again = namer.next(rtype, send_day)
        files.append(out(again, fixed, "CORRECTION" if not codes else "ROWS_MALFORMED"))
    corrected = bool(codes) and rng.random() < float(b.correction_rate)
    if not corrected:
        state.lost.extend(spoilt)
    if corrected:
        fixed = _csv(rtype, good, crlf)
        again = namer.next(rtype, send_day)
        files.append(
            out(
                again,
                fixed,
                "CORRECTION",
                _sidecar(again, fixed) if with_sidecar else None,
                n=len(good),
                bad=0,
                bad_codes=(),
            )
        )
    return files


def _spoil_rows(
    rtype: str,
    good: list[list[str]],
    items: list[tuple[ReturnEvent, DossierFacts]],
    share: float,
    rng: random.Random,
) -> tuple[list[list[str]], list[str], list[str]]:
    """(rows as sent, fault codes built in, ids of the records spoilt): about ``share`` rows malformed.

    An E008 row keeps its good original beside the copy, so its record is not counted as spoilt.
    """
    sent_rows: list[list[str]] = []
    codes: list[str] = []
    spoilt: list[str] = []
    for cells, (event, f) in zip(good, items, strict=True):
        if rng.random() < share:
            fault = rng.choice(_row_faults(rtype, cells))
            sent_rows.extend(malform_row(rtype, cells, fault, f, rng))
            codes.append(fault)
            if fault != "E008":
                spoilt.append(event.record_id)
        else:
            sent_rows.append(cells)
    return sent_rows, codes, spoilt


def _faulty_file(
    agency: str,
    rtype: str,
    send_day: dt.date,
    sent_rows: list[list[str]],
    data: bytes,
    file_fault: str,
    crlf: bool,
    with_sidecar: bool,
    namer: _Namer,
) -> tuple[str, bytes, bytes | None]:
    """(name, bytes, sidecar) of the file as sent with the whole-file fault ``file_fault`` built in.

    ``data`` is the file's good bytes. Every fault but F001 (a wrong name) takes the next SEQ.
    """
    broken, sidecar = data, None
    if file_fault == "F008":
        text = _csv(rtype, sent_rows, crlf).decode("utf-8")
        line_end = "\r\n" if crlf else "\n"
        lines = text.split(line_end)
        lines[-2] = '"' + lines[-2]  # an opening quote never closed
        broken = line_end.join(lines).encode("utf-8")
    elif file_fault == "F003":
        header = list(RETURN_TYPES[rtype].column_names)
        drop = header.index(RETURN_TYPES[rtype].required[2])
        broken = _csv(
            rtype, [r[:drop] + r[drop + 1 :] for r in sent_rows], crlf, header[:drop] + header[drop + 1 :]
        )
    elif file_fault == "F002":
        broken = data.decode("utf-8").encode("latin-1", errors="replace") + "é".encode("latin-1")
    if file_fault == "F001":
        name = f"{agency}_{rtype.rstrip('S')}_{send_day:%Y%m%d}_01.csv"
        # other line ends: the same bytes as the file re-sent under the right name would be a DUPLICATE
        broken = _csv(rtype, sent_rows, not crlf)
    else:
        name = namer.next(rtype, send_day)
    if file_fault == "F004":
        sidecar = f"{hashlib.sha256(data + b'x').hexdigest()}  {name}\n".encode("ascii")
    elif with_sidecar and file_fault != "F002":
        sidecar = _sidecar(name, broken)
    return name, broken, sidecar
