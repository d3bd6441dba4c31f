"""The ``recouvra`` command line.

Each subcommand is a thin wrapper over one function of the domain package; heavy modules are imported
inside the handlers so that ``recouvra --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from recouvra.config import redact_url
from recouvra.errors import RecouvraError

Handler = Callable[[argparse.Namespace], int]
#: Modules whose ``register(subparsers)`` adds subcommands (argparse only at import: keep them light).
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "recouvra.standins.sftp_cli", "recouvra.returns.cli", "recouvra.standins.simulator.cli",
)


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from recouvra.config import load_settings

    return load_settings(args.config)


def _cmd_config_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    print(
        json.dumps(
            {
                "config": "ok",
                "agencies": [a.code for a in settings.agencies],
                # retired agencies take no new dossier from that day; theirs are recalled (runbook)
                "retired_agencies": {a.code: a.retired_on.isoformat() for a in settings.agencies
                                     if a.retired_on is not None},
                "monthly_capacity_not_retired": sum(a.monthly_capacity for a in settings.agencies
                                                    if a.retired_on is None),
                "dossiers_per_month": settings.programme.dossiers_per_month,
                "source_url": redact_url(settings.source_url),
                "warehouse_url": redact_url(settings.warehouse_url),
            },
            indent=2,
        )
    )
    return 0


def _scale(value: str) -> str:
    """``--scale``: S, M, L (any case) or a number of employers, checked before anything is written."""
    from recouvra.standins.generator.seed import resolve_scale

    try:
        resolve_scale(value)
    except RecouvraError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _cmd_seed(args: argparse.Namespace) -> int:
    from recouvra.standins.generator import seed_source

    settings = _settings(args)
    url = settings.resolve_url(args.url) if args.url else settings.source_url
    truth_dir = Path(args.truth_dir) if args.truth_dir else settings.path(settings.storage.truth_dir)
    # `seed --advance-to M` alone advances the source as seeded; it never re-seeds at the default scale
    # (an M source advanced without --scale stays M). With --scale (or without --advance-to) it seeds first.
    if args.scale is not None or args.seed is not None or args.force or not args.advance_to:
        report = seed_source(
            settings,
            scale=args.scale if args.scale is not None else "S",
            seed=args.seed if args.seed is not None else 42,
            url=url,
            truth_dir=truth_dir,
            progress=not args.quiet,
            force=args.force,
        )
        print(report.summary())
    if args.advance_to:
        from recouvra.standins.generator.advance import advance_source

        print(advance_source(settings, args.advance_to, url=url, truth_dir=truth_dir).summary())
    return 0


def _cmd_warehouse_migrate(args: argparse.Namespace) -> int:
    from recouvra.warehouse import migrate

    settings = _settings(args)
    url = settings.resolve_url(args.url) if args.url else settings.warehouse_url
    applied = migrate(url)
    print(json.dumps({"warehouse": redact_url(url), "applied": applied}, indent=2))
    return 0


def _cmd_dedupe(args: argparse.Namespace) -> int:
    from recouvra.matching import dedupe_file

    explain = Path(args.explain) if args.explain else None
    model = explain.with_name(explain.stem + ".model" + (explain.suffix or ".csv")) if explain else None
    report = dedupe_file(
        Path(args.input), Path(args.output), evidence_path=explain, progress=not args.quiet, model_path=model,
    )
    print(json.dumps(report.as_dict(), indent=2), file=sys.stderr)
    return 0


def _cmd_master_build(args: argparse.Namespace) -> int:
    from recouvra.debtor_master import build_debtor_master
    from recouvra.warehouse import connect

    settings = _settings(args)
    with connect(settings.warehouse_url) as wh:
        report = build_debtor_master(
            wh, settings.path(settings.storage.lake_dir), args.date,
            title_limit_years=settings.programme.eligibility.title_limit_years,
            match_cache=settings.path(settings.storage.match_cache_dir),
            retrain=args.retrain or settings.debtor_master.retrain,
            full_rebuild=args.full or settings.debtor_master.full_rebuild,
        )
    print(report.summary())
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from recouvra.status import report

    print(report(_settings(args)))
    return 0


def _cmd_fingerprint(args: argparse.Namespace) -> int:
    from recouvra import fingerprint

    if args.compare:
        before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in args.compare)
        result = fingerprint.compare(before, after)
        for line in result.differences:
            print(line)
        print(result.summary())
        return 1 if result.differences else 0
    doc = fingerprint.take(_settings(args))
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"{len(doc['files']):,} files, {sum(len(v) for v in doc['rows'].values()):,} mart rows "
              f"-> {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recouvra", description="CNSS amicable-recovery pipeline: domain commands."
    )
    parser.add_argument(
        "--config", help="configuration file (default: $RECOUVRA_CONFIG or config/recouvra.yaml)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("config", help="configuration")
    psub = p.add_subparsers(dest="config_command", required=True)
    c = psub.add_parser("check", help="validate the configuration and print its essentials")
    c.set_defaults(handler=_cmd_config_check)

    s = sub.add_parser("seed", help="create and fill the synthetic fund database (the operational source)")
    s.add_argument("--scale", type=_scale,
                   help="S ≈ 5,000 employers (default), M ≈ 100,000, L ≈ 1,000,000, or a number of employers")
    s.add_argument("--seed", type=int, help="random seed (same seed, same data; default 42)")
    s.add_argument("--url", help="SQLAlchemy URL of the source (default: storage.source_url)")
    s.add_argument("--truth-dir", help="where the duplicates truth is written (default: storage.truth_dir)")
    s.add_argument("--force", action="store_true",
                   help="re-seed even if the source already holds this scale and seed")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--advance-to", metavar="YYYY-MM",
                   help="bring the source forward month by month to the end of this month (new "
                        "declarations, fresh claims, payments, surcharges, employers; idempotent); alone, "
                        "advances the source as seeded, whatever its scale")
    s.set_defaults(handler=_cmd_seed)

    w = sub.add_parser("warehouse", help="warehouse schema")
    wsub = w.add_subparsers(dest="warehouse_command", required=True)
    m = wsub.add_parser("migrate", help="create or migrate the warehouse schema (idempotent)")
    m.add_argument("--url", help="warehouse URL (default: storage.warehouse_url)")
    m.set_defaults(handler=_cmd_warehouse_migrate)

    d = sub.add_parser(
        "dedupe",
        help="group debtor records into legal entities: writes record_id;entity_id for every record",
        description="Read records (CSV UTF-8 ';' or Parquet) with the columns record_id; affiliation_no; "
        "name; legal_form; ice; rc_number; rc_court; cin; address; city; phone; email; legal_rep_name "
        "(any may be empty but record_id) and write record_id;entity_id for every input record.",
    )
    d.add_argument("--input", required=True, help="records, .csv (';') or .parquet")
    d.add_argument("--output", required=True, help="record_id;entity_id, .csv or .parquet")
    d.add_argument(
        "--explain", "--evidence", dest="explain", metavar="FILE",
        help="also write the evidence of every link (pair, rule, log2-odds, each field's comparison level "
        "and weight) to FILE, and the trained model (m, u, weight per field and level) to FILE.model",
    )
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.set_defaults(handler=_cmd_dedupe)

    from recouvra.returns.cli import iso_day  # the one YYYY-MM-DD argument type (argparse only)

    ma = sub.add_parser("master", help="the debtor master (what the debtor_master DAG builds)")
    masub = ma.add_subparsers(dest="master_command", required=True)
    mb = masub.add_parser(
        "build",
        help="resolve the lake's employers into debtors and write the debtor master for a day",
        description="Build the debtor master for DATE from the lake (storage.lake_dir) into the warehouse, "
        "as the debtor_master DAG does: the stored matching model scores the pairs and only the "
        "employers that changed are normalized and compared again (storage.match_cache_dir).",
    )
    mb.add_argument("--date", required=True, type=iso_day, metavar="YYYY-MM-DD", help="the build day")
    mb.add_argument("--retrain", action="store_true",
                    help="train the matching model again on this portfolio and store it "
                         "(default: debtor_master.retrain)")
    mb.add_argument("--full", action="store_true",
                    help="normalize and compare every record, the match cache unread (it is written "
                         "afresh); the same result (default: debtor_master.full_rebuild)")
    mb.set_defaults(handler=_cmd_master_build)

    st = sub.add_parser("status", help="what the pipeline produced and where (source, warehouse, files)")
    st.set_defaults(handler=_cmd_status)

    f = sub.add_parser(
        "fingerprint",
        help="fingerprint the files sent to agencies and the BI marts; compare two (re-runs reproduce)",
        description="Without --compare: SHA-256 of every fund-written file in the agencies' outboxes (a "
        "manifest's generated_at aside) and of every row of schema marts (computed_at aside), as JSON. "
        "With --compare OLD NEW: every file or row added, removed or changed; exit 1 if any.",
    )
    f.add_argument("--out", help="write the fingerprint to this file (default: standard output)")
    f.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two fingerprints")
    f.set_defaults(handler=_cmd_fingerprint)

    # Stage modules add their own subcommands: each exposes register(subparsers), light to import.
    for module in SUBCOMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except RecouvraError as exc:
        print(f"recouvra: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
