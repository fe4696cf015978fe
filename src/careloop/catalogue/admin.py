"""Admin for superusers (console pages are the directors' tool). Reference tables such as
the holiday calendar are edited here."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from careloop.catalogue.models import (
    Booking,
    Enrolment,
    Language,
    Organisation,
    Package,
    PackageItem,
    Provider,
    PublicHoliday,
    ReferralAgreement,
    ScheduleException,
    Service,
    ServiceMode,
    Skill,
    Slot,
    SpecialistSession,
    Tag,
    WeeklySchedule,
)


class ServiceModeInline(admin.TabularInline):
    model = ServiceMode
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "tier", "category", "price_fen", "active")
    list_filter = ("tier", "category", "is_public_health_basic", "active")
    search_fields = ("code", "name_zh", "name_en")
    filter_horizontal = ("required_skills", "required_tags")
    inlines = [ServiceModeInline]


class PackageItemInline(admin.TabularInline):
    model = PackageItem
    extra = 0
    autocomplete_fields = ("service",)


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "group", "active")
    list_filter = ("group", "active")
    filter_horizontal = ("required_tags",)
    inlines = [PackageItemInline]


@admin.register(Skill, Tag, Language)
class CodeNameAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "kind", "community", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "organisation", "sex", "rating_avg", "active")
    list_filter = ("kind", "organisation", "active")
    search_fields = ("name",)
    filter_horizontal = ("skills", "services", "languages")
    raw_id_fields = ("user",)


@admin.register(WeeklySchedule)
class WeeklyScheduleAdmin(admin.ModelAdmin):
    list_display = ("provider", "weekday", "start_time", "end_time", "mode", "capacity", "active")
    list_filter = ("weekday", "mode", "active")
    filter_horizontal = ("services",)


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(admin.ModelAdmin):
    list_display = ("provider", "start_date", "end_date", "reason")


@admin.register(PublicHoliday)
class PublicHolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name_zh", "follows_weekday")
    list_filter = ("kind",)
    date_hierarchy = "date"


@admin.register(ReferralAgreement)
class ReferralAgreementAdmin(admin.ModelAdmin):
    list_display = ("organisation", "partner", "kind", "valid_from", "valid_to")


@admin.register(SpecialistSession)
class SpecialistSessionAdmin(admin.ModelAdmin):
    list_display = ("specialty_zh", "provider", "host")


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    """Read-only: slots come from schedules and bookings move their counts."""

    list_display = ("provider", "start", "mode", "capacity", "booked_count", "status")
    list_filter = ("mode", "status")
    date_hierarchy = "start"

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Booking, Enrolment)
class ReadOnlyAdmin(admin.ModelAdmin):
    """Bookings and enrolments change through services only (audited)."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
