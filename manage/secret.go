package manage

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"strings"

	"github.com/dmr-go/dmr/sqldb"
)

// secretKeyChars is the alphabet of Django's get_random_secret_key.
const secretKeyChars = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)"

// SecretKeyLength is the length of a generated secret key, as Django's
// get_random_secret_key makes them.
const SecretKeyLength = 50

// SecretKeyFileSuffix is appended to the SQLite database path to name the file
// that keeps a generated secret key.
const SecretKeyFileSuffix = ".secret_key"

// NewSecretKey returns a random key like Django's get_random_secret_key:
// 50 characters from a 50-character alphabet (about 282 bits), from
// crypto/rand.
func NewSecretKey() string {
	b := make([]byte, SecretKeyLength)
	n := big.NewInt(int64(len(secretKeyChars)))
	for i := range b {
		v, err := rand.Int(rand.Reader, n)
		if err != nil {
			panic("manage: crypto/rand failed: " + err.Error())
		}
		b[i] = secretKeyChars[v.Int64()]
	}
	return string(b)
}

// SecretKeyFile returns the file that keeps the generated secret key of a
// SQLite configuration: the database path plus SecretKeyFileSuffix. It returns
// "" for PostgreSQL and for in-memory SQLite databases.
func (c Config) SecretKeyFile() string {
	c.setDefaults()
	src, err := sqldb.ParseURL(c.DatabaseURL)
	if err != nil || src.Dialect != sqldb.SQLite || src.InMemory() {
		return ""
	}
	path := strings.TrimPrefix(src.Path, "file:")
	if path == "" {
		return ""
	}
	return path + SecretKeyFileSuffix
}

// resolveSecretKey returns the secret key to use: the configured one, else the
// one kept beside the SQLite database (created with mode 0600 on first use),
// else, for an in-memory database, a fresh one for this process. create=false
// never writes a file (for commands that only print).
func (c Config) resolveSecretKey(log *slog.Logger, create bool) (string, error) {
	if c.SecretKey != "" {
		if len(c.SecretKey) < 50 {
			log.Info("the secret key is shorter than 50 characters; Django's check security.W009 warns about such keys", "variable", EnvSecretKey)
		}
		return c.SecretKey, nil
	}
	if c.dialect() != sqldb.SQLite {
		return "", fmt.Errorf("%s is required with %s", EnvSecretKey, c.dialect())
	}
	path := c.SecretKeyFile()
	if path == "" {
		log.Warn("no secret key configured: using a random one for this process (sessions end when it exits)", "variable", EnvSecretKey)
		return NewSecretKey(), nil
	}
	key, err := readSecretKey(path, log)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if !create {
		return NewSecretKey(), nil
	}
	key = NewSecretKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first: use theirs.
		return readSecretKey(path, log)
	}
	if err != nil {
		return "", fmt.Errorf("create secret key file: %w", err)
	}
	_, werr := f.WriteString(key + "\n")
	cerr := f.Close()
	if werr != nil || cerr != nil {
		os.Remove(path)
		return "", fmt.Errorf("write secret key file %s: %w", path, errors.Join(werr, cerr))
	}
	log.Warn("generated a secret key and saved it beside the database (mode 0600); set "+EnvSecretKey+" to use your own", "file", path)
	return key, nil
}

func readSecretKey(path string, log *slog.Logger) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	key := strings.TrimRight(string(b), "\r\n")
	if key == "" || strings.ContainsAny(key, "\r\n") {
		return "", fmt.Errorf("secret key file %s: want one line with the key", path)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the secret key file is readable by other users; chmod 600 it", "file", path, "mode", fi.Mode().Perm().String())
	}
	return key, nil
}
