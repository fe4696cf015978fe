"""Console pages for the alert rules, included from the project urls."""

from django.urls import path

from careloop.observations import views_rules

app_name = "alert_rules"

urlpatterns = [
    path("console/alert-rules/", views_rules.rule_list, name="list"),
    path("console/alert-rules/<slug:code>/", views_rules.rule_detail, name="detail"),
]
