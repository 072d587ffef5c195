#!/usr/bin/python3
"""Drives the interop Django project: one JSON object in, one JSON object out.

    djangoctl.py CMD ['JSON']      one command; the JSON argument (or stdin) holds its arguments
    djangoctl.py serve             many commands: reads {"cmd": ..., "args": {...}} lines on stdin,
                                   writes {"ok": true, "result": ...} or {"ok": false, "error": ...} lines

Settings come from the environment (see dmrsite/settings.py and README.md).
Every command uses Django's own API (SessionStore, User, check_password,
signing, the test client through the real middleware stack); nothing here
re-implements Django.
"""
import io
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dmrsite.settings")

import django  # noqa: E402

django.setup()

from importlib import import_module  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import check_password, get_hasher, identify_hasher, make_password  # noqa: E402
from django.core import signing  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402

COMMANDS = {}


def command(name):
    def register(f):
        COMMANDS[name] = f
        return f

    return register


def store_class():
    return import_module(settings.SESSION_ENGINE).SessionStore


def user(username):
    """The user whose USERNAME_FIELD is username (get_by_natural_key)."""
    return get_user_model()._default_manager.get_by_natural_key(username)


def user_row(u):
    return {
        "id": str(u.pk),
        "username": u.get_username(),
        "password": u.password,
        "email": getattr(u, "email", ""),
        "is_active": u.is_active,
        "is_staff": getattr(u, "is_staff", False),
        "is_superuser": getattr(u, "is_superuser", False),
        "last_login": u.last_login.isoformat() if u.last_login else None,
        "date_joined": u.date_joined.isoformat() if getattr(u, "date_joined", None) else None,
    }


# --- environment ---------------------------------------------------------


def django_redis_version():
    if not settings.CACHES["default"]["BACKEND"].startswith("django_redis."):
        return ""
    import django_redis

    return django_redis.__version__


@command("version")
def cmd_version(a):
    import asgiref
    import sqlparse

    return {
        "version": django.get_version(),
        "major_minor": "%d.%d" % django.VERSION[:2],
        "python": sys.version.split()[0],
        "django_path": os.path.dirname(django.__file__),
        "asgiref": asgiref.__version__,
        "sqlparse": sqlparse.__version__,
        "session_engine": settings.SESSION_ENGINE,
        "cache_backend": settings.CACHES["default"]["BACKEND"],
        "cache_compressor": settings.CACHES["default"].get("OPTIONS", {}).get("COMPRESSOR", ""),
        "django_redis": django_redis_version(),
        "db_vendor": connection.vendor,
        "pbkdf2_iterations": get_hasher("pbkdf2_sha256").iterations,
        "password_hashers": settings.PASSWORD_HASHERS,
        "extras": extras_versions(),
    }


def extras_versions():
    import importlib.metadata as md

    out = {}
    for key, dist in (("drf", "djangorestframework"), ("simplejwt", "djangorestframework-simplejwt"),
                      ("pyjwt", "pyjwt"), ("allauth", "django-allauth")):
        try:
            out[key] = md.version(dist)
        except md.PackageNotFoundError:
            out[key] = ""
    return out


@command("migrate")
def cmd_migrate(a):
    """Runs all migrations. {"fake_initial": true} passes --fake-initial;
    {"app": "auth", "target": "0001"} migrates one app (to one migration)."""
    out = io.StringIO()
    args = [a["app"]] + ([a["target"]] if a.get("target") else []) if a.get("app") else []
    call_command("migrate", *args, interactive=False, verbosity=1, fake_initial=bool(a.get("fake_initial")), stdout=out)
    return {"output": out.getvalue(), "tables": sorted(connection.introspection.table_names())}


@command("tables")
def cmd_tables(a):
    return {"tables": sorted(connection.introspection.table_names())}


# --- users and password hashes -------------------------------------------


@command("create-user")
def cmd_create_user(a):
    """{username, password (null: unusable), email, is_staff, is_superuser, is_active,
    extra: {column: value}}. With a custom model whose USERNAME_FIELD is email,
    username is the email."""
    User = get_user_model()
    flags = dict(
        is_staff=bool(a.get("is_staff")),
        is_superuser=bool(a.get("is_superuser")),
        is_active=a.get("is_active", True),
        **a.get("extra", {}),
    )
    if User.USERNAME_FIELD == "email":
        u = User.objects.create_user(a["username"], a.get("password"), **flags)
    else:
        u = User.objects.create_user(a["username"], a.get("email", ""), a.get("password"), **flags)
    return user_row(u)


