// Package signing is Django's django.core.signing, byte for byte: salted_hmac,
// Signer, TimestampSigner (base62 timestamps) and the signed object format of
// dumps/loads, with SECRET_KEY_FALLBACKS and, optionally, Django 3.2's legacy
// SHA-1 signatures.
//
// A value signed here verifies in Django (3.2 to 6.1) with the same key and
// salt, and the other way round. Objects are serialized with package pyjson,
// which writes what Python's json.dumps(obj, separators=(",", ":")) writes.
//
// # Threat model
//
// Signed values travel through clients (cookies) and databases that an
// attacker may be able to write. The package guarantees that nothing is
// decoded before it is authenticated:
//
//   - Signatures are compared in constant time; every configured key (the
//     primary, then each fallback) is tried, and the comparison does not stop
//     early.
//   - The MAC covers the "." compression flag and the timestamp. Base64
//     decoding, zlib decompression and JSON parsing happen only after the MAC
//     has been verified, so an unauthenticated zlib bomb is never inflated.
//     Even authenticated payloads are inflated only up to
//     Options.MaxDecompressedSize (1 MiB by default; Django has no cap).
//   - Expiry (max age) is checked after the MAC, like Django, and reported as
//     ErrSignatureExpired, which also matches ErrBadSignature.
//   - Signing always uses the primary key. Fallback keys only verify, so a
//     rotated-out key stops producing new signatures immediately.
//   - Separators that could occur inside a signature are rejected at setup
//     (Django's "Unsafe Signer separator" check, including its quirks: the
//     class A-z spans [\]^_ and the backtick, and one trailing newline is
//     allowed by Python's "$").
//
// The package does not protect against a leaked key, against replay of a
// validly signed value within its max age, or against timing differences in
// the length of inputs.
//
// # Differences from Django
//
//   - maxAge <= 0 means "no limit" (Django's max_age=None); Django's
//     max_age=0, which expires everything older than the current second, has
//     no equivalent.
//   - Options.LegacySHA1 accepts SHA-1 signatures made with any configured
//     key; Django 3.2 (which had no fallback keys) accepted them for its one
//     key. It is off by default, as Django 4.0 removed the format.
//   - Payload base64 must use the URL-safe alphabet (padding is accepted);
//     Python's decoder silently skips stray characters. This only affects
//     authenticated data that Django itself never writes.
//   - Go's zlib output differs from CPython's, so compressed values are not
//     byte-identical to Django's, but each side reads the other's.
package signing
