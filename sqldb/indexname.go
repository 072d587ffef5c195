package sqldb

import (
	"crypto/md5" //nolint:gosec // Django's names_digest, not a security use
	"encoding/hex"
	"strings"
)

// IndexName is the name Django's schema editor gives an index or a
// constraint (BaseDatabaseSchemaEditor._create_index_name): table, columns
// and an 8-digit digest of them (names_digest), then suffix, shortened to
// the dialect's identifier limit (63 on PostgreSQL, 64 on MySQL, 200 on
// SQLite) the way Django shortens it. Tables created here for Django's apps
// use it so that their constraints carry the names `migrate` would give.
func IndexName(d Dialect, table string, columns []string, suffix string) string {
	h := md5.New() //nolint:gosec // Django's names_digest
	h.Write([]byte(table))
	for _, c := range columns {
		h.Write([]byte(c))
	}
	hashSuffix := hex.EncodeToString(h.Sum(nil))[:8] + suffix
	maxLen := 200
	switch d {
	case Postgres:
		maxLen = 63
	case MySQL:
		maxLen = 64
	}
	cols := strings.Join(columns, "_")
	name := table + "_" + cols + "_" + hashSuffix
	if len(name) <= maxLen {
		return name
	}
	if len(hashSuffix) > maxLen/3 {
		hashSuffix = hashSuffix[:maxLen/3]
	}
	other := (maxLen-len(hashSuffix))/2 - 1
	name = cut(table, other) + "_" + cut(cols, other) + "_" + hashSuffix
	if name[0] == '_' || (name[0] >= '0' && name[0] <= '9') {
		name = "D" + name[:len(name)-1]
	}
	return name
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