@command("grant-perm")
def cmd_grant_perm(a):
    """{username, perm: "app_label.codename", group (optional)}: the permission
    given to the user directly, or to the group (created if missing) which
    the user joins. Returns what user.has_perm says afterwards (fresh user)."""
    from django.contrib.auth.models import Group

    p = permission(a["perm"])
    u = user(a["username"])
    if a.get("group"):
        g, _ = Group.objects.get_or_create(name=a["group"])
        g.permissions.add(p)
        u.groups.add(g)
    else:
        u.user_permissions.add(p)
    return {"has_perm": user(a["username"]).has_perm(a["perm"])}


@command("revoke-perm")
def cmd_revoke_perm(a):
    """{username, perm, group (optional)}: removes the permission from the user
    or from the group. Returns has_perm afterwards."""
    from django.contrib.auth.models import Group

    p = permission(a["perm"])
    if a.get("group"):
        Group.objects.get(name=a["group"]).permissions.remove(p)
    else:
        user(a["username"]).user_permissions.remove(p)
    return {"has_perm": user(a["username"]).has_perm(a["perm"])}


@command("get-user-row")
def cmd_get_user_row(a):
    try:
        return user_row(user(a["username"]))
    except get_user_model().DoesNotExist:
        return None


@command("get-hash")
def cmd_get_hash(a):
    return {"password": user(a["username"]).password}


@command("set-password")
def cmd_set_password(a):
    u = user(a["username"])
    u.set_password(a["password"])
    u.save()
    return {"password": u.password}


@command("set-active")
def cmd_set_active(a):
    u = user(a["username"])
    u.is_active = bool(a["is_active"])
    u.save()
    return user_row(u)


@command("check-password")
def cmd_check_password(a):
    """User.check_password (which rehashes and saves when the hash must be
    updated). Returns ok, and whether the stored hash changed."""
    u = user(a["username"])
    before = u.password
    ok = u.check_password(a["password"])
    after = user(a["username"]).password
    return {"ok": ok, "changed": before != after, "before": before, "after": after}


@command("authenticate")
def cmd_authenticate(a):
    from django.contrib.auth import authenticate

    u = authenticate(None, username=a.get("username"), password=a.get("password"))
    return {"user_id": str(u.pk) if u else ""}


@command("make-password")
def cmd_make_password(a):
    """{password, hasher (default: the first of PASSWORD_HASHERS)}"""
    return {"encoded": make_password(a["password"], hasher=a.get("hasher", "default"))}


@command("check-hash")
def cmd_check_hash(a):
    """{password, encoded} -> ok, and must_update as Django decides it."""
    enc = a["encoded"]
    ok = check_password(a["password"], enc)
    must_update = None
    try:
        h = identify_hasher(enc)
        preferred = get_hasher("default")
        must_update = h.algorithm != preferred.algorithm or preferred.must_update(enc)
    except ValueError:
        pass
    return {"ok": ok, "must_update": must_update}


# --- sessions through SessionStore -----------------------------------------


def session_state(s):
    return {
        "key": s.session_key,
        "data": dict(s.items()),
        "expiry_age": s.get_expiry_age(),
        "expire_at_browser_close": s.get_expire_at_browser_close(),
    }


@command("session-write")
def cmd_session_write(a):
    """{data, expiry (optional, int seconds or ISO string)} -> a new session.
    For signed_cookies the key is the cookie value."""
    s = store_class()()
    for k, v in (a.get("data") or {}).items():
        s[k] = v
    if "expiry" in a:
        s.set_expiry(a["expiry"])
    s.save()
    return session_state(s)


@command("session-update")
def cmd_session_update(a):
    """{key, set: {...}, delete: [...]} -> saves the existing session."""
    s = store_class()(a["key"])
    for k, v in (a.get("set") or {}).items():
        s[k] = v
    for k in a.get("delete") or []:
        s.pop(k, None)
    s.save()
    return session_state(s)


@command("session-read")
def cmd_session_read(a):
    """{key} -> the decoded dict; key is null when Django did not adopt it."""
    s = store_class()(a["key"])
    data = dict(s.items())
    st = session_state(s)
    st["data"] = data
    return st


@command("session-exists")
def cmd_session_exists(a):
    return {"exists": store_class()().exists(a["key"])}


