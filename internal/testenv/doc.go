// Package testenv gives tests access to the real services they need
// (PostgreSQL, MariaDB, Redis, Python with Django, a browser) and decides what happens
// when one is missing: the test is skipped with a clear message, or, when the
// environment variable DMR_TEST_REQUIRE_ALL=1 is set (as CI does), it fails.
//
// Every test gets private state: a fresh PostgreSQL database that is dropped on
// cleanup, a fresh MariaDB/MySQL database with its own TCP user and password
// (both dropped on cleanup), a random Redis key prefix whose keys are deleted
// on cleanup. So `go test ./...` may run packages in parallel.
//
// Addresses default to 127.0.0.1 and can be changed with DMR_TEST_POSTGRES_URL
// (an admin URL, default postgres://postgres@127.0.0.1:5432/test?sslmode=disable),
// DMR_TEST_MYSQL_SOCKET (root's unix socket, default /run/mysqld/mysqld.sock),
// DMR_TEST_MYSQL_ADDR (the TCP address tests connect to, default
// 127.0.0.1:3306) and DMR_TEST_REDIS_ADDR (default 127.0.0.1:6379).
package testenv
