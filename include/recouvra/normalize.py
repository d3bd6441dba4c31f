"""Normalisers and validators of debtor records: names, identifiers, phones, e-mails, addresses, cities.

Every scalar function is pure, never raises on garbage (it returns ``None`` or an empty form plus a
reason) and is the reference of its behaviour. Entity resolution needs the same results on a million
rows, so the ``*_series`` functions give identical answers in bulk: cheap rules run vectorised on
Arrow-backed pandas strings, costly ones run once per distinct value (a debtor file repeats the same
names, cities and courts many times). ``tests/unit/test_normalize.py`` checks that both paths agree.

Arabic script is kept, not transliterated: a romanisation such as ``shrk@ l'Tls`` helps nobody, and
the same company written in Arabic and in Latin letters is joined by its identifiers instead. Arabic
letters are folded (hamza forms, ta marbuta, diacritics, tatweel) and the result is flagged
``script="arabic"``.
"""

from __future__ import annotations

import logging
import os
import re
import time
import unicodedata
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import phonenumbers
import yaml
from phonenumbers.phonemetadata import PhoneMetadata
from rapidfuzz import fuzz, process
from stdnum.ma import ice as stdnum_ice
from text_unidecode import unidecode

from recouvra.config import config_dir
from recouvra.exchange.spec import EMAIL_RE
from recouvra.exchange.values import MAX_EMAIL_CHARS, is_email, moroccan_number

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    import numpy as np
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "CityInfo",
    "IceCheck",
    "NormalizedName",
    "PhoneCheck",
    "canonical_city",
    "city_series",
    "email_series",
    "fold",
    "ice_series",
    "load_city_table",
    "map_unique_all",
    "map_unique_text",
    "normalize_address",
    "normalize_cin",
    "normalize_company_name",
    "normalize_email",
    "normalize_ice",
    "normalize_person_name",
    "normalize_phone",
    "normalize_rc",
    "owner_of_shop_sign",
    "owner_of_signed_part",
    "parse_phone",
    "phone_series",
    "phonetic_flat",
    "phonetic_key",
    "shop_sign",
]

Script = Literal["empty", "latin", "arabic", "mixed"]

# --------------------------------------------------------------------------------------- folding

_ARABIC_RE = re.compile(r"[\u0600-\u06FF]")
_ARABIC_TABLE = str.maketrans(
    {
        "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",  # alef forms
        "\u0629": "\u0647",  # ta marbuta -> ha
        "\u0649": "\u064A",  # alef maqsura -> ya
        "\u0624": "\u0648", "\u0626": "\u064A",  # hamza on waw / ya
        "\u0640": None,  # tatweel
        **{chr(c): None for c in range(0x064B, 0x0653)},  # harakat
        "\u0670": None,
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Eastern Arabic-Indic digits
    }
)
_LATIN_RUN = re.compile(r"[^\u0600-\u06FF]+")
# unidecode costs ~10 µs a call; the accented letters and typographic signs of French and Spanish
# text are folded by one C-level translate first, and unidecode only sees what is left
_LATIN_FOLD = str.maketrans(
    {chr(c): unidecode(chr(c)) for c in [*range(0x00A0, 0x0180), *range(0x2010, 0x2027)]}
)
# both in one pass: the two tables' keys are apart, and neither maps a character to the other's keys
_FOLD_TABLE = {**_LATIN_FOLD, **_ARABIC_TABLE}


def _is_blank(value: object) -> bool:
    """True for None, NaN, pandas NA and whitespace-only strings."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    if not isinstance(value, str):
        return str(value).strip() in {"", "<NA>", "nan", "NaT"}
    return not value.strip()


def _text(value: object) -> str:
    """Any cell as a string ('' for missing values), NFKC-normalised."""
    if _is_blank(value):
        return ""
    return unicodedata.normalize("NFKC", value if isinstance(value, str) else str(value))


def fold(value: object) -> str:
    """Lower-case ASCII form of Latin text (accents removed), Arabic letters folded but kept.

    Punctuation is left in place: each normaliser decides what its punctuation means.
    """
    if isinstance(value, str) and value.isascii():
        # (most cells: NFKC and both tables leave ASCII as it is; their translate was 5 % of the
        # normalisation's time at L)
        return value.lower() if value.strip() else ""
    text = _text(value)
    if not text:
        return ""
    text = text.translate(_FOLD_TABLE)
    if text.isascii():
        return text.lower()
    if _ARABIC_RE.search(text) is None:
        return str(unidecode(text)).lower()
    return _LATIN_RUN.sub(lambda m: unidecode(m.group()), text).lower()


def _script(text: str) -> Script:
    if text.isascii():
        return "latin" if text.strip() else "empty"
    has_arabic = _ARABIC_RE.search(text) is not None
    has_latin = re.search(r"[a-z]", text) is not None
    if has_arabic and has_latin:
        return "mixed"
    if has_arabic:
        return "arabic"
    return "latin" if text.strip() else "empty"


_DOTTED = re.compile(r"(?<=\w)\.(?=\w)")  # S.A.R.L -> SARL, keep "Bd. X" -> "Bd X"
_NON_WORD = re.compile(r"[^a-z0-9\u0600-\u06FF]+")
# A given name's initial in a name: one letter and its dot before a word (``A. Jbari``, ``Épicerie D.
# Alami``), marked so that ``à`` and ``d'``, which fold to the same letters, do not take it as a stop
# word. Not a letter of a dotted abbreviation (``S.A.``) nor one before a single letter (``S. A.``).
_INITIAL = re.compile(r"(?<![\w.])([a-z])\.(?=\s*[a-z]{2})")


#: a word boundary a name written without its spaces keeps in its capitals: two lower-case letters, then
#: an upper-case one and another letter (``AbderrazzakBenis``, ``RachidaGUESSOUS``; Latin letters, accented
#: or not). Not a capital after one letter: two letters swapped (``eMsolu`` for ``Mesolu``), ``McDonald``
_LOWER = "a-z\u00df-\u00f6\u00f8-\u00ff"
_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de"
_JOINED_WORDS = re.compile(f"(?<=[{_LOWER}]{{2}})(?=[{_UPPER}][{_LOWER}{_UPPER}])")
_LOWER_THEN_UPPER = re.compile(f"[{_LOWER}][{_UPPER}]")  # searched first: a name in 200 has one


def _unjoined(value: object) -> object:
    """A name's words a system wrote together parted again where its capitals show them
    (``AbderrazzakBenis`` -> ``Abderrazzak Benis``); any other value as it is."""
    if isinstance(value, str) and _LOWER_THEN_UPPER.search(value) is not None:
        return _JOINED_WORDS.sub(" ", value)
    return value


def _tokens(folded: str) -> list[str]:
    # (each step only where its character is: most names have none of them)
    if "&" in folded:
        folded = folded.replace("&", " et ")
    if "@" in folded:
        folded = folded.replace("@", " at ")
    if "." in folded:
        folded = _DOTTED.sub("", folded)
    return _NON_WORD.sub(" ", folded).split()


def _tokens_keeping_initials(folded: str) -> list[str]:
    """``_tokens``, with each initial kept as its letter and dot (``a.``): no word of ``_tokens`` holds a
    dot, so the stop words and legal forms cannot take it; the caller drops the dot."""
    if "." not in folded:  # no initial without its dot
        return _tokens(folded)
    tokens: list[str] = []
    start = 0
    for m in _INITIAL.finditer(folded):
        tokens += _tokens(folded[start : m.start()])
        tokens.append(m.group(1) + ".")
        start = m.end()
    return tokens + _tokens(folded[start:])


# ------------------------------------------------------------------------------ company names

# Legal forms, longest phrases first; value = canonical form returned separately.
_LEGAL_FORM_PHRASES: dict[tuple[str, ...], str] = {}
for _form, _phrases in {
    "SARL AU": [
        "sarl au", "sarlau", "sarl a u", "sarl d au", "sarlu", "sarl associe unique",
        "sarl a associe unique", "sarl d associe unique", "sarl unipersonnelle",
        "societe a responsabilite limitee a associe unique",
        "societe a responsabilite limitee d associe unique",
        "societe a responsabilite limitee associe unique",
        "شركه ذات المسووليه المحدوده ذات الشريك الوحيد", "شمم شو",
        # the abbreviation and "of the sole partner" written out, "of limited liability" without its article
        "شمم ذات الشريك الوحيد", "ش م م ذات الشريك الوحيد", "شركه ذات مسووليه محدوده ذات الشريك الوحيد",
        "ذات المسووليه المحدوده ذات الشريك الوحيد", "ذات مسووليه محدوده ذات الشريك الوحيد",
    ],
    "SARL": [
        "sarl", "s a r l", "societe a responsabilite limitee", "شمم", "ش م م",
        "شركه ذات المسووليه المحدوده", "شركه ذات مسووليه محدوده", "ذات المسووليه المحدوده",
        "ذات مسووليه محدوده",
    ],
    "SAS": ["sas", "s a s", "societe par actions simplifiee"],
    "SA": ["sa", "s a", "societe anonyme", "شم", "ش م", "شركه مساهمه"],
    "SNC": ["snc", "s n c", "societe en nom collectif"],
    "SCS": ["scs", "s c s", "societe en commandite simple"],
    "SCA": ["sca", "s c a", "societe en commandite par actions"],
    "GIE": ["gie", "g i e", "groupement d interet economique", "groupement interet economique"],
    "EI": ["ei", "e i", "entreprise individuelle", "entrepreneur individuel", "personne physique"],
    "COOPERATIVE": ["cooperative", "coop", "cooperatives", "cooperative agricole", "تعاونيه"],
    "ASSOCIATION": ["association", "assoc", "asso", "asoc", "jamiat", "جمعيه"],
}.items():
    for _p in _phrases:
        _LEGAL_FORM_PHRASES[tuple(_p.split())] = _form

# Designations ("Sté", "Ets"...) say "this is a business" but not which legal form: stripped, dropped.
_DESIGNATORS: set[tuple[str, ...]] = {
    tuple(p.split())
    for p in [
        "ste", "sste", "stes", "societe", "societes", "soc", "ets", "etablissement", "etablissements",
        "etab", "ent", "entreprise", "entreprises", "ese", "cie", "compagnie", "et cie", "co",
        "شركه", "موسسه", "مقاوله", "الشركه", "موسسات",
    ]
}


def _deletions(word: str) -> set[str]:
    """Typos of a long word by one lost letter (``etablisseents``); safe only for long words."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))} - {word}


