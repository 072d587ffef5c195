package faults

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/dmr-go/dmr/internal/testenv"
)

// Ports: this suite's range. The shared services (5432, 6379, 3306) are
// outside it, so they can never be stopped or frozen by mistake.
const (
	firstPort = 18200
	lastPort  = 18299
)

var (
	portMu   sync.Mutex
	nextPort = firstPort
)

// freePort returns a port of the range nobody listens on, never the same
// twice in one test binary (a stopped server keeps its port for its restart).
func freePort(t *testing.T) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for ; nextPort <= lastPort; nextPort++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", nextPort))
		if err != nil {
			continue
		}
		ln.Close()
		p := nextPort
		nextPort++
		return p
	}
	t.Fatalf("no free port in %d-%d", firstPort, lastPort)
	return 0
}

// proc is a server process started in its own process group, so that a
// freeze (SIGSTOP) reaches its children too (PostgreSQL's backends).
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

func startProc(t *testing.T, name string, cred *syscall.Credential, dir string, env []string, argv ...string) *proc {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

// signal sends sig to the process and all its descendants. The process
// group is not enough: PostgreSQL's backends each call setsid().
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	pids := append([]int{p.cmd.Process.Pid}, descendants(p.cmd.Process.Pid)...)
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil && err != syscall.ESRCH {
			t.Fatalf("%s: signal %v to %d: %v", p.name, sig, pid, err)
		}
	}
}

// descendants lists the processes below pid, from /proc.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		var state string
		var ppid int
		if _, err := fmt.Sscan(rest, &state, &ppid); err == nil {
			children[ppid] = append(children[ppid], id)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		for _, c := range children[next] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// stop sends sig and waits for the process to exit.
func (p *proc) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	_ = syscall.Kill(p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not exit after %v:\n%s", p.name, sig, p.out.String())
	}
}

// kill ends the whole group (cleanup): thawed first, in case it is frozen.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGCONT)
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// pgServer is a private PostgreSQL cluster.
type pgServer struct {
	top             *testing.T // owns the processes: a restart in a subtest outlives it
	bin, data, sock string
	port            int
	cred            *syscall.Credential
	p               *proc
}

// pgBinDir finds the newest /usr/lib/postgresql/*/bin holding initdb.
func pgBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	var ok []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			ok = append(ok, d)
		}
	}
	if len(ok) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", fmt.Errorf("no initdb in /usr/lib/postgresql/*/bin nor on PATH")
	}
	sort.Slice(ok, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(ok[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(ok[j])))
		return vi < vj
	})
	return ok[len(ok)-1], nil
}

// startPostgres makes a cluster with initdb in a fresh directory and starts
// it on a free port. As root, the directory belongs to the postgres user
// and the server runs as that user.
func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	bin, err := pgBinDir()
	testenv.Require(t, "PostgreSQL server binaries", err == nil, fmt.Sprint(err))
	dir, err := os.MkdirTemp("", "dmr-faults-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &pgServer{top: t, bin: bin, data: filepath.Join(dir, "data"), sock: dir, port: freePort(t)}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		testenv.Require(t, "a postgres user to run PostgreSQL as (it refuses to run as root)", err == nil, fmt.Sprint(err))
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", s.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.start(t)
	return s
}

func (s *pgServer) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// start runs the postmaster and waits until it accepts queries.
func (s *pgServer) start(t *testing.T) {
	t.Helper()
	s.p = startProc(s.top, "postgres", s.cred, s.sock, nil, filepath.Join(s.bin, "postgres"),
		"-D", s.data, "-p", strconv.Itoa(s.port), "-k", s.sock,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "logging_collector=off")
	db, err := sql.Open("pgx", s.url())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitFor(t, 60*time.Second, "PostgreSQL on port "+strconv.Itoa(s.port), func() error {
		select {
		case <-s.p.done:
			t.Fatalf("postgres exited:\n%s", s.p.out.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return db.PingContext(ctx)
	})
}

// stop is a fast shutdown (SIGINT): clients are disconnected, committed
// data is kept.
func (s *pgServer) stop(t *testing.T) { s.p.stop(t, syscall.SIGINT) }

// redisServer is a private redis-server with an append-only file synced on
// every write, so that what it acknowledged survives a restart.
type redisServer struct {
	top      *testing.T // owns the processes: a restart in a subtest outlives it
	bin, dir string
	port     int
	p        *proc
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	testenv.Require(t, "redis-server", err == nil, fmt.Sprint(err))
	s := &redisServer{top: t, bin: bin, dir: t.TempDir(), port: freePort(t)}
	s.start(t)
	return s
}

func (s *redisServer) addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

func (s *redisServer) start(t *testing.T) {
	t.Helper()
	s.p = startProc(s.top, "redis-server", nil, s.dir, nil, s.bin,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no")
	waitFor(t, 30*time.Second, "redis-server on "+s.addr(), func() error {
		select {
		case <-s.p.done:
			t.Fatalf("redis-server exited:\n%s", s.p.out.String())
		default:
		}
		return redisPing(s.addr())
	})
}

// redisPing sends PING over a raw connection (a go-redis client would log
// each refused dial to stderr while the server starts).
func redisPing(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 7)
	if _, err := io.ReadFull(conn, buf); err != nil {
		return err
	}
	if string(buf) != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", buf)
	}
	return nil
}

func (s *redisServer) stop(t *testing.T) { s.p.stop(t, syscall.SIGTERM) }

// waitFor polls f every 50 ms until it succeeds or d has passed.
func waitFor(t *testing.T, d time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %v: %v", what, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
