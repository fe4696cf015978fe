from django.contrib import admin
from django.http import HttpRequest

from careloop.notifications.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["public_id", "kind", "channel", "status", "urgent", "send_after", "attempts"]
    list_filter = ["channel", "status", "kind", "urgent"]
    search_fields = ["public_id", "dedupe_key"]
    raw_id_fields = ["user", "resident", "team", "done_by"]

    def has_change_permission(
        self, request: HttpRequest, obj: Message | None = None
    ) -> bool:  # written by the services only
        return False