@command("session-delete")
def cmd_session_delete(a):
    store_class()().delete(a["key"])
    return {}


@command("session-raw")
def cmd_session_raw(a):
    """The django_session row of {key}, as Django's ORM reads it."""
    from django.contrib.sessions.models import Session

    try:
        row = Session.objects.get(pk=a["key"])
    except Session.DoesNotExist:
        return None
    return {"session_data": row.session_data, "expire_date": row.expire_date.isoformat()}


@command("session-encode")
def cmd_session_encode(a):
    from django.contrib.sessions.backends.db import SessionStore

    return {"session_data": SessionStore().encode(a["data"])}


@command("session-decode")
def cmd_session_decode(a):
    from django.contrib.sessions.backends.db import SessionStore

    return {"data": SessionStore().decode(a["session_data"])}


@command("clear-expired")
def cmd_clear_expired(a):
    store_class().clear_expired()
    return {}


# --- signing ---------------------------------------------------------------


@command("signing-dumps")
def cmd_signing_dumps(a):
    return {"value": signing.dumps(a["obj"], salt=a.get("salt", "django.core.signing"), compress=bool(a.get("compress")))}


@command("signing-loads")
def cmd_signing_loads(a):
    try:
        return {"obj": signing.loads(a["value"], salt=a.get("salt", "django.core.signing"), max_age=a.get("max_age"))}
    except signing.BadSignature as e:
        return {"error": "%s: %s" % (type(e).__name__, e)}


@command("json-roundtrip")
def cmd_json_roundtrip(a):
    """{texts: [...]} -> each parsed by json.loads and written again as Django's
    JSONSerializer writes it (json.dumps with separators=(",", ":"))."""
    return {"dumps": [json.dumps(json.loads(t), separators=(",", ":")) for t in a["texts"]]}


# --- requests through the real middleware stack ----------------------------


def cookie_dict(response):
    out = {}
    for name, m in response.cookies.items():
        out[name] = {
            "value": m.value,
            "max_age": str(m["max-age"]),
            "expires": m["expires"],
            "path": m["path"],
            "domain": m["domain"],
            "samesite": m["samesite"],
            "httponly": bool(m["httponly"]),
            "secure": bool(m["secure"]),
        }
    return out


@command("request")
def cmd_request(a):
    """{method, path, cookies: {name: value}, headers: {name: value}, json | form, secure}
    through Django's test client with CSRF checks enforced. Returns status,
    body (parsed JSON) and the cookies the response sets."""
    c = Client(enforce_csrf_checks=True)
    for k, v in (a.get("cookies") or {}).items():
        c.cookies[k] = v
    extra = {}
    for k, v in (a.get("headers") or {}).items():
        extra["HTTP_" + k.upper().replace("-", "_")] = v
    method = a.get("method", "GET").upper()
    if "json" in a:
        data, ctype = json.dumps(a["json"]), "application/json"
    elif "form" in a:
        from urllib.parse import urlencode

        data, ctype = urlencode(a["form"]), "application/x-www-form-urlencoded"
    else:
        data, ctype = "", "application/octet-stream"
    r = c.generic(method, a["path"], data, content_type=ctype, secure=bool(a.get("secure")), **extra)
    try:
        body = json.loads(r.content)
    except ValueError:
        body = r.content.decode("latin-1")
    return {"status": r.status_code, "body": body, "cookies": cookie_dict(r), "vary": r.get("Vary")}


def session_cookie(a):
    return {settings.SESSION_COOKIE_NAME: a["sessionid"]} if a.get("sessionid") else {}


@command("login")
def cmd_login(a):
    """{username, password}: POST /login/ (authenticate() + login() through the
    middleware). {username} alone: Client.force_login (Django's login() on a
    fresh session). Returns the cookies and the session's dict."""
    if a.get("password") is not None:
        cookies = dict(session_cookie(a))
        r = cmd_request({"method": "POST", "path": "/login/", "json": {"username": a["username"], "password": a["password"]}, "cookies": cookies})
        if r["status"] != 200:
            return {"ok": False, "status": r["status"]}
        cookies = {k: v["value"] for k, v in r["cookies"].items()}
    else:
        c = Client()
        c.force_login(user(a["username"]))
        cookies = {k: m.value for k, m in c.cookies.items()}
    sid = cookies.get(settings.SESSION_COOKIE_NAME)
    return {"ok": True, "sessionid": sid, "csrftoken": cookies.get(settings.CSRF_COOKIE_NAME), "session": cmd_session_read({"key": sid})["data"]}


