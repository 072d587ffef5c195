package permdb_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/dmr-go/dmr/auth/permdb"
)

// One user's permissions (2 direct, 2 through one of 2 groups, among 40
// permissions) in one round trip.
func BenchmarkUserPermissions(b *testing.B) {
	for _, dc := range dialects() {
		b.Run(dc.name, func(b *testing.B) {
			ctx := context.Background()
			db := dc.open(b)
			f := fixture{b, db, dc.d}
			f.exec(authUserDDL[dc.d])
			l, err := permdb.New(db, permdb.Options{Dialect: dc.d})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			if err := l.CreateTables(ctx); err != nil {
				b.Fatal(err)
			}
			var perms []int64
			for i := range 10 {
				ct := f.contentType("app", "model"+strconv.Itoa(i))
				for _, a := range []string{"add", "change", "delete", "view"} {
					perms = append(perms, f.perm(ct, a+"_model"+strconv.Itoa(i)))
				}
			}
			g1, g2 := f.group("g1"), f.group("g2")
			f.exec(`INSERT INTO "auth_group_permissions" ("group_id", "permission_id") VALUES (?, ?), (?, ?), (?, ?)`, g1, perms[0], g1, perms[1], g2, perms[2])
			u := f.user("u", false, true)
			f.exec(`INSERT INTO "auth_user_groups" ("user_id", "group_id") VALUES (?, ?)`, u, g1)
			f.exec(`INSERT INTO "auth_user_user_permissions" ("user_id", "permission_id") VALUES (?, ?), (?, ?)`, u, perms[5], u, perms[6])
			id := strconv.FormatInt(u, 10)
			b.ReportAllocs()
			for b.Loop() {
				s, err := l.UserPermissions(ctx, id)
				if err != nil || s.Len() != 4 {
					b.Fatal(s.List(), err)
				}
			}
		})
	}
}
