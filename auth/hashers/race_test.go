//go:build race

package hashers

const raceEnabled = true
