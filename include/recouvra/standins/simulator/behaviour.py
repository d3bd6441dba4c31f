"""How a simulated agency works one dossier: a seeded, day-by-day plan of actions, contact updates,
plans, payments and closures over the assignment window.

:func:`plan_dossier` is pure: the same seed, agency behaviour and dossier give the same plan, whatever
``--until`` is, so that a run up to a later day only adds what happened since. Dates never leave the
assignment window; what happens after a recall or after the fund says the debtor paid is cut when
the records are sent (:mod:`recouvra.standins.simulator.emit`), since the agency learns those later.

The debtor draws one profile: ``unreachable``, ``promiser`` (pays by promises, month by month),
``plan`` (asks a payment plan, pays installments), ``refuser``, ``disputer``, ``ceased`` or
``insolvent``. Every payment settles one assigned month and never more than that month's amount.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from recouvra.standins.simulator.model import CENT, DossierFacts, DossierPlan, PlannedPayment, ReturnEvent

if TYPE_CHECKING:
    from collections.abc import Callable

    from recouvra.config import AgencyBehaviour

CHANNELS: tuple[str, ...] = ("BANK_TRANSFER", "CHEQUE", "FUND_COUNTER", "ONLINE")
CHANNEL_WEIGHTS: tuple[float, ...] = (0.40, 0.30, 0.10, 0.20)
_MOBILE_PREFIXES = ("061", "062", "063", "066", "067", "068", "070", "071", "077", "078")
_FIXED_PREFIXES = ("0522", "0523", "0524", "0528", "0535", "0537", "0539")
_STREETS = (
    "Rue Ibn Battouta",
    "Boulevard Zerktouni",
    "Avenue Hassan II",
    "Rue de Fès",
    "Rue Allal Ben Abdellah",
    "Avenue Mohammed V",
    "Rue Moulay Ismail",
    "Lotissement Al Wifaq",
    "Quartier Industriel Sidi Bernoussi",
)
_CITIES = (
    "Casablanca",
    "Rabat",
    "Salé",
    "Kénitra",
    "Fès",
    "Meknès",
    "Marrakech",
    "Agadir",
    "Tanger",
    "Oujda",
)
_FIRST = ("Karim", "Nadia", "Youssef", "Fatima Zahra", "Hamid", "Salma", "Rachid", "Imane", "Omar", "Khadija")
_LAST = ("Benali", "El Idrissi", "Alaoui", "Bennani", "Tazi", "Chraibi", "Berrada", "El Amrani", "Lahlou")
_ASSETS = (
    "Fonds de commerce exploité au {n} {street}, {city}",
    "Véhicule utilitaire immatriculé {n}-A-{m}",
    "Compte bancaire domicilié à {city} (saisie-arrêt possible)",
    "Terrain titre foncier n° {n}/{m} à {city}",
    "Matériel de production (machines textiles) au dépôt de {city}",
)
_EMAIL_DOMAINS = ("gmail.com", "menara.ma", "yahoo.fr", "outlook.com")


def moroccan_phone(rng: random.Random) -> str:
    """A valid Moroccan number written as agents type it: ``06 12 34 56 78``, ``0522-45-67-89``, ..."""
    from recouvra.exchange.values import phone_e164

    while True:
        if rng.random() < 0.7:
            digits = rng.choice(_MOBILE_PREFIXES) + "".join(str(rng.randrange(10)) for _ in range(7))
        else:
            digits = rng.choice(_FIXED_PREFIXES) + "".join(str(rng.randrange(10)) for _ in range(6))
        pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
        form = rng.randrange(4)
        text = (
            " ".join(pairs)
            if form == 0
            else "-".join([digits[:4], *pairs[2:]])
            if form == 1
            else "+212 " + digits[1:]
            if form == 2
            else ".".join(pairs)
        )
        if phone_e164(text) is not None:
            return text


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _address(rng: random.Random) -> str:
    return f"{rng.randint(1, 250)} {rng.choice(_STREETS)}"


def _email(rng: random.Random, name: str) -> str:
    local = "".join(ch for ch in name.lower().split(" ")[0] if ch.isascii() and ch.isalnum()) or "contact"
    return f"{local}.{rng.randint(1, 99)}@{rng.choice(_EMAIL_DOMAINS)}"


def _asset(rng: random.Random, city: str) -> str:
    return rng.choice(_ASSETS).format(
        n=rng.randint(1, 9999),
        m=rng.randint(10, 99),
        street=rng.choice(_STREETS),
        city=city or rng.choice(_CITIES),
    )


class _PlanBuilder:
    """Collects a dossier's events; ids are the agency's own, unique per agency and type."""

    def __init__(self, facts: DossierFacts, rng: random.Random, b: AgencyBehaviour,
                 ref_rng: random.Random | None = None) -> None:
        self.f = facts
        self.rng = rng
        # The payment reference's draws have their own stream: the rest of the plan is what it was
        # before debtors quoted references (same events, amounts and ledger fates for the same seed).
        self.ref_rng = ref_rng if ref_rng is not None else random.Random(0)
        self.b = b
        self.events: list[ReturnEvent] = []
        self.counts: dict[str, int] = {}
        self.remaining: dict[str, Decimal] = dict(facts.periods)
        self.closed = False
        stem = facts.dossier_id.replace("-", "")
        self.stem = stem

    # -- days
    def gap(self, base: float) -> int:
        """Days to the next step: about ``base`` days at speed 1, shorter for a faster agency."""
        mean = max(base / self.b.speed, 1.0)
        return max(1, round(self.rng.expovariate(1 / mean)))

    def inside(self, day: dt.date) -> bool:
        return self.f.assignment_start <= day <= self.f.assignment_end and not self.closed

    def _id(self, prefix: str, record_type: str) -> tuple[str, int]:
        n = self.counts.get(record_type, 0) + 1
        self.counts[record_type] = n
        return f"{prefix}-{self.stem}-{n:03d}", n

    # -- records
    def action(
        self,
        day: dt.date,
        action_type: str,
        outcome: str,
        comment: str = "",
        promise: tuple[Decimal, dt.date] | None = None,
    ) -> None:
        if not self.inside(day):
            return
        rid, n = self._id("ACT", "ACTIONS")
        cells = [
            ("dossier_id", self.f.dossier_id),
            ("action_id", rid),
            ("action_date", day.isoformat()),
            ("action_type", action_type),
            ("outcome", outcome),
            ("promise_amount", f"{promise[0]:.2f}" if promise else ""),
            ("promise_date", promise[1].isoformat() if promise else ""),
            ("comment", comment),
        ]
        self.events.append(
            ReturnEvent("ACTIONS", rid, day, self.f.dossier_id, tuple(cells), seq_in_dossier=n)
        )

    def contact(self, day: dt.date, field_name: str, value: str, evidence: str) -> None:
        if not self.inside(day):
            return
        rid, n = self._id("UPD", "CONTACTS")
        cells = [
            ("dossier_id", self.f.dossier_id),
            ("update_id", rid),
            ("field", field_name),
            ("value", value),
            ("observed_date", day.isoformat()),
            ("evidence", evidence),
        ]
        self.events.append(
            ReturnEvent("CONTACTS", rid, day, self.f.dossier_id, tuple(cells), seq_in_dossier=n)
        )

    def plan(
        self, day: dt.date, plan_id: str, installments: int, first_due: dt.date, total: Decimal, status: str
    ) -> None:
        if not self.inside(day):
            return
        self.counts["PLANS"] = self.counts.get("PLANS", 0) + 1
        cells = [
            ("dossier_id", self.f.dossier_id),
            ("plan_id", plan_id),
            ("request_date", day.isoformat()),
            ("installments", str(installments)),
            ("first_due_date", first_due.isoformat()),
            ("total_amount", f"{total:.2f}"),
            ("status", status),
        ]
        self.events.append(
            ReturnEvent(
                "PLANS",
                f"{plan_id}|{status}",
                day,
                self.f.dossier_id,
                tuple(cells),
                seq_in_dossier=self.counts["PLANS"],
            )
        )

    def payment(self, day: dt.date, amount: Decimal, period: str) -> Decimal:
        """Pay ``amount`` (at most what ``period`` still owes); return what was paid."""
        amount = min(amount, self.remaining.get(period, Decimal(0))).quantize(CENT, rounding=ROUND_DOWN)
        if amount <= 0 or not self.inside(day):
            return Decimal(0)
        rng, b = self.rng, self.b
        fate = "OK"
        u = rng.random()
        if u < float(b.ledger_missing_share):
            fate = "MISSING"
        elif u < float(b.ledger_missing_share + b.reversal_share):
            fate = "REVERSED"
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        if fate == "REVERSED":
            channel = "CHEQUE"  # bounced cheques, mostly
        shortfall = Decimal(0)
        if rng.random() < float(b.wrong_amount_share):
            # a typo or a fee deducted: the agency reports less than the ledger holds
            shortfall = max(CENT, (amount * Decimal(rng.choice(("0.10", "0.01", "0.5")))).quantize(CENT))
            shortfall = min(shortfall, amount - CENT) if amount > CENT else Decimal(0)
        shift = 0
        if rng.random() < float(b.wrong_date_share):
            shift = rng.choice((-8, -3, -2, -1, 1, 2, 3, 4, 8))
        planned = PlannedPayment(
            period=period,
            amount=amount,
            paid_on=day,
            channel=channel,
            fate=fate,
            reversal_days=rng.randint(3, 20),
            recorded_delay_days=rng.choice((0, 0, 1, 1, 2)),
            recorded_second=rng.randint(8 * 3600, 19 * 3600),
            amount_shortfall=shortfall,
            date_shift_days=shift,
            with_receipt=rng.random() < float(b.receipt_ref_share),
            quoted_ref=self.quoted_ref(),
        )
        rid, n = self._id("PAY", "PAYMENTS")
        cells = (("dossier_id", self.f.dossier_id), ("payment_id", rid), ("channel", channel))
        self.events.append(ReturnEvent("PAYMENTS", rid, day, self.f.dossier_id, cells, planned, n))
        self.remaining[period] -= amount
        return amount

    def quoted_ref(self) -> str:
        """The payment reference the debtor quotes on a payment ("" for none): the dossier's, on a share
        ``payment_ref_share`` of payments, printed in blocks or compact, one digit mistyped on a share
        ``payment_ref_typo_share`` of them (its check digits then fail)."""
        ref, rng, b = self.f.payment_ref, self.ref_rng, self.b
        if not ref or rng.random() >= float(b.payment_ref_share):
            return ""
        if rng.random() < float(b.payment_ref_typo_share):
            at = rng.randrange(4, len(ref))  # a digit of the body
            ref = ref[:at] + rng.choice([d for d in "0123456789" if d != ref[at]]) + ref[at + 1:]
        return " ".join(ref[i:i + 4] for i in range(0, len(ref), 4)) if rng.random() < 0.5 else ref

    def pay_amount(self, day: dt.date, amount: Decimal) -> Decimal:
        """Pay up to ``amount`` over the oldest open months, one payment per month; return the total."""
        paid = Decimal(0)
        for period in sorted(self.remaining):
            if amount - paid <= 0:
                break
            if self.remaining[period] > 0:
                paid += self.payment(day, amount - paid, period)
        return paid

    def close(self, day: dt.date, reason: str, comment: str = "") -> None:
        if not self.inside(day):
            return
        rid, n = self._id("CLO", "CLOSURES")
        cells = [
            ("dossier_id", self.f.dossier_id),
            ("closure_id", rid),
            ("closure_date", day.isoformat()),
            ("reason", reason),
            ("comment", comment),
        ]
        self.events.append(
            ReturnEvent("CLOSURES", rid, day, self.f.dossier_id, tuple(cells), seq_in_dossier=n)
        )
        self.closed = True

    @property
    def owed(self) -> Decimal:
        return sum(self.remaining.values(), Decimal(0))


def draw_profile(rng: random.Random, b: AgencyBehaviour) -> str:
    """The debtor's profile, as this agency will find it."""
    if rng.random() >= float(b.contact_rate):
        return "unreachable"
    if rng.random() < float(b.promise_rate):
        return "plan" if rng.random() < float(b.plan_rate) else "promiser"
    return rng.choices(("refuser", "disputer", "ceased", "insolvent"), (0.55, 0.15, 0.18, 0.12))[0]


