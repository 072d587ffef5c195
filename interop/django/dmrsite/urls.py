from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.login_view),
    path("logout/", views.logout_view),
    path("whoami/", views.whoami),
    path("csrf/", views.csrf),
    path("protected/", views.protected),
    path("session/", views.session_view),
]
