from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from careloop.analytics.models import AnalyticsRun, ImprovementFinding


@admin.register(AnalyticsRun)
class AnalyticsRunAdmin(admin.ModelAdmin):
    list_display = ["public_id", "kind", "community", "status", "duration_ms", "created_at"]
    list_filter = ["kind", "status", "community"]
    search_fields = ["public_id"]
    raw_id_fields = ["created_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:  # written by the services only
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(ImprovementFinding)
class ImprovementFindingAdmin(admin.ModelAdmin):
    list_display = ["public_id", "community", "scope_kind", "scope_code", "dimension", "rate",
                    "threshold", "sample_size", "status", "created_at"]  # fmt: skip
    list_filter = ["status", "scope_kind", "dimension", "community"]
    search_fields = ["public_id", "scope_code"]
    raw_id_fields = ["service", "team", "status_changed_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:  # written by the services only
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