def _insertions_and_swaps(word: str) -> set[str]:
    """Typos of a legal-form word by one inserted letter or two letters swapped (``sarrl``, ``asrl``).

    Substitutions and deletions are left out on purpose: they turn ``sarl`` into real names
    (``sara``, ``sal``).
    """
    out = {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in "abcdefghijklmnopqrstuvwxyz"}
    out |= _swaps(word)
    out.discard(word)
    return out


def _swaps(word: str) -> set[str]:
    """Typos of a word by two neighbouring letters swapped (``asrl``, ``copo``); the word itself may be
    among them (a doubled letter swapped with itself)."""
    return {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}


# typed legal forms -> the word they stand for, applied before phrase matching
_FORM_TYPOS: dict[str, str] = {}
for _w in ("sarlau", "sarl", "association", "cooperative", "societe", "etablissements", "entreprise"):
    for _t in _insertions_and_swaps(_w) | (_deletions(_w) if len(_w) >= 7 else set()):
        _FORM_TYPOS.setdefault(_t, _w)
# short designators and abbreviations: a letter typed twice (``Etts``, ``Assocc``), and for those of four
# letters or more two letters swapped (``Copo``); any other insertion would make real words (``nets``)
for _w in ("ets", "ste", "soc", "etab", "coop", "asso", "assoc"):
    _typos = {_w[:i] + _w[i] + _w[i:] for i in range(len(_w))} | (_swaps(_w) if len(_w) >= 4 else set())
    for _t in _typos - {_w}:
        _FORM_TYPOS.setdefault(_t, _w)
# a letter lost from "SARL" is only read as SARL at the end of a name ("Mari SAL"), never inside it
_TRAILING_SARL = frozenset({"sal", "srl", "arl", "sar"})
# "AU SARL": the words of SARL AU in the other order
for _p in ("sarl aau", "sarl auu", "sarl ua", "sarl aus", "au sarl", "a u sarl"):
    _LEGAL_FORM_PHRASES[tuple(_p.split())] = "SARL AU"
# once all phrases are in: the longest, and the words one can begin with (any other word is kept
# without trying phrases)
_PHRASE_MAX = max(len(p) for p in [*_LEGAL_FORM_PHRASES, *_DESIGNATORS])
_PHRASE_STARTS = frozenset(p[0] for p in [*_LEGAL_FORM_PHRASES, *_DESIGNATORS])

_STOP_WORDS = frozenset(
    "de du des la le les l d et en au aux a pour par sur of the and".split() + ["و", "ل"]
)

# Transliteration variants of Arabic given names and particles, folded to one spelling.
_VARIANTS: dict[str, str] = {}
for _canon, _forms in {
    "mohamed": "mohammed mohamad mohammad muhammad mohamet mhamed mohmed mouhamed med mhd mohd mohamd",
    "ahmed": "ahmad ahmet hmed",
    "abdellah": "abdallah abdullah abdelah abdulah",
    "abderrahmane": "abderrahman abdurrahman abderahmane abderahman abdelrahman",
    "youssef": "yousef youssouf yusuf yousseff yusef youcef",
    "mustapha": "mustafa moustapha moustafa mostafa",
    "hassan": "hasan",
    "houssein": "hussein hossein hocine houcine husein",
    "brahim": "ibrahim ebrahim",
    "driss": "idriss idris",
    "moulay": "mulay moulai",
    "othmane": "otmane othman osman outhmane",
    "boubker": "boubaker aboubakr aboubaker",
    "rachid": "rashid",
    "said": "saeed saaid",
    "khalid": "khaled",
    "hicham": "hisham",
    "karim": "kareem",
    "zakaria": "zakariya zakariae zakariyae",
    "fatima": "fatma fatim",
    "khadija": "khadidja khadouj",
    "aicha": "aisha aysha",
    "mehdi": "mahdi",
    "omar": "oumar",
    "ouled": "oulad ould awlad ou",
    "ben": "bin ibn bn",
    "ait": "aitt",
    "el": "al",
    "transport": "transports trans",
    # (the contractions registers and clerks write: Sce, Pdts, Ind, Frs, Gle, Mar)
    "service": "services serv sce sces svc svce",
    "international": "internationale intl inter",
    "import": "imp",
    "export": "exp",
    "distribution": "distrib",
    "construction": "constructions const",
    "travaux": "trvx trav tvx",
    "industrie": "industries industriel industrielle ind indus",
    "commerce": "commercial commerciale cial",
    "maroc": "morocco marocaine marocain mar",
    "general": "generale generaux gle",
    "produit": "produits pdts pdt prdts prdt",
    "freres": "frs",
    "batiment": "bat",
    "equipement": "equipements eqpt",
    "immobilier": "immobiliere immo",
}.items():
    for _f in _forms.split():
        _VARIANTS[_f] = _canon
# Trade words registers and clerks cut short (``Nett``, ``Prom``, ``Distri``, ``Equip``; a name cut at a
# field's width): a word of four letters or more that begins one of these words and no other, two letters
# short of it at least, is that word in the name's key. Three letters are too few (``Ali`` would be
# alimentaire, ``Tex`` textile; the few contractions of three, ``Ind``, ``Sce``, are variants above);
# words that begin a brand as often as a trade (médical: ``Medi``, automobile: ``Auto``) are not in the
# list, and a beginning two trade words share (``Elec``: électricité or électronique; ``Cons``:
# construction or conseil) is neither.
_TRADE_WORDS = frozenset("""
    transport service international import export distribution construction travaux industrie commerce
    general immobilier nettoyage promotion equipement gardiennage materiaux materiel batiment electricite
    electrique electronique fourniture informatique consulting conseil logistique menuiserie mecanique
    alimentaire textile confection climatisation plomberie peinture securite restauration hotellerie
    tourisme telecommunication communication developpement technologie topographie carrelage aluminium
    sanitaire imprimerie negoce trading production fabrication maintenance installation environnement
    agricole agriculture papeterie quincaillerie boulangerie patisserie cosmetique energie hydraulique
    emballage plastique manutention architecture ingenierie gestion assurance formation enseignement
""".split())
_TRADE_ABBREVIATIONS: dict[str, str] = {}
for _word in sorted(_TRADE_WORDS):
    for _cut in range(4, len(_word) - 1):
        _head = _word[:_cut]
        # a beginning shared by two words is neither's
        _TRADE_ABBREVIATIONS[_head] = "" if _TRADE_ABBREVIATIONS.get(_head, _word) != _word else _word
_TRADE_ABBREVIATIONS = {k: v for k, v in _TRADE_ABBREVIATIONS.items()
                        if v and k not in _TRADE_WORDS and k not in _VARIANTS}
# A trade written in Arabic script is the same trade as its French word, read so with its article or,
# for a company's trade, "for the" (لل), folded as names are (ta marbuta, hamza):
# - a shop sign (``صيدلية النور`` is ``Pharmacie Nour``'s sign, ``بقالة محمد العلوي`` ``Épicerie Mohamed
#   Alaoui``'s), so that the shop signs below know it;
# - a company's trade (``الوفاق للبناء`` is ``Wifaq Construction``, ``تيفاوت للنقل`` ``Tifawt Transport``),
#   the word as the variants above fold it; the rest of the name, a proper name, is compared on its
#   consonants
_ARABIC_SIGNS = {
    "epicerie": "بقالة", "cafe": "مقهى", "pharmacie": "صيدلية", "boulangerie": "مخبزة",
    "patisserie": "حلويات", "boucherie": "جزارة مجزرة", "couture": "خياطة", "tailleur": "خياط",
    "menuiserie": "نجارة", "ferronnerie": "حدادة", "librairie": "مكتبة", "restaurant": "مطعم",
    "hanout": "حانوت", "magasin": "محل متجر", "garage": "مرآب كراج", "salon": "صالون", "coiffure": "حلاقة",
    "cabinet": "عيادة مكتب", "medecin": "طبيب", "laboratoire": "مختبر", "hammam": "حمام", "four": "فرن",
    "ferme": "ضيعة", "taxi": "طاكسي", "pressing": "مصبنة", "avocat": "محامي محاماة", "notaire": "موثق",
    "veterinaire": "بيطري", "adoul": "عدل عدول", "atelier": "ورشة", "droguerie": "عطارة",
    "quincaillerie": "خردوات", "medical": "طبية طبي", "dentaire": "الأسنان",
}
_ARABIC_TRADES = {
    "construction": "بناء", "transport": "نقل", "service": "خدمات", "travaux": "أشغال اشغال",
    "commerce": "تجارة", "distribution": "توزيع", "import": "استيراد", "export": "تصدير",
    "industrie": "صناعة", "immobilier": "عقار عقارات", "agricole": "فلاحية زراعية", "peche": "صيد",
    "tourisme": "سياحة", "lait": "حليب", "safran": "زعفران", "textile": "نسيج", "nettoyage": "تنظيف",
    "gardiennage": "حراسة", "sociale": "اجتماعية", "culturelle": "ثقافية", "sport": "رياضة",
    "developpement": "تنمية", "artisanat": "تقليدية", "argan": "أركان اركان",
}
_ARTICLE_AR, _FOR_THE_AR = "\u0627\u0644", "\u0644\u0644"  # ال, لل
for _table, _prefixes in ((_ARABIC_SIGNS, ("", _ARTICLE_AR)),
                          (_ARABIC_TRADES, ("", _ARTICLE_AR, _FOR_THE_AR))):
    for _canon, _forms in _table.items():
        for _f in _forms.split():
            for _p in _prefixes:
                _VARIANTS[fold(_p + _f)] = _canon