def plan_dossier(facts: DossierFacts, behaviour: AgencyBehaviour, seed: int) -> DossierPlan:
    """The seeded plan of one dossier over its whole assignment window (see module doc)."""
    rng = random.Random(f"recouvra-simulator|{seed}|{facts.agency}|{facts.dossier_id}")
    p = _PlanBuilder(facts, rng, behaviour,
                     random.Random(f"recouvra-simulator-payment-ref|{seed}|{facts.agency}|{facts.dossier_id}"))
    profile = draw_profile(rng, behaviour)
    day = facts.assignment_start + dt.timedelta(days=p.gap(4))
    day = _first_attempts(p, profile, day)
    _contact_updates(p, day)
    if profile == "unreachable":
        _work_unreachable(p, day)
    else:
        kind = rng.choice(("CALL", "CALL", "VISIT"))
        p.action(day, kind, "RIGHT_PARTY_CONTACT", f"Entretien avec {_person(rng)}")
        day += dt.timedelta(days=p.gap(5))
        _WORK_BY_PROFILE[profile](p, day)
    return DossierPlan(facts.dossier_id, profile, tuple(p.events))


def _first_attempts(p: _PlanBuilder, profile: str, day: dt.date) -> dt.date:
    """A first letter or call always; unreached debtors get several attempts. Returns the next day."""
    rng = p.rng
    attempts = rng.randint(0, 3) if profile != "unreachable" else rng.randint(3, 8)
    for _ in range(attempts):
        weights = (0.55, 0.2, 0.1 if p.f.email else 0.0, 0.15)
        kind = rng.choices(("CALL", "SMS", "EMAIL", "LETTER"), weights)[0]
        outcome = rng.choices(("NO_ANSWER", "WRONG_CONTACT"), (0.8, 0.2))[0]
        p.action(day, kind, outcome, "Relance" if kind != "LETTER" else "Lettre de relance amiable")
        day += dt.timedelta(days=p.gap(10))
    return day


