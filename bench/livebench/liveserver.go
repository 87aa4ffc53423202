package livebench

// The live section's server: the live engine (package live, its default
// options but for the per-address connection limit, which the bench's few
// source addresses would hit) on a loopback port, in a child process of its
// own so that its memory and file descriptors are its own, as the capacity
// figures do for pages. It is this very binary, started again with
// RoleEnv set (see RunRole), and it serves, besides the engine's
// endpoints under live.DefaultPath:
//
//	GET /_bench/token?ch=C    {"token","offset","epoch"}: a token granting C and C's position
//	GET /_bench/publish?ch=C&seq=N
//	                          publishes {seq N, sent now} to C; {"sent": unix ns before the publish}
//	GET /_bench/mem           two forced collections, freed memory returned to the OS, then {"heap","stack","sys","goroutines"}
//	GET /_bench/stacks        every goroutine's stack (runtime/pprof, debug=1): to see where it waits
//
// and the readers' routes (readerserver.go).
//
// With liveRedisEnv set (comma-separated redis:// URLs) its engine fans out
// through Redis (live.WithRedis), signing tokens with liveSecretEnv's
// secret, which every instance of the cluster part is given: a token from
// one instance connects to any.
//
// It reads commands on stdin, a line each: "close" closes the engine as a
// deploy would (new live connections refused, every client told to
// reconnect elsewhere), within liveCloseTimeout, and answers "closed <ns it
// took> <its error, or ->"; the HTTP server stays up. It
// ends when its standard input is closed (the bench ended it or died).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/assets"
	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/live"
	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// RoleEnv, when set, makes this binary a child of the live section
// instead of the bench: liveRoleServer or liveRoleClient.
const (
	RoleEnv        = "BIGPIPE_BENCH_LIVE_ROLE"
	liveRoleServer = "server"
	liveRoleClient = "client"
	// liveRedisEnv and liveSecretEnv, when set, are the server role's Redis
	// URLs (comma-separated) and token secret.
	liveRedisEnv  = "BIGPIPE_BENCH_LIVE_REDIS"
	liveSecretEnv = "BIGPIPE_BENCH_LIVE_SECRET"
)

// The live section's channels: one family, a channel for the fan-out
// publications, one for the connections that only idle, one for the page
// in Chromium.
const (
	liveFamily  = "bench:"
	liveFanChan = "bench:fan"
	liveIdle    = "bench:idle"
	livePageCh  = "bench:page"
	// liveStreamFamily is a stream feed (every item matters, recovered
	// from the channel's history on reconnect): the reconnect storm's.
	liveStreamFamily = "benchs:"
	liveStormChan    = "benchs:storm"
)

// RunRole runs this process as the live section's child role and returns
// its exit code.
func RunRole(role string) int {
	var err error
	switch role {
	case liveRoleServer:
		err = liveServerMain(os.Stdin, os.Stdout)
	case liveRoleClient:
		err = liveClientMain(os.Getenv(liveClientEnv), os.Stdin, os.Stdout)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench live %s: %v\n", role, err)
		return 1
	}
	return 0
}

// livePub is what the bench publishes: a sequence number and the server's
// clock when it was published.
type livePub struct {
	Seq  int
	Sent int64 // unix ns
}

// liveView renders a publication: the sequence number, with the send time
// in an attribute for the page to compare its own clock with.
func liveView(p livePub) templ.Component {
	return templ.Raw(fmt.Sprintf(`<p class="bench-live" data-seq="%d" data-sent="%d">publication %d</p>`, p.Seq, p.Sent, p.Seq))
}

// liveMem is the server's memory as the Go runtime reports it after two
// forced collections (the first frees, the second also shrinks the stacks
// of goroutines that no longer need them, as an idle server's collections
// would in time).
type liveMem struct {
	Heap       uint64 `json:"heap"`  // HeapAlloc: live heap bytes
	Stack      uint64 `json:"stack"` // StackInuse
	Sys        uint64 `json:"sys"`
	Goroutines int    `json:"goroutines"`
}

