"""The ``accessmatch`` command: serve, migrate, seed-demo, create-key, openapi, train,
report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Literal

from service.cli_outcomes import add_arguments as add_outcome_arguments
from service.config import ConfigurationError, Settings, get_settings
from service.matching.scorer import ScorerError


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.logging import configure_logging
    from service.matching.scorer import load_bundle

    settings = get_settings()
    check_startup(settings)  # fail here, clearly, before any worker starts
    load_bundle(settings.scorer_dir)
    configure_logging(settings.log_level, settings.log_json)
    uvicorn.run(
        "service.main:app",
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
        proxy_headers=True,
        log_config=None,
        access_log=False,
    )
    return 0


def _migrate(_: argparse.Namespace) -> int:
    from service.migrate import upgrade

    upgrade(get_settings().database_url)
    print("database migrated to head")
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from service.demo.seed import seed_demo

    settings = get_settings()
    summary = seed_demo(settings, only_if_empty=args.if_empty)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


def _create_key(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from service.db import make_engine
    from service.models.enums import Role
    from service.services import api_keys

    engine = make_engine(get_settings().database_url)
    with Session(engine, expire_on_commit=False) as session:
        key, secret = api_keys.issue(session, role=Role(args.role), name=args.name, created_by=None)
        session.commit()
    print(json.dumps({"id": key.id, "role": key.role, "key": secret}))
    return 0


def _rotate_secrets(_: argparse.Namespace) -> int:
    from service.context import Context
    from service.db import make_engine, transaction
    from service.models.crypto import Cipher
    from service.rules import load_rules
    from service.services.seeker_privacy import rotate_secrets

    settings = get_settings()
    ctx = Context(
        cipher=Cipher(settings.secret, settings.old_secrets), rules=load_rules(settings.rules_file)
    )
    engine = make_engine(settings.database_url)
    with transaction(engine) as session:
        changed = rotate_secrets(session, ctx)
    engine.dispose()
    print(json.dumps({"re_encrypted_seekers": changed}))
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from service.main import create_app

    spec = create_app(get_settings()).openapi()
    text = json.dumps(spec, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def _train(args: argparse.Namespace) -> int:
    if args.from_outcomes:
        from service.cli_outcomes import run

        return run(args)
    from service.matching.offline.report import render_markdown
    from service.matching.offline.training import train
    from service.matching.scorer import ARTIFACTS_DIR, save_bundle

    bundle = train(seed=args.seed)
    output = Path(args.output) if args.output else ARTIFACTS_DIR
    save_bundle(bundle, output)
    report_path = (
        Path(args.report)
        if args.report
        else (
            Path(__file__).resolve().parent.parent / "docs" / "scorer-report.md"
            if args.output is None
            else output / "scorer-report.md"
        )
    )
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(render_markdown(bundle.report), encoding="utf-8")
    r = bundle.report
    print(f"scorer {bundle.version} written to {output}; report {report_path}")
    print(
        f"  blend λ {r['method']['blend_lambda']}; dropped: "
        f"{', '.join(r['method']['dropped']) or 'none'}"
    )
    for name, m in r["held_out"].items():
        print(
            f"  held out {name:24s} NDCG@10 learned {m['learned']['ndcg_at_10']:.4f}  "
            f"TF-IDF {m['tfidf_skills']['ndcg_at_10']:.4f}  rules "
            f"{m['rules']['ndcg_at_10']:.4f}  ECE {m['learned']['ece_10_bins']:.4f}"
        )
    for name, target in r["targets"].items():
        print(f"  {name}: {target['value']} ({'met' if target['met'] else 'MISSED'})")
    print(f"  {r['timings_seconds']['total']:.1f} s")
    return 0


def _report(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from service.context import Context
    from service.db import make_engine
    from service.errors import ApiError
    from service.models.crypto import Cipher
    from service.report.build import ReportError, build_report
    from service.report.fonts import FontFace
    from service.report.html import render_html
    from service.report.pdf import render_pdf
    from service.rules import load_rules

    if args.font and not Path(args.font).is_file():
        print(f"accessmatch: report: --font {args.font}: no such file", file=sys.stderr)
        return 2
    settings = get_settings()
    ctx = Context(
        cipher=Cipher(settings.secret, settings.old_secrets),
        rules=load_rules(settings.rules_file),
        stats_threshold=settings.stats_threshold,
        stats_summary_max_age_seconds=settings.stats_summary_max_age_seconds,
    )
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            report = build_report(session, ctx, district=args.district, year=args.year)
    except (ReportError, ApiError) as exc:
        print(f"accessmatch: report: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    Path(args.output).write_text(render_html(report), encoding="utf-8")
    written = {"html": args.output}
    if args.pdf:
        font: FontFace | Literal["auto"] = (
            FontFace(Path(args.font), index=args.font_index) if args.font else "auto"
        )
        Path(args.pdf).write_bytes(render_pdf(report, font=font))
        written["pdf"] = args.pdf
    print(
        json.dumps(
            {
                **written,
                "district": report.district.code,
                "year": report.year,
                "sections": len(report.sections),
            },
            ensure_ascii=False,
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accessmatch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service (uvicorn)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(func=_serve)
    sub.add_parser("migrate", help="upgrade the database to the newest schema").set_defaults(
        func=_migrate
    )
    seed = sub.add_parser("seed-demo", help="load the Yangquan demo data set")
    seed.add_argument(
        "--if-empty", action="store_true", help="do nothing when the database already holds seekers"
    )
    seed.set_defaults(func=_seed_demo)
    key = sub.add_parser("create-key", help="issue an API key and print it once")
    key.add_argument(
        "--role", required=True, choices=["admin", "counselor", "partner", "kiosk", "analyst"]
    )
    key.add_argument("--name", required=True)
    key.set_defaults(func=_create_key)
    sub.add_parser(
        "rotate-secrets",
        help="re-encrypt identifiers with the current "
        "ACCESSMATCH_SECRET_KEY (old ones in ACCESSMATCH_OLD_SECRET_KEYS)",
    ).set_defaults(func=_rotate_secrets)
    spec = sub.add_parser("openapi", help="write the OpenAPI document")
    spec.add_argument("--output", default="openapi/openapi.json")
    spec.set_defaults(func=_openapi)
    fit = sub.add_parser(
        "train",
        help="simulate placements in a family of worlds, fit the "
        "scorer across them and evaluate it on held-out worlds",
    )
    fit.add_argument("--seed", type=int, default=20261123)
    fit.add_argument("--output", help="artifact directory (default: the shipped one)")
    fit.add_argument(
        "--report",
        help="Markdown report (default: docs/scorer-report.md, or scorer-report.md in --output)",
    )
    add_outcome_arguments(fit)
    fit.set_defaults(func=_train)
    rep = sub.add_parser(
        "report",
        help="write the annual monitoring report of a district "
        "(self-contained HTML, and PDF with --pdf)",
    )
    rep.add_argument(
        "--district", required=True, help="a county, city or province code (GB/T 2260), e.g. 140302"
    )
    rep.add_argument("--year", required=True, type=int)
    rep.add_argument("--output", required=True, help="the HTML file to write")
    rep.add_argument("--pdf", help="also write the report as this PDF file")
    rep.add_argument(
        "--font",
        help="a TrueType/OpenType font (.ttf/.otf/.ttc) with Chinese "
        "for the PDF (default: one installed, e.g. Debian's fonts-noto-cjk)",
    )
    rep.add_argument(
        "--font-index",
        type=int,
        default=0,
        help="the face within a .ttc collection given by --font",
    )
    rep.set_defaults(func=_report)
    return parser


def check_startup(settings: Settings) -> None:
    """Every file and string the service reads at start-up, checked once: a bad one is a
    ConfigurationError naming the setting, never a traceback inside a worker."""
    from sqlalchemy.engine import make_url

    from service.matching.policy import load_policy
    from service.rules import load_rules

    for setting, path, loader in (
        ("ACCESSMATCH_RULES_FILE", settings.rules_file, load_rules),
        ("ACCESSMATCH_MATCHING_POLICY_FILE", settings.matching_policy_file, load_policy),
    ):
        try:
            loader(path)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"{setting}={path}: {_first_line(exc)}") from None
    try:
        url = make_url(settings.database_url)
        url.get_dialect()
    except Exception as exc:  # ArgumentError, NoSuchModuleError: both mean a bad URL
        raise ConfigurationError(
            f"ACCESSMATCH_DATABASE_URL is not a usable database URL ({type(exc).__name__})"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


def _settings_problem(exc: Exception) -> str:
    """One line for a settings error (pydantic names the field; the value is not shown)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        parts = [
            f"ACCESSMATCH_{'_'.join(str(p) for p in e['loc'][:1]).upper()}: {e['msg']}"
            for e in exc.errors()
        ]
        return "; ".join(parts)
    return _first_line(exc)


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    args = build_parser().parse_args(argv)
    try:
        if args.command not in ("openapi", "train") or getattr(args, "from_outcomes", False):
            check_startup(get_settings())
        return int(args.func(args))
    except ConfigurationError as exc:
        print(f"accessmatch: configuration error: {exc}", file=sys.stderr)
        return 2
    except (ValidationError, SettingsError) as exc:
        print(f"accessmatch: configuration error: {_settings_problem(exc)}", file=sys.stderr)
        return 2
    except ScorerError as exc:
        print(f"accessmatch: cannot start: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
