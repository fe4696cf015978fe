"""``careloop audit-verify``: check the audit trail's hash chain; exit 1 at the first break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careloop.core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero at the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"audit trail broken at event {broken.event_id}: {broken.reason} "
                f"({checked} events before it are intact)",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {checked} events verified"))
