// Package lockedbuf is the module's one buffer safe for concurrent
// writers: a child process's output (exec's copying goroutines), a
// server's error log, a logger, read by a test or a report while they
// write. It is a package of its own, importing nothing of the module, so
// that both the test helpers (internal/testenv, whose LockedBuffer it is)
// and code built into commands (internal/redisserver, which the bench
// imports) can use it without the latter linking package testing.
package lockedbuf

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent writers and readers. Its
// zero value is ready to use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what has been written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