_ABD_PREFIX = re.compile(r"^(?:abd[aeiou]?l|abdoul|abdul)(?=[a-z]{3})")
_DOUBLE = re.compile(r"([a-z])\1+")


class NormalizedName(NamedTuple):
    """A company or person name ready for matching.

    ``clean`` is for scoring (tokens in their order), ``key`` for blocking (sorted, de-duplicated tokens
    folded further: doubled letters, ``ou``/``u``). ``legal_form`` is the canonical form found (``SARL``,
    ``SARL AU``, ``SA``, ...), ``script`` says whether Arabic letters were kept.
    """

    clean: str
    key: str
    legal_form: str | None
    script: Script


@lru_cache(maxsize=100_000)
def _phonetic(token: str) -> str:
    """A loose spelling key for blocking: doubled letters collapsed, ou->u, trailing s/e dropped
    (cached: a million names are made of a few tens of thousands of words)."""
    if _ARABIC_RE.search(token):
        return token
    t = _DOUBLE.sub(r"\1", token).replace("ou", "u").replace("kh", "k").replace("q", "k")
    if len(t) > 4 and t[-1] in "se":
        t = t[:-1]
    return t


# A transliteration-aware phonetic key for Maghreb names (issue 14). One Arabic name reaches the
# files in several Latin spellings (French, English, hand-typed): q/k (Qadiri/Kadiri), ou/u/w/o
# (Slaoui/Slawi), ch/sh (Hicham/Hisham), c/s before e and i (Mouhcine/Mohsine), dj/j (Khadidja),
# y/i, e/a/i vowel drift (Meryem/Mariam, Najat/Nejat), doubled consonants (Hajjaji/Hajaji), the
# article glued or assimilated (Elkhatib, Errifai), particles written apart or together (Ben
# Slimane, Ait Taleb); and in Arabic script.
# Each token becomes its consonants with every run of vowels written "a"; for a name in Arabic
# script (short vowels are not written) the Latin side's vowels cannot be known, so two names of
# different scripts are compared on their consonant skeletons ("xdj bnjln" for both
# "Khadija Benjelloun" and "خديجة بنجلون").
_PHONETIC_RULES: tuple[tuple[str, str], ...] = (
    ("dj", "j"), ("sch", "C"), ("sh", "C"), ("ch", "C"), ("kh", "x"), ("gh", "g"),
    ("ph", "f"), ("th", "t"), ("dh", "d"), ("ck", "k"), ("q", "k"),
    ("ce", "se"), ("ci", "si"), ("cy", "si"), ("c", "k"),  # French c before e, i: Mouhcine = Mohsine, Lahcen
    ("w", "u"), ("y", "i"),
)
_VOWEL_RUN = re.compile(r"[aeiou]+")
_REPEAT = re.compile(r"(.)\1+")
_SUN_ARTICLE = re.compile(r"^e([tdrzsnl])\1(?=[a-z]{3})")  # Errifai, Essalam, Ennasri: the article
_ARTICLE = re.compile(r"^[ea]l(?=[a-z]{5})")  # Elkhatib, Alamrani (not Alami, Alaoui: too short)
_PARTICLES = frozenset({"ben", "bel", "bou", "ait", "abd", "abdel", "ouled", "moulay", "sidi", "lalla"}
                       # and in Arabic script, folded as names are (بن, أيت, مولاي: ben, ait, moulay)
                       | {fold(p) for p in "بن بو أيت ايت آيت عبد ولد أولاد مولاي سيدي للا".split()})
_AR_LATIN: dict[str, str] = {
    "\u0627": "a", "\u0628": "b", "\u062a": "t", "\u062b": "t", "\u062c": "j", "\u062d": "h", "\u062e": "x",
    "\u062f": "d", "\u0630": "d", "\u0631": "r", "\u0632": "z", "\u0633": "s", "\u0634": "C", "\u0635": "s",
    "\u0636": "d", "\u0637": "t", "\u0638": "z", "\u0639": "a", "\u063a": "g", "\u0641": "f", "\u0642": "k",
    "\u0643": "k", "\u0644": "l", "\u0645": "m", "\u0646": "n", "\u0647": "a", "\u0648": "u", "\u064a": "i",
    "\u0621": "", "\u0629": "a", "\u0649": "a", "\u06a4": "f", "\u06af": "g", "\u06a5": "f",
}


@lru_cache(maxsize=100_000)
def _phonetic_token(token: str) -> tuple[str, str]:
    """(vowel-run form, consonant skeleton) of one folded token (cached: a million names are made of a
    few tens of thousands of words)."""
    if _ARABIC_RE.search(token):
        if token.startswith("\u0627\u0644") and len(token) > 4:  # the article al-
            token = token[2:]
        t = "".join(_AR_LATIN.get(ch, ch if ch.isascii() else "") for ch in token)
    else:
        t = _SUN_ARTICLE.sub(r"\1", token)
        t = _ARTICLE.sub("", t)
        for a, b in _PHONETIC_RULES:
            t = t.replace(a, b)
    t = _REPEAT.sub(r"\1", t)
    vowels = _VOWEL_RUN.sub("a", t)
    # in the skeleton g is k (Moroccan Arabic writes the g of Agadir or Guelmim with kaf: أكادير) and h
    # is left out (the two scripts write it apart: Latin th, kh, ch are one letter each, الفتح is Fath;
    # a final ه is a vowel, عبد الله is Abdellah), after the doubled letters are made one: the two m of
    # محمد (Mohamed, mmd) stay two, Hamid is md
    skeleton = _REPEAT.sub(r"\1", _VOWEL_RUN.sub("", t).replace("g", "k")).replace("h", "")
    return vowels, skeleton or vowels


def _glued(tokens: list[str]) -> list[str]:
    """``tokens`` with each particle written apart (``ben slimane``) glued to the next word."""
    glued: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in _PARTICLES and i + 1 < len(tokens):
            glued.append(tok + tokens[i + 1])
            i += 2
            continue
        glued.append(tok)
        i += 1
    return glued


@lru_cache(maxsize=200_000)
def phonetic_key(clean: str) -> tuple[str, str, str]:
    """Transliteration-aware keys of a clean name (``normalize_company_name(x).clean``): the tokens'
    phonetic forms, sorted; their consonant skeletons, sorted (``("kadara", "kdr", ...)`` for both
    ``kadiri`` and ``qadiri``); and the phonetic forms in their order without spaces (joined names,
    ``NejatChraibi``). Particles written apart (``ben slimane``) are glued to the next word.
    Empty strings for an empty name."""
    forms = [_phonetic_token(t) for t in _glued(clean.split())]
    vowels = " ".join(sorted(f[0] for f in forms if f[0]))
    skeleton = " ".join(sorted(f[1] for f in forms if f[1]))
    return vowels, skeleton, _joined_form(f[0] for f in forms)


@lru_cache(maxsize=200_000)
def phonetic_flat(clean: str) -> str:
    """``phonetic_key(clean)[2]`` alone (the phonetic forms in their order, without spaces), without the
    sorted forms and skeletons: a name's words but its first or last (an initial's name) need no more."""
    return _joined_form(_phonetic_token(t)[0] for t in _glued(clean.split()))


def name_phonetics(words: list[str]) -> tuple[str, str, str, str, str]:
    """:func:`phonetic_key` of a clean name, then :func:`phonetic_flat` of its words but the first and of
    its words but the last, from one pass over its words (``words``: the clean name's, two or more,
    none empty). The two shorter names' words sound as they do in the whole name, except a particle
    glued to the next word at either end: those two are worked out again."""
    glued = _glued(words)
    forms = [_phonetic_token(t) for t in glued]
    vowels = [f[0] for f in forms]
    key = " ".join(sorted(v for v in vowels if v))
    skeleton = " ".join(sorted(f[1] for f in forms if f[1]))
    # the first word stands alone in the whole name unless it is a particle; the last unless it was
    # glued to a particle before it (a glued word is longer than the last word alone)
    but_first = _joined_form(vowels[1:]) if words[0] not in _PARTICLES else phonetic_flat(" ".join(words[1:]))
    but_last = _joined_form(vowels[:-1]) if glued[-1] == words[-1] else phonetic_flat(" ".join(words[:-1]))
    return key, skeleton, _joined_form(vowels), but_first, but_last


def _joined_form(forms: Iterable[str]) -> str:
    """The tokens' phonetic forms in their order, joined, each run of vowels one ``a`` (across the
    joins too): :func:`phonetic_key`'s third key, and :func:`phonetic_flat`."""
    return _VOWEL_RUN.sub("a", "".join(forms))


