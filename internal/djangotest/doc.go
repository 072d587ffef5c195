// Package djangotest runs a real Django next to Go tests, so that the
// interop suite can prove byte-compatibility in both directions.
//
// It finds Debian's /usr/bin/python3 and the Django of the requested version
// (3.2 is Debian bookworm's system python3-django; 4.2 and 5.2 are unpacked by
// interop/django/install.sh into $DMR_DJANGO_CACHE, default
// ~/.cache/dmr/django), checks django.VERSION against the requested
// major.minor, and keeps one `djangoctl.py serve` process per Django. Each
// command is one JSON line in and one JSON line out (see
// interop/django/djangoctl.py for the commands), so Python starts once per
// Django configuration, not once per operation.
//
// Config.CacheBackend "django_redis" makes the project's cache django-redis
// (with Config.CacheCompressor "zlib", its ZlibCompressor): the Debian
// suite's python3-django-redis that install.sh unpacked for that Django
// version goes before Django on PYTHONPATH (DjangoRedisPath); missing, the
// test skips like a missing Django.
//
// When Python or the requested Django is missing the test is skipped, or
// fails under DMR_TEST_REQUIRE_ALL=1 (internal/testenv). A Django of another
// major.minor than requested always fails the test and names what was found:
// a Debian suite moved on and the pin in install.sh must be updated.
//
// Environment: DMR_DJANGO_PYTHON (default /usr/bin/python3), DMR_DJANGO_CACHE.
package djangotest
