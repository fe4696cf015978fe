"""``careloop import-fhir FILE.json [--commit] [--user USERNAME]``: import a FHIR Bundle
(``transaction``, ``batch``, or a ``collection`` of resources, taken as a transaction of
creates) through the FHIR facade, as USERNAME with that user's permissions.

Without ``--commit`` it is a dry run: the Bundle is processed inside a database transaction
that is rolled back, so the report (entry index, resource type, outcome or issue text) is
exactly what a commit would do, and nothing is written. With ``--commit`` a transaction
Bundle is written all or nothing; a batch Bundle entry by entry."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import translation

from careloop.core.models import User
from careloop.fhir import bundle
from careloop.fhir.context import Caller, FhirContext
from careloop.fhir.outcome import FhirError

ENTRY = re.compile(r"^Bundle\.entry\[(\d+)\]")


class Command(BaseCommand):
    help = "Import a FHIR Bundle (JSON); a dry run with a report unless --commit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--commit", action="store_true", help="write (default: dry run)")
        parser.add_argument(
            "--user", help="username whose permissions apply (default: the only superuser)"
        )
        parser.add_argument("--base-url", default="http://localhost/fhir/r4/")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            body = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"not a JSON file: {exc}") from None
        body = as_importable(body)
        actor = self._actor(options["user"])
        base = options["base_url"].rstrip("/") + "/"
        ctx = FhirContext(caller=Caller(user=actor, via="command"), base_url=base)
        dry_run = not options["commit"]
        entries = body.get("entry") or [] if isinstance(body, dict) else []
        with translation.override(options["language"]):
            try:
                with transaction.atomic():
                    response = bundle.process(ctx, body, minimal=True)
                    if dry_run:
                        transaction.set_rollback(True)
            except FhirError as error:
                self._print_refused(error, entries)
                raise CommandError("the Bundle was refused: nothing was written") from None
        failed = self._print_response(response, entries)
        if dry_run:
            self.stdout.write(
                self.style.SUCCESS("dry run: nothing written; run again with --commit")
                if not failed
                else f"dry run: {failed} entries would fail; nothing written"
            )
        elif failed:
            raise CommandError(f"{failed} batch entries failed; the others were written")
        else:
            self.stdout.write(self.style.SUCCESS(f"imported {len(entries)} entries"))

    def _actor(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {username!r}")
            return user
        superusers = list(User.objects.filter(is_superuser=True, is_active=True)[:2])
        if len(superusers) != 1:
            raise CommandError("name the user whose permissions apply with --user")
        return superusers[0]

    def _print_response(self, response: Any, entries: list[Any]) -> int:
        failed = 0
        for index, entry in enumerate(response.entry or []):
            kind = _type_of(entries, index)
            status = entry.response.status
            if entry.response.outcome is not None:
                failed += 1
                for issue in entry.response.outcome.issue or []:
                    self.stdout.write(f"entry {index} ({kind}): {status}: {_text(issue)}")
            else:
                location = entry.response.location or ""
                self.stdout.write(f"entry {index} ({kind}): {status} {location}".rstrip())
        return failed

    def _print_refused(self, error: FhirError, entries: list[Any]) -> None:
        for issue in error.issues:
            match = next(
                (ENTRY.match(path) for path in issue.expression if ENTRY.match(path)), None
            )
            where = "bundle"
            if match is not None:
                index = int(match.group(1))
                where = f"entry {index} ({_type_of(entries, index)})"
            path = f" [{', '.join(issue.expression)}]" if issue.expression else ""
            self.stdout.write(f"{where}: {error.status}: {issue.diagnostics}{path}")


def as_importable(body: Any) -> Any:
    """A ``collection`` Bundle (an export) becomes a transaction creating its resources."""
    if not isinstance(body, dict) or body.get("type") != "collection":
        return body
    entries = []
    for entry in body.get("entry") or []:
        if isinstance(entry, dict) and "request" not in entry:
            resource = entry.get("resource") or {}
            kind = resource.get("resourceType", "") if isinstance(resource, dict) else ""
            entry = {**entry, "request": {"method": "POST", "url": kind}}
        entries.append(entry)
    return {**body, "type": "transaction", "entry": entries}


def _type_of(entries: list[Any], index: int) -> str:
    entry = entries[index] if 0 <= index < len(entries) else None
    resource = entry.get("resource") if isinstance(entry, dict) else None
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    return str(kind or "-")


def _text(issue: Any) -> str:
    path = f" [{', '.join(issue.expression)}]" if issue.expression else ""
    return f"{issue.diagnostics or issue.code}{path}"
