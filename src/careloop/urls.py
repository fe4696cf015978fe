from django.contrib import admin
from django.urls import include, path

from careloop.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("fhir/r4/", include("careloop.fhir.urls")),
    path("", include("careloop.core.urls")),
    path("", include("careloop.residents.urls")),
    path("", include("careloop.catalogue.urls")),
    path("", include("careloop.observations.urls")),
    path("", include("careloop.observations.urls_rules")),
    path("", include("careloop.notifications.urls")),
    path("", include("careloop.demands.urls_portal")),
    path("", include("careloop.demands.urls_workbench")),
    path("", include("careloop.demands.urls_evaluation")),
    path("", include("careloop.analytics.urls")),
]
