"""Every write of the observations app: devices, readings, alert rules and alerts. Each
function is atomic and writes its audit event in the same transaction.

    from careloop.observations import services
    services.record_reading(actor=device_or_user, resident=..., code="85354-9", ...)
"""

from careloop.observations.services.alerts import (
    acknowledge_alert,
    close_alert,
    evaluate_rules,
    on_alert_opened,
    update_alert_rule,
)
from careloop.observations.services.devices import IssuedDevice, register_device, revoke_device
from careloop.observations.services.readings import (
    BATCH,
    TRANSACTION,
    BatchRefused,
    ItemResult,
    ReadingIn,
    Recorded,
    record_reading,
    record_readings,
)

__all__ = [
    "BATCH",
    "TRANSACTION",
    "BatchRefused",
    "IssuedDevice",
    "ItemResult",
    "ReadingIn",
    "Recorded",
    "acknowledge_alert",
    "close_alert",
    "evaluate_rules",
    "on_alert_opened",
    "record_reading",
    "record_readings",
    "register_device",
    "revoke_device",
    "update_alert_rule",
]
