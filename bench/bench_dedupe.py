"""Benchmark of debtor entity resolution: pair precision / recall / F1, time and peak memory.

Runs on the same labelled records, in the same run:
- ``recouvra``: :func:`recouvra.matching.dedupe_file` (the CLI path: read, resolve, write);
- ``splink``: splink 5's unsupervised Fellegi-Sunter model (DuckDB), ``bench/dedupe_reference.py``;
- ``fuzzy rules``: a plain fuzzy-rule matcher (``bench/dedupe_reference.py``);
- ``ICE root``: records joined only when their valid ICE shares the 9-digit company root.

Inputs, any of:
  python bench/bench_dedupe.py --input records.csv --truth truth.csv      (truth: record_id;entity_id)
  python bench/bench_dedupe.py --febrl 1 2                                (FEBRL person sets, downloaded once)
  python bench/bench_dedupe.py --persons 20000                            (bench/dedupe_data.py's generator)
  python bench/bench_dedupe.py --synthetic 1000000 [--seed 7]             (labelled set built here)
  python bench/bench_dedupe.py --generator-scale M                        (recouvra.standins.generator export)

Each matcher runs in a child process so that its peak RSS (and its workers') is measured alone.
``--no-splink`` leaves splink out (it takes minutes and gigabytes at a million records).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recouvra.matching import pair_metrics, read_records
from recouvra.normalize import ice_series

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------- self-contained labelled set

_FIRST = ("Mohammed Mohamed Ahmed Youssef Hassan Rachid Said Karim Omar Hamza Mehdi Khalid Fatima Khadija "
          "Aicha Naima Latifa Imane Salma Zineb Abdellah Abderrahim Brahim Driss Mustapha Othmane").split()
_FIRST_VARIANTS = {"Mohammed": ["Mohamed", "Mhamed", "Mohamad"], "Youssef": ["Yousef", "Youssouf"],
                   "Mustapha": ["Mustafa", "Moustapha"], "Brahim": ["Ibrahim"], "Abdellah": ["Abdallah"]}
_LAST = ("Alaoui Bennani Tazi Fassi Berrada Amrani Idrissi Chraibi Benjelloun Lahlou Kettani Ouazzani Sqalli "
         "Benkirane Cherkaoui Naciri Filali Ziani Bouzidi Mouline Saidi Lamrani Hajji Jabri Tahiri").split()
_STEMS = ("Atlas Maghreb Sahara Anfa Chaouia Souss Rif Nour Amal Karam Wafa Fath Baraka Najah Yasmine Argane "
          "Oasis Noor Tadla Doukkala Massa Ziz Draa Toubkal Ifrane Zagora").split()
_ACTIVITY = ("Transport Travaux Distribution Textile Immobilier Services Négoce Agro Pêche Construction "
             "Médical Informatique Conseil Logistique Hôtellerie Boulangerie Pharma Sécurité Froid Plomberie "
             "Matériaux Télécom Confection Trading Import Export").split()
_FORMS = {"SARL": ["SARL", "S.A.R.L.", "Sarl"], "SARL AU": ["SARL AU", "SARLAU", "S.A.R.L. A.U."],
          "SA": ["SA", "S.A."], "SNC": ["SNC", "S.N.C."], "EI": ["EI", "E.I."]}
_PREFIX = ["Sté", "Ste", "Société", "Ets", "Etablissements", "STE", ""]
_CITIES = [("Casablanca", ["Casa", "Dar El Beida", "CASABLANCA"], "5", 30), ("Rabat", ["RABAT"], "537", 8),
           ("Fès", ["Fes", "Fez"], "535", 8), ("Tanger", ["Tangier", "Tangér"], "539", 8),
           ("Marrakech", ["Marrakesh"], "524", 8), ("Salé", ["Sale"], "537", 5),
           ("Meknès", ["Meknes"], "535", 5), ("Agadir", ["AGADIR"], "528", 5),
           ("Oujda", ["OUJDA"], "536", 4), ("Kénitra", ["Kenitra"], "537", 4),
           ("Tétouan", ["Tetouan"], "539", 4), ("El Jadida", ["Mazagan", "Jadida"], "523", 3),
           ("Laâyoune", ["Laayoune", "El Aaiun"], "528", 2), ("Safi", ["SAFI"], "524", 3)]
_STREETS = ["Bd Zerktouni", "Boulevard Mohammed V", "Avenue Hassan II", "Rue Allal Ben Abdellah",
            "Av. des FAR", "Rue Ibn Sina", "Bd Anfa", "Rue Oued Sebou", "Avenue Al Massira", "Rue Al Qods"]
_ADDR_SWAPS = [("Boulevard", "Bd"), ("Bd", "Boulevard"), ("Avenue", "Av."), ("Av.", "Avenue"), ("Rue", "R.")]


def _ice(root: int, estab: int) -> str:
    base = root * 10_000 + estab
    return f"{base * 100 + (97 - (base * 100) % 97) % 97:015d}"


def _phone_text(nsn: str, rnd: random.Random) -> str:
    local = "0" + nsn
    fmt = rnd.randrange(6)
    if fmt == 0:
        return " ".join(local[i:i + 2] for i in range(0, 10, 2))
    if fmt == 1:
        return local
    if fmt == 2:
        return "+212" + nsn
    if fmt == 3:
        return "00212" + nsn
    if fmt == 4:
        return f"+212 (0){nsn[0]} {nsn[1:3]} {nsn[3:5]} {nsn[5:7]} {nsn[7:]}"
    return "212" + nsn


def _typo(text: str, rnd: random.Random) -> str:
    if len(text) < 6:
        return text
    i = rnd.randrange(1, len(text) - 1)
    op = rnd.randrange(3)
    if op == 0:
        return text[:i] + text[i + 1:]
    if op == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + text[i] + text[i:]


def synthetic_records(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """About ``n`` labelled debtor records: entities with 1 to 4 noisy records, namesakes with common
    names in the same city, and sister companies that share address, phone and manager."""
    rnd = random.Random(seed)
    city_weights = [c[3] for c in _CITIES]
    rows: list[dict[str, Any]] = []
    entity = 0
    root_pool = rnd.sample(range(1_000_000, 300_000_000), k=n + 10)
    prev: dict[str, Any] | None = None
    while len(rows) < n:
        entity += 1
        city, variants, prefix, _ = rnd.choices(_CITIES, weights=city_weights)[0]
        natural = rnd.random() < 0.12
        form = "EI" if natural else rnd.choice(["SARL", "SARL", "SARL AU", "SA", "SNC"])
        rep = f"{rnd.choice(_FIRST)} {rnd.choice(_LAST)}"
        if prev is not None and rnd.random() < 0.03:  # sister company: same address, phone, manager
            stem = prev["stem"].split()[0] + " " + rnd.choice(_ACTIVITY)
            city, variants, addr = prev["city"], prev["variants"], prev["addr"]
            nsn, rep = prev["nsn"], prev["rep"]
        else:
            if natural:
                stem = rep
            elif rnd.random() < 0.08:  # a very common trade name: namesakes exist in the same city
                stem = f"{rnd.choice(_STEMS[:6])} {rnd.choice(_ACTIVITY[:6])}"
            else:
                stem = f"{rnd.choice(_STEMS)} {rnd.choice(_ACTIVITY)} {rnd.choice(_LAST)}"
            addr = f"{rnd.randint(1, 350)} {rnd.choice(_STREETS)}"
            nsn = ("6" if rnd.random() < 0.6 else prefix) + "".join(
                str(rnd.randrange(10)) for _ in range(9 - (1 if rnd.random() < 0.6 else len(prefix))))
            nsn = nsn[:9].ljust(9, "0")
        name = f"{rnd.choice(_PREFIX)} {stem} {rnd.choice(_FORMS[form])}".strip() if not natural else (
            f"Ets {stem}" if rnd.random() < 0.5 else stem)
        root = root_pool[entity]
        cin = f"{rnd.choice(['BE', 'BK', 'A', 'J', 'CD'])}{rnd.randrange(10_000, 999_999)}" if natural else ""
        rc = str(rnd.randrange(1, 650_000))
        email = (stem.split()[0] + stem.split()[-1]).lower() + f"{rnd.randrange(100)}@gmail.com"
        prev = {"stem": stem, "city": city, "variants": variants, "addr": addr, "nsn": nsn, "rep": rep}
        size = rnd.choices([1, 2, 3, 4], weights=[80, 14, 4, 2])[0]
        for k in range(size):
            dup = k > 0
            r_name = name
            if dup and rnd.random() < 0.6:
                words = r_name.split()
                for _ in range(rnd.choice([1, 2])):
                    op = rnd.randrange(5)
                    if op == 0 and words:
                        words[0] = rnd.choice(_PREFIX) or words[0]
                    elif op == 1:
                        forms = {"SARL", "SA", "SNC", "EI"}
                        words = [w for w in words if w.replace(".", "").upper() not in forms]
                    elif op == 2:
                        words = [rnd.choice(_FIRST_VARIANTS.get(w, [w])) for w in words]
                    elif op == 3:
                        words = _typo(" ".join(words), rnd).split()
                    else:
                        words = " ".join(words).upper().split()
                r_name = " ".join(words)
            r_addr = addr
            if dup and rnd.random() < 0.5:
                for a, b in _ADDR_SWAPS:
                    if a in r_addr:
                        r_addr = r_addr.replace(a, b)
                        break
                r_addr = r_addr.replace(",", "") if rnd.random() < 0.5 else r_addr.upper()
            if dup and rnd.random() < 0.15:  # moved
                r_addr = f"{rnd.randint(1, 350)} {rnd.choice(_STREETS)}"
            r_nsn = nsn if not (dup and rnd.random() < 0.25) else "6" + f"{rnd.randrange(10**8):08d}"
            ice = _ice(root, rnd.randrange(1, 60) if dup and rnd.random() < 0.2 else 0)
            u = rnd.random()
            ice = "" if u < 0.3 else (ice[:-1] + str((int(ice[-1]) + 1) % 10) if u < 0.33 else ice)
            rows.append({
                "record_id": f"S{len(rows) + 1:08d}",
                "affiliation_no": f"{rnd.randrange(1_000_000, 9_999_999)}",
                "name": r_name,
                "legal_form": rnd.choice(_FORMS[form]) if rnd.random() < 0.9 else "",
                "ice": ice,
                "rc_number": rc if rnd.random() < 0.8 else "",
                "rc_court": city if rnd.random() < 0.7 else rnd.choice(variants),
                "cin": cin,
                "address": r_addr,
                "city": city if rnd.random() < 0.7 else rnd.choice(variants),
                "phone": _phone_text(r_nsn, rnd) if rnd.random() < 0.85 else "",
                "email": email if rnd.random() < 0.65 else "",
                "legal_rep_name": rep if not (dup and rnd.random() < 0.3) else rep.upper(),
                "_entity": f"T{entity}",
            })
            if len(rows) >= n:
                break
    df = pd.DataFrame(rows)
    truth = df[["record_id", "_entity"]].rename(columns={"_entity": "entity_id"})
    return df.drop(columns="_entity"), truth


# -------------------------------------------------------------------------------------- baselines


def baselines(records: pd.DataFrame) -> dict[str, np.ndarray]:
    """Entity ids of the two baselines (a record without the key stays alone)."""
    rid = records["record_id"].to_numpy(dtype=object)
    exact = records["ice"].str.replace(r"\s+", "", regex=True)
    roots = ice_series(records["ice"])["ice_root"]
    return {
        "exact ICE": np.where(exact != "", "I" + exact.to_numpy(dtype=object), rid),
        "ICE root": np.where(roots.notna(), "R" + roots.fillna("").to_numpy(dtype=object), rid),
    }


_CHILD = """
import json, resource, sys, threading, time
from pathlib import Path
import psutil
from recouvra.matching import dedupe_file
# memory of the process and of its normalisation workers (a fork server's children) together, sampled:
# this process's RSS plus each descendant's proportional set size (PSS: shared pages split, not
# counted twice)
me, peak = psutil.Process(), [0]
def sample():
    while True:
        try:
            total = me.memory_info().rss
            for child in me.children(recursive=True):
                try:
                    total += child.memory_full_info().pss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
        except psutil.Error:
            pass
        time.sleep(0.2)
