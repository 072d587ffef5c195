// Package interop holds the suite that proves dmr byte-compatible with a real
// Django 3.2, 4.2 and 5.2, in both directions, on SQLite and PostgreSQL (and
// Redis for Django's cache session backends, with Django's own RedisCache and
// with django-redis): sessions, signed cookies,
// users and password hashes, login and logout, CSRF tokens and
// SECRET_KEY_FALLBACKS. Logins through django-allauth (0.51 with 3.2, 65.x
// with 4.2 and 5.2: its login and logout views, its AuthenticationBackend's
// path in the session) are covered both ways too (allauth_test.go).
//
// The tests are in package interop_test; they drive Django through
// internal/djangotest and the Django project in interop/django (install the
// three Djangos with interop/django/install.sh). Without Python or Django they
// skip, or fail under DMR_TEST_REQUIRE_ALL=1.
package interop
