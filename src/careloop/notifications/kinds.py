"""The registry of message kinds: code → subject and body templates with named placeholders.

Templates are English msgids translated through gettext, so a message is written in its
recipient's language (zh-hans unless they chose another). ``render`` fills the placeholders
from the caller's context; dates and times are formatted in local time in that language.

    kind = KINDS["demand.reminder"]
    subject, body = render(kind, {"service": "空腹血糖检测", "time": "9:00",
                                  "note": "请空腹前来。"}, language="zh-hans")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careloop.core.errors import DomainError


@dataclass(frozen=True)
class Kind:
    code: str
    subject: Promise | str
    body: Promise | str
    # Urgent kinds bypass quiet hours and are delivered at once.
    urgent: bool = False
    # Placeholders the caller may leave out.
    defaults: dict[str, str] = field(default_factory=dict)


KINDS: dict[str, Kind] = {
    kind.code: kind
    for kind in (
        # To the care team: a new demand is waiting.
        Kind(
            "demand.filed",
            _("New demand: %(resident)s"),
            _("%(resident)s needs %(service)s. Please respond by %(due)s."),
        ),
        # To the resident, along the progress steps (002 §4.1.3).
        Kind(
            "demand.accepted",
            _("Your request was accepted"),
            _("Your request for %(service)s was accepted by %(clinician)s."),
        ),
        Kind(
            "demand.scheduled",
            _("Your appointment is booked"),
            _("%(service)s is booked for %(time)s at %(place)s."),
        ),
        Kind(
            "demand.reminder",
            _("Appointment reminder"),
            _("Your %(service)s appointment is tomorrow at %(time)s. %(note)s"),
            defaults={"note": ""},
        ),
        Kind(
            "demand.completed",
            _("Please rate the service"),
            _(
                "%(service)s is completed. Please rate it in the resident portal: "
                "your rating helps us serve you better."
            ),
        ),
        Kind(
            "demand.alternatives_offered",
            _("Other times are available"),
            _(
                "We found no exact match for %(service)s. Please choose one of the "
                "alternatives we offer in the resident portal."
            ),
        ),
        # To the team lead, then the director.
        Kind(
            "demand.escalated",
            _("Demand escalated: %(resident)s"),
            _(
                "The demand of %(resident)s for %(service)s was not answered by %(due)s "
                "and is escalated to you."
            ),
        ),
        Kind(
            "deadline.breached",
            _("Deadline missed: %(resident)s"),
            _(
                "The %(deadline)s deadline of the demand of %(resident)s (%(service)s) "
                "passed at %(due)s."
            ),
        ),
        # Emergencies (002 §4.3): the on-duty clinician, the care team, volunteers nearby.
        Kind(
            "green_channel.opened",
            _("Green channel opened: %(resident)s"),
            _(
                "Critical: %(resident)s needs emergency care (%(reason)s). The green channel "
                "is open; respond at once. Location: %(place)s."
            ),
            urgent=True,
        ),
        Kind(
            "green_channel.volunteer_alert",
            _("Emergency nearby"),
            _(
                "Someone near %(place)s needs emergency help. If you can be there within a "
                "few minutes, please call the centre at once."
            ),
            urgent=True,
        ),
        # Anything else: the caller writes subject and body (not translated).
        Kind("text", "%(subject)s", "%(body)s"),
    )
}


def get_kind(code: str) -> Kind:
    kind = KINDS.get(code)
    if kind is None:
        raise DomainError(
            "notifications.unknown_kind", _("Unknown kind of message: %(kind)s.") % {"kind": code}
        )
    return kind


def _display(value: Any) -> Any:
    """A context value as it reads in a message (in the active language, local time)."""
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(local, "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Promise):
        return str(value)
    return value


def render(kind: Kind, context: dict[str, Any], *, language: str) -> tuple[str, str]:
    """Subject and body of ``kind`` in ``language``; DomainError when a placeholder has no
    value in ``context``."""
    with translation.override(language):
        values = {name: _display(value) for name, value in {**kind.defaults, **context}.items()}
        try:
            subject = str(kind.subject) % values
            body = str(kind.body) % values
        except KeyError as missing:
            raise DomainError(
                "notifications.missing_context",
                _("The message %(kind)s needs a value for %(name)s.")
                % {"kind": kind.code, "name": missing.args[0]},
            ) from None
    return subject.strip()[:200], body.strip()
