package drftoken_test

import (
	"fmt"

	"github.com/dmr-go/dmr/auth/drftoken"
	"github.com/dmr-go/dmr/auth/userdb"
	"github.com/dmr-go/dmr/sqldb"
)

func ExampleGenerateKey() {
	fmt.Println(len(drftoken.GenerateKey()))
	// Output: 40
}

// The table as DRF's migration creates it on PostgreSQL for auth.User.
func ExampleSchema() {
	t := drftoken.Schema(sqldb.Postgres, userdb.Info{Table: "auth_user", PKColumn: "id", PK: userdb.PKInt, PKType: "integer"})
	fmt.Println(t.Create)
	fmt.Println(t.Alter[0])
	fmt.Println(t.Indexes[0].Create)
	// Output:
	// CREATE TABLE "authtoken_token" ("key" varchar(40) NOT NULL PRIMARY KEY, "created" timestamp with time zone NOT NULL, "user_id" integer NOT NULL UNIQUE)
	// ALTER TABLE "authtoken_token" ADD CONSTRAINT "authtoken_token_user_id_35299eff_fk_auth_user_id" FOREIGN KEY ("user_id") REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED
	// CREATE INDEX "authtoken_token_key_10f0b77e_like" ON "authtoken_token" ("key" varchar_pattern_ops)
}
