// Package hashers checks and makes password hashes in the formats of
// Django's django.contrib.auth.hashers, so that a Go service and a Django
// project can share one auth_user table.
//
// # Formats
//
// Every hasher Django has shipped since 3.2 is here: pbkdf2_sha256 (the
// default), pbkdf2_sha1, argon2 (Argon2id; old argon2i hashes verify and are
// upgraded), bcrypt_sha256, bcrypt, scrypt, and, for verification only, the
// legacy md5, sha1, unsalted_md5 and unsalted_sha1. [DjangoDefaults] returns
// the default PASSWORD_HASHERS of a Django version with that version's
// parameters (PBKDF2 iterations, scrypt parallelism). Write hashes with the
// exact defaults of the Django version that shares the database: Django
// rewrites any hash made with other parameters at the next successful login,
// and so does [Hashers.Check]'s mustUpdate.
//
// # Threat model
//
// The hashes protect passwords if the database leaks; the checks must not
// help an online attacker either. So, as in Django:
//   - comparisons of computed and stored hashes are constant-time;
//   - an unusable ("!"-prefixed), empty or unknown hash costs one full hash
//     with the preferred hasher before failing, and callers (the auth
//     package's model backend) hash a dummy password for unknown usernames,
//     so timing does not reveal which accounts exist or have a password;
//   - a failed check of a hash with outdated parameters is "hardened" to cost
//     what a current one would (extra PBKDF2 iterations, extra bcrypt rounds);
//   - salts are 22 characters from a 62-letter alphabet (128 bits), drawn
//     with crypto/rand.
//
// Going beyond Django, every computation runs in a bounded pool (slots for
// half the CPUs by default, [DefaultMaxConcurrent]): a flood of login
// attempts queues instead of taking every CPU from other requests, and a
// call that waits longer than MaxWait fails with a [*BusyError], which
// answers 503 with Retry-After through apierror. Each hash runs on a
// goroutine locked to its own OS thread whose CPU priority is the lowest
// (nice 19 through setpriority on the thread id, on Linux; elsewhere the
// priority is left alone and only the size limit applies), so request
// handling, and every other process on the machine, runs first. The price:
// on a machine saturated by other work, logins slow down before anything
// else does (see docs/benchmarks.md, "Login flood").
//
// # Deliberate differences from Django
//
//   - A hash of a known algorithm that cannot be parsed is an error wrapping
//     [ErrMalformed]; Django raises ValueError (an HTTP 500) too, but an
//     unknown algorithm, as in Django, simply never matches.
//   - Argon2 version 16 and argon2d hashes (never written by Django) and
//     scrypt parameters over OpenSSL's 32 MiB default limit (which Django's
//     hashlib.scrypt call refuses as well) are reported malformed.
//   - bcrypt's Encode refuses passwords over 72 bytes (as Python's bcrypt ≥ 5)
//     while Verify truncates them (as the bcrypt that wrote older hashes did).
//
// PBKDF2 is computed by an HMAC specialised for one-block keys (see
// pbkdf2Key), faster than OpenSSL's PKCS5_PBKDF2_HMAC and about 25% faster
// than crypto/pbkdf2 on the same machine (docs/benchmarks.md). It relies on
// the byte layout of the SHA state's MarshalBinary, which Go does not
// promise, so it is used only after a self-check on first use found it equal
// to crypto/pbkdf2; otherwise every hash goes through crypto/pbkdf2.
package hashers
