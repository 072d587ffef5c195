// Package pycompat is where dmr reproduces Python's and Django's text
// handling byte for byte: everything a Go service must read or write exactly
// as a Django project next to it would.
//
//   - Cookies: [CookieValue] and [ParseCookie] are Django's parse_cookie with
//     Python's http.cookies._unquote (octal and backslash escapes, str.strip
//     including the \x1c-\x1f separators, keys without "=", the last cookie
//     of a name wins), over a header decoded as Django's WSGI handler decodes
//     it (UTF-8 with errors="replace", [DecodeUTF8]). [SetCookie] writes
//     Set-Cookie the way HttpResponse.set_cookie and delete_cookie do.
//   - URLs and forms: [ParseURL] is urllib.parse.urlparse (with geturl),
//     [UnquotePlus] is urllib.parse.unquote_plus, and [FormValue] is
//     QueryDict(body).get(name) for an application/x-www-form-urlencoded body.
//   - Times: [ISOFormat] and [ParseISO] are datetime.isoformat and the shapes
//     datetime.fromisoformat reads.
//   - JSON: [AppendJSONString] is the string scanner and [AppendJSONQuoted]
//     the string writer (json.dumps's ensure_ascii form, or UTF-8) that both
//     JSON packages, internal/jsonx and pyjson, use.
//
// The cookie and form functions are checked against vectors written by real
// Django 3.2, 4.2 and 5.2 (testdata/gen_django_vectors.py) and fuzzed.
//
// Where we deliberately differ: several Cookie header fields are read as if
// joined with "; " (the HTTP/2 rule, RFC 9113 §8.2.3, and what net/http's own
// cookie reader does), whereas WSGI servers join repeated headers with ","
// (wsgiref) or keep one; and QueryDict's DATA_UPLOAD_MAX_NUMBER_FIELDS limit
// (a 400 in Django) is not applied by FormValue, whose callers bound the body
// size instead.
package pycompat
