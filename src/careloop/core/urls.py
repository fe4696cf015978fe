from django.urls import path

from careloop.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("elder-mode/", views.elder_mode, name="elder_mode"),
    path("console/audit/", views.audit_trail, name="audit_trail"),
]