@command("get-user")
def cmd_get_user(a):
    """{sessionid} -> who AuthenticationMiddleware says the user is (get_user:
    backend, hash check, fallbacks), plus any cookie the response sets (a
    cycled key after a fallback match, a deleted cookie after a flush)."""
    r = cmd_request({"method": "GET", "path": "/whoami/", "cookies": session_cookie(a)})
    out = dict(r["body"])
    out["cookies"] = r["cookies"]
    return out


@command("logout")
def cmd_logout(a):
    """{sessionid, csrftoken(secret), token(masked)} -> POST /logout/."""
    cookies = session_cookie(a)
    if a.get("csrftoken"):
        cookies[settings.CSRF_COOKIE_NAME] = a["csrftoken"]
    return cmd_request({"method": "POST", "path": "/logout/", "cookies": cookies, "headers": {"X-CSRFToken": a.get("token", "")}})


@command("csrf-token")
def cmd_csrf_token(a):
    """{sessionid (optional)} -> get_token()'s masked token, and the cookie
    (or, with CSRF_USE_SESSIONS, the session's _csrftoken)."""
    r = cmd_request({"method": "GET", "path": "/csrf/", "cookies": session_cookie(a)})
    out = {"token": r["body"]["token"], "cookies": r["cookies"]}
    if settings.CSRF_USE_SESSIONS:
        sid = (r["cookies"].get(settings.SESSION_COOKIE_NAME) or {}).get("value") or a.get("sessionid")
        out["sessionid"] = sid
        out["secret"] = cmd_session_read({"key": sid})["data"].get("_csrftoken")
    else:
        out["secret"] = (r["cookies"].get(settings.CSRF_COOKIE_NAME) or {}).get("value")
    return out


@command("csrf-check")
def cmd_csrf_check(a):
    """{cookie, token, via: "header"|"form", method (POST), headers, secure,
    sessionid} -> CsrfViewMiddleware's verdict on POST /protected/:
    {ok, status, reason}."""
    cookies = session_cookie(a)
    if a.get("cookie") is not None:
        cookies[settings.CSRF_COOKIE_NAME] = a["cookie"]
    headers = dict(a.get("headers") or {})
    req = {"method": a.get("method", "POST"), "path": "/protected/", "cookies": cookies, "secure": a.get("secure"), "headers": headers}
    if a.get("token") is not None:
        if a.get("via", "header") == "form":
            req["form"] = {"csrfmiddlewaretoken": a["token"]}
        else:
            headers["X-CSRFToken"] = a["token"]
    r = cmd_request(req)
    body = r["body"] if isinstance(r["body"], dict) else {}
    return {"ok": r["status"] == 200, "status": r["status"], "reason": body.get("reason", "")}


# --- groups and permissions (ModelBackend) ----------------------------------


def permission(perm):
    from django.contrib.auth.models import Permission

    app_label, codename = perm.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@command("perm-create")
