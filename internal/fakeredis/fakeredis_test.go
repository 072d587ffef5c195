package fakeredis

import (
	"bufio"
	"net"
	"strings"
	"testing"
)

func TestReadCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n", []string{"PING", "hi"}, true},
		{"*1\r\n$0\r\n\r\n", []string{""}, true},
		{"+OK\r\n", nil, false},
		{"*0\r\n", nil, false},
		{"*1\r\n:1\r\n", nil, false},
		{"*1\r\n$-1\r\n", nil, false},
		{"*1\r\n$5\r\nab", nil, false},
	}
	for _, tc := range tests {
		got, err := ReadCommand(bufio.NewReader(strings.NewReader(tc.in)))
		if (err == nil) != tc.ok || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("ReadCommand(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestServe(t *testing.T) {
	addr := Serve(t, func(args []string) string { return "+" + strings.Join(args, ",") + "\r\n" })
	cn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Close()
	if _, err := cn.Write([]byte("*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(cn).ReadString('\n')
	if err != nil || line != "+ECHO,x\r\n" {
		t.Fatalf("%q %v", line, err)
	}
}

func FuzzReadCommand(f *testing.F) {
	f.Add("*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		_, _ = ReadCommand(bufio.NewReader(strings.NewReader(in)))
	})
}
