package fakeredis

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
)

// Serve answers each RESP2 command on a local port with reply(args) (raw
// RESP text) until the test ends, and returns the address.
func Serve(t testing.TB, reply func(args []string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			cn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer cn.Close()
				rd := bufio.NewReader(cn)
				for {
					args, err := ReadCommand(rd)
					if err != nil {
						return
					}
					if _, err := io.WriteString(cn, reply(args)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// ReadCommand reads one command (an array of bulk strings) from rd.
func ReadCommand(rd *bufio.Reader) ([]string, error) {
	line, err := rd.ReadString('\n')
	if err != nil || len(line) < 3 || line[0] != '*' {
		return nil, errors.New("fakeredis: not an array")
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil || n < 1 {
		return nil, errors.New("fakeredis: bad array length")
	}
	args := make([]string, n)
	for i := range args {
		if line, err = rd.ReadString('\n'); err != nil || len(line) < 3 || line[0] != '$' {
			return nil, errors.New("fakeredis: bad bulk string")
		}
		size, err := strconv.Atoi(strings.TrimSpace(line[1:]))
		if err != nil || size < 0 {
			return nil, errors.New("fakeredis: bad bulk length")
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return nil, err
		}
		args[i] = string(buf[:size])
	}
	return args, nil
}
