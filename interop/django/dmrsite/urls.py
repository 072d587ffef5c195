from django.apps import apps
from django.urls import include, path

from . import views

urlpatterns = [
    path("login/", views.login_view),
    path("logout/", views.logout_view),
    path("whoami/", views.whoami),
    path("csrf/", views.csrf),
    path("protected/", views.protected),
    path("session/", views.session_view),
]

# The extras' own URLs, when their apps are installed (DMR_EXTRA_APPS).
if apps.is_installed("allauth.account"):
    urlpatterns.append(path("accounts/", include("allauth.urls")))
if apps.is_installed("rest_framework"):
    urlpatterns.append(path("drf/whoami/", views.drf_whoami))
if apps.is_installed("rest_framework_simplejwt") or apps.is_installed("rest_framework_simplejwt.token_blacklist"):
    from rest_framework_simplejwt import views as jwt_views

    urlpatterns += [
        path("api/token/", jwt_views.TokenObtainPairView.as_view()),
        path("api/token/refresh/", jwt_views.TokenRefreshView.as_view()),
        path("api/token/verify/", jwt_views.TokenVerifyView.as_view()),
    ]
