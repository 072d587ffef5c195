#!/bin/sh
# Installs the three Django versions the interop suite runs against, with
# Debian's /usr/bin/python3:
#
#   3.2.x  Debian bookworm's python3-django, installed system-wide with apt-get
#   4.2.x  Debian trixie's python3-django, unpacked into $CACHE/4.2
#   5.2.x  Debian sid's python3-django, unpacked into $CACHE/5.2
#
# and, for each, its suite's python3-django-redis, unpacked into
# $CACHE/django-redis/<version>, and its suite's Django REST framework,
# SimpleJWT, PyJWT and django-allauth ("the extras"), installed system-wide
# for 3.2 and unpacked into $CACHE/extras/<version> for 4.2 and 5.2 (see the
# end of this script).
#
# 4.2 and 5.2 are fetched with `apt-get download` through a private sources
# list and private apt state, so the system's sources are never changed; they
# are unpacked with `dpkg -x` (nothing is installed). Each version is pinned by
# major.minor: when a Debian suite moves on, this script fails and names what
# it found.
#
# Idempotent: a cache that already holds the right version is kept.
#
# Environment:
#   DMR_DJANGO_CACHE   where 4.2 and 5.2 go (default $HOME/.cache/dmr/django)
#   DMR_DEBIAN_MIRROR  Debian mirror URL (default: the one the system's own
#                      apt sources use, else http://deb.debian.org/debian)
#   DMR_DJANGO_SKIP_APT=1  do not apt-get install the system packages (3.2)
set -eu

PY=/usr/bin/python3
CACHE=${DMR_DJANGO_CACHE:-${HOME:-/root}/.cache/dmr/django}

die() { echo "install.sh: $*" >&2; exit 1; }
log() { echo "install.sh: $*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else die "need root (or sudo) for: $*"
	fi
}

# django_version [PYTHONPATH] prints django's version as seen by $PY.
django_version() {
	PYTHONPATH=${1:-} "$PY" -c 'import django; print(django.get_version())' 2>/dev/null || true
}

# check_startup DIR prints nothing when Django from DIR (or the system) can set
# itself up, imports what its session, auth and CSRF code needs, and reports
# the error otherwise.
check_startup() {
	PYTHONPATH=${1:-} "$PY" - <<'PYEOF' 2>&1 || true
import django
from django.conf import settings
settings.configure(
    SECRET_KEY="x" * 50, USE_TZ=True,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
# Django's declared minimum versions of asgiref and sqlparse must be met by the
# copies on the path (Debian builds declare no versions; the wheel metadata does).
import importlib.metadata as md, re
def vt(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])
for req in md.distribution("django").requires or []:
    m = re.match(r"^(asgiref|sqlparse)\s*\(?([^;]*)", req)
    if not m:
        continue
    have = md.version(m.group(1))
    for op, v in re.findall(r"(>=|<)\s*([\d.]+)", m.group(2)):
        if (op == ">=" and vt(have) < vt(v)) or (op == "<" and vt(have) >= vt(v)):
            raise SystemExit("Django %s needs %s %s%s, found %s" % (django.get_version(), m.group(1), op, v, have))
django.setup()
import django.contrib.sessions.backends.db, django.contrib.sessions.backends.signed_cookies
import django.contrib.auth.hashers, django.middleware.csrf, django.test.client
import django.core.handlers.asgi, django.db.backends.sqlite3.base
from django.core.management import call_command
call_command("migrate", verbosity=0)
PYEOF
}

[ -x "$PY" ] || die "$PY not found (Debian's python3 is required)"

# --- 3.2 from the system's own sources -------------------------------------
if [ "${DMR_DJANGO_SKIP_APT:-}" != 1 ]; then
	pkgs="python3-django python3-redis python3-argon2 python3-bcrypt python3-psycopg2 python3-mysqldb
		python3-djangorestframework python3-djangorestframework-simplejwt python3-django-allauth"
	missing=""
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		log "apt-get install$missing"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y $missing >/dev/null 2>&1 || {
			as_root apt-get update >/dev/null
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
		}
	fi
fi
v=$(django_version)
case "$v" in
3.2.*) log "system Django $v ok" ;;
"") die "system Django not importable by $PY (install python3-django from bookworm)" ;;
*) die "system Django is $v, expected 3.2.x (Debian bookworm); the pin in this script must be updated" ;;
esac
# Django's MySQL/MariaDB backend needs mysqlclient (python3-mysqldb), >= 1.4.3
# for Django 4.2/5.2.
"$PY" -c 'import MySQLdb, sys; sys.exit(MySQLdb.version_info < (1, 4, 3))' 2>/dev/null ||
	die "mysqlclient >= 1.4.3 not importable by $PY (install python3-mysqldb)"

