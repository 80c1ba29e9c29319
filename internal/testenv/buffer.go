package testenv

import (
	"bytes"
	"sync"
)

// Buffer keeps what is written to it, and is safe for concurrent use: the
// writer of a logger that a Stack's plugins write from their goroutines, or
// of a server's output that a test reads while it runs.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
