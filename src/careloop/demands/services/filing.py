"""Filing demands on every channel, and the resident's answer to a suggested one."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import (
    DeliveryMode,
    Organisation,
    OrganisationKind,
    PublicHoliday,
    Service,
)
from careloop.core import audit, clock
from careloop.core.errors import ConflictError, DomainError, ForbiddenError
from careloop.core.models import User
from careloop.demands import classify
from careloop.demands.models import OPEN_STATUSES, Channel, Demand, DemandEvent
from careloop.demands.services import notices
from careloop.demands.services.common import (
    MAX_DESCRIPTION,
    PERSON_CHANNELS,
    RECENT_DUPLICATE_WINDOW,
    STAFF_CHANNELS,
    SYSTEM_CHANNELS,
    S,
    _clean_key,
    _is_staff,
    _locked,
    _refresh,
    _require_visible,
)
from careloop.demands.services.green import open_green_channel
from careloop.demands.services.offers import match_demand
from careloop.demands.services.transitions import TRANSITIONS
from careloop.residents.models import Resident

# ---- filing ---------------------------------------------------------------------------------


def _holidays(start: datetime) -> dict[Any, str]:
    first, last = classify.holiday_window(start)
    return dict(PublicHoliday.objects.filter(date__range=(first, last)).values_list("date", "kind"))


def _clean_preferences(
    modes: Iterable[str], windows: Iterable[dict[str, str]], provider_sex: str | None
) -> tuple[list[str], list[dict[str, str]], str]:
    fields: dict[str, list[Any]] = {}
    modes = list(dict.fromkeys(modes))
    if any(mode not in DeliveryMode.values for mode in modes):
        fields["modes"] = [_("Choose delivery modes from the list.")]
    clean_windows = []
    for window in windows:
        try:
            start = datetime.fromisoformat(str(window["start"]))
            end = datetime.fromisoformat(str(window["end"]))
        except (KeyError, TypeError, ValueError):
            fields["windows"] = [_("A time window needs an ISO start and end with an offset.")]
            break
        if timezone.is_naive(start) or timezone.is_naive(end) or end <= start:
            fields["windows"] = [_("A time window needs an ISO start and end with an offset.")]
            break
        clean_windows.append({"start": start.isoformat(), "end": end.isoformat()})
    sex = provider_sex or ""
    if sex not in ("", "F", "M"):
        fields["provider_sex"] = [_("Choose F, M or no preference.")]
    if fields:
        raise DomainError("demands.invalid", _("Check the demand's details."), fields=fields)
    return modes, clean_windows, sex


def _require_may_file(actor: User | None, resident: Resident, channel: str) -> None:
    if channel not in Channel.values:
        raise DomainError("demands.invalid_channel", _("Unknown channel."))
    if actor is None:
        if channel not in SYSTEM_CHANNELS:
            raise ForbiddenError(
                "demands.forbidden", _("Only staff or the resident may file on this channel.")
            )
        return
    _require_visible(actor, resident)
    if channel in STAFF_CHANNELS and not _is_staff(actor):
        raise ForbiddenError("demands.forbidden", _("Only staff may file on this channel."))


FOUND_RETRY = "retry"
FOUND_RECENT = "recent"


@dataclass(frozen=True)
class FiledDemand:
    """What ``file_or_find_demand`` answers: the demand, and ``found`` when it was there
    already: ``FOUND_RETRY`` (a retry with the same idempotency key) or ``FOUND_RECENT`` (the
    same need filed a few minutes ago)."""

    demand: Demand
    found: str = ""

    @property
    def is_new(self) -> bool:
        return not self.found


def file_demand(
    *,
    actor: User | None,
    resident: Resident,
    channel: str,
    service: Service | None = None,
    description: str = "",
    modes: Iterable[str] = (),
    windows: Iterable[dict[str, str]] = (),
    provider_sex: str | None = None,
    system_suggested: bool = False,
    tier: str | None = None,
    source_ref: str = "",
    idempotency_key: str | None = None,
) -> Demand:
    """``file_or_find_demand`` for callers that need only the demand."""
    return file_or_find_demand(
        actor=actor, resident=resident, channel=channel, service=service,
        description=description, modes=modes, windows=windows, provider_sex=provider_sex,
        system_suggested=system_suggested, tier=tier, source_ref=source_ref,
        idempotency_key=idempotency_key,
    ).demand  # fmt: skip


def _normalised(description: str) -> str:
    """Full-width and half-width forms and case folded, spaces dropped (Chinese is written
    without them: "想量 血压" is "想量血压")."""
    return "".join(unicodedata.normalize("NFKC", description).casefold().split())


def _recent_duplicate(
    resident: Resident, channel: str, service: Service | None, description: str
) -> Demand | None:
    """The resident's open demand for the same service (without a service: the same words),
    filed by a person within ``RECENT_DUPLICATE_WINDOW``, if any."""
    if channel not in PERSON_CHANNELS:
        return None
    recent = Demand.objects.filter(
        resident=resident,
        channel__in=PERSON_CHANNELS,
        status__in=OPEN_STATUSES,
        created_at__gte=clock.now() - RECENT_DUPLICATE_WINDOW,
    ).order_by("-created_at", "-id")
    if service is not None:
        return recent.filter(service=service).first()
    wanted = _normalised(description)
    candidates = recent.filter(service__isnull=True)[:50]
    return next((d for d in candidates if _normalised(d.description) == wanted), None)


def file_or_find_demand(
    *,
    actor: User | None,
    resident: Resident,
    channel: str,
    service: Service | None = None,
    description: str = "",
    modes: Iterable[str] = (),
    windows: Iterable[dict[str, str]] = (),
    provider_sex: str | None = None,
    system_suggested: bool = False,
    tier: str | None = None,
    source_ref: str = "",
    idempotency_key: str | None = None,
) -> FiledDemand:
    """File a demand for ``resident``: the resident (or a guardian) for themselves, staff who
    see the resident on any channel, the system (``actor=None``) on the system channels.
    ``tier`` is a hint (an alert's severity); the description may raise it.

    Nothing new is filed, and the demand already there is answered with ``found`` set, for a
    retried call with the same ``idempotency_key`` for the same resident, and for the same
    need filed again by a person (the resident's web form or staff on their behalf: back and
    submit again, a second call about it): the resident's open demand for the same service
    (without a service: the same words) filed on those channels within
    ``RECENT_DUPLICATE_WINDOW``."""
    _require_may_file(actor, resident, channel)
    key = _clean_key(idempotency_key)
    if key and (existing := Demand.objects.filter(resident=resident, idempotency_key=key).first()):
        return FiledDemand(existing, FOUND_RETRY)
    description = (description or "").strip()
    if service is None and not description:
        raise DomainError(
            "demands.invalid",
            _("Choose a service or describe the need."),
            fields={"description": [_("Choose a service or describe the need.")]},
        )
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            "demands.invalid",
            _("A description has at most 500 characters."),
            fields={"description": [_("A description has at most 500 characters.")]},
        )
    modes, windows, sex = _clean_preferences(modes, windows, provider_sex)
    if duplicate := _recent_duplicate(resident, channel, service, description):
        return FiledDemand(duplicate, FOUND_RECENT)
    try:
        result = classify.classify(
            description=description,
            tier_hint=tier,
            service_tier=service.tier if service else None,
        )
    except ValueError:
        raise DomainError("demands.invalid_tier", _("Unknown tier.")) from None
    now = clock.now()
    due_respond, due_match = classify.deadlines(
        result.tier, timezone.localtime(now), _holidays(timezone.localtime(now))
    )
    latitude, longitude = home_location(resident)
    demand = Demand(
        resident=resident, service=service, description=description, channel=channel,
        filed_by=actor, source_ref=source_ref[:80], system_suggested=system_suggested,
        urgent=result.urgent, important=result.important, quadrant=result.quadrant,
        tier=result.tier, modes=modes, windows=windows, provider_sex=sex,
        due_respond_at=due_respond, due_match_at=due_match, idempotency_key=key,
        created_at=now, latitude=latitude, longitude=longitude,
    )  # fmt: skip
    try:
        with transaction.atomic():
            demand.save(force_insert=True)
            DemandEvent.objects.create(
                demand=demand, at=now, actor=actor, from_status="", to_status=S.SUBMITTED,
                action="file", detail={"reasons": list(result.reasons)}, idempotency_key=key,
            )  # fmt: skip
            audit.record(
                actor=actor,
                action="careloop.demand.filed",
                obj=demand,
                detail={
                    "resident": resident.public_id,
                    "channel": channel,
                    "service": service.code if service else "",
                    "tier": result.tier,
                    "quadrant": result.quadrant,
                },
            )
            if demand.tier == classify.CRITICAL:
                open_green_channel(demand=demand, now=now)
            else:
                notices.filed(demand)
    except IntegrityError:
        # Lost a race with the same retried request: return the demand it filed.
        if key and (
            existing := Demand.objects.filter(resident=resident, idempotency_key=key).first()
        ):
            return FiledDemand(existing, FOUND_RETRY)
        raise
    match_demand(actor=actor, demand=demand)
    return FiledDemand(demand)


def home_location(resident: Resident) -> tuple[float | None, float | None]:
    """Where a home visit goes: the resident's household on the map when staff have
    located it; else the resident's community health centre stands in."""
    return home_locations([resident])[resident.pk]


def home_locations(residents: Iterable[Resident]) -> dict[int, tuple[float | None, float | None]]:
    """``home_location`` for many residents in two queries (device alerts come in batches)."""
    by_pk = {resident.pk: resident for resident in residents}
    homes = dict(
        (pk, (float(lat), float(lon)))
        for pk, lat, lon in Resident.objects.filter(
            pk__in=by_pk, household__latitude__isnull=False, household__longitude__isnull=False
        ).values_list("pk", "household__latitude", "household__longitude")
        if lat is not None and lon is not None  # as filtered: for the type checker
    )
    missing = {r.community_id for pk, r in by_pk.items() if pk not in homes}
    centres: dict[int, tuple[float, float]] = {}
    for community_id, lat, lon in (
        Organisation.objects.filter(
            community_id__in=missing,
            kind=OrganisationKind.COMMUNITY_CENTRE,
            latitude__isnull=False,
            longitude__isnull=False,
        )
        .order_by("-id")  # the first centre of a community wins
        .values_list("community_id", "latitude", "longitude")
    ):
        if lat is not None and lon is not None:  # as filtered: for the type checker
            centres[community_id] = (float(lat), float(lon))
    return {
        pk: homes.get(pk) or centres.get(resident.community_id) or (None, None)
        for pk, resident in by_pk.items()
    }


def file_alert_demands(alerts: list[Any]) -> list[Demand]:
    """Device-alert demands for newly opened observations alerts, in their transaction: one
    per alert (tier from the alert's severity, system-suggested), written in bulk with one
    audit event for the batch (a demo load opens hundreds at once). An alert that already
    has its demand (same idempotency key) is skipped."""
    if not alerts:
        return []
    now = clock.now()
    local = timezone.localtime(now)
    holidays = _holidays(local)
    keys = {f"alert:{alert.public_id}" for alert in alerts}
    existing = set(
        Demand.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
    )
    demands, reasons = [], []
    for alert in alerts:
        key = f"alert:{alert.public_id}"
        if key in existing:
            continue
        description = f"{alert.rule.name}: {alert.summary}" if alert.summary else alert.rule.name
        result = classify.classify(description=description, tier_hint=alert.severity)
        due_respond, due_match = classify.deadlines(result.tier, local, holidays)
        demands.append(
            Demand(
                resident=alert.resident,
                description=description[:MAX_DESCRIPTION],
                channel=Channel.DEVICE_ALERT,
                filed_by=None,
                source_ref=key,
                system_suggested=True,
                urgent=result.urgent,
                important=result.important,
                quadrant=result.quadrant,
                tier=result.tier,
                due_respond_at=due_respond,
                due_match_at=due_match,
                idempotency_key=key,
                created_at=now,
            )
        )
        reasons.append(result.reasons)
    if not demands:
        return []
    located = home_locations(demand.resident for demand in demands)
    for demand in demands:
        demand.latitude, demand.longitude = located[demand.resident.pk]
    with transaction.atomic():
        Demand.objects.bulk_create(demands)
        DemandEvent.objects.bulk_create(
            DemandEvent(
                demand=demand,
                at=now,
                actor=None,
                from_status="",
                to_status=S.SUBMITTED,
                action="file",
                detail={"reasons": list(why)},
                idempotency_key=demand.idempotency_key,
            )
            for demand, why in zip(demands, reasons, strict=True)
        )
        audit.record(
            actor=None,
            action="careloop.demand.filed",
            object_type="demands.demand",
            object_id=demands[0].public_id if len(demands) == 1 else "",
            detail={
                "channel": Channel.DEVICE_ALERT,
                "demands": [
                    {
                        "demand": d.public_id,
                        "resident": d.resident.public_id,
                        "source": d.source_ref,
                        "tier": d.tier,
                    }
                    for d in demands
                ],
            },
        )
        for demand in demands:
            if demand.tier == classify.CRITICAL:
                open_green_channel(demand=demand, now=now)
    return demands


def confirm_suggested_demand(*, actor: User, demand: Demand, confirmed: bool) -> Demand:
    """The resident (a guardian, or staff on the phone) says whether a system-suggested
    demand is a real need; this feeds the identification-accuracy KPI. Answering the same
    again changes nothing; changing the answer is refused. A declined demand still open is
    withdrawn."""
    _require_visible(actor, demand.resident)
    if not demand.system_suggested:
        raise ConflictError(
            "demands.not_suggested", _("This demand was not suggested by the system.")
        )
    with transaction.atomic():
        locked = _locked(demand)
        if locked.resident_confirmed is not None:
            if locked.resident_confirmed != confirmed:
                raise ConflictError(
                    "demands.already_confirmed", _("This demand has already been answered.")
                )
            return _refresh(demand, locked)
        now = clock.now()
        from_status = locked.status
        locked.resident_confirmed = confirmed
        if not confirmed and locked.status in TRANSITIONS["withdraw"].sources:
            locked.status = S.WITHDRAWN
        locked.save()
        DemandEvent.objects.create(
            demand=locked, at=now, actor=actor, from_status=from_status, to_status=locked.status,
            action="confirm" if confirmed else "decline", detail={"confirmed": confirmed},
        )  # fmt: skip
        audit.record(
            actor=actor,
            action="careloop.demand.confirmed" if confirmed else "careloop.demand.declined",
            obj=locked,
            detail={"from": from_status, "to": locked.status},
        )
    return _refresh(demand, locked)