threading.Thread(target=sample, daemon=True).start()
t = time.perf_counter()
rep = dedupe_file(Path(sys.argv[1]), Path(sys.argv[2]), evidence_path=Path(sys.argv[3]), progress=True)
out = rep.as_dict(); out["wall_s"] = time.perf_counter() - t
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
# the sampling may miss this process's own peak (the workers live during normalisation only)
out["peak_with_workers_mb"] = max(peak[0] / 2**20, out["peak_rss_mb"])
print(json.dumps(out))
"""

_REFERENCE_CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
import pandas as pd
import dedupe_reference
from recouvra.matching import read_records
records = read_records(Path(sys.argv[1]))
t = time.perf_counter()
if sys.argv[3] == "splink":
    ids, _ = dedupe_reference.splink_unsupervised(records)
else:
    ids = dedupe_reference.fuzzy_rules(records)
wall = time.perf_counter() - t
pd.DataFrame({"record_id": records["record_id"], "entity_id": ids}).to_csv(sys.argv[2], sep=";", index=False)
print(json.dumps({"wall_s": wall, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _reference(method: str, records_path: Path, work: Path) -> tuple[pd.Series, dict[str, Any]]:
    out = work / f"{method}.csv"
    proc = subprocess.run([sys.executable, "-c", _REFERENCE_CHILD, str(records_path), str(out), method,
                           str(Path(__file__).resolve().parent)], check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{method} failed: {proc.stderr[-2000:]}")
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    ids = pd.read_csv(out, sep=";", dtype=str, keep_default_na=False).set_index("record_id")["entity_id"]
    return ids, stats


def run(records_path: Path, truth_path: Path, label: str, *, splink: bool = True) -> list[dict[str, Any]]:
    """Dedupe in a child process, then score it, splink, the rule baseline and ICE root on the truth."""
    work = Path(tempfile.mkdtemp(prefix="bench_dedupe_"))
    out_path, ev_path = work / "entities.csv", work / "evidence.csv"
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(records_path), str(out_path), str(ev_path)],
                          check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"recouvra dedupe failed: {proc.stderr[-3000:]}")
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    wall = time.perf_counter() - started
    records = read_records(records_path)
    truth = pd.read_csv(truth_path, sep=";", dtype=str, keep_default_na=False)
    truth = truth.set_index("record_id")["entity_id"]
    t = truth.loc[records["record_id"]].to_numpy()
    predicted = pd.read_csv(out_path, sep=";", dtype=str, keep_default_na=False).set_index("record_id")
    results = [{"data": label, "method": "recouvra", **pair_metrics(t, predicted.loc[records["record_id"],
                                                                                    "entity_id"].to_numpy()),
                "seconds": round(child["wall_s"], 1), "process_s": round(wall, 1),
                "peak_rss_mb": round(child["peak_rss_mb"]),
                "peak_with_workers_mb": round(child["peak_with_workers_mb"]), "by_rule": child["by_rule"]}]
    for method in (["splink"] if splink else []) + ["fuzzy_rules"]:
        ids, stats = _reference(method, records_path, work)
        results.append({"data": label, "method": method.replace("_", " "),
                        **pair_metrics(t, ids.loc[records["record_id"]].to_numpy()),
                        "seconds": round(stats["wall_s"], 1), "peak_rss_mb": round(stats["peak_rss_mb"])})
    for name, ids in baselines(records).items():
        if name == "ICE root":
            results.append({"data": label, "method": name, **pair_metrics(t, ids)})
    for r in results:
        r["records"] = len(records)
    return results


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (f"{'data':<28} {'method':<12} {'records':>9} {'P':>7} {'R':>7} {'F1':>7} "
            f"{'time s':>7} {'RSS MB':>7}")
    print(head)
    print("-" * len(head))
    rows = sorted(rows, key=lambda r: r["data"])
    for r in rows:
        print(f"{r['data']:<28} {r['method']:<12} {r.get('records', ''):>9} {r['precision']:>7.4f} "
              f"{r['recall']:>7.4f} {r['f1']:>7.4f} {r.get('seconds', ''):>7} {r.get('peak_rss_mb', ''):>7}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", type=Path, help="labelled records (CSV ; or Parquet)")
    ap.add_argument("--truth", type=Path, help="record_id;entity_id of the input")
    ap.add_argument("--synthetic", type=int, help="build N labelled records here")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--generator-scale",
                    help="seed recouvra.standins.generator at this scale (S, M, L) and export")
    ap.add_argument("--febrl", type=int, nargs="*", choices=(1, 2, 3, 4), help="FEBRL person data sets")
    ap.add_argument("--persons", type=int, help="N records of bench/dedupe_data.py's persons and companies")
    ap.add_argument("--no-splink", action="store_true", help="leave splink out")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    rows: list[dict[str, Any]] = []
    work = Path(tempfile.mkdtemp(prefix="bench_dedupe_data_"))
    if args.input:
        if not args.truth:
            ap.error("--input needs --truth")
        rows += run(args.input, args.truth, args.input.name, splink=not args.no_splink)
    for number in args.febrl or []:
        from dedupe_data import febrl

        records, truth = febrl(number)
        rp, tp = work / f"febrl{number}.csv", work / f"febrl{number}_truth.csv"
        records.to_csv(rp, sep=";", index=False)
        truth.to_csv(tp, sep=";", index=False)
        rows += run(rp, tp, f"FEBRL{number}", splink=not args.no_splink)
    if args.persons:
        from dedupe_data import persons_and_companies

        records, truth = persons_and_companies(args.persons, args.seed)
        rp, tp = work / "persons.csv", work / "persons_truth.csv"
        records.to_csv(rp, sep=";", index=False)
        truth.to_csv(tp, sep=";", index=False)
        rows += run(rp, tp, f"persons+companies {len(records):,}", splink=not args.no_splink)
    if args.synthetic:
        t = time.perf_counter()
        records, truth = synthetic_records(args.synthetic, args.seed)
        rp, tp = work / "synthetic.csv", work / "synthetic_truth.csv"
        records.to_csv(rp, sep=";", index=False)
        truth.to_csv(tp, sep=";", index=False)
        print(f"built {len(records):,} synthetic records in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        rows += run(rp, tp, f"synthetic {len(records):,}", splink=not args.no_splink)
    if args.generator_scale:
        from recouvra.config import load_settings
        from recouvra.standins.generator import seed_source
        from recouvra.standins.generator.export import export_dedupe_sample

        url = f"sqlite:///{work}/source.db"
        seed_source(load_settings(), scale=args.generator_scale, seed=args.seed, url=url,
                    truth_dir=work / "truth", progress=False)
        rp, tp = work / "gen.csv", work / "gen_truth.csv"
        export_dedupe_sample(url, work / "truth", rp, tp)
        rows += run(rp, tp, f"generator {args.generator_scale}", splink=not args.no_splink)
    if not rows:
        ap.error("give --input/--truth, --febrl, --persons N, --synthetic N or --generator-scale S|M|L")
    print_table(rows)
    for r in rows:
        if r["method"] == "recouvra":
            print(f"{r['data']}: merges by rule {r['by_rule']}; peak RSS {r['peak_rss_mb']} MB "
                  f"(with its normalisation workers, sampled every 0.2 s, their PSS: "
                  f"{r['peak_with_workers_mb']} MB)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))
    print(f"peak RSS of this driver: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
