// Command sessionauth is the example application of Django session
// authentication: run it with no arguments to serve on 127.0.0.1:8000 with a
// SQLite database dmr.sqlite3 in the working directory.
//
//	printf password | go run ./examples/sessionauth createuser --username test_user --password-stdin
//	go run ./examples/sessionauth
//	curl http://127.0.0.1:8000/api/auth/ -D - -X POST \
//	    -d '{"username": "test_user", "password": "password"}' -H 'Content-Type: application/json'
//
// See docs/sessionauth-example.md for the endpoints, the environment variables
// and the other subcommands.
package main

func main() { App().Main() }
