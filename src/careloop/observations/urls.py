from django.urls import path

from careloop.observations import views

app_name = "observations"

urlpatterns = [
    # Resident portal.
    path("r/readings/", views.my_readings, name="my_readings"),
    path("r/family/<str:public_id>/readings/", views.family_readings, name="family_readings"),
    # Workbench.
    path("w/alerts/", views.alert_queue, name="alerts"),
    path(
        "w/residents/<str:public_id>/alerts/<str:alert_id>/acknowledge/",
        views.acknowledge,
        name="acknowledge",
    ),
    path(
        "w/residents/<str:public_id>/devices/",
        views.register_device,
        name="register_device",
    ),
    path(
        "w/residents/<str:public_id>/devices/<str:device_id>/revoke/",
        views.revoke_device,
        name="revoke_device",
    ),
    # plotly.js from the installed Python package (versioned URL, cached for a year).
    path("assets/plotly.min.js", views.plotly_js, name="plotly_js"),
]
