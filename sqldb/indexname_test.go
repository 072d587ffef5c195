package sqldb_test

import (
	"testing"

	"github.com/dmr-go/dmr/sqldb"
)

// Names Django 5.2's sqlmigrate prints (authtoken, token_blacklist, auth).
func TestIndexName(t *testing.T) {
	tests := []struct {
		d       sqldb.Dialect
		table   string
		columns []string
		suffix  string
		want    string
	}{
		{sqldb.Postgres, "authtoken_token", []string{"user_id"}, "_fk_auth_user_id", "authtoken_token_user_id_35299eff_fk_auth_user_id"},
		{sqldb.Postgres, "authtoken_token", []string{"key"}, "_like", "authtoken_token_key_10f0b77e_like"},
		{sqldb.Postgres, "authtoken_token", []string{"user_id"}, "_fk_accounts_very_long_custom_user_model_name_id", "authtoken_token_user_id_35299eff_fk_accounts_"},
		{sqldb.SQLite, "token_blacklist_outstandingtoken", []string{"user_id"}, "", "token_blacklist_outstandingtoken_user_id_83bc629a"},
	}
	for _, tc := range tests {
		if got := sqldb.IndexName(tc.d, tc.table, tc.columns, tc.suffix); got != tc.want {
			t.Errorf("IndexName(%v, %s, %v, %s) = %q, want %q", tc.d, tc.table, tc.columns, tc.suffix, got, tc.want)
		}
		if tc.d == sqldb.Postgres && len(sqldb.IndexName(tc.d, tc.table, tc.columns, tc.suffix)) > 63 {
			t.Errorf("%s: longer than PostgreSQL's 63", tc.want)
		}
	}
}
