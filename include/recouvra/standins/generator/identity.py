"""Employers of one chunk: legal entities, the affiliation records under which the fund knows them,
and the truth of which records belong to the same entity.

Entities are drawn first (canonical name, identifiers, address, contacts, size, payment behaviour);
then each entity gets one affiliation record, or two to four for the configured share of duplicated
entities, each record a noisy copy (see docs/synthetic-data.md for every kind of dirt and its rate).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from recouvra.standins.generator import dirt
from recouvra.standins.generator import vocab as V
from recouvra.standins.generator.timeline import NULL_DAY, Timeline, month_start_days

if TYPE_CHECKING:
    from recouvra.config import Seed

# Shares that are generator design choices rather than configuration (documented in synthetic-data.md).
DUP_SIZE_P = (0.80, 0.15, 0.05)  # a duplicated entity has 2, 3 or 4 records
DUP_KINDS = ("RE_REGISTERED", "BRANCH", "CLERICAL")
DUP_KIND_P = (0.40, 0.30, 0.30)
NO_STRONG_ID_SHARE = 0.25  # of duplicated entities: no identifier shared between their records
LOOKALIKE_SHARE = 0.03  # entities that copy a neighbour's address, phone and name stem (hard negatives)
COMMON_NAME_SHARE = 0.08  # entities named from the small pool of very common trade names
ARABIC_NAME_SHARE = 0.02
ARABIC_REP_SHARE = 0.04
MISSING_IF_SHARE = 0.12
RC_COURT_VARIANT_SHARE = 0.10
PHONE_2_SHARE = 0.30
SETTLED_LATE_SHARE = 0.15  # employers that paid late at least once but owe nothing at the as-of date
OLD_ARREARS_SHARE = 0.15  # of debtors: a block of old months under a title notified 2.4 to 4.3 years ago
NON_DAMANCOM_SHARE = 0.06  # of late payers: declare at the counter, which draws the Damancom fine
DUP_PHONE_CHANGED = 0.25
DUP_EMAIL_CHANGED = 0.20

_SYLLABLES = ("so", "ma", "tra", "co", "ri", "ba", "del", "ti", "na", "mar", "lu", "pro", "ka", "zi",
              "fa", "mo", "ne", "sa", "bel", "ta", "go", "dar", "vi", "al", "ex", "or", "me", "tec")


@dataclass
class EmployerChunk:
    """Employer records of a chunk: text columns for the source, numeric columns for the ledger."""

    n: int
    columns: dict[str, list[Any]]  # source columns of `employers`
    truth: dict[str, Any]  # truth columns (never written to the source)
    headcount: np.ndarray
    salary_centimes: np.ndarray  # average monthly gross salary
    active_from: np.ndarray  # month index of registration
    active_to: np.ndarray  # last active month index (large when still active)
    behaviour: np.ndarray  # 0 compliant, 1 paid late but settled, 2 debtor
    old_arrears_end: np.ndarray  # last month of an old unpaid block (-1 when none)
    old_arrears_len: np.ndarray
    old_notified_day: np.ndarray
    counter_declarant: np.ndarray  # declares outside Damancom
    status: np.ndarray  # index into STATUSES
    ceased_day: np.ndarray
    registered_day: np.ndarray


_CITY_BY_NAME = {c.name: c for c in V.CITIES}
STATUSES = ("ACTIVE", "CEASED", "SUSPENDED", "LIQUIDATION", "INSOLVENT")


def affiliation_numbers(record_index: np.ndarray, seed: int) -> np.ndarray:
    """7-digit affiliation numbers, a bijection of the global record index (no collision up to 9M)."""
    offset = (seed * 1_000_003) % 9_000_000
    return 1_000_000 + (7_654_321 * record_index.astype(np.int64) + offset) % 9_000_000


def _company_roots(entity_gid: np.ndarray, seed: int) -> np.ndarray:
    """9-digit ICE company roots, a bijection of the global entity index (no collision up to 3M)."""
    return (1_234_567 * entity_gid.astype(np.int64) + (seed * 7_777_777) % 3_000_000) % 3_000_000 + 1_000


def _weights(pairs: tuple[tuple[str, int], ...]) -> tuple[list[str], np.ndarray]:
    names = [p[0] for p in pairs]
    w = np.array([p[1] for p in pairs], dtype=float)
    return names, w / w.sum()


def _coined(rnd: random.Random) -> str:
    return "".join(rnd.choice(_SYLLABLES) for _ in range(rnd.choice((2, 3, 3)))).capitalize()


def _canonical_name(kind: int, form: str, rnd: random.Random, common: bool) -> tuple[str, str]:
    """(legal name, stem) of an entity. ``kind`` 0: company, 1: natural person."""
    if kind == 1:
        person = f"{rnd.choice(V.FIRST_NAMES)} {rnd.choice(V.LAST_NAMES)}"
        style = rnd.randrange(4)
        if style == 0:
            return person, person
        if style == 1:
            return f"Ets {person}", person
        trade = f"{rnd.choice(V.NAME_STEMS)} {rnd.choice(V.ACTIVITY_WORDS)}"
        return (f"{trade} ({person})" if style == 2 else trade), trade
    if common:
        stem = rnd.choice(V.COMMON_NAMES)
    else:
        style = rnd.randrange(10)
        if style < 4:
            stem = f"{_coined(rnd)} {rnd.choice(V.ACTIVITY_WORDS)}"
        elif style < 6:
            stem = _coined(rnd)
        elif style < 8:
            stem = f"{rnd.choice(V.NAME_STEMS)} {rnd.choice(V.ACTIVITY_WORDS)} {_coined(rnd)}"
        else:
            stem = f"{rnd.choice(V.ACTIVITY_WORDS)} {rnd.choice(V.LAST_NAMES)}"
    if form == "cooperative":
        return f"{rnd.choice(V.COOP_PREFIXES)} {stem}", stem
    if form == "association":
        return f"{rnd.choice(V.ASSOC_PREFIXES)} {stem}", stem
    prefix = rnd.choice(V.COMPANY_PREFIXES)
    return " ".join(p for p in (prefix, stem, form) if p), stem


def _address(rnd: random.Random) -> str:
    num = rnd.randint(1, 350)
    street = f"{rnd.choice(V.STREET_TYPES)} {rnd.choice(V.STREET_NAMES)}"
    extra = rnd.randrange(4)
    if extra == 0:
        return f"{num} {street}, {rnd.choice(V.DISTRICTS)}"
    if extra == 1:
        return f"{num} {street}, Etage {rnd.randint(1, 9)}"
    if extra == 2:
        return f"Lot {rnd.randint(1, 900)} {rnd.choice(V.DISTRICTS)}"
    return f"{num} {street}"


def _person(rnd: random.Random) -> str:
    return f"{rnd.choice(V.FIRST_NAMES)} {rnd.choice(V.LAST_NAMES)}"


def generate_employers(
    rng: np.random.Generator, cfg: Seed, timeline: Timeline, chunk_index: int, chunk_size: int,
    n: int, seed: int,
) -> EmployerChunk:
    """``n`` employer records of chunk ``chunk_index`` (global record index ``chunk_index*chunk_size+i``)."""
    rnd = random.Random(int(rng.integers(0, 2**63)))
    dup_share = float(cfg.duplicate_entity_share)

    # --- entities and their number of records, exactly n records in all
    is_dup = rng.random(n) < dup_share
    sizes = np.where(is_dup, rng.choice([2, 3, 4], size=n, p=DUP_SIZE_P), 1)
    cum = np.cumsum(sizes)
    n_ent = int(np.searchsorted(cum, n) + 1)
    sizes = sizes[:n_ent].copy()
    sizes[-1] -= int(cum[n_ent - 1] - n)
    ent_gid = chunk_index * chunk_size + np.arange(n_ent, dtype=np.int64)
    ent_dup_kind = np.where(sizes > 1, rng.choice(3, size=n_ent, p=DUP_KIND_P), -1)
    ent_no_strong = (sizes > 1) & (rng.random(n_ent) < NO_STRONG_ID_SHARE)
    natural = rng.random(n_ent) < float(cfg.natural_person_share)
    forms, fw = _weights(V.LEGAL_FORMS)
    form_idx = rng.choice(len(forms), size=n_ent, p=fw)
    ent_form = np.where(natural, "EI", np.array(forms, dtype=object)[form_idx])
    cw = np.array([c.weight for c in V.CITIES], dtype=float)
    ent_city = rng.choice(len(V.CITIES), size=n_ent, p=cw / cw.sum())
    sectors, sw = _weights(V.SECTORS)
    ent_sector = rng.choice(len(sectors), size=n_ent, p=sw)
    common = rng.random(n_ent) < COMMON_NAME_SHARE
    arabic = rng.random(n_ent) < ARABIC_NAME_SHARE
    lookalike = (rng.random(n_ent) < LOOKALIKE_SHARE) & (np.arange(n_ent) > 0)

    # size and pay: log-normal, most employers small, a few very large
    ent_head = np.where(
        natural, 1 + np.floor(rng.lognormal(0.0, 0.9, n_ent)), np.ceil(rng.lognormal(1.3, 1.25, n_ent))
    ).clip(1, 25_000).astype(np.int64)
    ent_salary = (rng.lognormal(np.log(4_600.0), 0.45, n_ent).clip(3_100, 60_000) * 100).astype(np.int64)

    # behaviour: debtors, settled late payers, compliant
    u = rng.random(n_ent)
    debtor_share = float(cfg.debtor_share)
    ent_behaviour = np.where(u < debtor_share, 2, np.where(u < debtor_share + SETTLED_LATE_SHARE, 1, 0))
    ent_counter = (ent_behaviour > 0) & (rng.random(n_ent) < NON_DAMANCOM_SHARE)

    # lifetime: registration month (a third within the window), fate
    end_m, start_m = timeline.end_month, timeline.start_month
    age = np.where(rng.random(n_ent) < 0.25, rng.integers(0, timeline.history_months + 6, n_ent),
                   (rng.exponential(110, n_ent) + 30).astype(np.int64)).clip(0, 12 * 60)
    ent_reg = end_m - age
    fate = rng.random(n_ent)
    fate_cut = np.array([0.0, 0.07, 0.08, 0.095, 0.105])  # CEASED, SUSPENDED, LIQUIDATION, INSOLVENT
    debtor_boost = np.where(ent_behaviour == 2, 1.8, 1.0)
    ent_status = np.zeros(n_ent, dtype=np.int64)
    for s in (1, 2, 3, 4):
        lo, hi = fate_cut[s - 1] * debtor_boost, (fate_cut[s] if s < 4 else 0.105) * debtor_boost
        ent_status = np.where((fate >= lo) & (fate < hi), s, ent_status)
    end_candidates = rng.integers(start_m + 1, end_m + 1, n_ent)
    ent_end = np.where(ent_status == 0, 10**7, np.maximum(end_candidates, ent_reg + 1))

    # old arrears: a block of old unpaid months under a title notified 2.4 to 4.3 years before as-of
    old = (ent_behaviour == 2) & (rng.random(n_ent) < OLD_ARREARS_SHARE)
    as_of = timeline.as_of_day
    old_notified = np.where(old, as_of - rng.integers(int(2.4 * 365), int(4.3 * 365), n_ent), NULL_DAY)
    old_end = np.where(old, ((old_notified - rng.integers(70, 210, n_ent)).astype("datetime64[D]")
                             .astype("datetime64[M]").astype(np.int64) + 1970 * 12) - 1, -1)
    old_len = np.where(old, rng.integers(1, 7, n_ent), 0)
    ent_reg = np.where(old, np.minimum(ent_reg, old_end - old_len - 3), ent_reg)
    ent_end = np.where(old & (ent_end < 10**7), np.maximum(ent_end, start_m + 2), ent_end)

    # --- records
    rec_ent = np.repeat(np.arange(n_ent), sizes)
    first_of_set = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    role = np.arange(n) - np.repeat(first_of_set, sizes)
    kind = ent_dup_kind[rec_ent]
    # numbers are handed out in a shuffled order within the chunk (own stream, so nothing else moves):
    # the records of one entity must not get numbers in an arithmetic pattern a matcher could exploit
    order = np.random.default_rng([seed, chunk_index, 7]).permutation(n)
    rec_gid = chunk_index * chunk_size + order.astype(np.int64)
    aff = affiliation_numbers(rec_gid, seed)

    # activity windows per record
    reg = ent_reg[rec_ent].copy()
    end = ent_end[rec_ent].copy()
    status = ent_status[rec_ent].copy()
    move = rng.integers(start_m + 2, end_m - 1, n)
    rereg = kind == 0
    # re-registered after a move: the earlier record ceased at the move, the later one starts there
    prev_end = np.where(rereg & (role < sizes[rec_ent] - 1),
                        np.maximum(move - (sizes[rec_ent] - 2 - role) * 3, reg + 1), end)
    reg = np.where(rereg & (role > 0), np.maximum(move - (sizes[rec_ent] - 1 - role) * 3, reg + 1), reg)
    end = np.where(rereg & (role < sizes[rec_ent] - 1), prev_end, end)
    status = np.where(rereg & (role < sizes[rec_ent] - 1), 1, status)
    later = (kind >= 1) & (role > 0)  # branches and clerical re-registrations come later
    reg = np.where(later, np.minimum(reg + rng.integers(1, 60, n), end_m), reg)
    end = np.maximum(end, reg)
    headcount = ent_head[rec_ent].copy()
    split = (kind >= 1) & (sizes[rec_ent] > 1)
    share = rng.uniform(0.2, 0.8, n)
    headcount = np.where(split, np.maximum(1, np.round(headcount * np.where(role == 0, share, 1 - share)
                                                       / np.maximum(1, sizes[rec_ent] - 1))), headcount)
    headcount = headcount.astype(np.int64)
    salary = (ent_salary[rec_ent] * rng.uniform(0.95, 1.05, n)).astype(np.int64)
    behaviour = ent_behaviour[rec_ent]
    old_end_r = np.where(role == 0, old_end[rec_ent], -1)
    old_len_r = np.where(role == 0, old_len[rec_ent], 0)
    old_not_r = np.where(role == 0, old_notified[rec_ent], NULL_DAY)
    counter = ent_counter[rec_ent]
    reg_day = month_start_days(reg) + rng.integers(0, 28, n)
    ceased_day = np.where(status == 1, month_start_days(np.minimum(end, end_m) + 1) - rng.integers(1, 20, n),
                          NULL_DAY)
    ceased_day = np.where((status == 1) & (ceased_day <= reg_day), reg_day + 1, ceased_day)

    # identifiers of the entity, and the draws the per-record text consumes
    roots = _company_roots(ent_gid, seed)
    estab = np.where((kind == 1) & (role > 0), rng.integers(1, 60, n), 0)
    draws = _RecordDraws(
        ice_valid=dirt.ice_text(dirt.ice_numbers(roots[rec_ent], estab)),
        ice_draw=rng.random(n),
        no_strong=ent_no_strong[rec_ent] & (role > 0),
        rc_num=rng.integers(1, 650_000, n_ent),
        if_num=(rng.integers(1_000_000, 60_000_000, n_ent)).astype(np.int64),
        rc_draw=rng.random(n),
        if_draw=rng.random(n),
        phone_fmt=rng.integers(0, len(dirt.PHONE_FORMATS), n),
        phone2_fmt=rng.integers(0, len(dirt.PHONE_FORMATS), n),
        ph_draw=rng.random(n),
        em_draw=rng.random(n),
        var_draw=rng.random((n, 6)),
        has_phone_2=rng.random(n) < PHONE_2_SHARE,
    )
    ent_mobile = rng.random(n_ent) < 0.55

    entities = _entity_texts(rnd, ent_gid, ent_form, ent_city, natural, common, arabic, lookalike, ent_mobile)
    cols, record_truth = _record_texts(
        rnd, cfg, rec_ent, role, kind, ent_form, ent_city, arabic, entities, draws
    )

    cols["affiliation_no"] = [str(a) for a in aff.tolist()]
    cols["sector"] = np.array(sectors, dtype=object)[ent_sector[rec_ent]].tolist()
    cols["status"] = np.array(STATUSES, dtype=object)[status].tolist()
    cols["registered_on"] = timeline.dates(reg_day)
    cols["ceased_on"] = timeline.dates(ceased_day)
    upd = reg_day + ((as_of - reg_day) * rng.random(n)).astype(np.int64)
    upd = np.where(ceased_day != NULL_DAY, np.maximum(upd, ceased_day), upd)
    cols["updated_at"] = timeline.timestamps(np.minimum(upd, as_of), rng.integers(0, 86400, n))

    truth = {
        "affiliation_no": cols["affiliation_no"],
        "entity_id": ent_gid[rec_ent],
        "set_size": sizes[rec_ent],
        "role": role,
        "dup_kind": np.array(("NONE",) + DUP_KINDS, dtype=object)[kind + 1].tolist(),
        "shares_strong_id": ~ent_no_strong[rec_ent] & (sizes[rec_ent] > 1),
        "ice_state": record_truth["ice_state"],
        "rc_state": record_truth["rc_state"],
        "name_variant": record_truth["name_variant"],
        "address_variant": record_truth["address_variant"],
        "city_variant": record_truth["city_variant"],
        "phone_changed": record_truth["phone_changed"],
        "natural_person": natural[rec_ent],
        "common_name": common[rec_ent],
        "arabic_name": arabic[rec_ent],
        "lookalike_of": np.array(entities.lookalike_of, dtype=np.int64)[rec_ent],
        "behaviour": np.array(("COMPLIANT", "SETTLED_LATE", "DEBTOR"), dtype=object)[behaviour].tolist(),
    }
    return EmployerChunk(
        n=n, columns=cols, truth=truth, headcount=headcount, salary_centimes=salary,
        active_from=reg, active_to=end, behaviour=behaviour, old_arrears_end=old_end_r,
        old_arrears_len=old_len_r, old_notified_day=old_not_r, counter_declarant=counter,
        status=status, ceased_day=ceased_day, registered_day=reg_day,
    )


@dataclass
class _RecordDraws:
    """The numpy draws behind each record's identifiers and contacts (record-indexed unless noted)."""

    ice_valid: list[str]  # the record's valid ICE (the entity's root, the branch's establishment)
    ice_draw: np.ndarray
    no_strong: np.ndarray  # a later record of an entity whose records share no identifier
    rc_num: np.ndarray  # entity-indexed
    if_num: np.ndarray  # entity-indexed
    rc_draw: np.ndarray
    if_draw: np.ndarray
    phone_fmt: np.ndarray
    phone2_fmt: np.ndarray
    ph_draw: np.ndarray
    em_draw: np.ndarray
    var_draw: np.ndarray  # (n, 6): name, address, city, representative, legal form, move
    has_phone_2: np.ndarray