def _fold_tokens(tokens: list[str]) -> list[str]:
    """Transliteration variants folded; standalone articles (el/al) dropped, abd-el glued."""
    out: list[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = _VARIANTS.get(tokens[i], tokens[i])
        nxt = tokens[i + 1] if i + 1 < n else None
        if tok == "abd" and nxt in {"el", "al"} and i + 2 < n:
            out.append("abdel" + tokens[i + 2])
            i += 3
            continue
        if tok in {"abdel", "abdal", "abdul", "abdoul"} and nxt is not None and nxt not in _STOP_WORDS:
            out.append("abdel" + _VARIANTS.get(nxt, nxt))
            i += 2
            continue
        if tok == "el" and nxt is not None:  # "El Amrani" = "Al Amrani" = "Amrani" for matching
            i += 1
            continue
        m = _ABD_PREFIX.match(tok) if tok.startswith("abd") else None  # (every form begins so)
        if m:
            tok = "abdel" + tok[m.end():]
        out.append(tok)
        i += 1
    return out


def _strip_phrases(tokens: list[str]) -> tuple[list[str], str | None]:
    """Remove legal-form phrases and designators; return the remaining tokens and the legal form."""
    kept: list[str] = []
    form: str | None = None
    tokens = [_FORM_TYPOS.get(t, t) for t in tokens]
    if len(tokens) >= 2 and tokens[-1] in _TRAILING_SARL:
        tokens[-1] = "sarl"
    if _PHRASE_STARTS.isdisjoint(tokens):  # most names: no word that can begin a form or a designation
        return tokens, None
    i = 0
    n = len(tokens)
    while i < n:
        if tokens[i] not in _PHRASE_STARTS:
            kept.append(tokens[i])
            i += 1
            continue
        for size in range(min(_PHRASE_MAX, n - i), 0, -1):
            phrase = tuple(tokens[i : i + size])
            found = _LEGAL_FORM_PHRASES.get(phrase)
            if found is not None:
                # the first form named wins, unless a later one says more of it (SARL, then SARL AU)
                form = found if form is None or (form == "SARL" and found == "SARL AU") else form
                i += size
                break
            if phrase in _DESIGNATORS:
                i += size
                break
        else:
            kept.append(tokens[i])
            i += 1
    return kept, form


@lru_cache(maxsize=200_000)
def normalize_company_name(value: object) -> NormalizedName:
    """Company name -> clean form, blocking key and legal form (``Sté ATLAS Transports S.A.R.L.`` ->
    ``atlas transport`` / ``SARL``).

    Case, accents and punctuation are folded, legal forms and designations (Sté, Ets, Entreprise)
    stripped, stop-words dropped and transliteration variants (Mohammed/Mohamed, Al/El, Ould/Ouled)
    folded so that spellings of one name compare equal. A name made only of legal words keeps them.
    """
    folded = fold(_unjoined(value))
    tokens = _tokens_keeping_initials(folded)
    if not tokens:
        return NormalizedName("", "", None, "empty")
    kept, form = _strip_phrases(tokens)
    kept = [t.rstrip(".") for t in kept if t not in _STOP_WORDS]
    if form == "COOPERATIVE":  # a cooperative's kind is its form's (coopérative agricole, تعاونية فلاحية)
        kept = [t for t in kept if _VARIANTS.get(t, t) not in _COOPERATIVE_KINDS] or kept
    # a person's title before the name (``Dr. Tahiri Jamel``, ``Etude de Me Amrani``): not the name,
    # unless the name is a company's (``Le Maître Pâtissier SARL``)
    if form is None or form == "EI":
        kept = [t for k, t in enumerate(kept) if t not in _NAME_TITLES or k + 1 == len(kept)]
    if not kept:  # "Société Anonyme" alone: keep what there is rather than an empty name
        kept = [t.rstrip(".") for t in tokens if t not in _STOP_WORDS] or tokens
    folded_tokens = _fold_tokens(kept)
    clean = " ".join(folded_tokens)
    # the key reads trade words cut short as the words (``Zitouna Prom Immo`` = ``Zitouna Promotion
    # Immobilier``); the clean name, which similarities score, keeps them as written: ``Telecom`` and its
    # typo ``Teelecom`` are closer than ``Telecommunication`` and ``Teelecom``
    key = _name_key([_TRADE_ABBREVIATIONS.get(t, t) for t in folded_tokens])
    return NormalizedName(clean, key, form, _script(clean))


_COOPERATIVE_KINDS = frozenset({"agricole", "agr", "agricoles"})

#: titles a debtor's name is written with (a liberal profession's, a civility), dropped before a name
_NAME_TITLES = frozenset(
    "dr docteur pr professeur me maitre mr mme mlle monsieur madame mademoiselle".split()
    # the same in Arabic script, folded (الدكتور, الأستاذ: a doctor's, a lawyer's; السيد, السيدة)
    + [fold(t) for t in "الدكتور دكتور الدكتورة الأستاذ الأستاذة الاستاذ السيد السيدة".split()])


def _name_key(tokens: list[str]) -> str:
    """The blocking key of a name's clean words: their phonetic forms, distinct and sorted."""
    return " ".join(sorted({_phonetic(t) for t in tokens}))


# A sole trader's shop sign (enseigne): the trade in front of the owner's name, ``Épicerie Nadia
# Ouazzani``, ``Salon de coiffure A. Tazi``; written on one record, left out on another. Words as
# ``normalize_company_name`` leaves them (folded, stop words dropped, variants folded: ``generale`` is
# ``general`` there), one- or two-word signs.
_SHOP_SIGNS: frozenset[tuple[str, ...]] = frozenset(
    tuple(_fold_tokens(p.split()))
    for p in [
        "epicerie", "alimentation", "alimentation generale", "boucherie", "boulangerie", "patisserie",
        "cafe", "cafe restaurant", "restaurant", "snack", "pressing", "menuiserie", "menuiserie aluminium",
        "ferronnerie", "garage", "librairie", "papeterie", "librairie papeterie", "pharmacie",
        "parapharmacie", "cabinet", "atelier", "droguerie", "coiffure", "salon", "salon coiffure",
        "quincaillerie", "laiterie", "cremerie", "bazar", "boutique", "magasin", "teleboutique", "cyber",
        "hammam", "optique", "bijouterie", "cordonnerie", "couture", "tailleur", "plomberie", "tapisserie",
        "vitrerie", "poissonnerie", "fromagerie", "herboristerie", "parfumerie", "kiosque", "depot",
        "imprimerie", "mecanique", "vulcanisation", "lavage", "auto ecole", "creche", "clinique",
        "laboratoire", "agence", "centre", "centre dentaire", "centre medical", "epicerie generale",
        "cabinet dentaire", "cabinet medical", "etude", "etude notariale",
        "ferme", "exploitation agricole", "taxi", "grand taxi", "petit taxi", "hanout", "four",
        "transport", "atelier couture", "atelier mecanique",
        "garage mecanique",
        # liberal professions (non-salaried workers, covered since 2021) written before their name
        "architecte", "atelier architecture", "cabinet architecture", "avocat", "cabinet avocat", "notaire",
        "expert comptable", "cabinet expertise comptable", "comptable", "fiduciaire", "medecin", "dentiste",
        "chirurgien dentiste", "pharmacien", "veterinaire", "cabinet veterinaire", "kinesitherapeute",
        "cabinet kinesitherapie", "infirmier", "infirmiere", "topographe", "geometre", "huissier", "adoul",
    ]
)
_SHOP_SIGN_MAX = max(len(p) for p in _SHOP_SIGNS)


def shop_sign(clean: str) -> tuple[str | None, str]:
    """``(sign, owner)`` of a clean name (``normalize_company_name(x).clean``) that begins with a shop
    sign and goes on with something else (``("epicerie", "nadia ouazzani")``), else ``(None, clean)``.
    The longest sign wins (``salon coiffure`` before ``salon``). Only a sole trader's name is read this
    way: a company's trade name is its name (the caller decides which records are sole traders)."""
    tokens = clean.split()
    for size in range(min(_SHOP_SIGN_MAX, len(tokens) - 1), 0, -1):
        if tuple(tokens[:size]) in _SHOP_SIGNS:
            # the sign's own number (a taxi's licence, ``Taxi n° 483``) is the sign's, not the owner's
            end = size
            while end < len(tokens) - 1 and (tokens[end] in _NUMBER_WORDS
                                             or any(c.isdigit() for c in tokens[end])):
                end += 1
            number = ["".join(c for c in t if c.isdigit())
                      for t in tokens[size:end] if t not in _NUMBER_WORDS]
            return " ".join([*tokens[:size], *(n for n in number if n)]), " ".join(tokens[end:])
    return None, clean


_NUMBER_WORDS = frozenset({"n", "no", "ndeg", "num", "numero"})


#: where a name is written in two parts, a trade and its owner: ``Cabinet Médical Inara (Boutaleb
#: Haddou)``, ``Widad Zemama / Epicerie Harmonie``, ``Chafai Tayeb - Alimentation Générale``
_NAME_PARTS = re.compile(r"\s+[-–/]\s+|\s*/\s*|[()]")


def name_parts(raw: str) -> list[str]:
    """The parts of a raw name written in several (``Cabinet Médical Inara (Boutaleb Haddou)``,
    ``Widad Zemama / Epicerie Harmonie``, ``X - Y``), as written; one part for a name in one."""
    return [p for p in _NAME_PARTS.split(raw) if p.strip()]


@lru_cache(maxsize=100_000)
def owner_of_signed_part(raw: str) -> tuple[str, str, str, Script] | None:
    """``(sign, owner, owner's blocking key, owner's script)`` of a raw name written in two parts of
    which one begins with a shop sign (:func:`shop_sign`, or is a sign alone) and the other is the
    owner's (``Cabinet Médical Inara (Boutaleb Haddou)`` -> (``cabinet medical inara``,
    ``boutaleb haddou``, ...)); None otherwise."""
    parts = [p for p in (normalize_company_name(x).clean for x in name_parts(raw)) if p]
    if len(parts) != 2:
        return None
    for sign, owner in (parts, parts[::-1]):
        words = tuple(sign.split())
        if (shop_sign(sign)[0] is not None or words in _SHOP_SIGNS) and shop_sign(owner)[0] is None:
            return sign, owner, _name_key(owner.split()), _script(owner)
    return None


def owner_of_shop_sign(clean: str) -> tuple[str, str, str, Script] | None:
    """``(sign, owner, owner's blocking key, owner's script)`` of a clean name that begins with a shop
    sign (:func:`shop_sign`), the key as :func:`normalize_company_name` makes it; None without a sign."""
    sign, owner = shop_sign(clean)
    if sign is None:
        return None
    return sign, owner, _name_key(owner.split()), _script(owner)


_PERSON_TITLES = frozenset(
    "m mr mme mlle monsieur madame mademoiselle dr docteur me maitre si hadj haj elhadj elhaj gerant gerante"
    .split() + [*_NAME_TITLES, *(fold(t) for t in "الحاج الحاجة الحاجه المسير المسيرة".split())]
)


@lru_cache(maxsize=200_000)
def normalize_person_name(value: object) -> str:
    """Person name (legal representative) -> folded tokens without titles (M., Mme, Hadj, Dr).

    A leading single letter is the given name's initial (``A. Kadiri``, ``D. Daoudi``), not the
    French word it spells (``à``, ``d'``): kept, unless it is a title (``M.`` is Monsieur)."""
    raw = _tokens(fold(_unjoined(value)))
    lead = 0  # the titles before the given name
    while lead < len(raw) - 1 and raw[lead] in _PERSON_TITLES:
        lead += 1
    initial = lead < len(raw) - 1 and len(raw[lead]) == 1 and raw[lead].isalpha()
    tokens = [t for k, t in enumerate(raw) if t not in _STOP_WORDS or (initial and k == lead)]
    return " ".join(t for t in _fold_tokens(tokens) if t not in _PERSON_TITLES)


# ------------------------------------------------------------------------------------------ ICE


@dataclass(frozen=True, slots=True)
class IceCheck:
    """Outcome of ICE validation: the 15-digit ICE and its 9-digit company root, or a reason.

    ``reason`` is one of ``empty``, ``format``, ``length``, ``checksum``, ``placeholder`` when
    invalid; ``padded`` tells that leading zeros lost by a spreadsheet were restored.
    """

    ice: str | None
    root: str | None
    reason: str | None = None
    padded: bool = False


_ICE_NOISE = re.compile(r"[\s.\-_/,:]+")
_ICE_PREFIX = re.compile(r"^(?:ice|n|no|num)+", re.IGNORECASE)
_FLOAT_TAIL = re.compile(r"^(\d+)\.0+$")  # a number that went through a float: "1561191000066.0"


def _placeholder_root(root: str) -> bool:
    """A root of one repeated digit (000000000, 999999999) is a filler, not a company."""
    return len(set(root)) == 1


def normalize_ice(value: object) -> IceCheck:
    """Validate an ICE with python-stdnum (15 digits, divisible by 97) and expose its company root.

    Spaces, dots and dashes are removed; a 13- or 14-digit number is left-padded with zeros (a
    spreadsheet ate them; padding keeps the mod-97 check meaningful). Roots made of one repeated digit
    are placeholders and rejected.
    """
    text = _text(value).translate(_ARABIC_TABLE).strip()
    if not text:
        return IceCheck(None, None, "empty")
    text = _FLOAT_TAIL.sub(r"\1", text)
    text = _ICE_NOISE.sub("", _ICE_PREFIX.sub("", text))
    if not text.isascii() or not text.isdigit():
        return IceCheck(None, None, "format")
    padded = False
    if len(text) in (13, 14):
        text, padded = text.zfill(15), True
    try:
        number = stdnum_ice.validate(text)
    except stdnum_ice.InvalidLength:
        return IceCheck(None, None, "length")
    except stdnum_ice.InvalidFormat:
        return IceCheck(None, None, "format")
    except stdnum_ice.InvalidChecksum:
        return IceCheck(None, None, "checksum")
    if _placeholder_root(number[:9]):
        return IceCheck(None, None, "placeholder")
    return IceCheck(number, number[:9], None, padded)


# ------------------------------------------------------------------------------------ RC and CIN


class RcNumber(NamedTuple):
    """A trade-register number and the canonical city of its commercial court (the key is both)."""

    number: str | None
    court: str | None


_RC_PREFIX = re.compile(r"^(?:r\s*\.?\s*c\s*\.?|registre\s+(?:de\s+|du\s+)?commerce)\s*", re.IGNORECASE)
_RC_NUMBER_WORD = re.compile(r"^(?:n\s*[°º]?|no\.?|num(?:ero)?\.?)\s*(?=\d)", re.IGNORECASE)
_COURT_WORDS = frozenset(
    "tribunal tribunaux commerce commercial commerciale de du d la le premiere instance tc tpi rc "
    "court cour appel registre".split()
    # in Arabic script (المحكمة التجارية, المحكمة الابتدائية: the commercial court, the court of first
    # instance), folded as courts are
    + [fold(w) for w in "المحكمة محكمة التجارية تجارية الابتدائية ابتدائية الاستئناف السجل التجاري".split()]
)


def normalize_rc(number: object, court: object = None) -> RcNumber:
    """RC number -> digits without leading zeros (``RC N° 012.345`` -> ``12345``); court -> canonical city.

    The court text may be a bare city or ``Tribunal de commerce de Casablanca``. A number with
    letters keeps them upper-cased without separators; one with no digit is ``None``.
    """
    court_city = _court_city(court if isinstance(court, str) else _text(court))
    if isinstance(number, str) and number.isdigit() and number.isascii():  # most numbers: digits alone
        return RcNumber(number.lstrip("0") or None, court_city)
    text = _text(number).translate(_ARABIC_TABLE).strip()
    text = _FLOAT_TAIL.sub(r"\1", text)
    text = _RC_NUMBER_WORD.sub("", _RC_PREFIX.sub("", text)).strip(" :#")
    compact = re.sub(r"[\s.,\-_:#]+", "", text).upper()
    if not compact or not any(c.isdigit() for c in compact) or not compact.isascii():
        rc = None
    elif compact.isdigit():
        rc = compact.lstrip("0") or None
    else:
        rc = compact if re.fullmatch(r"[A-Z0-9/]+", compact) else None
    return RcNumber(rc, court_city)


@lru_cache(maxsize=10_000)
def _court_city(court: str) -> str | None:
    """The canonical city of a court's text (cached: a file names a few tens of courts, its RC
    numbers a million)."""
    court_tokens = [t for t in _tokens(fold(court)) if t not in _COURT_WORDS]
    info = canonical_city(" ".join(court_tokens)) if court_tokens else None
    if info is None and court_tokens and court_tokens[0].startswith("\u0628"):
        # ``بالعيون``, ``بوجدة``: "at" glued to the city (after the city as written: بركان is Berkane)
        info = canonical_city(" ".join([court_tokens[0][1:], *court_tokens[1:]]))
    return info.city if info else None


_CIN_RE = re.compile(r"^([A-Z]{1,2})(\d{1,6})$")


def normalize_cin(value: object) -> str | None:
    """Moroccan national id (1-2 letters then up to 6 digits, ``be 123 456`` -> ``BE123456``) or None.

    The number is written without leading zeros: a system that pads it to six digits writes
    ``AX086232`` for the card's ``AX86232``, one serial number either way."""
    text = _text(value).translate(_ARABIC_TABLE)
    compact = re.sub(r"[\s.\-_/]+", "", text).upper()
    m = _CIN_RE.match(compact) if compact.isascii() else None
    return f"{m.group(1)}{int(m.group(2))}" if m else None


# --------------------------------------------------------------------------------------- phones


class PhoneCheck(NamedTuple):
    """A phone in E.164 with its kind (``mobile``, ``fixed``, ``voip``, ``other``), or None + reason."""

    e164: str | None
    kind: str | None
    reason: str | None = None


_PHONE_SPLIT = re.compile(r"[/;,|]|\s+(?:ou|or|et)\s+", re.IGNORECASE)
_TRUNK_IN_BRACKETS = re.compile(r"\(\s*0\s*\)")
_PNT = phonenumbers.PhoneNumberType
_KINDS = {
    _PNT.MOBILE: "mobile",
    _PNT.FIXED_LINE: "fixed",
    _PNT.FIXED_LINE_OR_MOBILE: "fixed",
    _PNT.VOIP: "voip",
}


def _phone_candidate(text: str) -> str:
    """Local spellings rewritten so that phonenumbers parses them: 00212 / 212 / (0) / 2120."""
    text = _TRUNK_IN_BRACKETS.sub("", text.translate(_ARABIC_TABLE)).strip()
    digits = re.sub(r"\D", "", text)
    if text.startswith("00"):
        text, digits = "+" + digits[2:], digits[2:]
    if text.startswith("+"):
        if digits.startswith("2120") and len(digits) == 13:
            return "+212" + digits[4:]
        return "+" + digits
    if digits.startswith("212") and len(digits) == 12:
        return "+" + digits
    if digits.startswith("2120") and len(digits) == 13:
        return "+212" + digits[4:]
    return digits


@lru_cache(maxsize=100_000)
def parse_phone(value: object) -> PhoneCheck:
    """Phone -> E.164 (region MA by default) and kind, with phonenumbers' validity rules.

    Accepts ``06 12 34 56 78``, ``+212 (0)6...``, ``00212...``, ``212612345678``, ``0522-12-34-56``;
    when a cell holds several numbers (``/``, ``;``, ``ou``) the first valid one is kept.
    """
    text = _text(value)
    if not text:
        return PhoneCheck(None, None, "empty")
    for part in _PHONE_SPLIT.split(text):
        candidate = _phone_candidate(part)
        if len(candidate.lstrip("+")) < 6:
            continue
        parsed = moroccan_number(candidate)  # the contract's rule: a valid Moroccan number
        if parsed is not None:
            kind = _KINDS.get(phonenumbers.number_type(parsed), "other")
            return PhoneCheck(
                phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), kind
            )
    return PhoneCheck(None, None, "invalid")


