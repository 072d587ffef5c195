"""Writes vectors.json: session-like values pickled by CPython as Django's
RedisCache stores them (pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)).

Run with any CPython 3.8+: python3 gen_vectors.py > vectors.json
"""
import json
import pickle
import pickletools
import sys

values = [
    {},
    {"foo": "bar"},
    {"_auth_user_id": "1", "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
     "_auth_user_hash": "0" * 64},
    {"a": [1, 2, 3], "b": None, "c": True, "d": False, "e": 1.5, "f": -1, "g": 2**31, "h": 2**64,
     "i": -2**63 - 1, "j": "Jos\u00e9 \U0001F40D", "k": [], "l": {"x": {}}, "m": 300, "n": 70000, "o": [1]},
    {"neg": -129, "z": 0, "m255": 255, "m256": 256, "m65535": 65535, "m65536": 65536,
     "i31": 2**31 - 1, "ni": -2**31, "ni1": -2**31 - 1, "i63": 2**63 - 1, "ni63": -2**63,
     "i64": 2**63, "n128": -128, "n256": -256, "n32768": -32768, "p128": 128, "p32768": 32768},
    {"big": "x" * 300, "huge": 10**700, "nhuge": -(10**700)},
    {"floats": [0.0, -0.0, 1e300, 5e-324, 0.1, -2.5, float("inf"), float("-inf")]},
    {"nested": {"list": [[], [[]], {"deep": [1, {"deeper": None}]}]}},
    {"_session_expiry": 300, "_csrftoken": "abcdefghijklmnopqrstuvwxyzABCDEF", "cart": [1, 2, 3, 4]},
    {"many": list(range(1200))},
    {"k%04d" % i: i for i in range(1001)},
    {"controls": "\x00\x01\n\t\"\\", "bmp": "\u20ac\uffff", "astral": "\U0010FFFF"},
    {"lone_surrogate": "\ud800x"},
    # Shared objects: CPython writes memo references (BINGET) for them.
    json.loads('[{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]')[0] | {"again": json.loads('{"x": [{"y": 1}, {"y": 2}]}')},
]

out = []
for v in values:
    data = pickle.dumps(v, pickle.HIGHEST_PROTOCOL)
    refs = any(op.name in ("BINGET", "LONG_BINGET", "GET") for op, _, _ in pickletools.genops(data))
    shared = '{"a": "same", "b": "same"}'
    out.append({
        # repr keeps the exact Python value (floats, big ints, surrogates)
        "repr": repr(v),
        "json": json.dumps(v, separators=(",", ":")),
        "pickle": data.hex(),
        "memo_refs": refs,
    })
# A dict whose two values are one str object: CPython writes BINGET for the second.
s = "shared-" + str(len(out))
v = {"a": s, "b": s}
data = pickle.dumps(v, pickle.HIGHEST_PROTOCOL)
out.append({"repr": repr(v), "json": json.dumps(v, separators=(",", ":")), "pickle": data.hex(), "memo_refs": True})
json.dump({"python": sys.version.split()[0], "protocol": pickle.HIGHEST_PROTOCOL, "vectors": out}, sys.stdout, indent=1)
sys.stdout.write("\n")