@dataclass
class _EntityTexts:
    """The clean text of each entity, which its records copy with dirt."""

    name: list[str]
    stem: list[str]
    address: list[str]
    phone: list[str]  # national significant number
    email: list[str | None]
    rep: list[str]
    cin: list[str | None]
    lookalike_of: list[int]  # global index of the entity it copies, -1 when none


def _entity_texts(
    rnd: random.Random,
    ent_gid: np.ndarray,
    ent_form: np.ndarray,
    ent_city: np.ndarray,
    natural: np.ndarray,
    common: np.ndarray,
    arabic: np.ndarray,
    lookalike: np.ndarray,
    ent_mobile: np.ndarray,
) -> _EntityTexts:
    """Per-entity text, one pass over entities; a lookalike takes its predecessor's city (``ent_city``
    is updated in place)."""
    e = _EntityTexts([], [], [], [], [], [], [], [])
    for i in range(len(ent_gid)):
        form = str(ent_form[i])
        city = V.CITIES[int(ent_city[i])]
        if lookalike[i]:  # a sister company or a namesake: same address, phone and representative
            j = i - 1
            ent_city[i] = ent_city[j]
            city = V.CITIES[int(ent_city[i])]
            stem = e.stem[j].split()[0] + " " + rnd.choice(V.ACTIVITY_WORDS)
            name = f"{rnd.choice(V.COMPANY_PREFIXES)} {stem} {form}".strip() if not natural[i] else stem
            e.name.append(" ".join(name.split()))
            e.stem.append(stem)
            e.address.append(e.address[j] if rnd.random() < 0.7 else _address(rnd))
            e.phone.append(e.phone[j] if rnd.random() < 0.5 else
                           ("6" if ent_mobile[i] else city.fixed_prefix[0]) + f"{rnd.randrange(10**8):08d}")
            e.rep.append(e.rep[j] if rnd.random() < 0.6 else _person(rnd))
            e.lookalike_of.append(int(ent_gid[j]))
        else:
            _own_entity_text(e, rnd, form, city, bool(natural[i]), bool(arabic[i]), bool(common[i]),
                             bool(ent_mobile[i]))
        base = dirt.slug(e.stem[-1] if not arabic[i] else e.rep[-1]) or "contact"
        suffix = rnd.randrange(100) if rnd.random() < 0.3 else ""
        e.email.append(f"{base}{suffix}@{rnd.choice(V.EMAIL_DOMAINS)}")
        cin = f"{rnd.choice(city.cin_prefixes)}{rnd.randrange(10_000, 999_999)}" if natural[i] else None
        e.cin.append(cin)
    return e


