package shutdown_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"syscall"
	"testing/fstest"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/shutdown"
)

// A site with live pagelets: the probes, and on SIGTERM readiness 503,
// the live clients told to reconnect elsewhere over 10 s, the pages
// still running given 30 s, then cancelled.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	site, err := assets.New(fstest.MapFS{}) // the site's CSS and JS
	if err != nil {
		log.Fatal(err)
	}
	eng, err := live.New(site, live.WithSecret([]byte("from -live-secret or $BIGPIPE_LIVE_SECRET")))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(eng.Path(), eng)
	// … the pages (render.New(site, render.WithLive(eng)) and rd.Page).

	srv := &http.Server{Addr: "127.0.0.1:0", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	sd := shutdown.New(srv,
		shutdown.WithLive(eng),
		shutdown.WithWindow(10*time.Second),
		shutdown.WithTimeout(30*time.Second),
		shutdown.WithHealth(func() string { return eng.Health().String() }))
	mux.Handle("GET /readyz", sd.Ready())
	mux.Handle("GET /healthz", sd.Health())

	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Print(err)
			stop()
		}
	}()

	stop() // here, instead of waiting for a SIGTERM
	<-ctx.Done()
	if err := sd.Shutdown(context.Background()); err != nil {
		log.Print(err) // ErrDeadline: pages were cut
	}

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	fmt.Print(rec.Code, " ", rec.Body)
	// Output:
	// 503 draining
}

// OnShutdown stops what publishes through the live engine before the
// engine closes: here a ticker that publishes the time.
func ExampleDrainer_OnShutdown() {
	site, err := assets.New(fstest.MapFS{})
	if err != nil {
		log.Fatal(err)
	}
	eng, err := live.New(site, live.WithSecret([]byte("from -live-secret or $BIGPIPE_LIVE_SECRET")))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: eng}
	sd := shutdown.New(srv, shutdown.WithLive(eng))

	clock := live.State(eng, "clock", func(t time.Time) templ.Component {
		return templ.Raw(t.Format("15:04:05"))
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case t := <-tick.C:
				_ = clock.Publish(ctx, "clock", t)
			case <-ctx.Done():
				return
			}
		}
	}()
	sd.OnShutdown(func() { cancel(); <-done })

	if err := sd.Shutdown(context.Background()); err != nil {
		log.Print(err)
	}
	_, open := <-done
	fmt.Println("publisher stopped:", !open)
	// Output:
	// publisher stopped: true
}