def _contact_updates(p: _PlanBuilder, day: dt.date) -> None:
    """New contact data found while chasing (for the configured share of dossiers), seen by ``day``."""
    rng = p.rng
    if rng.random() >= float(p.b.data_update_rate):
        return
    for _ in range(rng.randint(1, 3)):
        what = rng.choices(("PHONE", "EMAIL", "ADDRESS", "CITY", "LEGAL_REP"), (0.45, 0.2, 0.2, 0.05, 0.1))[0]
        obs = day - dt.timedelta(days=rng.randint(0, 2))
        if what == "PHONE":
            p.contact(obs, "PHONE", moroccan_phone(rng), "Numéro communiqué par un voisin")
        elif what == "EMAIL":
            p.contact(obs, "EMAIL", _email(rng, p.f.debtor_name), "Courriel trouvé sur le site de la société")
        elif what == "ADDRESS":
            p.contact(obs, "ADDRESS", _address(rng), "Visite sur place")
        elif what == "CITY":
            p.contact(obs, "CITY", rng.choice(_CITIES), "Registre de commerce")
        else:
            p.contact(obs, "LEGAL_REP", _person(rng), "Statuts déposés au tribunal de commerce")


def _work_unreachable(p: _PlanBuilder, day: dt.date) -> None:
    """A visit, an asset search, and most often a closure as unreachable."""
    rng, step = p.rng, dt.timedelta
    p.action(day, "VISIT", "DEBTOR_NOT_FOUND", "Local fermé, voisins sans nouvelles")
    day += step(days=p.gap(15))
    found = rng.random() < 0.3
    p.action(day, "ASSET_SEARCH", "ASSETS_FOUND" if found else "NO_ASSETS_FOUND")
    if found:
        p.contact(day, "ASSET", _asset(rng, p.f.city), "Recherche au registre")
    if rng.random() < 0.6:
        p.close(day + step(days=p.gap(10)), "UNREACHABLE", "Débiteur injoignable malgré relances")


