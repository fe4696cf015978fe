from django.urls import path

from careloop.residents import views

app_name = "residents"

urlpatterns = [
    # Resident portal.
    path("r/", views.portal, name="portal"),
    path("r/family/<str:public_id>/", views.portal_family_member, name="family_member"),
    # Workbench.
    path("w/", views.workbench, name="workbench"),
    path("w/residents/", views.resident_list, name="list"),
    path("w/residents/new/", views.resident_new, name="new"),
    path("w/residents/<str:public_id>/", views.resident_detail, name="detail"),
    path("w/residents/<str:public_id>/edit/", views.resident_edit, name="edit"),
    # Management console.
    path("console/", views.console, name="console"),
]
