package measure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/compress"
	"github.com/bigpipe-go/bigpipe/internal/store"
	"github.com/bigpipe-go/bigpipe/pages"
	"github.com/bigpipe-go/bigpipe/render"
	"github.com/bigpipe-go/bigpipe/static"
)

// LocalServer is the site served in-process on a loopback port, wired as
// main.go wires it with its default flags (in-memory store, embedded
// assets, compression, Early Hints over HTTP/2 only, CSP) and logging
// discarded.
type LocalServer struct {
	URL        string // http://127.0.0.1:port
	srv        *http.Server
	closeStore func() error
	errc       chan error
}

// SiteHandler is the site's handler as StartLocal serves it, on a fresh
// in-memory store; opts are added to the renderer's. closeStore removes the
// store once the handler is no longer used.
func SiteHandler(opts ...render.Option) (h http.Handler, closeStore func() error, err error) {
	st, err := store.OpenMemory()
	if err != nil {
		return nil, nil, err
	}
	reg, err := assets.New(static.FS, pages.Bundles()...)
	if err != nil {
		_ = st.Close()
		return nil, nil, err
	}
	opts = append([]render.Option{render.WithLogger(slog.New(slog.DiscardHandler)), render.WithCSP(true)}, opts...)
	rd, err := render.New(reg, opts...)
	if err != nil {
		_ = st.Close()
		return nil, nil, err
	}
	return pages.Routes(rd, reg, pages.NewSite(st), compress.New()), st.Close, nil
}

// StartLocal starts the in-process server; opts are added to the
// renderer's (the soak test sets an observer and timeouts). Close stops it.
func StartLocal(opts ...render.Option) (*LocalServer, error) {
	h, closeStore, err := SiteHandler(opts...)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = closeStore()
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &LocalServer{
		URL: "http://" + ln.Addr().String(),
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			// No WriteTimeout: it would cut long streams. Pagelet timeouts bound them.
			ErrorLog: log.New(io.Discard, "", 0),
		},
		closeStore: closeStore,
		errc:       make(chan error, 1),
	}
	go func() { s.errc <- s.srv.Serve(ln) }()
	return s, nil
}

// Close shuts the server down, letting running pages finish for up to 5 s,
// and removes its store.
func (s *LocalServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	if serr := <-s.errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return errors.Join(err, s.closeStore())
}

// Serve serves the site on ln as well (the soak's slow readers use a
// listener of their own); it returns when the server is closed.
func (s *LocalServer) Serve(ln net.Listener) error { return s.srv.Serve(ln) }
