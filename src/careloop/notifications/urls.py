from django.urls import path

from careloop.notifications import views

app_name = "notifications"

urlpatterns = [
    # Resident portal.
    path("r/messages/", views.resident_inbox, name="inbox"),
    path("r/messages/<str:public_id>/read/", views.mark_read, name="mark_read"),
    # Workbench.
    path("w/messages/", views.staff_inbox, name="staff_inbox"),
    path("w/messages/<str:public_id>/read/", views.mark_read, name="staff_mark_read"),
    path("w/calls/", views.phone_tasks, name="phone_tasks"),
    path("w/calls/<str:public_id>/done/", views.complete_phone_task, name="complete_phone_task"),
]
