"""``alpsbio match evaluate|rank``: the matching engine's measurable contracts.

Neither subcommand touches the database: they read files and print JSON (the last stdout line).
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Partner matching: evaluate link prediction on consortium data, rank texts."
    requires_system_checks: list[str] = []  # pure file-in/JSON-out; no models or database needed
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        ev: ArgumentParser = sub.add_parser(
            "evaluate",
            help="temporal link prediction: baselines and the engine, recall@20 and MRR",
            called_from_command_line=getattr(self, "_called_from_command_line", False),
        )
        ev.add_argument("--participations", nargs="+", required=True, metavar="FILE")
        ev.add_argument("--projects", nargs="+", required=True, metavar="FILE")
        ev.add_argument("--train-until", type=int, required=True, metavar="YEAR")
        ev.add_argument("--test-from", type=int, required=True, metavar="YEAR")
        ev.add_argument("--test-until", type=int, required=True, metavar="YEAR")
        ev.add_argument("--health-only", action="store_true", help="health/biotech projects only")
        ev.add_argument("--json", action="store_true", help="print one JSON object last")
        rk: ArgumentParser = sub.add_parser(
            "rank",
            help="rank pool texts for each query text with the engine's text signal",
            called_from_command_line=getattr(self, "_called_from_command_line", False),
        )
        rk.add_argument("--pool", required=True, metavar="FILE.jsonl")
        rk.add_argument("--queries", required=True, metavar="FILE.jsonl")
        rk.add_argument("--top", type=int, default=10, metavar="N")
        rk.add_argument("--json", action="store_true", help="print one JSON object")
        rk.add_argument(
            "--embedder",
            default="default",
            choices=("default", "use", "e5", "tfidf"),
            help="text signal (default: USE+E5, language-centred)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from alpsbio.matching.engine.errors import InputError

        try:
            if opts["action"] == "evaluate":
                self._evaluate(opts)
            else:
                self._rank(opts)
        except InputError as exc:
            raise CommandError(str(exc)) from None

    def _evaluate(self, opts: dict[str, Any]) -> None:
        from alpsbio.matching.engine.linkpred import evaluate

        def log(msg: str) -> None:
            self.stderr.write(msg)

        result = evaluate(
            opts["participations"],
            opts["projects"],
            train_until=opts["train_until"],
            test_from=opts["test_from"],
            test_until=opts["test_until"],
            health_only=opts["health_only"],
            log=log,
        )
        if opts["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"{result['queries']} query organisations, {result['candidates']} candidates"
        )
        methods: dict[str, dict[str, float]] = result["methods"]  # type: ignore[assignment]
        for name, m in methods.items():
            mark = "  <- engine" if name == result["engine"] else ""
            self.stdout.write(
                f"{name:24s} recall@20 {m['recall@20']:.4f}  MRR {m['mrr']:.4f}{mark}"
            )

    def _rank(self, opts: dict[str, Any]) -> None:
        from alpsbio.matching.engine.crossling import rank_texts
        from alpsbio.matching.engine.embedding import (
            E5Embedder,
            Embedder,
            LanguageCentredEmbedder,
            TfidfEmbedder,
            UseEmbedder,
            default_embedder,
        )
        from alpsbio.matching.engine.io import read_jsonl_texts

        if opts["top"] < 1:
            raise CommandError("--top must be at least 1")
        pool = read_jsonl_texts(opts["pool"])
        queries = read_jsonl_texts(opts["queries"])
        choice = opts["embedder"]
        emb: Embedder
        if choice == "use":
            emb = LanguageCentredEmbedder(UseEmbedder())
        elif choice == "e5":
            emb = LanguageCentredEmbedder(E5Embedder())
        elif choice == "tfidf":
            emb = TfidfEmbedder()
        else:
            emb = default_embedder()
        ranking = rank_texts(emb, pool, queries, top=opts["top"])
        if opts["json"]:
            self.stdout.write(json.dumps(ranking, ensure_ascii=False))
        else:
            for qid, ids in ranking.items():
                self.stdout.write(f"{qid}: {' '.join(ids)}")
        sys.stdout.flush()