def cmd_perm_create(a):
    """{app_label, model, codename, name}: the content type and the permission, as a
    model's Meta.permissions would make them (get_or_create)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    ct, _ = ContentType.objects.get_or_create(app_label=a["app_label"], model=a["model"])
    p, _ = Permission.objects.get_or_create(content_type=ct, codename=a["codename"], defaults={"name": a["name"]})
    return {"id": p.pk}


@command("group-set")
def cmd_group_set(a):
    """{name, perms: ["app.codename", ...]}: the group with exactly these permissions."""
    from django.contrib.auth.models import Group

    g, _ = Group.objects.get_or_create(name=a["name"])
    g.permissions.set([permission(p) for p in a.get("perms") or []])
    return {"id": g.pk}


@command("user-perms-set")
def cmd_user_perms_set(a):
    """{username, perms: [...], groups: [...]}: user.user_permissions and user.groups set."""
    from django.contrib.auth.models import Group

    u = user(a["username"])
    u.user_permissions.set([permission(p) for p in a.get("perms") or []])
    u.groups.set([Group.objects.get(name=n) for n in a.get("groups") or []])
    return {"ok": True}


@command("user-flags-set")
def cmd_user_flags_set(a):
    """{username, is_active?, is_superuser?, is_staff?}"""
    u = user(a["username"])
    for f in ("is_active", "is_superuser", "is_staff"):
        if f in a:
            setattr(u, f, bool(a[f]))
    u.save()
    return user_row(u)


@command("has-perms")
def cmd_has_perms(a):
    """{username, perms: [...]} -> {has: {perm: user.has_perm(perm)}, all: sorted(get_all_permissions())},
    on a freshly loaded user (no permission cache)."""
    u = user(a["username"])
    return {"has": {p: u.has_perm(p) for p in a["perms"]}, "all": sorted(user(a["username"]).get_all_permissions())}


# --- django-allauth (DMR_EXTRA_APPS with allauth.account) --------------------


@command("allauth-user")
def cmd_allauth_user(a):
    """{username, email, password}: a user as allauth's signup leaves it, its
    address in allauth's EmailAddress table, verified and primary (what
    login by email looks up). Returns the user row and the address row."""
    from allauth.account.models import EmailAddress

    u = get_user_model().objects.create_user(a["username"], a["email"], a["password"])
    e = EmailAddress.objects.create(user=u, email=a["email"], verified=True, primary=True)
    out = user_row(u)
    out["emailaddress"] = {"email": e.email, "verified": e.verified, "primary": e.primary, "user_id": str(e.user_id)}
    return out


# --- DRF tokens (rest_framework.authtoken) -------------------------------


@command("sqlmigrate")
def cmd_sqlmigrate(a):
    """{app, name}: the SQL of Django's sqlmigrate for that migration on this database."""
    out = io.StringIO()
    call_command("sqlmigrate", a["app"], a["name"], stdout=out)
    return {"sql": out.getvalue()}


@command("drf-token-create")
def cmd_drf_token_create(a):
    """{username, reset}: DRF's drf_create_token (Token.objects.get_or_create(user=user), after
    deleting the user's token with reset) -> {key, user_id, created (isoformat)}."""
    from rest_framework.authtoken.models import Token

    u = user(a["username"])
    if a.get("reset"):
        Token.objects.filter(user=u).delete()
    t, _ = Token.objects.get_or_create(user=u)
    return {"key": t.key, "user_id": str(t.user_id), "created": t.created.isoformat()}


@command("drf-token-get")
def cmd_drf_token_get(a):
    """{username} -> {key, user_id, created} of the user's token (a fresh load), or {key: null}."""
    from rest_framework.authtoken.models import Token

    t = Token.objects.filter(user=user(a["username"])).first()
    if t is None:
        return {"key": None}
    return {"key": t.key, "user_id": str(t.user_id), "created": t.created.isoformat()}


@command("drf-token-delete")
def cmd_drf_token_delete(a):
    """{key}: deletes the token through DRF's model -> {deleted: count}."""
    from rest_framework.authtoken.models import Token

    n, _ = Token.objects.filter(key=a["key"]).delete()
    return {"deleted": n}

# --- SimpleJWT (jwt) ---------------------------------------------------------


@command("migrate-fake")
def cmd_migrate_fake(a):
    """{app}: migrate APP --fake (records every migration of the app as applied,
    for tables another program created in their final shape)."""
    out = io.StringIO()
    call_command("migrate", a["app"], fake=True, interactive=False, verbosity=1, stdout=out)
    return {"output": out.getvalue()}


# --- main ------------------------------------------------------------------


def run(cmd, args):
    try:
        f = COMMANDS[cmd]
    except KeyError:
        raise SystemExit("unknown command %r; known: %s" % (cmd, ", ".join(sorted(COMMANDS))))
    try:
        return f(args)
    finally:
        for c in connections.all():
            c.close()


def serve(out):
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            res = {"ok": True, "result": run(req["cmd"], req.get("args") or {})}
        except BaseException as e:  # noqa: B902 - report everything to the caller
            res = {"ok": False, "error": "%s: %s" % (type(e).__name__, e), "traceback": traceback.format_exc()}
        out.write(json.dumps(res) + "\n")
        out.flush()


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    # Anything Django or a command prints goes to stderr; stdout carries JSON only.
    out = sys.stdout
    sys.stdout = sys.stderr
    if sys.argv[1] == "serve":
        serve(out)
        return
    raw = sys.argv[2] if len(sys.argv) > 2 else sys.stdin.read()
    out.write(json.dumps(run(sys.argv[1], json.loads(raw) if raw.strip() else {}), indent=1) + "\n")


if __name__ == "__main__":
    main()
