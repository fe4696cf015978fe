from django.urls import path, re_path

from careloop.fhir import views

app_name = "fhir"

urlpatterns = [
    path("", views.base, name="base"),
    path("metadata", views.metadata, name="metadata"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)$", views.type_level, name="type"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]+)/(?P<resource_id>[A-Za-z0-9\-.]{1,64}|_search)$",
        views.instance,
        name="instance",
    ),
    re_path(r"^(?P<rest>.+)$", views.unsupported, name="unsupported"),
]
