"""``careloop demo [--residents N] [--seed S]``: load the synthetic demo community once.

Running it again writes nothing and reports what is loaded. It ends with the demo logins.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from careloop.catalogue.models import Enrolment, Organisation, Provider, Slot, WeeklySchedule
from careloop.core.errors import DomainError
from careloop.core.models import User
from careloop.core.roles import Role
from careloop.demands.models import (
    DeadlineBreach,
    Demand,
    DemandEvent,
    FollowUpCall,
    GreenChannelCase,
    Rating,
)
from careloop.demo.generator import DEFAULT_RESIDENTS, DEFAULT_SEED
from careloop.demo.loader import LoadResult, load
from careloop.observations.models import Alert, Device, Observation
from careloop.residents.models import (
    CareContract,
    CareTeam,
    GuardianLink,
    Household,
    Medication,
    QuestionnaireResponse,
    Resident,
    ResidentCondition,
    ResidentTag,
)

# Count keys of LoadResult.counts, labelled with the models' (translated) plural names.
COUNT_LABELS = (
    ("residents", Resident),
    ("households", Household),
    ("care_teams", CareTeam),
    ("care_contracts", CareContract),
    ("guardian_links", GuardianLink),
    ("users", User),
    ("organisations", Organisation),
    ("providers", Provider),
    ("weekly_schedules", WeeklySchedule),
    ("slots", Slot),
    ("enrolments", Enrolment),
    ("conditions", ResidentCondition),
    ("medications", Medication),
    ("questionnaire_responses", QuestionnaireResponse),
    ("profile_tags", ResidentTag),
    ("devices", Device),
    ("readings", Observation),
    ("open_alerts", Alert),  # all open when loaded
    ("demands", Demand),
    ("demand_events", DemandEvent),
    ("deadline_breaches", DeadlineBreach),
    ("green_channel_cases", GreenChannelCase),
    ("follow_up_calls", FollowUpCall),
    ("ratings", Rating),
)


class Command(BaseCommand):
    help = (
        "Load the deterministic synthetic demo community (residents, households, care teams, "
        "contracts and one login per role), its supply side (organisations, providers, "
        "weekly schedules, slots for four weeks, package enrolments) and its health data "
        "(conditions, medications, lifestyle answers, profile tags, wristbands and other "
        "devices with 30 days of readings, open alerts). Idempotent: a second run writes "
        "nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--residents",
            type=int,
            default=DEFAULT_RESIDENTS,
            help=f"number of residents (default {DEFAULT_RESIDENTS})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"random seed: the same seed gives the same community (default {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--analyse",
            action="store_true",
            help="after a fresh load, record improvement findings and queue the population "
            "analyses for the job consumer (the dashboard then has segments, rules, forecasts)",
        )

    def handle(
        self, *args: Any, residents: int, seed: int, analyse: bool = False, **options: Any
    ) -> None:
        if residents < 1:
            raise CommandError(_("The number of residents must be at least 1."))
        started = time.perf_counter()
        try:
            result = load(n=residents, seed=seed)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        seconds = time.perf_counter() - started
        params = {
            "name": result.community.name,
            "code": result.community.code,
            "seed": result.seed if result.seed is not None else "?",
            "seconds": f"{seconds:.1f}",
        }
        if result.created:
            message = _(
                "Demo community %(name)s (%(code)s) loaded from seed %(seed)s in %(seconds)s s."
            )
            self.stdout.write(self.style.SUCCESS(message % params))
        else:
            message = _(
                "The demo community %(name)s (%(code)s, seed %(seed)s) is already loaded; "
                "nothing was written."
            )
            self.stdout.write(self.style.WARNING(message % params))
        self._counts(result)
        self._logins(result)
        if analyse and result.created:
            self._analyse(result)

    def _analyse(self, result: LoadResult) -> None:
        from careloop.analytics.services import find_improvements
        from careloop.analytics.tasks import run_analytics_now

        found = find_improvements()
        run_analytics_now(None, result.community.pk)
        message = _("%(count)s improvement findings recorded; the analyses are queued.")
        self.stdout.write(message % {"count": len(found)})

    def _counts(self, result: LoadResult) -> None:
        for key, model in COUNT_LABELS:
            label = str(model._meta.verbose_name_plural)
            pad = " " * max(18 - _width(label), 1)
            self.stdout.write(f"  {label}{pad}{result.counts.get(key, 0):>8,}")

    def _logins(self, result: LoadResult) -> None:
        """One line per role; several logins of a role show as a range (doctor1 … doctor12)."""
        if not result.logins:
            return
        by_role: dict[str, list[str]] = {}
        for login in result.logins:
            by_role.setdefault(login.role, []).append(login.username)
        password = settings.CARELOOP_DEMO_PASSWORD
        headers = (_("username"), _("role"), _("password"))
        rows = [
            (
                usernames[0] if len(usernames) == 1 else f"{usernames[0]} … {usernames[-1]}",
                str(Role(role).label) if role in Role.values else role,
                password,
            )
            for role, usernames in by_role.items()
        ]
        widths = [max(_width(row[i]) for row in [headers, *rows]) for i in range(3)]
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(_("Demo logins")))
        for row in [headers, *rows]:
            cells = (cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True))
            self.stdout.write("  " + "  ".join(cells).rstrip())


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    return sum(2 if ord(char) >= 0x2E80 else 1 for char in text)
