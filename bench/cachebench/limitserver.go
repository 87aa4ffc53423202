package cachebench

// The limit's server role: a child process of the bench serving the site
// as the in-process bench server wires it (measure.StartLocal), with a
// fragment cache (render.WithCache), and on a second listener a plain
// http.HandlerFunc that writes, from memory, the very bytes the site
// served for the fully cached page: its status, headers and body, captured
// once at start. The page, cached and not, and the limit are then served
// by one process, and the load generator measures them in turn.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/cache"
	"github.com/bigpipe-go/bigpipe/internal/headless"
	"github.com/bigpipe-go/bigpipe/render"
)

// RoleEnv, when set, makes this binary a child of the cache section
// instead of the bench: roleLimit.
const (
	RoleEnv   = "BIGPIPE_BENCH_CACHE_ROLE"
	roleLimit = "limit"
	// PprofEnv, when set in the bench's environment, is a loopback
	// address where the limit's server serves /debug/pprof/ (to profile
	// the pages while the bench loads them).
	PprofEnv = "BIGPIPE_BENCH_CACHE_PPROF"
)

// RunRole runs this process as the cache section's child role and returns
// its exit code.
func RunRole(role string) int {
	var err error
	switch role {
	case roleLimit:
		err = limitServerMain(os.Stdin, os.Stdout)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench cache %s: %v\n", role, err)
		return 1
	}
	return 0
}

// limitServerMain runs the limit's server until stdin is closed. Once it
// serves, it writes "listening <site addr> <limit addr> <bytes>" on stdout,
// bytes being the body of the page the limit handler sends.
func limitServerMain(stdin io.Reader, stdout io.Writer) error {
	c, err := cache.New()
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	srv, err := measure.StartLocal(render.WithCache(c))
	if err != nil {
		return err
	}
	defer srv.Close()
	head, body, err := capturePage(srv.URL + CachedPath)
	if err != nil {
		return fmt.Errorf("capture the cached page: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	limit := &http.Server{
		Handler:           limitMux(head, body),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	errc := make(chan error, 1)
	go func() { errc <- limit.Serve(ln) }()
	defer limit.Close()
	if addr := os.Getenv(PprofEnv); addr != "" {
		if err := servePprof(addr); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "listening %s %s %d\n", strings.TrimPrefix(srv.URL, "http://"), ln.Addr(), len(body))
	_, _ = io.Copy(io.Discard, bufio.NewReader(stdin)) // until the bench closes it
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	default:
	}
	return nil
}

// limitMux serves the limit at /, and at /chunked the same without the
// Content-Length header: the body framed as net/http frames a handler's
// write of more than its buffer when nobody says its length (chunked), as
// the measure of the limit wrote it.
func limitMux(head http.Header, body []byte) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/{$}", limitHandler(head, body))
	chunked := head.Clone()
	chunked.Del("Content-Length")
	mux.Handle("/chunked", limitHandler(chunked, body))
	return mux
}

// limitHandler is the limit: a plain handler writing head's headers and
// body, as they are, with one Write.
func limitHandler(head http.Header, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for k, v := range head {
			h[k] = v
		}
		_, _ = w.Write(body)
	}
}

// capturePage loads url twice (the first request fills the cache) and
// returns the second response's headers, without those net/http sets for
// each response (its Content-Length, if it has one, is kept: the limit
// then frames the body as the page did), and its body.
func capturePage(url string) (http.Header, []byte, error) {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	var (
		head http.Header
		body bytes.Buffer
	)
	for range 2 {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("User-Agent", headless.ChromeUA)
		resp, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		body.Reset()
		_, err = io.Copy(&body, resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, nil, fmt.Errorf("%s: %s", url, resp.Status)
		}
		head = resp.Header
	}
	for _, k := range []string{"Date", "Transfer-Encoding"} { // net/http's for each response
		head.Del(k)
	}
	return head, body.Bytes(), nil
}

// servePprof serves net/http/pprof's handlers on addr, a loopback address,
// until the process ends.
func servePprof(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s=%q: want a loopback host:port", PprofEnv, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	go func() { _ = (&http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}).Serve(ln) }()
	return nil
}
