"""The `assistant` command: a thin adapter over the library and the Assistant service."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant.settings import Settings, load_settings


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Hỏi đáp có trích dẫn trên văn bản của tỉnh (Vietnamese QA over provincial documents).",
    )
    parser.add_argument("--data-dir", type=Path, help="where the indexes live (default: ASSISTANT_DATA_DIR or .data)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="index PDF, DOCX and TXT files or folders (incremental)")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the bundled corpus)")
    p.add_argument("--prune", action="store_true", help="drop indexed documents whose files are gone")
    p.add_argument("--reindex", action="store_true",
                   help="rebuild the whole index (e.g. after changing the embedding model); documents whose "
                        "files are not given (uploads) are re-embedded from the index's own copy")
    p.add_argument("--json", action="store_true",
                   help="JSON lines: one per document as it is committed, then the summary")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    eval_group = p.add_mutually_exclusive_group()
    eval_group.add_argument("--eval", dest="run_eval", action="store_true", default=None,
                            help="run the eval set after ingesting (default: only for the bundled corpus)")
    eval_group.add_argument("--no-eval", dest="run_eval", action="store_false", help="do not run the eval set")

    p = sub.add_parser("remove", help="delete documents from the index, by name (as `documents` lists them)")
    p.add_argument("names", nargs="+", metavar="NAME", help="a document's file name, e.g. 004_0fe5ee8038d62b66.txt")
    p.add_argument("--json", action="store_true", help="print what was removed as JSON")

    p = sub.add_parser("documents", help="list what is indexed")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("ask", help="ask a question and print the answer with citations")
    p.add_argument("question")
    p.add_argument("--history", action="append", default=[], metavar="EARLIER_QUESTION",
                   help="an earlier question of the conversation (repeatable, oldest first)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("indicators", help="every target and result of an indicator, across documents and periods")
    p.add_argument("query", nargs="?", help="words of the indicator, e.g. GRDP (default: every indicator)")
    p.add_argument("--period", help="only this period, e.g. 2025 or 2021-2025")
    p.add_argument("--document", help="only this document (file name, number or title words)")
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--json", dest="output", action="store_const", const="json", default="text")
    shape.add_argument("--csv", dest="output", action="store_const", const="csv", help="CSV on stdout")
    shape.add_argument("--xlsx", type=Path, metavar="FILE", help="write an Excel workbook")

    p = sub.add_parser("serve", help="start the chat UI, the JSON API and the Zalo webhook")
    p.add_argument("--host")
    p.add_argument("--port", type=int)

    p = sub.add_parser("eval", help="run the eval set and compare with the accepted baseline")
    p.add_argument("--dataset", type=Path)
    p.add_argument("--json", action="store_true")
    p.add_argument("--update-baseline", action="store_true", help="accept these results as the new baseline")
    p.add_argument("--results", type=Path, help="folder for the reports (default: evals/results/<time>)")
    p.add_argument("--no-baseline", action="store_true", help="skip the textbook RAG peer (faster)")
    return parser


def _settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    return load_settings(**overrides)


def _cmd_ingest(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.ingest_command import run_ingest_command

    return run_ingest_command(
        settings,
        paths=list(args.paths),
        prune=args.prune,
        reindex=args.reindex,
        as_json=args.json,
        progress=not args.no_progress,
        run_eval=args.run_eval,
    )


def _cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.ingest_command import run_remove_command

    return run_remove_command(settings, names=list(args.names), as_json=args.json)


def _cmd_documents(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.ingest_command import print_documents

    return print_documents(settings, as_json=args.json)


def _cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.formatting import format_answer_text
    from assistant.models import Turn
    from assistant.service import Assistant

    assistant = Assistant.from_settings(settings)
    history = [Turn(role="user", content=q) for q in args.history]
    try:
        result = assistant.answer(args.question, history)
    except ValueError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print(format_answer_text(result))
    return 0


def _cmd_indicators(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.indicators_command import run_indicators_command

    return run_indicators_command(
        settings, query=args.query, period=args.period, document=args.document, output=args.output,
        xlsx_path=args.xlsx,
    )


def _cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.server import serve

    serve(settings)
    return 0


def _cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from evals.runner import run_eval_command

    return run_eval_command(
        settings,
        dataset=args.dataset,
        as_json=args.json,
        update_baseline=args.update_baseline,
        results_dir=args.results,
        with_baseline=not args.no_baseline,
    )


_COMMANDS = {
    "ingest": _cmd_ingest,
    "remove": _cmd_remove,
    "documents": _cmd_documents,
    "ask": _cmd_ask,
    "indicators": _cmd_indicators,
    "serve": _cmd_serve,
    "eval": _cmd_eval,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = _settings_from_args(args)
    except Exception as exc:  # pydantic ValidationError: a bad ASSISTANT_* value or .env line
        print(f"Invalid settings: {exc}\nCheck the ASSISTANT_* environment variables and .env.", file=sys.stderr)
        return 2
    from assistant.errors import user_facing_errors

    try:
        return _COMMANDS[args.command](settings, args)
    except user_facing_errors() as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "Interrupted. The index holds every document committed before the stop; "
            "run the same command again to go on.",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
