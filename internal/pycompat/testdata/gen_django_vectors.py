"""Writes django-<version>.json: what real Django makes of Cookie headers and
urlencoded form bodies, read the way a request reads them (a WSGIRequest built
from raw header and body bytes), plus the code points Python's str.strip()
removes.

Run with Debian's python3 and one Django on the path, from the repository root:

    /usr/bin/python3 internal/pycompat/testdata/gen_django_vectors.py
    PYTHONPATH=$(cat ~/.cache/dmr/django/4.2/.ok) /usr/bin/python3 internal/pycompat/testdata/gen_django_vectors.py
    PYTHONPATH=$(cat ~/.cache/dmr/django/5.2/.ok) /usr/bin/python3 internal/pycompat/testdata/gen_django_vectors.py

Bytes are written as JSON strings when they are valid UTF-8 and as hex (the
*_hex fields) otherwise.
"""
import io
import json
import os
import sys

import django
from django.conf import settings

settings.configure(SECRET_KEY="x" * 50, USE_TZ=True, DEFAULT_CHARSET="utf-8")
django.setup()

from django.core.handlers.wsgi import WSGIRequest  # noqa: E402

COOKIES = [
    b"",
    b"a=b",
    b"a=1; a=2",
    b"a=1;a=2;b=3",
    b"  a  =  b  ",
    b"a=b=c",
    b"abc",
    b"abc; a=b",
    b"a=b; abc; def",
    b"=",
    b";;",
    b"; ;",
    b"=x",
    b"x=",
    b" = ",
    b"$Version=1; a=b",
    b"a=b, c=d",
    b"a=b,c=d; e=f",
    # Quotes and Python's http.cookies._unquote.
    b'a="b"',
    b'a=""',
    b'a="',
    b'a="""',
    b'a=" "',
    b'a=  "b c"  ',
    b'a="b"c"',
    b'a=\\"b\\"',
    b'a="\\"quoted\\""',
    b'a="x\\\\y"',
    b'a="\\"',
    b'a="abc\\"',
    b'a="\\351t\\351"',
    b'a=\\351t\\351',
    b'a="\\012"',
    b'a="\\000"',
    b'a="\\377\\376"',
    b'a="\\400"',
    b'a="\\777"',
    b'a="\\3510"',
    b'a="\\35"',
    b'a="\\\\351"',
    b'a="\\0"',
    b'a="\\a\\b\\c"',
    b'a="\\\n"',
    b'a="\\\r\\\t"',
    b'a="\\\x1c"',
    b'a="\\\xc3\xa9"',
    b'a="\\\xe9"',
    b'a="\xe9"',
    b'"a"="b"',
    b'a="b";c="d"',
    b'a="b;c"',
    # Control characters, Unicode spaces and what str.strip() removes.
    b"\x1ca=b\x1c",
    b"a=b\x1f;c=d",
    b"\x1c\x1d=x",
    b"\x1c\x1d\x1e\x1f",
    b"a=\x1c",
    b"a=\x0bb\x0c",
    b"a=\x00b",
    b"a=b\x00",
    b"a=\x7f",
    b"\x01a=b",
    b"a=\x1b",
    b"a\x85=b\xc2\x85",
    b"a=\xc2\x85b\xc2\x85",
    b"a=\xc2\xa0b\xc2\xa0",
    b"a=\xe3\x80\x80b\xe3\x80\x80",
    b"a=\xe2\x80\xa8b\xe2\x80\xa9",
    b"a=\xe2\x80\x8bb\xe2\x80\x8b",
    b"a=\xe1\xa0\x8eb",
    b"a=\xef\xbb\xbfb",
    b"a=\xe2\x80\x8a\xe2\x80\xafb\xe2\x81\x9f",
    b"a=\xe1\x9a\x80b",
    b"a=\t\n\r\x0b\x0cb\t",
    b'a=\x1c"b"\x1c',
    b'a="\x1cb\x1c"',
    # Bytes that are not UTF-8: Django decodes the header with errors="replace".
    b"a=\xe9t\xe9",
    b"a=\xe2\x82",
    b"a=\xe2\x82x",
    b"a=\xf0\x9f\x98",
    b"a=\xff\xfe",
    b"a=\xc0\xaf",
    b"a=\xed\xa0\x80",
    b"a=\xf4\x90\x80\x80",
    b"a=\x80",
    b'a="\xff"',
    b"\xff=b",
    b"\xe9t\xe9=b",
    b"a=\xf0\x9f\x90\x8d",
    b"a=\xef\xbf\xbd",
    # Realistic headers.
    b"csrftoken=AbCdEfGhIjKlMnOpQrStUvWxYz012345; sessionid=abcdefghijklmnopqrstuvwxyz012345",
    b"sessionid=\"abcdefghijklmnopqrstuvwxyz012345\"; csrftoken=x",
    b"_ga=GA1.1.1.1; sessionid=k1; foo; sessionid=k2",
]

