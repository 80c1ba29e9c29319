package testenv

import (
	"fmt"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TOTPCode is the six-digit code of a TOTP secret at a time.
func TOTPCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatalf("testenv: TOTP code: %v", err)
	}
	return c
}

// WrongTOTPCode is a six-digit code that none of the steps a server
// accepts at at (one early, the current, one late) gives.
func WrongTOTPCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	right := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		right[TOTPCode(t, secret, at.Add(d))] = true
	}
	for n := 0; ; n++ {
		if c := fmt.Sprintf("%06d", n); !right[c] {
			return c
		}
	}
}
