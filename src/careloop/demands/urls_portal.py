from django.urls import path

from careloop.demands import views_portal as views

app_name = "demands_portal"

urlpatterns = [
    path("r/demands/", views.demand_list, name="list"),
    path("r/demands/new/", views.demand_new, name="new"),
    path("r/demands/<str:public_id>/", views.demand_detail, name="detail"),
    path("r/demands/<str:public_id>/withdraw/", views.demand_withdraw, name="withdraw"),
    path("r/demands/<str:public_id>/confirm/", views.demand_confirm, name="confirm"),
    path(
        "r/demands/<str:public_id>/offers/<int:number>/accept/",
        views.offer_accept,
        name="offer_accept",
    ),
    path(
        "r/demands/<str:public_id>/offers/<int:number>/decline/",
        views.offer_decline,
        name="offer_decline",
    ),
]
