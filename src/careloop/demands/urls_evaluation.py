from django.urls import path

from careloop.demands import views_evaluation as views

app_name = "demands_eval"

urlpatterns = [
    path("r/demands/<str:public_id>/rate/", views.rate, name="rate"),
    path("w/follow-ups/", views.follow_ups, name="follow_ups"),
    path("w/follow-ups/<str:public_id>/", views.follow_up, name="follow_up"),
]
