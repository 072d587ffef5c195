//go:build !linux

package csrf

import "time"

func threadCPU() (time.Duration, bool) { return 0, false }
