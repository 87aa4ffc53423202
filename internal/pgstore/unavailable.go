package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bigpipe-go/bigpipe/internal/store"
)

// errorf is fmt.Errorf for this package's errors: when the error it wraps
// says the database could not be reached or did not answer in time (see
// [unreachable]), the result also matches [store.ErrUnavailable], which
// the site answers with 503 and Retry-After (the post may be tried again)
// and a pagelet with its fallback.
func errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if unreachable(err) {
		return &unavailableError{err}
	}
	return err
}

// unavailableError is an error of the database's absence.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string   { return e.err.Error() }
func (e *unavailableError) Unwrap() []error { return []error{e.err, store.ErrUnavailable} }

// unreachable reports whether err says the database is away rather than
// that the statement was wrong: no connection (refused, reset, closed,
// timed out), the server shutting down or starting (SQLSTATE 57P0x), a
// connection exception (class 08), too many connections (53300), or a
// deadline that ended the wait for it. A statement cut that way may or may
// not have been committed: what is stored under a client-made id is found
// again on a retry, never stored twice.
func unreachable(err error) bool {
	if err == nil {
		return false
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || pgErr.Code == "53300"
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, pgconn.ErrConnClosed) || strings.Contains(err.Error(), "conn closed")
}
