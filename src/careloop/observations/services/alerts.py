"""Alert rules and alerts: feed the pure rule engine (``observations.rules``), open or update
alerts, acknowledge and close them, and version the rules a director edits.

Evaluation runs inside the transaction that stores the readings (``record_readings`` calls
``evaluate_rules`` once per batch): rules are read once, the history the fluctuation and trend
rules need is read in one query for every resident of the batch, and the residents' active
alerts in one more. Only readings measured within ``ALERT_MAX_AGE`` are evaluated, so an import
of last year's records does not raise alerts today.

One episode per resident and rule: while an alert of a rule is open or acknowledged, later
qualifying readings update it (``reading_count``, ``last_reading``, ``summary``) instead of
opening another; a worse severity escalates it and puts it back to open. Once closed, the next
qualifying reading opens a new episode. The conditional unique constraint
``alert_one_active_per_rule`` makes a race between two transactions end in an update, not in
two alerts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, clock
from careloop.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.core.roles import Role
from careloop.observations import codes, rules
from careloop.observations.models import (
    ACTIVE_STATUSES,
    Alert,
    AlertRule,
    AlertStatus,
    Observation,
)
from careloop.residents.models import Resident
from careloop.residents.selectors import residents_visible_to
from careloop.residents.services import EDITOR_ROLES

ALERT_MAX_AGE = timedelta(days=7)
RULE_EDITOR_ROLES = (Role.CENTRE_DIRECTOR, Role.SYSTEM_ADMIN)


def on_alerts_opened(alerts: list[Alert]) -> None:
    """Called once per batch of newly opened alerts (episodes), in the same transaction:
    files their device-alert demands (``demands.services.file_alert_demands``, the alert's
    severity as the SLA tier) in bulk, so alerts and demands commit together, then calls
    ``on_alert_opened`` for each."""
    from careloop.demands.services import file_alert_demands  # no import cycle at load time

    file_alert_demands(alerts)
    for alert in alerts:
        on_alert_opened(alert)


def on_alert_opened(alert: Alert) -> None:
    """Called in the same transaction each time a new alert (episode) opens, after its
    demand was filed (``on_alerts_opened``). A per-alert extension point; does nothing."""
    return None


# ---- evaluation -----------------------------------------------------------------------------


def _reading(obs: Observation, tz: Any) -> rules.Reading:
    return rules.Reading(
        code=obs.code,
        value=float(obs.value),
        value2=float(obs.value2) if obs.value2 is not None else None,
        effective_at=obs.effective_at,
        day=obs.effective_at.astimezone(tz).date(),
        source=obs.source,
        ref=obs.pk,
    )


def evaluate_rules(*, actor: User | None, observations: Iterable[Observation]) -> list[Alert]:
    """Run the active rules over newly stored ``observations`` (any residents); open or update
    alerts. Returns the alerts opened or updated. Call inside the storing transaction."""
    cutoff = clock.now() - ALERT_MAX_AGE
    fresh = [obs for obs in observations if obs.effective_at >= cutoff]
    if not fresh:
        return []
    new_codes = {obs.code for obs in fresh}
    specs = [
        (rule, spec)
        for rule in AlertRule.objects.filter(active=True).order_by("code")
        if (spec := rule.as_rule()).codes & new_codes
    ]
    if not specs:
        return []
    tz = timezone.get_current_timezone()
    residents: dict[int, Resident] = {}
    new_by_resident: dict[int, list[rules.Reading]] = {}
    for obs in fresh:
        residents.setdefault(obs.resident_id, obs.resident)
        new_by_resident.setdefault(obs.resident_id, []).append(_reading(obs, tz))
    history = _history([spec for _rule, spec in specs], new_by_resident, tz)
    findings: list[tuple[int, AlertRule, rules.Finding]] = []
    for resident_id, new in new_by_resident.items():
        here = {r.code for r in new}
        for rule, spec in specs:
            if not spec.codes & here:
                continue
            past = history.get(resident_id, ()) if spec.history_days else ()
            finding = rules.evaluate(spec, new, past)
            if finding is not None:
                findings.append((resident_id, rule, finding))
    if not findings:
        return []
    return _apply(actor, findings, residents)


def _history(
    specs: list[rules.Rule], new_by_resident: dict[int, list[rules.Reading]], tz: Any
) -> dict[int, list[rules.Reading]]:
    """Stored readings the history-based rules need, for every resident, in one query: each
    rule's codes over that rule's own window."""
    needy = [s for s in specs if s.history_days]
    if not needy:
        return {}
    hist_codes = frozenset().union(*(s.codes for s in needy))
    ids = [rid for rid, new in new_by_resident.items() if any(r.code in hist_codes for r in new)]
    if not ids:
        return {}
    since = min(min(r.effective_at for r in new_by_resident[rid]) for rid in ids)
    window = Q()
    for spec in needy:
        window |= Q(code__in=spec.codes, effective_at__gte=since - timedelta(spec.history_days))
    history: dict[int, list[rules.Reading]] = {}
    rows = (
        Observation.objects.filter(resident_id__in=ids)
        .filter(window)
        .values_list("pk", "resident_id", "code", "value", "value2", "effective_at", "source")
    )
    for pk, rid, code, value, value2, effective_at, source in rows.iterator(chunk_size=5000):
        history.setdefault(rid, []).append(
            rules.Reading(
                code=code,
                value=float(value),
                value2=float(value2) if value2 is not None else None,
                effective_at=effective_at,
                day=effective_at.astimezone(tz).date(),
                source=source,
                ref=pk,
            )
        )
    return history


def _apply(
    actor: User | None,
    findings: list[tuple[int, AlertRule, rules.Finding]],
    residents: dict[int, Resident],
) -> list[Alert]:
    now = clock.now()
    active = {
        (alert.resident_id, alert.rule_code): alert
        for alert in Alert.objects.select_for_update().filter(
            resident_id__in={rid for rid, _r, _f in findings}, status__in=ACTIVE_STATUSES
        )
    }
    touched: list[Alert] = []
    to_open: list[tuple[Alert, rules.Finding]] = []
    for resident_id, rule, finding in findings:
        alert = active.get((resident_id, rule.code))
        if alert is None:
            to_open.append((_new_alert(residents[resident_id], rule, finding, now), finding))
        else:
            _update(actor, alert, finding, now)
            touched.append(alert)
    if to_open:
        touched += _open(actor, to_open, now)
    return touched


def _summary(finding: rules.Finding) -> str:
    return rules.summary(finding, codes.format_value)[:120]


def _new_alert(resident: Resident, rule: AlertRule, finding: rules.Finding, now: datetime) -> Alert:
    return Alert(
        resident=resident,
        rule=rule,
        rule_code=rule.code,
        episode_key=f"{rule.code}:{finding.readings[0].day.isoformat()}",
        severity=finding.severity,
        status=AlertStatus.OPEN,
        summary=_summary(finding),
        detail=finding.detail,
        first_reading_id=finding.readings[0].ref,
        last_reading_id=finding.latest.ref,
        reading_count=len(finding.readings),
        opened_at=now,
        last_triggered_at=now,
    )


def _open(
    actor: User | None, to_open: list[tuple[Alert, rules.Finding]], now: datetime
) -> list[Alert]:
    """Insert new episodes in one statement; if another transaction opened one of them first
    (the unique constraint), go one by one and join the episodes that exist. One audit event
    lists the alerts opened; ``on_alerts_opened`` files their demands."""
    opened: list[Alert] = []
    joined: list[Alert] = []
    try:
        with transaction.atomic():
            Alert.objects.bulk_create([alert for alert, _f in to_open])
        opened = [alert for alert, _f in to_open]
    except IntegrityError:
        for alert, finding in to_open:
            alert.pk = None
            alert._state.adding = True
            try:
                with transaction.atomic():
                    alert.save(force_insert=True)
                opened.append(alert)
            except IntegrityError:
                existing = (
                    Alert.objects.select_for_update()
                    .filter(
                        resident_id=alert.resident_id,
                        rule_code=alert.rule_code,
                        status__in=ACTIVE_STATUSES,
                    )
                    .get()
                )
                _update(actor, existing, finding, now)
                joined.append(existing)
    if opened:
        audit.record(
            actor=actor,
            action="careloop.alert.opened",
            object_type="observations.alert",
            object_id=opened[0].public_id if len(opened) == 1 else "",
            detail={
                "alerts": [
                    {
                        "alert": a.public_id,
                        "resident": a.resident.public_id,
                        "rule": a.rule_code,
                        "version": a.rule.version,
                        "severity": a.severity,
                        "summary": a.summary,
                    }
                    for a in opened
                ]
            },
        )
    on_alerts_opened(opened)
    return opened + joined


def _update(actor: User | None, alert: Alert, finding: rules.Finding, now: datetime) -> None:
    fields = ["reading_count", "last_reading", "last_triggered_at", "summary", "detail"]
    alert.reading_count += len(finding.readings)
    alert.last_reading_id = finding.latest.ref
    alert.last_triggered_at = now
    alert.summary = _summary(finding)
    alert.detail = finding.detail
    escalated = rules.SEVERITY_RANK[finding.severity] > rules.SEVERITY_RANK[alert.severity]
    if escalated:
        previous = alert.severity
        alert.severity = finding.severity
        alert.status = AlertStatus.OPEN
        alert.acknowledged_at = None
        alert.acknowledged_by = None
        fields += ["severity", "status", "acknowledged_at", "acknowledged_by"]
    alert.save(update_fields=fields)
    if escalated:
        audit.record(
            actor=actor,
            action="careloop.alert.escalated",
            obj=alert,
            detail={"from": previous, "to": alert.severity, "summary": alert.summary},
        )


# ---- acknowledging and closing --------------------------------------------------------------


def _require_care_staff(actor: User, alert: Alert) -> None:
    if actor.is_superuser:
        return
    if not residents_visible_to(actor).filter(pk=alert.resident_id).exists():
        raise NotFoundError("observations.alert_not_found", _("No such alert."))
    if not actor.has_role(*EDITOR_ROLES):
        raise ForbiddenError("observations.forbidden", _("Only the care team may handle alerts."))


def acknowledge_alert(*, actor: User, alert: Alert) -> Alert:
    """The care team has seen the alert. Acknowledging twice changes nothing; a closed alert
    cannot be acknowledged."""
    _require_care_staff(actor, alert)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status == AlertStatus.ACKNOWLEDGED:
            return alert
        if alert.status == AlertStatus.CLOSED:
            raise ConflictError("observations.alert_closed", _("This alert is already closed."))
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at = clock.now()
        alert.acknowledged_by = actor
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        audit.record(actor=actor, action="careloop.alert.acknowledged", obj=alert)
    return alert


def close_alert(*, actor: User, alert: Alert, note: str = "") -> Alert:
    """End the episode; the next qualifying reading opens a new alert. Closing twice changes
    nothing."""
    _require_care_staff(actor, alert)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status == AlertStatus.CLOSED:
            return alert
        alert.status = AlertStatus.CLOSED
        alert.closed_at = clock.now()
        alert.closed_by = actor
        alert.save(update_fields=["status", "closed_at", "closed_by"])
        audit.record(
            actor=actor, action="careloop.alert.closed", obj=alert, detail={"note": note[:500]}
        )
    return alert


# ---- editing rules --------------------------------------------------------------------------


def update_alert_rule(
    *,
    actor: User,
    code: str,
    parameters: dict[str, Any] | None = None,
    severity: str | None = None,
    name: str | None = None,
    active: bool | None = None,
) -> AlertRule:
    """Save a new version of rule ``code`` with the given changes and deactivate the current
    one. A centre director or system administrator may; open alerts stay with their version.
    ``active=False`` switches the rule off (the new version is stored inactive)."""
    if not actor.is_superuser and not actor.has_role(*RULE_EDITOR_ROLES):
        raise ForbiddenError(
            "observations.forbidden", _("Only a centre director may change alert rules.")
        )
    with transaction.atomic():
        current = (
            AlertRule.objects.select_for_update()
            .filter(code=code)
            .order_by("-active", "-version")
            .first()
        )
        if current is None:
            raise NotFoundError("observations.rule_not_found", _("No such alert rule."))
        new_parameters = parameters if parameters is not None else current.parameters
        new_severity = severity if severity is not None else current.severity
        problems = rules.validate(current.kind, new_severity, new_parameters)
        new_name = (name if name is not None else current.name).strip()
        if not new_name or len(new_name) > 100:
            problems.append("name must have 1 to 100 characters")
        if problems:
            raise DomainError(
                "observations.rule_invalid",
                _("The alert rule is not valid."),
                fields={"parameters": problems},
            )
        last = AlertRule.objects.filter(code=code).aggregate(v=Max("version"))["v"] or 0
        AlertRule.objects.filter(code=code, active=True).update(active=False)
        rule = AlertRule.objects.create(
            code=code,
            version=last + 1,
            name=new_name,
            kind=current.kind,
            severity=new_severity,
            parameters=new_parameters,
            active=current.active if active is None else active,
            created_at=clock.now(),
            created_by=actor,
        )
        audit.record(
            actor=actor,
            action="careloop.alert_rule.updated",
            obj=rule,
            object_id=f"{code}@{rule.version}",
            detail={
                "from_version": current.version,
                "to_version": rule.version,
                "active": rule.active,
                "severity": rule.severity,
                "parameters": rule.parameters,
            },
        )
    return rule