def normalize_phone(value: object) -> str | None:
    """Phone -> E.164 string (``'06 12 34 56 78'`` -> ``'+212612345678'``) or None when invalid."""
    return parse_phone(value).e164


# --------------------------------------------------------------------------------------- e-mails

# The contract's rule for an address (recouvra.exchange.spec.EMAIL_RE), the same for an agency's
# CONTACTS update and for the fund's own records: one rule, applied after cleaning.
_EMAIL_WRAP = re.compile(r"^(?:mailto:)?<?\s*|\s*>?[.;,]?$", re.IGNORECASE)


def normalize_email(value: object) -> str | None:
    """E-mail trimmed and lower-cased (``' Contact@Atlas.MA '`` -> ``'contact@atlas.ma'``) or None.

    A syntax check only (no DNS): one ``@``, a dotted domain, a 2+ letter top-level domain.
    """
    text = _EMAIL_WRAP.sub("", _text(value).strip()).strip().lower()
    if not text or not is_email(text):
        return None
    return text


# ------------------------------------------------------------------------------------ addresses

_ADDRESS_NUMBER_WORDS = "n no num numero nr"
_ADDRESS_WORDS: dict[str, str] = {}
for _canon, _forms in {
    "bd": "bd bld blvd bvd boulevard boul",
    "av": "av ave avn avenue",
    "rue": "rue r zankat znkt zenkat zanqat",  # zanqa (زنقة): a street
    "": _ADDRESS_NUMBER_WORDS,  # "N° 12" and "12" are the same number
    "hay": "hay hai hayy qu qrt qt quartier",  # hay (حي): a quarter, in one language or the other
    "lot": "lot lotissement lotiss lots lt",
    "imm": "imm immeuble immeub immb imb im",
    "appt": "appt app apt appart appartement",
    "res": "res residence resid",
    "etage": "etage etg et",
    "rte": "rte route",
    "zi": "zi",
    "bp": "bp",
    "km": "km kilometre",
    "angle": "angle angl coin",  # at the corner of two streets
    "mag": "mag magasin",
    "cite": "cite",
    "place": "place pl",
    "derb": "derb drb",
    "douar": "douar dr",
    "ksar": "ksar ksour",
    "cne": "cne cr commune",  # a rural commune (C.R., Cne), written after the village or left out
    "mohamed": "mohammed med",
    "1": "i 1er",
    "2": "ii",
    "3": "iii",
    "4": "iv",
    "5": "v",
    "6": "vi",
}.items():
    for _f in _forms.split():
        _ADDRESS_WORDS[_f] = _canon
