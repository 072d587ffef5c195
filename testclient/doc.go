// Package testclient is an HTTP client for testing applications built on this
// module, in the spirit of Django's test Client.
//
// It wraps an http.Handler (requests are served in process, no listener) or
// a base URL, keeps cookies in a cookie jar, and on unsafe methods sends the
// CSRF token from the csrftoken cookie in the X-CSRFToken header, as the
// application's JavaScript would. LoginAs logs a user in without a password
// round trip (Django's force_login): it runs the real auth.Login on a session
// of the application's own store and keeps the resulting cookie, so tests do
// not pay for a PBKDF2 computation per login.
//
// Unlike Django's test client, CSRF checks are not disabled: a test that
// forgets the token fails as a browser would. To test a forged request, pass
// the header explicitly to Request (empty, or a wrong token): the client then
// leaves it alone.
package testclient
