"""``careloop import-residents FILE --community CODE [--commit]``: check a CSV/xlsx file of
residents and print the report; with ``--commit`` write it (all rows or none)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from careloop.core.errors import DomainError
from careloop.core.models import Community, User
from careloop.residents.importers import import_residents


class Command(BaseCommand):
    help = "Import residents from a CSV (UTF-8 or GBK) or .xlsx file; a dry run unless --commit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--community", required=True, help="community code")
        parser.add_argument(
            "--commit", action="store_true", help="write the rows (default: dry run)"
        )
        parser.add_argument(
            "--user",
            help="username recorded as the actor (default: the only superuser)",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        community = Community.objects.filter(code=options["community"]).first()
        if community is None:
            raise CommandError(f"no community with code {options['community']!r}")
        actor = self._actor(options["user"])
        with translation.override(options["language"]):
            try:
                report = import_residents(
                    actor=actor, community=community, file=path, dry_run=not options["commit"]
                )
            except DomainError as exc:
                raise CommandError(str(exc.message)) from None
            if options["json"]:
                self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
            else:
                self._print(report.as_dict())
        if not report.ok:
            raise CommandError(f"{len(report.errors)} error(s): nothing was written")

    def _actor(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {username!r}")
            return user
        superusers = list(User.objects.filter(is_superuser=True, is_active=True)[:2])
        if len(superusers) != 1:
            raise CommandError("name the user recorded as the actor with --user")
        return superusers[0]

    def _print(self, report: dict[str, Any]) -> None:
        encoding = f" ({report['encoding']})" if report["encoding"] else ""
        self.stdout.write(f"{report['format'] or '?'}{encoding}: {report['rows']} data rows")
        if report["ignored_columns"]:
            self.stdout.write("ignored columns: " + ", ".join(report["ignored_columns"]))
        for error in report["errors"]:
            where = f"row {error['row']}" if error["row"] else "file"
            column = f" [{error['column']}]" if error["column"] else ""
            self.stdout.write(f"{where}{column}: {error['message']}")
        if report["committed"]:
            self.stdout.write(self.style.SUCCESS(f"imported {report['created']} residents"))
        elif report["ok"]:
            self.stdout.write(self.style.SUCCESS("dry run: no errors; run again with --commit"))