# the same words in Arabic script (folded as the addresses are): rue, quarter, building, flat, number,
# estate, residence, road, floor; شارع (an avenue or a boulevard, one word for both) stays itself
for _canon, _forms in {
    "rue": "زنقة", "hay": "حي الحي", "imm": "عمارة", "appt": "شقة", "": "رقم", "lot": "تجزئة",
    "res": "إقامة اقامة", "rte": "طريق", "etage": "الطابق طابق", "derb": "درب", "douar": "دوار",
    "ksar": "قصر", "cne": "جماعة الجماعة ج",
    # a king's or a street's ordinal (شارع محمد الخامس: Mohammed V, Hassan II)
    "1": "الأول الاول", "2": "الثاني", "3": "الثالث", "4": "الرابع", "5": "الخامس", "6": "السادس",
}.items():
    for _f in _forms.split():
        _ADDRESS_WORDS[fold(_f)] = _canon
_ADDRESS_PHRASES = {
    ("zone", "industrielle"): "zi",
    ("boite", "postale"): "bp",
    ("b", "p"): "bp",
    ("z", "i"): "zi",
}
_ADDRESS_STOP = frozenset("de du des la le les l d a au aux".split())
_NUMBERED = re.compile(rf"^(?:{'|'.join(_ADDRESS_NUMBER_WORDS.split())})(\d+)$")  # N183: the number
_NUMERO_SIGN = re.compile(r"\bn\s*[°º]|\bn°|№", re.IGNORECASE)


@lru_cache(maxsize=200_000)
def normalize_address(value: object) -> str:
    """Street address -> folded tokens with abbreviations unified (``Bd.``/``Boulevard`` -> ``bd``,
    ``N°``/``numéro`` -> ``n``, ``Imm.`` -> ``imm``), punctuation and stop-words removed."""
    text = _NUMERO_SIGN.sub(" n ", _text(value))
    tokens = _tokens(fold(text))
    out: list[str] = []
    i = 0
    while i < len(tokens):
        pair = tuple(tokens[i : i + 2])
        if pair in _ADDRESS_PHRASES:
            out.append(_ADDRESS_PHRASES[pair])
            i += 2
            continue
        tok = tokens[i]
        # "et" is "étage" only after a number ("2 et", "2eme et"); otherwise a stop-word
        if tok == "et" and not (out and out[-1][:1].isdigit()):
            i += 1
            continue
        if tok not in _ADDRESS_STOP:
            canon = _ADDRESS_WORDS.get(tok)
            if canon is not None:
                tok = canon
            elif tok[0] == "n":  # N183, Num292: the number (the pattern read only where it can match)
                tok = _NUMBERED.sub(r"\1", tok)
            if tok:
                out.append(tok)
        i += 1
    return " ".join(_fold_tokens(_without_trailing_city(out)))


#: the words after which a city's name is a street's (``Rue de Fès``, ``Route de Rabat``)
_STREET_WORDS = frozenset({"bd", "av", "rue", "hay", "lot", "imm", "res", "rte", "km", "angle", "mag", "cite",
                           "place", "derb", "douar", "zi", "bp", "etage", "appt"})
# what says where rather than which: dropped from an address's skeleton
# (a rural commune's words too: the commune is written after the village, or left out)
_ADDRESS_KIND_WORDS = _STREET_WORDS | {"ksar", "cne"} | {fold(w) for w in "شارع القروية قروية".split()}


@lru_cache(maxsize=200_000)
def address_skeleton(address: str) -> frozenset[str]:
    """The words of a normalised address that name the place, as consonant skeletons, and its numbers:
    what an address in Arabic script and the same in Latin letters share (``رقم 69 شارع الأندلس
    المعاريف`` and ``69 bd andalous maarif`` are both ``{69, ndls, mrf}``). The kind of way, building
    or flat is left out (شارع is an avenue or a boulevard)."""
    out: set[str] = set()
    words: list[str] = []
    glue = False
    for tok in address.split():
        if tok in _ADDRESS_KIND_WORDS:
            continue
        if tok.isdigit():
            out.add(tok)
            glue = False
            continue
        # a name's particles glued to the next word, as names are (مولاي عبد الله: moulay abdellah)
        if glue:
            words[-1] += tok
        else:
            words.append(tok)
        glue = tok in _PARTICLES
    out.update(_phonetic_token(w)[1] for w in words)
    out.discard("")
    return frozenset(out)


def _without_trailing_city(tokens: list[str]) -> list[str]:
    """The address without the city (and postcode) a clerk wrote after it (``..., Appt 13, Meknès``,
    ``... 20250 Casablanca``): the city has its own column. A city named after a street word is the
    street's name (``Bd Tanger``) and stays."""
    table = load_city_table()
    if not tokens or tokens[-1] not in table.last_words:  # most addresses: no city at the end
        return tokens
    for size in (3, 2, 1):
        if len(tokens) < size + 2:
            continue
        tail = tokens[-size:]
        if table.by_key.get(" ".join(tail)) is None:
            continue
        rest = tokens[:-size]
        if rest[-1].isdigit() and len(rest[-1]) == 5:  # a postcode
            rest = rest[:-1]
        if len(rest) >= 2 and rest[-1] not in _STREET_WORDS:
            return rest
        return tokens
    return tokens


# ---------------------------------------------------------------------------------------- cities

CITIES_ENV = "RECOUVRA_CITIES"
DEFAULT_CITIES = config_dir() / "cities.yaml"


class CityInfo(NamedTuple):
    """A canonical city with its region (one of ``recouvra.config.REGIONS``) and directorate."""

    city: str
    region: str
    directorate: str


@dataclass(frozen=True)
class CityTable:
    """Folded spelling -> city, with the list of spellings for the fuzzy fallback."""

    by_key: dict[str, CityInfo]
    keys: tuple[str, ...]
    last_words: frozenset[str]  # the last word of every spelling: a city written at an address's end
    # the consonant skeleton of every spelling (``phonetic_key``'s) that one city alone has, of three
    # consonants or more: a spelling by ear (``Meknass``, ``Qenitra``, ``Birkane``, ``Ennador``)
    by_skeleton: dict[str, CityInfo]


def _city_key(text: str) -> str:
    return " ".join(_tokens(fold(text).replace("'", "")))


@lru_cache(maxsize=8)
def load_city_table(path: str | Path | None = None) -> CityTable:
    """Read ``config/cities.yaml`` (or ``$RECOUVRA_CITIES``) and check every region is a known one."""
    from recouvra.config import REGIONS

    cfg = Path(path or os.environ.get(CITIES_ENV) or DEFAULT_CITIES)
    raw: dict[str, Any] = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    regions: dict[str, Any] = raw.get("regions") or {}
    unknown = sorted(set(regions) - set(REGIONS))
    if unknown:
        raise ValueError(f"{cfg}: unknown region(s) {unknown}; expected one of {list(REGIONS)}")
    by_key: dict[str, CityInfo] = {}
    for city, spec in (raw.get("cities") or {}).items():
        region = spec.get("region")
        if region not in REGIONS:
            raise ValueError(f"{cfg}: city {city!r} has unknown region {region!r}")
        directorate = spec.get("directorate") or (regions.get(region) or {}).get("directorate")
        if not directorate:
            raise ValueError(f"{cfg}: no directorate for city {city!r} nor for region {region!r}")
        info = CityInfo(city, region, directorate)
        for spelling in [city, *(spec.get("variants") or [])]:
            key = _city_key(str(spelling))
            for k in {key, key.replace(" ", "")}:
                previous = by_key.setdefault(k, info)
                if previous.city != city:
                    raise ValueError(f"{cfg}: spelling {spelling!r} names both {previous.city} and {city}")
    skeletons: dict[str, set[str]] = {}
    for key, info in by_key.items():
        skeletons.setdefault(_city_skeleton(key), set()).add(info.city)
    by_city = {info.city: info for info in by_key.values()}
    by_skeleton = {k: by_city[next(iter(cities))] for k, cities in skeletons.items()
                   if len(cities) == 1 and len(k.replace(" ", "")) >= 3}
    return CityTable(by_key, tuple(sorted(by_key)), frozenset(key.split()[-1] for key in by_key), by_skeleton)


def _city_skeleton(key: str) -> str:
    """A city spelling's consonant skeleton, its words joined (``dar el beida`` as ``darelbeida``)."""
    return phonetic_key(key.replace(" ", ""))[1]