def _work_promiser(p: _PlanBuilder, day: dt.date) -> None:
    """Promises to pay the oldest open months, kept at the agency's pay rate; closed once all is paid."""
    rng, step = p.rng, dt.timedelta
    for _cycle in range(rng.randint(1, 4)):
        if p.owed <= 0 or p.closed:
            break
        months = [q for q in sorted(p.remaining) if p.remaining[q] > 0][: rng.randint(1, 3)]
        amount = sum((p.remaining[q] for q in months), Decimal(0))
        promise_day = day + step(days=rng.randint(7, 21))
        p.action(day, "CALL", "PROMISE_TO_PAY", "Engagement de paiement", (amount, promise_day))
        if rng.random() < float(p.b.pay_rate):
            pay_day = promise_day + step(days=rng.randint(-2, 5))
            pay_day = max(pay_day, day + step(days=1))
            p.pay_amount(pay_day, amount)
            day = pay_day + step(days=p.gap(7))
        else:
            day = promise_day + step(days=p.gap(5))
            p.action(day, "CALL", rng.choice(("NO_ANSWER", "REFUSAL")), "Promesse non tenue")
            day += step(days=p.gap(7))
    if p.owed <= 0:
        p.close(day, "PAID_IN_FULL", "Dette soldée")


def _work_plan(p: _PlanBuilder, day: dt.date) -> None:
    """A payment plan requested and signed, its installments paid (or dropped after a few)."""
    rng, step = p.rng, dt.timedelta
    plan_id = f"PLN-{p.stem}-1"
    n = rng.choice((3, 4, 6, 6, 9, 12, 18, 24))
    total = p.owed
    first_due = day + step(days=rng.randint(20, 35))
    p.action(day, "CALL", "RIGHT_PARTY_CONTACT", "Demande d'échéancier")
    p.plan(day, plan_id, n, first_due, total, "REQUESTED")
    signed = day + step(days=rng.randint(4, 15))
    p.plan(signed, plan_id, n, first_due, total, "SIGNED")
    installment = (total / n).quantize(CENT, rounding=ROUND_DOWN)
    keeps = rng.random() < float(p.b.pay_rate)
    due = first_due
    for k in range(n):
        if not keeps and k >= rng.randint(1, 3):
            p.action(due + step(days=10), "CALL", "NO_ANSWER", "Échéance impayée")
            break
        amount = installment if k < n - 1 else p.owed
        p.pay_amount(due + step(days=rng.randint(-3, 6)), amount)
        due = _add_month(due)
        if due > p.f.assignment_end:
            break
    if p.owed <= 0:
        p.close(due, "PAID_IN_FULL", "Échéancier honoré")