def _own_entity_text(
    e: _EntityTexts, rnd: random.Random, form: str, city: V.City, natural: bool, arabic: bool, common: bool,
    mobile: bool,
) -> None:
    """Append the name, stem, address, phone and representative of an entity that copies no other."""
    if arabic:
        name = stem = rnd.choice(V.ARABIC_COMPANY_NAMES)
    else:
        name, stem = _canonical_name(1 if natural else 0, form, rnd, common)
    e.name.append(name)
    e.stem.append(stem)
    e.address.append(_address(rnd))
    if mobile:
        e.phone.append(rnd.choice("67") + f"{rnd.randrange(10**8):08d}")
    else:
        e.phone.append(city.fixed_prefix + f"{rnd.randrange(10**6):06d}")
    rep = rnd.choice(V.ARABIC_PERSON_NAMES) if rnd.random() < ARABIC_REP_SHARE else _person(rnd)
    if natural and not arabic:
        rep = stem if stem.count(" ") == 1 and stem.split()[0] in V.FIRST_NAMES else rep
    e.rep.append(rep)
    e.lookalike_of.append(-1)


def _record_texts(
    rnd: random.Random,
    cfg: Seed,
    rec_ent: np.ndarray,
    role: np.ndarray,
    kind: np.ndarray,
    ent_form: np.ndarray,
    ent_city: np.ndarray,
    arabic: np.ndarray,
    ents: _EntityTexts,
    d: _RecordDraws,
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """(source text columns, truth columns) of every record: the entity's text with dirt."""
    name_share, addr_share = float(cfg.name_variant_share), float(cfg.address_variant_share)
    city_share = float(cfg.city_variant_share)
    missing_ice, malformed_ice = float(cfg.missing_ice_share), float(cfg.malformed_ice_share)
    miss_phone, miss_email, miss_rc = (float(cfg.missing_phone_share), float(cfg.missing_email_share),
                                       float(cfg.missing_rc_share))
    cols: dict[str, list[Any]] = {k: [] for k in (
        "legal_name", "legal_form", "ice", "rc_number", "rc_court", "if_number", "cin", "address", "city",
        "phone", "phone_2", "email", "legal_rep_name")}
    truth: dict[str, list[Any]] = {k: [] for k in (
        "ice_state", "name_variant", "address_variant", "city_variant", "phone_changed", "rc_state")}
    for r in range(len(rec_ent)):
        e = int(rec_ent[r])
        dup_rec = bool(role[r] > 0)
        form = str(ent_form[e])
        city = V.CITIES[int(ent_city[e])]
        vd = d.var_draw[r]
        name = ents.name[e]
        nv = dup_rec and vd[0] < name_share and not arabic[e]
        if nv:
            name = dirt.name_variant(name, form, rnd)
        elif rnd.random() < 0.5:
            name = name.upper()
        addr = ents.address[e]
        av = dup_rec and vd[1] < addr_share
        if dup_rec and kind[r] in (0, 1) and vd[5] < 0.7:  # moved or a branch: another address
            addr = _address(rnd)
        if av:
            addr = dirt.address_variant(addr, rnd)
        cv = vd[2] < city_share
        city_txt = rnd.choice(city.variants) if cv else city.name
        if dup_rec and kind[r] in (0, 1) and vd[5] < 0.25:  # moved to / branch in another city
            city_txt = rnd.choice(V.CITIES[:10]).name
        ice, state = _record_ice(r, d, missing_ice, malformed_ice, rnd)
        rc, court, rcs = _record_rc(r, e, d, miss_rc, form, city, int(kind[r]), dup_rec, rnd)
        if_no = None if (d.no_strong[r] or d.if_draw[r] < MISSING_IF_SHARE) else str(int(d.if_num[e]))
        cin = None if d.no_strong[r] else ents.cin[e]
        phone, phone_2, email, changed = _record_contacts(
            r, d, miss_phone, miss_email, ents.phone[e], ents.email[e], dup_rec, rnd
        )
        rep = ents.rep[e]
        if dup_rec and vd[3] < 0.3 and not rep[0] >= "\u0600":
            rep = dirt.name_variant(rep, "EI", rnd)
        legal_form: str | None = rnd.choice(V.LEGAL_FORM_VARIANTS[form]) if vd[4] < 0.3 else form
        if vd[4] > 0.95:
            legal_form = None
        row: dict[str, Any] = {
            "legal_name": name, "legal_form": legal_form, "ice": ice, "rc_number": rc, "rc_court": court,
            "if_number": if_no, "cin": cin, "address": addr, "city": city_txt, "phone": phone,
            "phone_2": phone_2, "email": email, "legal_rep_name": rep,
        }
        for column, value in row.items():
            cols[column].append(value)
        flags: dict[str, Any] = {
            "ice_state": state, "name_variant": nv, "address_variant": av, "city_variant": cv,
            "phone_changed": changed, "rc_state": rcs,
        }
        for column, flag in flags.items():
            truth[column].append(flag)
    return cols, truth


def _record_ice(
    r: int, d: _RecordDraws, missing_ice: float, malformed_ice: float, rnd: random.Random
) -> tuple[str | None, str]:
    """(ICE as recorded, its truth state): missing, malformed in one of the known ways, or valid."""
    if d.no_strong[r] or d.ice_draw[r] < missing_ice:
        return None, "MISSING"
    if d.ice_draw[r] < missing_ice + malformed_ice:
        state = rnd.choice(dirt.MALFORMED_ICE_KINDS)
        return dirt.malform_ice(d.ice_valid[r], state, rnd), state
    return d.ice_valid[r], "VALID"


def _record_rc(
    r: int, e: int, d: _RecordDraws, miss_rc: float, form: str, city: V.City, kind: int, dup_rec: bool,
    rnd: random.Random,
) -> tuple[str | None, str | None, str]:
    """(RC number, RC court, truth state): none for associations and cooperatives; missing; the court
    typed differently; a new number for a re-registration."""
    if form in ("association", "cooperative") or d.no_strong[r] or d.rc_draw[r] < miss_rc:
        return None, None, "MISSING"
    rc = str(int(d.rc_num[e]) + (int(rnd.randrange(1, 9999)) if kind == 0 and dup_rec else 0))
    court_city = _CITY_BY_NAME[city.court]
    if rnd.random() < RC_COURT_VARIANT_SHARE:
        court, rcs = rnd.choice(court_city.variants), "COURT_VARIANT"
    else:
        court, rcs = court_city.name, "PRESENT"
    if kind == 0 and dup_rec:
        rcs = "NEW_NUMBER"  # re-registered at another court or under a new number
    return rc, court, rcs


def _record_contacts(
    r: int, d: _RecordDraws, miss_phone: float, miss_email: float, nsn: str, email: str | None, dup_rec: bool,
    rnd: random.Random,
) -> tuple[str | None, str | None, str | None, bool]:
    """(phone, second phone, email, whether the phone changed) of a record, from its entity's."""
    changed = dup_rec and d.ph_draw[r] < DUP_PHONE_CHANGED
    if changed:
        nsn = rnd.choice("67") + f"{rnd.randrange(10**8):08d}"
    phone = None if d.ph_draw[r] > 1 - miss_phone else dirt.format_phone(nsn, int(d.phone_fmt[r]))
    phone_2 = (dirt.format_phone(rnd.choice("67") + f"{rnd.randrange(10**8):08d}", int(d.phone2_fmt[r]))
               if d.has_phone_2[r] and phone is not None else None)
    if email is not None and dup_rec:
        if d.em_draw[r] < DUP_EMAIL_CHANGED:
            email = f"contact{rnd.randrange(1000)}@{rnd.choice(V.EMAIL_DOMAINS)}"
        elif d.em_draw[r] < 0.7:
            email = dirt.email_variant(email, rnd)
    if d.em_draw[r] > 1 - miss_email:
        email = None
    return phone, phone_2, email, changed
