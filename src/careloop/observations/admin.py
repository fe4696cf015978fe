from django.contrib import admin
from django.http import HttpRequest

from careloop.observations.models import Alert, AlertRule, Device


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["public_id", "kind", "serial", "resident", "active", "registered_at"]
    list_filter = ["kind", "active"]
    readonly_fields = ["public_id", "key_hash", "prefix"]


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "kind", "severity", "active", "created_at"]
    list_filter = ["kind", "active"]

    def has_change_permission(
        self, request: HttpRequest, obj: AlertRule | None = None
    ) -> bool:  # versions are edited by a service
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["public_id", "resident", "rule_code", "severity", "status", "opened_at"]
    list_filter = ["severity", "status", "rule_code"]
