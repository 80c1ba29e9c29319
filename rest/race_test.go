//go:build race

package rest_test

// raceEnabled: the race detector changes allocation counts.
const raceEnabled = true
