package render_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/bigpipe-go/bigpipe/pagelet"
	"github.com/bigpipe-go/bigpipe/render"
)

// bulky is a pagelet of n bytes of text, ready at once.
func bulky(id string, n int) pagelet.Pagelet {
	body := strings.Repeat("x", n)
	return pagelet.Pagelet{ID: id, Load: func(context.Context) (templ.Component, error) { return text(body), nil }}
}

// TestSlowReaderIsCutOff sends a page far bigger than the socket buffers
// to a client that never reads: the write deadline must end the handler
// (outcome client_gone) instead of leaving it blocked in Write forever.
func TestSlowReaderIsCutOff(t *testing.T) {
	for _, ua := range []string{chromeUA, googlebotUA} {
		t.Run(ua[:10], func(t *testing.T) {
			obs := newPageRecorder()
			srv := servePage(t, pageOf(bulky("a", 4<<20), bulky("b", 4<<20)),
				render.WithWriteTimeout(200*time.Millisecond), render.WithObserver(obs))
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10) // a small window: the server's writes block soon
			fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: %s\r\n\r\n", ua)

			obs.wait(t, 1) // fails after 10s if the handler is still blocked
			got := obs.last()
			if got.Outcome != render.ClientGone {
				t.Errorf("outcome %q, want %q", got.Outcome, render.ClientGone)
			}
			if got.Bytes >= 8<<20 {
				t.Errorf("%d bytes written to a client that read none", got.Bytes)
			}
		})
	}
}

// TestSlowSteadyReaderCompletes reads the same page slowly but steadily:
// the deadline is per write, so a reader that keeps taking bytes gets the
// whole page even though it takes several write timeouts in total.
func TestSlowSteadyReaderCompletes(t *testing.T) {
	obs := newPageRecorder()
	srv := servePage(t, pageOf(bulky("a", 1<<20), bulky("b", 1<<20)),
		render.WithWriteTimeout(300*time.Millisecond), render.WithObserver(obs))
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(16 << 10)
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: %s\r\nConnection: close\r\n\r\n", chromeUA)
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	start := time.Now()
	r := bufio.NewReaderSize(conn, 16<<10)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body strings.Builder
	buf := make([]byte, 64<<10)
	for {
		n, err := resp.Body.Read(buf)
		body.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", body.Len(), err)
		}
		time.Sleep(2 * time.Millisecond) // about 32 MB/s at most: slow, never stalled
	}
	obs.wait(t, 1)
	if got := obs.last(); got.Outcome != render.Complete || !strings.HasSuffix(body.String(), "</html>") {
		t.Errorf("outcome %q, body ends %q; want complete and the whole page", got.Outcome, body.String()[max(0, body.Len()-20):])
	}
	t.Logf("read %d bytes in %v", body.Len(), time.Since(start))
}
