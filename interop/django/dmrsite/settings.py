"""Settings of the interop Django project, read from the environment.

The Go interop tests start Django with these variables (see README.md):

DMR_DJANGO_DB             sqlite:PATH | postgres://... | postgresql://... | mysql://USER:PASS@HOST:PORT/DB   (required)
DMR_SECRET_KEY            SECRET_KEY (required)
DMR_SECRET_KEY_FALLBACKS  comma-separated SECRET_KEY_FALLBACKS (Django 4.1+)
DMR_SESSION_ENGINE        db (default) | cache | cached_db | signed_cookies
DMR_REDIS_URL             when set, the default cache is Django's RedisCache (4.0+)
DMR_CACHE_KEY_PREFIX      KEY_PREFIX of that cache (default "")
DMR_CSRF_USE_SESSIONS     1 -> CSRF_USE_SESSIONS = True
DMR_CSRF_TRUSTED_ORIGINS  comma-separated CSRF_TRUSTED_ORIGINS
"""
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
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {"default": _database(_env("DMR_DJANGO_DB", required=True))}

_engine = _env("DMR_SESSION_ENGINE", "db")
if _engine not in ("db", "cache", "cached_db", "signed_cookies"):
    raise RuntimeError("DMR_SESSION_ENGINE: want db, cache, cached_db or signed_cookies, got %r" % _engine)
SESSION_ENGINE = "django.contrib.sessions.backends." + _engine
# SESSION_SERIALIZER, SESSION_COOKIE_*, PASSWORD_HASHERS, AUTHENTICATION_BACKENDS:
# Django's defaults on purpose.

if _env("DMR_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _env("DMR_REDIS_URL"),
            "KEY_PREFIX": _env("DMR_CACHE_KEY_PREFIX", ""),
        }
    }
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