@lru_cache(maxsize=50_000)
def canonical_city(value: object, path: str | None = None) -> CityInfo | None:
    """City text -> (city, region, directorate), or None when nothing fits.

    Exact spellings first (``Casa``, ``Dar el Baida``, ``Fez``), then a known city inside a longer text
    (``Hay Hassani Casablanca``, ``20250 Casablanca``), then a fuzzy match (rapidfuzz ratio >= 88, texts
    of 4+ letters) for typos such as ``Casablnca``, then the consonants of a spelling by ear
    (``Meknass``, ``Qenitra``) when they are one city's alone.
    """
    table = load_city_table(path)
    key = _city_key(_text(value))
    if not key:
        return None
    hit = table.by_key.get(key) or table.by_key.get(key.replace(" ", ""))
    if hit:
        return hit
    tokens = [t for t in key.split() if not t.isdigit()]
    for size in range(min(4, len(tokens)), 0, -1):  # longest known spelling inside the text
        for i in range(len(tokens) - size + 1):
            hit = table.by_key.get(" ".join(tokens[i : i + size]))
            if hit and (size > 1 or len(tokens[i]) >= 3):
                return hit
    letters = " ".join(tokens)
    if len(letters.replace(" ", "")) < 4:
        return None
    best = process.extractOne(letters, table.keys, scorer=fuzz.ratio, score_cutoff=88)
    if best:
        return table.by_key[best[0]]
    # a city written by ear: its consonants, if they are one city's alone
    return table.by_skeleton.get(_city_skeleton(letters))


# ---------------------------------------------------------------------------------- bulk forms


def _none_for_missing(values: pd.Series) -> pd.Series:
    """Object column with ``None`` (not NaN) for missing values, as the scalar functions return."""
    out = values.astype("object")
    out[out.isna()] = None
    return out


# Python's \s (each character ``str.isspace`` calls white space) written out as characters, for the
# vectorised normalisers' classes: given \s, pandas hands an Arrow column to Python's ``re`` a value
# at a time (RE2's \s misses some of these): 1.95 s for a million e-mails, 0.56 s on RE2 written out
_SPACES = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _as_str_series(values: pd.Series) -> pd.Series:
    return values.astype("str").fillna("") if values.dtype != "str" else values.fillna("")


log = logging.getLogger(__name__)
PARALLEL_MIN_VALUES = 50_000  # below this, starting worker processes costs more than it saves
WORKER_START = "forkserver"  # never fork: see _apply
WORKER_TIMEOUT_S = 600.0  # a chunk that takes longer is a stuck worker, not slow work


def parallel_min_values() -> int:
    """The distinct values above which normalisation uses worker processes
    (``RECOUVRA_NORMALIZE_PARALLEL_MIN``, default :data:`PARALLEL_MIN_VALUES`)."""
    return int(os.environ.get("RECOUVRA_NORMALIZE_PARALLEL_MIN") or PARALLEL_MIN_VALUES)


