from django.urls import path

from careloop.analytics import views

app_name = "analytics"

urlpatterns = [
    path("console/dashboard/", views.dashboard, name="dashboard"),
    path("console/dashboard/run/", views.run_now, name="run"),
    path("console/dashboard/export/<str:chart>.csv", views.export_csv, name="export_csv"),
    path("console/dashboard/report.xlsx", views.monthly_report, name="report"),
]