# --- 4.2 and 5.2 from trixie and sid, privately ---------------------------
mirror=${DMR_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
	# The first plain Debian archive URL in the system's apt sources (deb822 or
	# one-line format), ignoring the security archive.
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed 's/#.*//' | grep -E '^(URIs:|deb )' | grep -Eo 'https?://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ' || true)
	mirror=${mirror:-http://deb.debian.org/debian}
fi
mirror=${mirror%/}

APTDIR=$CACHE/apt

# private_apt SUITE sets $opts for apt-get/apt-cache on the private state of
# SUITE and updates its lists once per run.
private_apt() {
	mkdir -p "$APTDIR/$1/lists/partial" "$APTDIR/$1/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $1 main" >"$APTDIR/$1/sources.list"
	opts="-o Dir::Etc::sourcelist=$APTDIR/$1/sources.list -o Dir::Etc::sourceparts=- -o Dir::State::Lists=$APTDIR/$1/lists
-o Dir::Cache=$APTDIR/$1/cache -o Dir::State::status=/var/lib/dpkg/status -o APT::Get::List-Cleanup=0
-o APT::Sandbox::User=root"
	case " ${updated:-} " in *" $1 "*) return 0 ;; esac
	log "apt-get update ($1, private lists in $APTDIR/$1)"
	# shellcheck disable=SC2086
	if ! apt-get $opts update >/dev/null 2>"$APTDIR/$1/update.err" ||
		grep -Eq '^(E:|W: Failed to fetch|W: Some index files)' "$APTDIR/$1/update.err"; then
		cat "$APTDIR/$1/update.err" >&2
		die "apt-get update for $1 from $mirror failed"
	fi
	updated="${updated:-} $1"
}

