package live

// An idle connection the engine holds (an SSE stream, a WebSocket) waits
// for its client to send something or to close. A goroutine per connection
// blocked in a read would hold its stack, about 2 KiB, for nothing: on
// Linux one poller goroutine instead waits on every held connection's
// socket at once (epoll, poller_linux.go) and starts a goroutine only when
// one has something to read, which ends once it is read. Elsewhere, or if
// a connection cannot be watched, the connection gets a reading goroutine
// of its own (heldReader.readLoop).

// pollee is a held connection the poller watches.
type pollee interface {
	// readable reads what the connection has to read, without waiting
	// for more, and reports whether it is to be watched on: false once the
	// connection ended.
	readable() bool
}