def _worker_init() -> None:
    """A worker's own signal handling: the defaults, whatever the starting process installed.

    A worker must die of SIGTERM at once (the pool's terminate, a task's kill) and leave SIGINT to its
    parent; handlers inherited from a task runner would instead catch them and wait for ever."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _callers_main_unseen() -> Iterator[None]:
    """Start workers without re-running the caller's main script in each of them.

    multiprocessing makes every non-forked worker import the parent's ``__main__`` script by path (as
    ``__mp_main__``) so that functions defined there unpickle. Ours live in modules, and the caller's
    script may be heavy or unsafe to re-run: under Airflow it is the ``airflow`` command, whose import
    costs about 4 s of CPU per worker and initialises Airflow's settings in a process that has no use
    for them. Hiding its path while the pool starts its workers leaves them with the modules alone.
    """
    import sys

    main = sys.modules.get("__main__")
    path = main.__dict__.pop("__file__", None) if main is not None else None
    try:
        yield
    finally:
        if main is not None and path is not None:
            main.__file__ = path


def _work_chunk(work: tuple[Any, list[Any]]) -> list[Any]:
    func, items = work
    return [func(u) for u in items]


def _work_chunk_text(work: tuple[Any, list[Any], int | None]) -> list[pa.Array]:
    """A chunk's results of a function returning a text (``width`` None) or a tuple of ``width`` texts,
    sent back as Arrow text, an array per field. Arrow travels as its buffers: the lists of Python
    strings it replaces were pickled here and unpickled in the calling process (which holds the GIL
    meanwhile), and made Arrow text there one field at a time (14 % of that process's time at L)."""
    import pyarrow as pa

    func, items, width = work
    results = [func(u) for u in items]
    columns = [results] if width is None else _columns_of(results, width)
    return [pa.array(column, type=pa.large_string()) for column in columns]


def _columns_of(rows: list[Any], width: int) -> list[list[Any]]:
    return [[r[k] for r in rows] for k in range(width)]


def _apply(func: Any, items: list[Any]) -> list[Any]:
    """``[func(x) for x in items]``, on every core for long lists (:func:`map_unique_all`)."""
    with _pool_for([len(items)]) as pool:
        if pool is None:
            return [func(u) for u in items]
        return _gathered(func, items, _submitted(pool, func, items), time.monotonic())


def _workers() -> int:
    return int(os.environ.get("RECOUVRA_NORMALIZE_WORKERS") or min(os.cpu_count() or 1, 8))


@contextmanager
def _pool_for(sizes: list[int]) -> Iterator[Any]:
    """A pool of worker processes when a list of ``sizes`` is long enough to pay for it, else None.

    Workers come from a fork server, never from ``fork`` of this process: the caller may already run
    threads (DuckDB, logging, Airflow's task runner and its signal handlers), and a forked child of a
    threaded process can inherit a lock held by another thread and block on it for ever. The server is
    a fresh interpreter that has only imported this module; each worker resets its signal handlers,
    chunks travel pickled, and the pool is terminated (not joined) when the work is done, so it ends
    within seconds. ``RECOUVRA_NORMALIZE_WORKERS=1`` keeps everything in this process.
    """
    import multiprocessing as mp

    workers = _workers()
    if (max(sizes, default=0) < parallel_min_values() or workers < 2
            or WORKER_START not in mp.get_all_start_methods()):
        yield None
        return
    ctx = mp.get_context(WORKER_START)
    ctx.set_forkserver_preload([__name__, "pyarrow"])  # (the workers send Arrow text back)
    with _callers_main_unseen():
        pool = ctx.Pool(workers, initializer=_worker_init)
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()
        log.info("normalisation: %d worker processes (%s), pool ended", workers, WORKER_START)


def _submitted(pool: Any, func: Any, items: list[Any], *, text: bool = False,
               width: int | None = None) -> Any:
    """``items`` sent to the pool's workers in chunks (four per worker), not waited for. ``text``:
    ``func`` returns a text, or tuples of ``width`` texts, which come back as Arrow text, a list of
    arrays per chunk (:func:`_gathered_text`)."""
    step = max(1, -(-len(items) // (_workers() * 4)))
    chunks = [items[a : a + step] for a in range(0, len(items), step)]
    if not text:
        return pool.map_async(_work_chunk, [(func, chunk) for chunk in chunks])
    return pool.map_async(_work_chunk_text, [(func, chunk, width) for chunk in chunks])


def _gathered(func: Any, items: list[Any], pending: Any, started: float) -> list[Any]:
    """The results of :func:`_submitted`, in the order of ``items``."""
    return [x for part in _waited(func, items, pending, started) for x in part]


class _ArrowParts:
    """The Arrow text of :func:`_submitted` with ``text``: each field's values in the order of the items,
    a field at a time (its chunks let go as it is read)."""

    def __init__(self, parts: list[list[pa.Array | None]]):
        self._parts = parts

    def __getitem__(self, k: int) -> pa.ChunkedArray:
        import pyarrow as pa

        got = pa.chunked_array([part[k] for part in self._parts], type=pa.large_string())
        for part in self._parts:
            part[k] = None
        return got


def _gathered_text(func: Any, items: list[Any], pending: Any, started: float) -> _ArrowParts:
    return _ArrowParts(_waited(func, items, pending, started))


def _waited(func: Any, items: list[Any], pending: Any, started: float) -> list[Any]:
    parts: list[Any] = pending.get(timeout=WORKER_TIMEOUT_S)
    log.info("%s: %d values on %d worker processes (%s) in %.1f s",
             getattr(func, "__qualname__", func), len(items), _workers(), WORKER_START,
             time.monotonic() - started)
    return parts


def _mapped(results: list[Any], codes: np.ndarray, values: pd.Series) -> pd.Series:
    import numpy as np
    import pandas as pd

    mapped = np.empty(len(results), dtype=object)
    for i, r in enumerate(results):  # element-wise: tuples must not be broadcast into columns
        mapped[i] = r
    return pd.Series(mapped[codes], index=values.index, dtype="object")


def _map_unique(values: pd.Series, func: Any, *, parallel: bool = True) -> pd.Series:
    """Apply a scalar normaliser once per distinct value (debtor files repeat values a lot).

    ``parallel=False`` keeps a cheap function (a split, a regular expression) in this process: for
    it, sending the values to worker processes and the results back costs more than the work."""
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    # (Index.tolist: iterating an Arrow text index boxes each value, 6.6 times slower at L)
    listed = uniques.tolist()
    results = _apply(func, listed) if parallel else [func(u) for u in listed]
    return _mapped(results, codes, values)


def _text_spread(results: pa.ChunkedArray, codes: np.ndarray, values: pd.Series) -> pd.Series:
    """Text results, one per distinct value, spread to the rows by their codes as Arrow text: the
    distinct values made text once (a million rows' Python strings made text cost about 0.4 s a column
    at L, against 0.15 s for a take of the distinct ones)."""
    import pandas as pd

    return pd.Series(pd.array(results.combine_chunks(), dtype="str").take(codes), index=values.index)


def map_unique_text(values: pd.Series, func: Callable[[Any], Any],
                    fields: Sequence[str] | None = None) -> dict[str, pd.Series]:
    """A text normaliser applied once per distinct value in this process, its results as Arrow text
    columns (missing: NaN): ``{"": column}``, or for a function returning a tuple of texts one column
    per field, ``{field: column}``."""
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    width = None if fields is None else len(fields)
    return _spread_fields(_ArrowParts([_work_chunk_text((func, uniques.tolist(), width))]), codes, values,
                          fields)


def _spread_fields(parts: _ArrowParts, codes: np.ndarray, values: pd.Series,
                   fields: Sequence[str] | None) -> dict[str, pd.Series]:
    """A text job's columns, a field at a time: ``{"": column}``, or ``{field: column}``."""
    if fields is None:
        return {"": _text_spread(parts[0], codes, values)}
    return {f: _text_spread(parts[k], codes, values) for k, f in enumerate(fields)}


@contextmanager
def map_unique_all(
    jobs: Mapping[str, tuple[pd.Series, Callable[[Any], Any]]],
    fields: Mapping[str, Sequence[str] | None] | None = None,
) -> Iterator[Callable[[], dict[str, pd.Series]]]:
    """Several :func:`_map_unique` on one pool of workers, working while the caller goes on.

    Yields a function that waits for the results (each job's column, as ``_map_unique`` gives it);
    the jobs of few distinct values run in this process when it is called. One pool for all (a
    pool's start costs about half a second), and this process is free meanwhile for the vectorised
    columns that need no worker. The pool ends with the block, whatever happens in it.
    ``fields``: jobs whose function returns a text (``None``) or a tuple of texts (their names), whose
    results come as Arrow text columns (:func:`map_unique_text`): ``"<job>"``, or ``"<job>.<field>"``."""
    import pandas as pd

    fields = fields or {}

    # a job of several fields travels back from the workers as columns
    widths = {k: len(f) for k, f in fields.items() if f is not None}
    factorised: dict[str, tuple[Any, Any]] = {}
    items: dict[str, list[Any]] = {}
    pending: dict[str, Any] = {}
    with ExitStack() as stack:
        pool: Any = None
        started = time.monotonic()
        # each job sent to the workers as soon as its distinct values are known, the pool started for
        # the first that needs it: the workers are busy with the first job (the names, the longest)
        # while this process factorises the others (2 s at L)
        for k, (values, func) in jobs.items():
            factorised[k] = pd.factorize(values, use_na_sentinel=False)
            items[k] = factorised[k][1].tolist()  # (not list(): see _map_unique)
            if len(items[k]) < parallel_min_values():
                continue
            if pool is None:
                pool = stack.enter_context(_pool_for([len(items[k])]))
                started = time.monotonic()
                if pool is None:
                    break
            pending[k] = _submitted(pool, func, items[k], text=k in fields, width=widths.get(k))
        for k, (values, _) in jobs.items():
            if k not in factorised:
                factorised[k] = pd.factorize(values, use_na_sentinel=False)
                items[k] = factorised[k][1].tolist()

        def results() -> dict[str, pd.Series]:
            out = {}
            for k, (values, func) in jobs.items():
                codes = factorised[k][0]
                if k in fields:  # Arrow text, from the workers or made here as they make it
                    parts = (_gathered_text(func, items[k], pending[k], started) if k in pending
                             else _ArrowParts([_work_chunk_text((func, items[k], widths.get(k)))]))
                    # "<job>", or "<job>.<field>" a field at a time
                    out.update({f"{k}.{f}" if f else k: column
                                for f, column in _spread_fields(parts, codes, values, fields[k]).items()})
                    continue
                got = (_gathered(func, items[k], pending[k], started) if k in pending
                       else [func(u) for u in items[k]])
                out[k] = _mapped(got, codes, values)
            return out

        yield results


def ice_series(values: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`normalize_ice`: columns ``ice``, ``ice_root`` (None when invalid),
    ``ice_padded`` (13-14 digits made valid by restoring leading zeros) and ``ice_unchecked``: the 15
    digits of an ICE that has the form (13 to 15 digits, not a filler) but fails the mod-97 check, a
    mistyped number or one from a system that never checked it (None otherwise)."""
    import numpy as np
    import pandas as pd

    s = _as_str_series(values).str.strip()
    s = s.str.replace(r"^([0-9]+)\.0+$", r"\1", regex=True)
    s = s.str.replace(r"^(?i:ice|n|no|num)+", "", regex=True)
    s = s.str.replace(rf"[{_SPACES}.\-_/,:]+", "", regex=True)
    ok = s.str.fullmatch(r"[0-9]{13,15}").fillna(False).to_numpy(dtype=bool).copy()
    was_padded = (s.str.len() < 15).fillna(False).to_numpy(dtype=bool)
    padded = s.str.pad(15, side="left", fillchar="0")
    numbers = np.zeros(len(s), dtype=np.int64)
    if ok.any():
        numbers[ok] = padded[ok].astype("int64").to_numpy()
    roots = padded.str.slice(0, 9)
    filler = roots.str.fullmatch("|".join(str(i) * 9 for i in range(10))).fillna(False)
    ok &= ~filler.to_numpy(dtype=bool)
    checked = ok & (numbers % 97 == 0)
    ice = _none_for_missing(padded.where(checked, None))
    root = _none_for_missing(roots.where(checked, None))
    unchecked = _none_for_missing(padded.where(ok & ~checked, None))
    return pd.DataFrame({"ice": ice, "ice_root": root, "ice_padded": checked & was_padded,
                         "ice_unchecked": unchecked}, index=values.index)


_MA = PhoneMetadata.metadata_for_region("MA")
_MA_VALID_TYPES = [
    (name, getattr(_MA, name).national_number_pattern)
    for name in (
        "mobile", "fixed_line", "voip", "toll_free", "premium_rate", "shared_cost", "personal_number",
        "pager", "uan", "voicemail",
    )
    if getattr(_MA, name, None) is not None and getattr(_MA, name).national_number_pattern
]


def phone_series(values: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`parse_phone`: columns ``phone`` (E.164) and ``phone_kind``, and
    ``phone_number``: ``phone``, or a well-formed Moroccan number outside the known ranges in E.164 form.

    Moroccan numbers are checked in bulk against phonenumbers' own MA patterns; anything else (foreign
    numbers, several numbers in one cell) falls back to the scalar parser once per distinct value.
    """
    import numpy as np
    import pandas as pd

    s = _as_str_series(values).str.strip()
    s = s.str.replace(rf"\([{_SPACES}]*0[{_SPACES}]*\)", "", regex=True)
    simple = s.str.fullmatch(r"\+?[0-9 .\-]{6,24}").fillna(False).to_numpy(dtype=bool)
    plus = s.str.startswith("+").fillna(False).to_numpy(dtype=bool)
    # only the digits of simple (ASCII) numbers are read below: for them [^0-9] is \D, which pandas
    # would hand to Python's re a value at a time for a column holding any non-ASCII text
    digits = s.str.replace(r"[^0-9]", "", regex=True)
    n = digits.str.len().fillna(0).to_numpy()
    d = digits.fillna("")
    national = pd.Series([None] * len(s), index=s.index, dtype="str")
    rules = [
        (~plus & d.str.startswith("00212").to_numpy() & (n == 14), 5),
        (~plus & d.str.startswith("002120").to_numpy() & (n == 15), 6),
        (plus & d.str.startswith("212").to_numpy() & (n == 12), 3),
        (plus & d.str.startswith("2120").to_numpy() & (n == 13), 4),
        (~plus & d.str.startswith("212").to_numpy() & (n == 12), 3),
        (~plus & d.str.startswith("2120").to_numpy() & (n == 13), 4),
        (~plus & d.str.startswith("0").to_numpy() & ~d.str.startswith("00").to_numpy() & (n == 10), 1),
        # the trunk 0 lost (a spreadsheet's number column): 661234567, 539248255
        (~plus & d.str.match(r"[5-8]").fillna(False).to_numpy(dtype=bool) & (n == 9), 0),
    ]
    handled = np.zeros(len(s), dtype=bool)
    for mask, cut in rules:
        m = mask & simple & ~handled
        if m.any():
            national[m] = d[m].str.slice(cut)
            handled |= m
    kind = pd.Series([None] * len(s), index=s.index, dtype="object")
    nat = national.fillna("")
    valid = np.zeros(len(s), dtype=bool)
    for name, pattern in _MA_VALID_TYPES:
        hit = nat.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool) & handled & ~valid
        if hit.any():
            kind[hit] = {"mobile": "mobile", "fixed_line": "fixed", "voip": "voip"}.get(name, "other")
            valid |= hit
    phone = ("+212" + nat).where(valid, None).astype("object")
    # the number as written, valid or not: phonenumbers' ranges lag the operators' allocations and a
    # mistyped digit stays the same on every record typed from one form (16 % of the generator's
    # well-formed numbers fall outside the ranges); evidence for matching, never a contact
    number = ("+212" + nat).where(handled, None).astype("object")
    rest = ~handled & (s.fillna("") != "").to_numpy()
    if rest.any():
        parsed = _map_unique(s[rest], parse_phone)
        phone[rest] = [p.e164 for p in parsed]
        kind[rest] = [p.kind for p in parsed]
        number[rest] = phone[rest]
    return pd.DataFrame({"phone": _none_for_missing(phone), "phone_kind": _none_for_missing(kind),
                         "phone_number": _none_for_missing(number)}, index=values.index)


def email_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_email` (None when invalid)."""
    s = _as_str_series(values).str.strip()
    s = s.str.replace(rf"^(?i:mailto:)?<?[{_SPACES}]*", "", regex=True)
    s = s.str.replace(rf"[{_SPACES}]*>?[.;,]?$", "", regex=True)
    s = s.str.strip().str.lower()
    ok = s.str.fullmatch(EMAIL_RE.pattern).fillna(False) & (s.str.len() <= MAX_EMAIL_CHARS)
    return _none_for_missing(s.where(ok, None))


def city_series(values: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`canonical_city`: columns ``city``, ``region``, ``directorate``."""
    import pandas as pd

    infos = _map_unique(_as_str_series(values), canonical_city)
    return pd.DataFrame(
        {
            "city": pd.Series([i.city if i else None for i in infos], dtype="object"),
            "region": pd.Series([i.region if i else None for i in infos], dtype="object"),
            "directorate": pd.Series([i.directorate if i else None for i in infos], dtype="object"),
        }
    ).set_index(values.index)