fetch_suite() { # suite ver
	suite=$1 ver=$2
	dest=$CACHE/$ver
	if [ -f "$dest/.ok" ]; then
		found=$(django_version "$(cat "$dest/.ok")")
		case "$found" in
		"$ver".*) log "Django $found ok in $dest"; return 0 ;;
		esac
		log "cache $dest holds '$found', refetching"
	fi
	private_apt "$suite"
	mkdir -p "$APTDIR/$suite/debs"
	cand=$(apt-cache $opts policy python3-django 2>/dev/null | awk '/Candidate:/ {print $2}')
	case "$cand" in
	*:"$ver".* | "$ver".*) ;;
	"" | "(none)") die "Debian $suite has no python3-django; expected $ver.x" ;;
	*) die "Debian $suite now ships python3-django $cand, expected $ver.x; the pin in this script must be updated" ;;
	esac
	rm -rf "$APTDIR/$suite/debs"/*.deb
	log "apt-get download python3-django=$cand python3-asgiref python3-sqlparse ($suite)"
	# shellcheck disable=SC2086
	(cd "$APTDIR/$suite/debs" && apt-get $opts download "python3-django=$cand" python3-asgiref python3-sqlparse >/dev/null) ||
		die "apt-get download from $suite failed"
	tmp=$dest.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for d in "$APTDIR/$suite/debs"/python3-django_*.deb; do dpkg -x "$d" "$tmp/django"; done
	for d in "$APTDIR/$suite/debs"/python3-asgiref_*.deb "$APTDIR/$suite/debs"/python3-sqlparse_*.deb; do
		dpkg -x "$d" "$tmp/deps"
	done
	pp=$dest/django/usr/lib/python3/dist-packages
	deps=$dest/deps/usr/lib/python3/dist-packages
	rm -rf "$dest"
	mv "$tmp" "$dest"
	# Prefer the system's asgiref/sqlparse when Django starts with them; else
	# use the suite's own.
	path=$pp
	err=$(check_startup "$path")
	if [ -n "$err" ]; then
		log "Django $ver does not start with bookworm's dependencies, using $suite's asgiref/sqlparse"
		path=$pp:$deps
		err=$(check_startup "$path")
		[ -z "$err" ] || { echo "$err" >&2; die "Django $ver from $suite does not start with $PY"; }
	fi
	found=$(django_version "$path")
	case "$found" in
	"$ver".*) ;;
	*) die "Django unpacked from $suite is '$found', expected $ver.x" ;;
	esac
	printf '%s' "$path" >"$dest/.ok"
	log "Django $found ready: PYTHONPATH=$path"
}

fetch_suite trixie 4.2
fetch_suite sid 5.2
err=$(check_startup "")
[ -z "$err" ] || { echo "$err" >&2; die "system Django 3.2 does not start"; }

# --- django-redis, one per Django, from the same suite ----------------------
# Each Django gets its own suite's python3-django-redis (with that suite's
# python3-redis, except on bookworm where the system's is that suite's),
# fetched through the private apt state of that suite and unpacked with
# dpkg -x into $CACHE/django-redis/<Django version>; the PYTHONPATH to put
# before Django's goes to .ok there. Pinned by major.minor:
#   3.2  bookworm  django-redis 5.2.x
#   4.2  trixie    django-redis 5.4.x
#   5.2  sid       django-redis 7.0.x, plus sid's python3-typing-extensions:
#                  django-redis 7 imports typing_extensions on Python < 3.13
#                  (sid's own Python is 3.13, bookworm's 3.11)

# check_django_redis PYTHONPATH prints django_redis's version as its last
# line when Django on PYTHONPATH can build a django-redis cache client with
# the zlib compressor and round-trip a value through it (no connection is
# made), and the error otherwise.
check_django_redis() {
	PYTHONPATH=$1 "$PY" - <<'PYEOF' 2>&1 || true
import django
from django.conf import settings
settings.configure(CACHES={"default": {
    "BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"COMPRESSOR": "django_redis.compressors.zlib.ZlibCompressor"}}})
django.setup()
import django_redis
from django.core.cache import cache
v = {"k": "v" * 40}
assert cache.client.decode(cache.client.encode(v)) == v
print(django_redis.__version__)
PYEOF
}

# unpack_debs SUITE DIR NAME PACKAGES... downloads PACKAGES from SUITE
# (private apt state) into a fresh $APTDIR/SUITE/NAME-debs and unpacks them
# all with dpkg -x into DIR, made anew.
unpack_debs() {
	suite=$1 into=$2 debs=$APTDIR/$1/$3-debs
	shift 3
	private_apt "$suite"
	rm -rf "$debs" "$into"
	mkdir -p "$debs" "$into"
	log "apt-get download $* ($suite)"
	# shellcheck disable=SC2086
	(cd "$debs" && apt-get $opts download "$@" >/dev/null) || die "apt-get download from $suite failed"
	for d in "$debs"/*.deb; do dpkg -x "$d" "$into"; done
}

fetch_django_redis() { # suite django-version pin extra-packages...
	suite=$1 djver=$2 pin=$3
	shift 3
	dest=$CACHE/django-redis/$djver
	djpath=""
	[ "$djver" = 3.2 ] || djpath=$(cat "$CACHE/$djver/.ok")
	if [ -f "$dest/.ok" ]; then
		found=$(check_django_redis "$(cat "$dest/.ok")${djpath:+:$djpath}" | tail -n1)
		case "$found" in
		"$pin".*) log "django-redis $found for Django $djver ok in $dest"; return 0 ;;
		esac
		log "cache $dest holds django-redis '$found', refetching"
	fi
	private_apt "$suite"
	# shellcheck disable=SC2086
	cand=$(apt-cache $opts policy python3-django-redis 2>/dev/null | awk '/Candidate:/ {print $2}')
	case "$cand" in
	"$pin".*) ;;
	"" | "(none)") die "Debian $suite has no python3-django-redis; expected $pin.x" ;;
	*) die "Debian $suite now ships python3-django-redis $cand, expected $pin.x; the pin in this script must be updated" ;;
	esac
	unpack_debs "$suite" "$dest.tmp" django-redis "python3-django-redis=$cand" "$@"
	rm -rf "$dest"
	mv "$dest.tmp" "$dest"
	path=$dest/usr/lib/python3/dist-packages
	out=$(check_django_redis "$path${djpath:+:$djpath}")
	found=$(printf '%s\n' "$out" | tail -n1)
	case "$found" in
	"$pin".*) ;;
	*) echo "$out" >&2; die "django-redis from $suite does not work with Django $djver (expected $pin.x)" ;;
	esac
	printf '%s' "$path" >"$dest/.ok"
	log "django-redis $found for Django $djver ready: PYTHONPATH=$path${djpath:+:$djpath}"
}

fetch_django_redis bookworm 3.2 5.2
fetch_django_redis trixie 4.2 5.4 python3-redis
fetch_django_redis sid 5.2 7.0 python3-redis python3-typing-extensions

# --- the extras: DRF, SimpleJWT, PyJWT, django-allauth ----------------------
# One set per Django, from the same Debian suite, pinned by major.minor (the
# first number for allauth, whose minor moves often):
#   3.2  bookworm  DRF 3.14  SimpleJWT 5.2  PyJWT 2.6   allauth 0.51 (system-wide, above)
#   4.2  trixie    DRF 3.16  SimpleJWT 5.5  PyJWT 2.10  allauth 65
#   5.2  sid       DRF 3.18  SimpleJWT 5.5  PyJWT 2.15  allauth 65
# Their other dependencies (requests, cryptography, openid…) are bookworm's,
# pulled in by the 3.2 set.

# check_extras PYTHONPATH prints "drf=… simplejwt=… pyjwt=… allauth=…" as its
# last line when Django on PYTHONPATH migrates an in-memory database with
# the extras' apps installed and imports what the interop tests use, and the
# error otherwise.
check_extras() {
	PYTHONPATH=$1 "$PY" - <<'PYEOF' 2>&1 || true
import django
from django.conf import settings
import importlib.util
# allauth >= 0.56 requires its AccountMiddleware (found without importing it:
# its module reads the settings).
mw = ["allauth.account.middleware.AccountMiddleware"] if importlib.util.find_spec("allauth.account.middleware") else []
settings.configure(
    SECRET_KEY="x" * 50, USE_TZ=True, MIDDLEWARE=mw,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
                    "rest_framework", "rest_framework.authtoken", "rest_framework_simplejwt",
                    "rest_framework_simplejwt.token_blacklist", "allauth", "allauth.account"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
import importlib.metadata as md
import rest_framework.authtoken.models, rest_framework_simplejwt.tokens, rest_framework_simplejwt.authentication
import allauth.account.auth_backends, allauth.account.views
print("drf=%s simplejwt=%s pyjwt=%s allauth=%s" % tuple(
    md.version(d) for d in ("djangorestframework", "djangorestframework-simplejwt", "pyjwt", "django-allauth")))
PYEOF
}

# extras_ok OUTPUT DRF SIMPLEJWT PYJWT ALLAUTH succeeds when check_extras's
# last line shows those versions (by prefix).
extras_ok() {
	case "$(printf '%s\n' "$1" | tail -n1)" in
	"drf=$2".*" simplejwt=$3".*" pyjwt=$4".*" allauth=$5".*) return 0 ;;
	esac
	return 1
}

fetch_extras() { # suite django-version drf simplejwt pyjwt allauth
	suite=$1 djver=$2
	shift 2
	dest=$CACHE/extras/$djver
	djpath=""
	[ "$djver" = 3.2 ] || djpath=$(cat "$CACHE/$djver/.ok")
	if [ -f "$dest/.ok" ]; then
		out=$(check_extras "$(cat "$dest/.ok")${djpath:+:$djpath}")
		if extras_ok "$out" "$@"; then log "extras for Django $djver ok: $(printf '%s\n' "$out" | tail -n1)"; return 0; fi
		log "cache $dest holds '$(printf '%s\n' "$out" | tail -n1)', refetching"
	fi
	path=""
	if [ "$djver" = 3.2 ]; then
		rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
	else
		unpack_debs "$suite" "$dest.tmp" extras python3-djangorestframework python3-djangorestframework-simplejwt \
			python3-jwt python3-django-allauth
		path=$dest/usr/lib/python3/dist-packages
	fi
	rm -rf "$dest"
	mv "$dest.tmp" "$dest"
	out=$(check_extras "$path${djpath:+:$djpath}")
	extras_ok "$out" "$@" || {
		echo "$out" >&2
		die "the extras from $suite do not work with Django $djver or are not DRF $1.x, SimpleJWT $2.x, PyJWT $3.x, allauth $4.x; the pins in this script must be updated"
	}
	printf '%s' "$path" >"$dest/.ok"
	log "extras for Django $djver ready: $(printf '%s\n' "$out" | tail -n1)${path:+ PYTHONPATH=$path}"
}

fetch_extras bookworm 3.2 3.14 5.2 2.6 0.51
fetch_extras trixie 4.2 3.16 5.5 2.10 65
fetch_extras sid 5.2 3.18 5.5 2.15 65
log "done"
