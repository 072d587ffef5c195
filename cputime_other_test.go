//go:build !linux

package dmr_test

func threadCPU() int64 { return 0 }
