"""Views the interop tests drive through Django's test client, so that the
real middleware stack (sessions, CSRF, authentication) runs."""
import json

from django.contrib import auth
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt


def csrf_failure(request, reason=""):
    return JsonResponse({"csrf_failed": True, "reason": reason}, status=403)


def _user(request):
    u = request.user
    if not u.is_authenticated:
        return {"authenticated": False, "user_id": None, "username": ""}
    return {"authenticated": True, "user_id": str(u.pk), "username": u.get_username()}


@csrf_exempt
def login_view(request):
    """POST JSON {username, password}: authenticate() + login() (no CSRF check,
    like a JSON login endpoint)."""
    body = json.loads(request.body or b"{}")
    user = auth.authenticate(request, username=body.get("username"), password=body.get("password"))
    if user is None:
        return JsonResponse({"authenticated": False}, status=401)
    auth.login(request, user)
    return JsonResponse(_user(request))


def logout_view(request):
    auth.logout(request)
    return JsonResponse({"ok": True})


def whoami(request):
    """The current user as AuthenticationMiddleware (get_user) sees it."""
    return JsonResponse(_user(request))


def csrf(request):
    return JsonResponse({"token": get_token(request)})


def protected(request):
    """Any method; CsrfViewMiddleware has already checked unsafe ones."""
    return JsonResponse({"ok": True, "method": request.method, **_user(request)})


@csrf_exempt
def session_view(request):
    """GET: the session as a dict. POST JSON {set: {...}, delete: [...]}: change it
    (no CSRF check: a test fixture, not a form)."""
    if request.method == "POST":
        body = json.loads(request.body or b"{}")
        for k, v in body.get("set", {}).items():
            request.session[k] = v
        for k in body.get("delete", []):
            request.session.pop(k, None)
    return JsonResponse({"session": dict(request.session.items()), "key": request.session.session_key})


def drf_whoami(request):
    """GET or POST, through DRF's APIView with REST_FRAMEWORK's authentication
    classes (DMR_EXTRA_SETTINGS): the user and the authenticator that accepted
    the request ("" when anonymous). DRF's own 401/403 answers otherwise."""
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class WhoAmI(APIView):
        permission_classes = [IsAuthenticated]

        def get(self, request):
            a = request.successful_authenticator
            return Response({**_user(request), "authenticator": type(a).__name__ if a else ""})

        post = get

    return WhoAmI.as_view()(request)
