package overload

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/bigpipe-go/bigpipe/internal/headless"
	"github.com/bigpipe-go/bigpipe/live"
)

// connectTimeout bounds a live connection's dial and its connect reply.
const connectTimeout = 30 * time.Second

// holdLive opens a live connection over SSE to addr, as the page's client
// does (connect, with ip as the client's address), waits for its connect
// reply, reads it for hold and closes it. It is whole if the server held
// it to the end, shed if it answered 503 with Retry-After, failed if it
// answered otherwise or ended it early. ctx ending closes it early (then
// whole, if it had connected).
func holdLive(ctx context.Context, addr, connect, ip string, hold time.Duration) (outcome, string) {
	conn, err := net.DialTimeout("tcp", addr, connectTimeout)
	if err != nil {
		return failed, "dial: " + err.Error()
	}
	defer conn.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() { // the end of ctx ends the connection early; this goroutine ends with holdLive
		select {
		case <-ctx.Done():
			_ = conn.Close()
		case <-stop:
		}
	}()
	u := "http://" + addr + live.DefaultPath + "sse?cf_connect=" + url.QueryEscape(connect)
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return failed, err.Error()
	}
	req.Header.Set("User-Agent", headless.ChromeUA)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("X-Forwarded-For", ip)
	_ = conn.SetDeadline(time.Now().Add(connectTimeout))
	if err := req.Write(conn); err != nil {
		if isClosed(ctx) {
			return abandoned, ""
		}
		return failed, "request: " + err.Error()
	}
	br := bufio.NewReaderSize(conn, 4<<10)
	resp, err := http.ReadResponse(br, req)
	if err != nil && isClosed(ctx) {
		return abandoned, ""
	}
	if err != nil {
		return failed, "response: " + err.Error()
	}
	if resp.StatusCode != http.StatusOK {
		o, reason := judge(kindLive, resp.StatusCode, resp.Header.Get("Retry-After"), nil)
		if o == okWhole {
			o, reason = failed, fmt.Sprintf("status %d", resp.StatusCode)
		}
		return o, reason
	}
	// The connect reply, then whatever comes (pings, publications) until
	// hold has passed.
	end := time.Now().Add(hold)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	connected := false
	for sc.Scan() {
		data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: "))
		if !ok {
			continue
		}
		if !connected {
			if !bytes.Contains(data, []byte(`"connect"`)) {
				continue
			}
			if bytes.Contains(data, []byte(`"error"`)) {
				return failed, fmt.Sprintf("connect refused: %.120s", data)
			}
			connected = true
			_ = conn.SetDeadline(end)
			continue
		}
		if bytes.Contains(data, []byte(`"disconnect"`)) {
			return failed, fmt.Sprintf("disconnected by the server: %.120s", data)
		}
	}
	switch {
	case !connected && isClosed(ctx):
		return abandoned, ""
	case !connected:
		return failed, fmt.Sprintf("no connect reply: %v", sc.Err())
	case !time.Now().Before(end), isClosed(ctx):
		return okWhole, ""
	}
	return failed, fmt.Sprintf("ended by the server %v before its end: %v", time.Until(end).Round(time.Second), sc.Err())
}

// isClosed reports whether ctx has ended.
func isClosed(ctx context.Context) bool { return ctx.Err() != nil }