FORMS = [
    b"",
    b"csrfmiddlewaretoken=abc",
    b"csrfmiddlewaretoken=abc&csrfmiddlewaretoken=def",
    b"a=1&csrfmiddlewaretoken=x+y%20z",
    b"csrfmiddlewaretoken",
    b"csrfmiddlewaretoken=",
    b"csrfmiddlewaretoken&csrfmiddlewaretoken=",
    b"&&csrfmiddlewaretoken=a&&",
    b"csrfmiddlewaretoken=a;csrfmiddlewaretoken=b",
    b"csrf%6Diddlewaretoken=enc",
    b"csrfmiddlewaretoken=%",
    b"csrfmiddlewaretoken=%4",
    b"csrfmiddlewaretoken=%4g%41",
    b"csrfmiddlewaretoken=%2B+",
    b"csrfmiddlewaretoken=%e9t%e9",
    b"csrfmiddlewaretoken=%c3%a9",
    b"csrfmiddlewaretoken=%e2%82",
    b"csrfmiddlewaretoken=%e2%82x",
    b"csrfmiddlewaretoken=%ff%fe",
    b"csrfmiddlewaretoken=%f0%9f%98",
    b"csrfmiddlewaretoken=%ed%a0%80",
    b"csrfmiddlewaretoken=a=b=c",
    b"csrfmiddlewaretoken=\xe9",
    b"csrfmiddlewaretoken=\xc3\xa9",
    b"csrfmiddlewaretoken=%00",
    b"csrfmiddlewaretoken=a\x00b",
    b"csrfmiddlewaretoken=%25",
    b"csrfmiddlewaretoken=%%41",
    b"CSRFMIDDLEWARETOKEN=upper",
    b"csrfmiddlewaretoken+=space",
    b"+csrfmiddlewaretoken=space",
]


def field(d, name, raw):
    try:
        d[name] = raw.decode("utf-8")
    except UnicodeDecodeError:
        d[name + "_hex"] = raw.hex()
    return d


def request(cookie=None, body=None):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body or b""),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body or b"")),
    }
    if cookie is not None:
        environ["HTTP_COOKIE"] = cookie.decode("latin-1")  # PEP 3333 native string
    return WSGIRequest(environ)


# bytes.decode("utf-8", errors="replace"), which Django applies to headers and
# percent-decoded form data: every interesting lead byte with every
# interesting second byte, followed by nothing, one or two continuation bytes.
LEADS = [0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
SECONDS = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2]
UTF8 = [b""]
for lead in LEADS:
    UTF8.append(bytes([lead]))
    for second in SECONDS:
        for tail in (b"", b"\x80", b"\x80\x80", b"\x80\x80x"):
            UTF8.append(bytes([lead, second]) + tail)

out = {
    "django": django.get_version(),
    "python": sys.version.split()[0],
    "isspace": [c for c in range(0x110000) if chr(c).isspace()],
    "cookies": [],
    "forms": [],
    "utf8": [[raw.hex(), raw.decode("utf-8", errors="replace")] for raw in UTF8],
}
for raw in COOKIES:
    got = request(cookie=raw).COOKIES
    out["cookies"].append(field({"cookies": [[k, v] for k, v in got.items()]}, "header", raw))
for raw in FORMS:
    token = request(body=raw).POST.get("csrfmiddlewaretoken")
    out["forms"].append(field({"token": token}, "body", raw))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "django-%s.json" % django.get_version())
with open(path, "w", encoding="utf-8") as f:
    json.dump(out, f, indent=1, ensure_ascii=True)
    f.write("\n")
print(path)
