"""Settings of the interop Django project, read from the environment.

The Go interop tests start Django with these variables (see README.md):

DMR_DJANGO_DB             sqlite:PATH | postgres://... | postgresql://... | mysql://USER:PASS@HOST:PORT/DB   (required)
DMR_SECRET_KEY            SECRET_KEY (required)
DMR_SECRET_KEY_FALLBACKS  comma-separated SECRET_KEY_FALLBACKS (Django 4.1+)
DMR_SESSION_ENGINE        db (default) | cache | cached_db | signed_cookies
DMR_REDIS_URL             when set, the default cache is Django's RedisCache (4.0+)
DMR_CACHE_KEY_PREFIX      KEY_PREFIX of that cache (default "")
DMR_CACHE_BACKEND         django (default: Django's RedisCache) | django_redis (django_redis.cache.RedisCache)
DMR_CACHE_COMPRESSOR      zlib -> django-redis's ZlibCompressor (django_redis only)
DMR_CSRF_USE_SESSIONS     1 -> CSRF_USE_SESSIONS = True
DMR_CSRF_TRUSTED_ORIGINS  comma-separated CSRF_TRUSTED_ORIGINS
DMR_AUTH_USER_MODEL       accounts.CustomUser installs the accounts app (a custom user model:
                          UUID key, email login, display_name) and sets AUTH_USER_MODEL
DMR_AUTHENTICATION_BACKENDS comma-separated AUTHENTICATION_BACKENDS (default: Django's)
DMR_EXTRA_APPS            comma-separated apps appended to INSTALLED_APPS (rest_framework, allauth.account...);
                          allauth's AccountMiddleware is added when allauth.account has one (0.56+)
DMR_EXTRA_SETTINGS        a JSON object of further settings (REST_FRAMEWORK, SIMPLE_JWT...); in SIMPLE_JWT,
                          numbers under keys ending in LIFETIME or LEEWAY are seconds (made timedeltas)
"""
import datetime
import importlib.util
import json
import os
from urllib.parse import unquote, urlsplit


def _env(name, default=None, required=False):
    v = os.environ.get(name, default)
    if required and not v:
        raise RuntimeError("%s must be set" % name)
    return v


def _list(name):
    return [x.strip() for x in os.environ.get(name, "").split(",") if x.strip()]


def _database(url):
    if url.startswith("sqlite:"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url[len("sqlite:"):]}
    u = urlsplit(url)
    engines = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql"}
    if u.scheme not in engines:
        raise RuntimeError("DMR_DJANGO_DB: want sqlite:PATH, postgres://... or mysql://..., got %r" % u.scheme)
    opts = {}
    for kv in filter(None, u.query.split("&")):
        k, _, v = kv.partition("=")
        opts[k] = unquote(v)
    return {
        # MySQL/MariaDB through mysqlclient (Debian's python3-mysqldb), with
        # the backend's defaults: what a Django project has out of the box.
        "ENGINE": "django.db.backends." + engines[u.scheme],
        "NAME": unquote(u.path.lstrip("/")),
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "",
        "PORT": str(u.port or ""),
        "OPTIONS": opts,
    }


SECRET_KEY = _env("DMR_SECRET_KEY", required=True)
SECRET_KEY_FALLBACKS = _list("DMR_SECRET_KEY_FALLBACKS")  # ignored by Django < 4.1
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "dmrsite.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
]
_user_model = _env("DMR_AUTH_USER_MODEL") or "auth.User"
if _user_model != "auth.User":
    if _user_model != "accounts.CustomUser":
        raise RuntimeError("DMR_AUTH_USER_MODEL: want auth.User or accounts.CustomUser")
    INSTALLED_APPS.append("accounts")
    AUTH_USER_MODEL = "accounts.CustomUser"
if _list("DMR_AUTHENTICATION_BACKENDS"):
    AUTHENTICATION_BACKENDS = _list("DMR_AUTHENTICATION_BACKENDS")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
_extra_apps = _list("DMR_EXTRA_APPS")
INSTALLED_APPS += _extra_apps
if "allauth.account" in _extra_apps and importlib.util.find_spec("allauth.account.middleware"):
    MIDDLEWARE.append("allauth.account.middleware.AccountMiddleware")
DATABASES = {"default": _database(_env("DMR_DJANGO_DB", required=True))}

_engine = _env("DMR_SESSION_ENGINE", "db")
if _engine not in ("db", "cache", "cached_db", "signed_cookies"):
    raise RuntimeError("DMR_SESSION_ENGINE: want db, cache, cached_db or signed_cookies, got %r" % _engine)
SESSION_ENGINE = "django.contrib.sessions.backends." + _engine
# SESSION_SERIALIZER, SESSION_COOKIE_*, PASSWORD_HASHERS, AUTHENTICATION_BACKENDS:
# Django's defaults on purpose.

_cache_backend = _env("DMR_CACHE_BACKEND", "") or "django"
_cache_compressor = _env("DMR_CACHE_COMPRESSOR", "")
if _cache_backend not in ("django", "django_redis"):
    raise RuntimeError("DMR_CACHE_BACKEND: want django or django_redis, got %r" % _cache_backend)
if _cache_compressor not in ("", "zlib") or (_cache_compressor and _cache_backend != "django_redis"):
    raise RuntimeError("DMR_CACHE_COMPRESSOR: want zlib, with DMR_CACHE_BACKEND=django_redis; got %r" % _cache_compressor)
if _env("DMR_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _env("DMR_REDIS_URL"),
            "KEY_PREFIX": _env("DMR_CACHE_KEY_PREFIX", ""),
        }
    }
    if _cache_backend == "django_redis":
        # django-redis as its documentation configures it: DefaultClient,
        # PickleSerializer, no compressor unless asked for.
        CACHES["default"]["BACKEND"] = "django_redis.cache.RedisCache"
        if _cache_compressor == "zlib":
            CACHES["default"]["OPTIONS"] = {"COMPRESSOR": "django_redis.compressors.zlib.ZlibCompressor"}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CSRF_USE_SESSIONS = _env("DMR_CSRF_USE_SESSIONS", "") == "1"
CSRF_TRUSTED_ORIGINS = _list("DMR_CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "dmrsite.views.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "ERROR"},
}

# Last, so that they override the settings above.
for _k, _v in json.loads(_env("DMR_EXTRA_SETTINGS", "") or "{}").items():
    if _k == "SIMPLE_JWT":
        _v = {
            k: datetime.timedelta(seconds=v)
            if (k.endswith("LIFETIME") or k.endswith("LEEWAY")) and isinstance(v, (int, float)) else v
            for k, v in _v.items()
        }
    globals()[_k] = _v