def _work_refuser(p: _PlanBuilder, day: dt.date) -> None:
    """Refusal, formal notice, asset search; assets found sometimes bring a partial payment."""
    rng, step = p.rng, dt.timedelta
    p.action(day, "CALL", "REFUSAL", "Le gérant conteste l'opportunité de payer")
    day += step(days=p.gap(10))
    p.action(day, "FORMAL_NOTICE", "REFUSAL", "Mise en demeure envoyée")
    day += step(days=p.gap(20))
    found = rng.random() < 0.6
    p.action(day, "ASSET_SEARCH", "ASSETS_FOUND" if found else "NO_ASSETS_FOUND")
    if found:
        p.contact(day, "ASSET", _asset(rng, p.f.city), "Recherche patrimoniale")
        if rng.random() < float(p.b.pay_rate) / 2:  # the threat of seizure works, for part of the debt
            day += step(days=p.gap(15))
            months = [q for q in sorted(p.remaining) if p.remaining[q] > 0][:1]
            amount = sum((p.remaining[q] for q in months), Decimal(0))
            promise_day = day + step(days=rng.randint(5, 15))
            p.action(day, "CALL", "PROMISE_TO_PAY", "Paiement partiel promis", (amount, promise_day))
            p.pay_amount(promise_day, amount)
    elif rng.random() < 0.5:
        p.close(day + step(days=p.gap(10)), "OTHER", "Refus persistant, sans actif saisissable")


def _work_disputer(p: _PlanBuilder, day: dt.date) -> None:
    step = dt.timedelta
    p.action(day, "CALL", "DISPUTE", "Le débiteur conteste les montants des périodes")
    day += step(days=p.gap(10))
    p.action(day, "LETTER", "DISPUTE", "Réclamation écrite reçue")
    p.close(day + step(days=p.gap(10)), "DISPUTED", "Contestation transmise à la CNSS")


def _work_ceased(p: _PlanBuilder, day: dt.date) -> None:
    step = dt.timedelta
    p.action(day, "VISIT", "CEASED_ACTIVITY", "Local vide, activité arrêtée")
    p.contact(day, "ACTIVITY_STATUS", "CEASED", "Constat sur place")
    day += step(days=p.gap(15))
    p.action(day, "ASSET_SEARCH", "NO_ASSETS_FOUND")
    p.close(day + step(days=p.gap(5)), "CEASED_NO_ASSETS", "Activité cessée, aucun actif")


def _work_insolvent(p: _PlanBuilder, day: dt.date) -> None:
    p.action(day, "CALL", "INSOLVENT", "Société en redressement judiciaire")
    p.contact(day, "ACTIVITY_STATUS", "LIQUIDATION", "Jugement d'ouverture publié")
    p.close(day + dt.timedelta(days=p.gap(5)), "INSOLVENT", "Procédure collective en cours")


#: What the agency does after reaching the debtor, by the debtor's profile (``unreachable`` aside).
_WORK_BY_PROFILE: dict[str, Callable[[_PlanBuilder, dt.date], None]] = {
    "promiser": _work_promiser,
    "plan": _work_plan,
    "refuser": _work_refuser,
    "disputer": _work_disputer,
    "ceased": _work_ceased,
    "insolvent": _work_insolvent,
}


def _add_month(day: dt.date) -> dt.date:
    y, m = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=y, month=m, day=min(day.day, 28))
