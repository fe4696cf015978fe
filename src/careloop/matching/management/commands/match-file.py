"""``careloop match-file IN.json OUT.json``: the batch optimiser on a file (issue 5 §3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careloop.matching.fileformat import FormatError, solve


class Command(BaseCommand):
    help = "Assign the demands in IN.json to its slots (OR-Tools) and write OUT.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=Path)
        parser.add_argument("output", type=Path)
        parser.add_argument("--alternatives", type=int, default=3, help="per unmatched demand")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            document = json.loads(options["input"].read_text(encoding="utf-8"))
            result = solve(document, n_alternatives=options["alternatives"])
        except (OSError, json.JSONDecodeError, FormatError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        options["output"].write_text(
            json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        self.stdout.write(
            f"{len(result['assignments'])} assigned, {len(result['unmatched'])} unmatched "
            f"in {result['seconds']} s"
        )
