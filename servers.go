// The servers: the main HTTP server (pages, probes, live, metrics) and the
// optional admin one (-admin), listening and serving until a stop.

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// servers are the main server and the admin one, listening.
type servers struct {
	cfg     config
	main    *http.Server
	ln      net.Listener
	admin   *http.Server // nil without -admin
	adminLn net.Listener
}

// newMainServer makes the main server, without its handler yet (listen
// sets it). Requests' contexts derive from ctx but are not cancelled with
// it: the stop sequence (drain.go) ends them, through the BaseContext it
// wraps.
func newMainServer(ctx context.Context, cfg config, log *slog.Logger) *http.Server {
	base := context.WithoutCancel(ctx)
	return &http.Server{
		Addr:              cfg.addr,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		Protocols:         cfg.protocols(),
		// No WriteTimeout: it would cut long streams. The renderer bounds
		// each write (-write-timeout) and each page (-page-timeout).
		BaseContext: func(net.Listener) context.Context { return base },
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// listen gives main, the main server, handler and, with -admin, makes the
// admin server for the metrics gatherer gathers and news, and opens their
// listeners; it logs their addresses.
func listen(cfg config, main *http.Server, handler http.Handler, gatherer prometheus.Gatherer, news breakingNews, log *slog.Logger) (*servers, error) {
	s := &servers{cfg: cfg, main: main}
	main.Handler = handler
	var err error
	if s.ln, err = net.Listen("tcp", cfg.addr); err != nil {
		return nil, err
	}
	if cfg.admin != "" {
		if s.adminLn, err = net.Listen("tcp", cfg.admin); err != nil {
			s.ln.Close()
			return nil, fmt.Errorf("admin: %w", err)
		}
		s.admin = newAdminServer(gatherer, news, log)
	}
	scheme := "http"
	if cfg.tlsCert != "" {
		scheme = "https"
	}
	log.Info("serving", "addr", scheme+"://"+s.ln.Addr().String(), "db", dbLabel(cfg.db), "h2c", cfg.h2c, "metrics", cfg.metrics)
	if s.admin != nil {
		log.Info("admin serving", "addr", "http://"+s.adminAddr(), "paths", "/debug/pprof/ /metrics POST /admin/breaking")
	}
	return s, nil
}

// addr is the main server's address.
func (s *servers) addr() string { return s.ln.Addr().String() }

// adminAddr is the admin server's address, "" without one.
func (s *servers) adminAddr() string {
	if s.admin == nil {
		return ""
	}
	return s.adminLn.Addr().String()
}

// serve serves on both listeners until ctx ends or one of them fails, and
// returns that failure (nil when ctx ended). The servers keep serving: the
// stop sequence (drain.go) shuts them down.
func (s *servers) serve(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() {
		if s.cfg.tlsCert != "" {
			errc <- s.main.ServeTLS(s.ln, s.cfg.tlsCert, s.cfg.tlsKey)
			return
		}
		errc <- s.main.Serve(s.ln)
	}()
	if s.admin != nil {
		go func() { errc <- s.admin.Serve(s.adminLn) }()
	}
	select {
	case err := <-errc: // a listener failed: shut the rest down too
		return err
	case <-ctx.Done():
		return nil
	}
}

// closeAdmin shuts the admin server down, if any: it stayed up through the
// drain, so that the drain could be watched.
func (s *servers) closeAdmin() {
	if s.admin == nil {
		return
	}
	actx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if s.admin.Shutdown(actx) != nil {
		_ = s.admin.Close() // a long profile, say
	}
}

// protocols is what the server speaks: HTTP/1.1 always, HTTP/2 over TLS,
// and HTTP/2 without TLS only when asked (-h2c).
func (c config) protocols() *http.Protocols {
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetHTTP2(c.tlsCert != "")
	p.SetUnencryptedHTTP2(c.h2c)
	return &p
}
