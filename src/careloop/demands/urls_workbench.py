from django.urls import path

from careloop.demands import views_workbench as views

app_name = "demands_workbench"

urlpatterns = [
    # Workbench.
    path("w/demands/", views.queue, name="queue"),
    path("w/demands/<str:public_id>/", views.detail, name="detail"),
    path("w/demands/<str:public_id>/actions/<slug:action>/", views.act, name="act"),
    path("w/residents/<str:public_id>/demands/", views.resident_demands, name="resident_demands"),
    path("w/residents/<str:public_id>/demands/new/", views.file, name="file"),
    path("w/green/", views.green, name="green"),
    path("w/green/<str:public_id>/<slug:step>/", views.green_step, name="green_step"),
    # Management console.
    path("console/demands/", views.console, name="console"),
    path("console/demands/replan/", views.replan, name="replan"),
]
