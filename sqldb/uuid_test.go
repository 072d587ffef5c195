package sqldb_test

import (
	"testing"

	"github.com/dmr-go/dmr/sqldb"
)

func TestUUIDScan(t *testing.T) {
	want, _ := sqldb.ParseUUID("0b0e8d1c-2f3a-4b5c-9d8e-7f6a5b4c3d2e")
	raw := [16]byte(want)
	for _, v := range []any{"0b0e8d1c2f3a4b5c9d8e7f6a5b4c3d2e", "0B0E8D1C-2F3A-4B5C-9D8E-7F6A5B4C3D2E",
		[]byte("0b0e8d1c-2f3a-4b5c-9d8e-7f6a5b4c3d2e"), raw[:], raw} {
		var u sqldb.UUID
		if err := u.Scan(v); err != nil || u != want {
			t.Errorf("Scan(%v) = %v, %v", v, u, err)
		}
	}
	for _, v := range []any{"", "0b0e8d1c2f3a4b5c9d8e7f6a5b4c3d2", "0b0e8d1c+2f3a-4b5c-9d8e-7f6a5b4c3d2e", "zb0e8d1c2f3a4b5c9d8e7f6a5b4c3d2e", int64(1), nil} {
		var u sqldb.UUID
		if err := u.Scan(v); err == nil {
			t.Errorf("Scan(%v) succeeded", v)
		}
	}
	if got := sqldb.SQLite.UUIDArg(want, true); got != want.Hex() {
		t.Errorf("SQLite UUIDArg = %v", got)
	}
	if got := sqldb.Postgres.UUIDArg(want, false); got != want.String() {
		t.Errorf("Postgres UUIDArg = %v", got)
	}
}