// liveServerMain runs the server role until stdin is closed. It writes
// "listening <addr>" on stdout once it accepts connections.
func liveServerMain(stdin io.Reader, stdout io.Writer) error {
	if _, err := measure.RaiseNofile(); err != nil {
		return err
	}
	site, err := assets.New(fstest.MapFS{})
	if err != nil {
		return fmt.Errorf("assets: %w", err)
	}
	opts := []live.Option{
		live.WithLogger(slog.New(slog.DiscardHandler)),
		live.WithLimits(live.Limits{ConnectionsPerAddress: -1}),
		live.WithSessions(readerSessions),
	}
	if urls := os.Getenv(liveRedisEnv); urls != "" {
		opts = append(opts, live.WithRedis(strings.Split(urls, ",")...), live.WithSecret([]byte(os.Getenv(liveSecretEnv))))
	}
	eng, err := live.New(site, opts...)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(eng.Path(), eng)
	liveBenchRoutes(mux, eng)
	rd, err := livePageRoutes(mux, eng, site)
	if err != nil {
		return err
	}
	readerRoutes(mux, eng, rd)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 30 * time.Second, // thousands of connections opening at once on a busy machine
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())
	closer := &engineCloser{eng: eng}
	cmdErr := liveServerCommands(stdin, stdout, closer)
	_ = srv.Close()
	_, _ = closer.close(2 * time.Second)
	if cmdErr != nil {
		return cmdErr
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// liveBenchRoutes adds the bench's own routes to mux: /_bench/token,
// /_bench/publish, /_bench/mem and /_bench/stacks.
func liveBenchRoutes(mux *http.ServeMux, eng *live.Engine) {
	state := live.State(eng, liveFamily, liveView)
	stream := live.Stream(eng, liveStreamFamily, liveView)
	mux.HandleFunc("GET /_bench/token", func(w http.ResponseWriter, r *http.Request) {
		ch := r.URL.Query().Get("ch")
		tok, err := eng.Token(ch)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		pos, err := eng.Position(r.Context(), ch)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSONResponse(w, liveGrant{Token: tok, Offset: pos.Offset, Epoch: pos.Epoch})
	})
	mux.HandleFunc("GET /_bench/publish", func(w http.ResponseWriter, r *http.Request) {
		seq, err := strconv.Atoi(r.URL.Query().Get("seq"))
		if err != nil {
			http.Error(w, "bad seq", http.StatusBadRequest)
			return
		}
		ch := r.URL.Query().Get("ch")
		publish := state.Publish
		if strings.HasPrefix(ch, liveStreamFamily) {
			publish = stream.Publish
		}
		sent := time.Now().UnixNano()
		if err := publish(r.Context(), ch, livePub{Seq: seq, Sent: sent}); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSONResponse(w, map[string]int64{"sent": sent})
	})
	mux.HandleFunc("GET /_bench/mem", func(w http.ResponseWriter, _ *http.Request) {
		runtime.GC()
		debug.FreeOSMemory() // a collection too, then what is free goes back, as the scavenger returns it to an idle server in time
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		writeJSONResponse(w, liveMem{Heap: ms.HeapAlloc, Stack: ms.StackInuse, Sys: ms.Sys, Goroutines: runtime.NumGoroutine()})
	})
	mux.HandleFunc("GET /_bench/stacks", func(w http.ResponseWriter, _ *http.Request) {
		_ = pprof.Lookup("goroutine").WriteTo(w, 1)
	})
}

// liveServerCommands runs the commands read from stdin until it is closed
// (the bench closed it or died): "close" closes the engine and answers
// "closed <ns> <error or ->"; anything else is an error.
func liveServerCommands(stdin io.Reader, stdout io.Writer, closer *engineCloser) error {
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "close":
			took, err := closer.close(liveCloseTimeout)
			why := "-"
			if err != nil {
				why = strings.ReplaceAll(err.Error(), "\n", " ")
			}
			fmt.Fprintf(stdout, "closed %d %s\n", took.Nanoseconds(), why)
		default:
			return fmt.Errorf("bad command %q", sc.Text())
		}
	}
	return nil
}

// engineCloser closes the engine once: on the "close" command, or at the
// end of the role; a later call does nothing.
type engineCloser struct {
	eng  *live.Engine
	once sync.Once
}

// close closes the engine within d and says how long that took.
func (c *engineCloser) close(d time.Duration) (took time.Duration, err error) {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		t0 := time.Now()
		err = c.eng.Close(ctx)
		took = time.Since(t0)
	})
	return took, err
}

// liveCloseTimeout bounds the "close" command's Engine.Close.
const liveCloseTimeout = time.Minute

// liveGrant is what /_bench/token answers: what a client needs to connect
// to one channel, from its current position.
type liveGrant struct {
	Token   string `json:"token"`
	Offset  uint64 `json:"offset"`
	Epoch   string `json:"epoch"`
	Channel string `json:"channel,omitempty"` // a reader's grant (/_bench/reader): their private channel
}

func writeJSONResponse(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// livePagePath is the page the Chromium part opens: one live pagelet,
// livePageID, on livePageCh, rendered by the renderer with this engine.
const (
	livePagePath = "/_bench/page"
	livePageID   = "lv"
)

// livePageRoutes serves livePagePath and the runtime it loads, and
// returns the renderer.
func livePageRoutes(mux *http.ServeMux, eng *live.Engine, site *assets.Registry) (*render.Renderer, error) {
	rd, err := render.New(site, render.WithLive(eng), render.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, fmt.Errorf("renderer: %w", err)
	}
	layout := func(slot pagelet.Slot) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			if _, err := io.WriteString(w, "<main><h1>live</h1>"); err != nil {
				return err
			}
			if err := slot(livePageID).Render(ctx, w); err != nil {
				return err
			}
			_, err := io.WriteString(w, "</main>")
			return err
		})
	}
	mux.Handle("GET "+livePagePath, rd.Page(func(http.ResponseWriter, *http.Request) (*pagelet.Page, error) {
		return &pagelet.Page{Title: "live bench", Layout: layout, Pagelets: []pagelet.Pagelet{{
			ID:      livePageID,
			Channel: livePageCh,
			Load: func(context.Context) (templ.Component, error) {
				return templ.Raw(`<p class="bench-live" data-seq="-1">before any publication</p>`), nil
			},
		}}}, nil
	}, render.WithCSP(true)))
	mux.Handle(rd.Path(), rd)
	return rd, nil
}
